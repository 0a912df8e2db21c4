"""Shared fixtures: a clean environment, the installed `maxjob`, and its emulator on loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.e2e.hostile_servers import RawServer

BIN = Path(sys.executable).parent
MAXJOB = str(BIN / "maxjob")
KEY_ID = "emulator-key-id"
KEY_SECRET = "emulator-key-secret"
STS_KEY_ID = "STS.emulator-key-id"
STS_SECRET = "emulator-sts-secret"
STS_TOKEN = "emulator-sts-token"


def clean_environ(home: Path) -> dict[str, str]:
    """The process environment without any Alibaba Cloud or maxjob setting, HOME in a temp dir,
    and the credentials chain kept off the network."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "MAXJOB_"))
        and k not in ("NO_COLOR", "FORCE_COLOR", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
        and k.lower() not in ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
    }
    env["HOME"] = str(home)
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    env["COLUMNS"] = "100"
    env["TERM"] = "dumb"
    return env


def keyed_environ(home: Path, endpoint: str) -> dict[str, str]:
    """`clean_environ` plus the emulator's keys and an endpoint: what a user of it would set."""
    env = clean_environ(home)
    env.update(
        {
            "MAXJOB_ENDPOINT": endpoint,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": KEY_SECRET,
        }
    )
    return env


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's own credentials or configuration."""
    for key in list(os.environ):
        if key.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "MAXJOB_")) or key in (
            "NO_COLOR",
            "FORCE_COLOR",
        ):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _alone_when_timed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Under pytest-xdist, a test marked `timed` runs while no other test runs: every test holds
    a shared lock on one file, a timed one an exclusive lock. A bound on wall-clock or CPU time
    then measures maxjob, not the other worker. A turnstile keeps a waiting timed test from
    being passed by a stream of others."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    import fcntl

    # The workers' temporary folders share a parent, which pytest removes in time.
    base = tmp_path_factory.getbasetemp().parent / "maxjob-tests"
    with Path(f"{base}.gate").open("a") as gate, Path(f"{base}.lock").open("a") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            if request.node.get_closest_marker("timed") is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            else:
                fcntl.flock(lock, fcntl.LOCK_SH)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass
class Emulator:
    process: subprocess.Popen[str]
    port: int
    banner: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_emulator(
    tmp_path: Path, jobs: list[dict[str, Any]] | None = None, *extra: str
) -> Emulator:
    args = [MAXJOB, "emulator", "--port", "0", *extra]
    if jobs is not None:
        path = tmp_path / f"jobs-{time.monotonic_ns()}.json"
        path.write_text(json.dumps({"jobs": jobs}))
        args += ["--jobs", str(path)]
    env = clean_environ(tmp_path)
    process = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
    if not match:
        process.kill()
        assert process.stderr is not None
        raise RuntimeError(f"emulator did not start: {first!r} {process.stderr.read()!r}")
    banner = [first]
    while not banner[-1].startswith("Jobs:") and banner[-1]:
        banner.append(process.stdout.readline())
    return Emulator(process, int(match.group(1)), "".join(banner))


def stop(emulator: Emulator) -> None:
    emulator.process.terminate()
    try:
        emulator.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        emulator.process.kill()


@pytest.fixture
def servers() -> Iterator[list[RawServer]]:
    """Loopback servers (`tests/e2e/hostile_servers.py`) a test appends here are closed when it
    ends, pass or fail."""
    started: list[RawServer] = []
    yield started
    for server in started:
        server.close()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    emu = start_emulator(tmp_path)
    yield emu
    stop(emu)


@pytest.fixture
def emulator_with(tmp_path: Path) -> Iterator[Any]:
    """A factory: `emulator_with(jobs, *flags)` starts an emulator with extra jobs."""
    started: list[Emulator] = []

    def factory(jobs: list[dict[str, Any]] | None = None, *extra: str) -> Emulator:
        emu = start_emulator(tmp_path, jobs, *extra)
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        stop(emu)


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_maxjob(
    *args: str,
    endpoint: str | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
    home: Path | None = None,
    keys: bool = True,
) -> Result:
    """Run the installed `maxjob` as a user would, with the emulator's keys in the environment."""
    full = clean_environ(home or Path(os.environ["HOME"]))
    if keys:
        full["ALIBABA_CLOUD_ACCESS_KEY_ID"] = KEY_ID
        full["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = KEY_SECRET
    if endpoint:
        full["MAXJOB_ENDPOINT"] = endpoint
    full.update(env or {})
    done = subprocess.run(
        [MAXJOB, *args],
        capture_output=True,
        text=True,
        env=full,
        input=input,
        # CI runs with no standard input at all; so do the tests.
        stdin=subprocess.DEVNULL if input is None else None,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def into_closed_pipe(*args: str, endpoint: str, home: Path) -> Result:
    """Run the installed `maxjob` with stdout a pipe whose reader has already gone (`| head`,
    made certain): the first write fails."""
    read, write = os.pipe()
    os.close(read)
    with open(write, "wb") as out:
        done = subprocess.run(
            [MAXJOB, *args],
            env=keyed_environ(home, endpoint),
            stdout=out,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=30,
            check=False,
        )
    return Result(done.returncode, "", done.stderr)
