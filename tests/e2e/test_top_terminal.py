"""`maxjob top` and `maxjob why`, installed, against `maxjob emulator` over loopback: the live view
in a real pseudo-terminal (keys, refreshes, `q`, Ctrl-C, SIGTERM, the terminal given back as it
was found, no CPU while idle), and one snapshot in a pipe."""

from __future__ import annotations

import json
import os
import shutil
import signal
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MAXJOB, Emulator, keyed_environ, run_maxjob
from tests.e2e.pty_run import PtyProcess

HIDE, SHOW = b"\x1b[?25l", b"\x1b[?25h"
ENTER_ALT, LEAVE_ALT = b"\x1b[?1049h", b"\x1b[?1049l"

# Pseudo-terminal tests time keys, signals and refreshes: each runs alone.
pytestmark = pytest.mark.timed


@pytest.fixture
def tty(tmp_path: Path, emulator: Emulator) -> Iterator[Any]:
    """`tty(*args)` starts `maxjob top ...` in a 100x40 pty; yields the process and the
    terminal's attributes as the child found them."""
    started: list[PtyProcess] = []

    def factory(*args: str, lines: int = 40) -> tuple[PtyProcess, list[Any]]:
        env = keyed_environ(tmp_path, emulator.url)
        env["TZ"] = "UTC"
        process = PtyProcess.start([MAXJOB, *args], env, columns=100, lines=lines)
        # Read at once: the child is still starting Python when the parent gets here.
        before = termios.tcgetattr(process.fd)
        started.append(process)
        return process, before

    yield factory
    for process in started:
        process.close()


def _given_back(process: PtyProcess, before: list[Any]) -> None:
    """The terminal is as the child found it: attributes equal, the cursor shown last."""
    assert termios.tcgetattr(process.fd) == before
    raw = bytes(process.output)
    assert raw.rfind(HIDE) >= 0, "the live view never hid the cursor"
    assert raw.rfind(SHOW) > raw.rfind(HIDE), f"cursor left hidden: {raw[-200:]!r}"
    # Drawn on the alternate screen, and the screen as it was given back at the end.
    assert 0 <= raw.find(ENTER_ALT) < raw.rfind(LEAVE_ALT), f"alternate screen: {raw[-200:]!r}"
    assert raw.rfind(LEAVE_ALT) > raw.rfind(ENTER_ALT)


def test_the_live_view_sorts_on_keys_refreshes_and_quits_on_q(tty: Any) -> None:
    process, before = tty("top", "--quota", "os_bigdata", "--interval", "1")
    assert process.expect("sorted by cpu", 15), process.plain[-2000:]
    during = termios.tcgetattr(process.fd)
    assert not during[3] & termios.ICANON and not during[3] & termios.ECHO  # cbreak, no echo
    assert during[3] & termios.ISIG  # Ctrl-C still interrupts
    assert process.expect(lambda s: s.count("sorted by cpu") >= 3, 10), "no refresh"
    process.send(b"p")
    assert process.expect("sorted by priority", 5)
    screen = "\n".join(process.screen())
    assert screen.index("bd-urgent-fix") < screen.index("bd-etl-nightly") < screen.index("bd-low")
    started = time.monotonic()
    process.send(b"q")
    assert process.wait(5) == 0
    assert time.monotonic() - started < 2
    _given_back(process, before)


def test_ctrl_c_leaves_with_0_and_restores_the_terminal(tty: Any) -> None:
    process, before = tty("top", "--quota", "os_bigdata", "--interval", "30")
    assert process.expect("sorted by cpu", 15), process.plain[-2000:]
    process.send(b"\x03")
    assert process.wait(5) == 0, process.plain[-500:]
    _given_back(process, before)
    assert "interrupted" not in process.plain


def test_ctrl_z_gives_the_terminal_back_and_takes_the_view_up_again(tty: Any) -> None:
    process, before = tty("top", "--quota", "os_bigdata", "--interval", "30")
    assert process.expect("sorted by cpu", 15), process.plain[-2000:]
    drawn = len(process.output)
    # The pty's child leads a session of its own, so the kernel does not stop it (an orphaned
    # process group); what it does around the stop shows: the screen, cursor and attributes
    # given back, then the view taken up again and drawn whole.
    process.send(b"\x1a")
    assert process.expect(lambda _: process.output.count(ENTER_ALT, drawn) >= 1, 5)
    after = bytes(process.output[drawn:])
    assert 0 <= after.find(LEAVE_ALT + SHOW) < after.find(ENTER_ALT + HIDE)
    assert process.expect(lambda s: s.count("sorted by cpu") >= 2, 5)
    during = termios.tcgetattr(process.fd)
    assert not during[3] & termios.ICANON and not during[3] & termios.ECHO  # cbreak again
    process.send(b"q")
    assert process.wait(5) == 0
    _given_back(process, before)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ctrl_z_under_a_shell_stops_it_with_the_screen_given_back(
    tmp_path: Path, emulator: Emulator
) -> None:
    env = {**keyed_environ(tmp_path, emulator.url), "TZ": "UTC", "PS1": "$ "}
    bash = shutil.which("bash") or "bash"
    shell = PtyProcess.start([bash, "--norc", "--noprofile", "-i"], env, columns=100, lines=40)
    try:
        shell.send(f"{MAXJOB} top --quota os_bigdata --interval 30\n".encode())
        assert shell.expect("sorted by cpu", 15), shell.plain[-2000:]
        drawn = len(shell.output)
        shell.send(b"\x1a")
        assert shell.expect(lambda s: "Stopped" in s[-500:], 10), shell.plain[-1000:]
        stopped = bytes(shell.output[drawn:])
        # Given back before the shell said so: the normal screen, the cursor shown.
        assert 0 <= stopped.find(LEAVE_ALT + SHOW) < stopped.find(b"Stopped")
        shell.send(b"fg\n")
        assert shell.expect(lambda _: ENTER_ALT in shell.output[drawn:], 10)
        assert shell.expect(lambda _: shell.output.count(b"sorted by cpu", drawn) >= 1, 10)
        shell.send(b"q")
        assert shell.expect(lambda s: s.rstrip().endswith("$"), 10), shell.plain[-500:]
        raw = bytes(shell.output)
        assert raw.rfind(LEAVE_ALT) > raw.rfind(ENTER_ALT) and raw.rfind(SHOW) > raw.rfind(HIDE)
        shell.send(b"exit\n")
        shell.wait(5)
    finally:
        shell.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_ends_it_with_128_plus_n_and_restores_the_terminal(tty: Any, signum: int) -> None:
    process, before = tty("top", "--quota", "os_bigdata", "--interval", "30")
    assert process.expect("sorted by cpu", 15), process.plain[-2000:]
    process.signal(signum)
    assert process.wait(5) == 128 + signum, process.describe()
    _given_back(process, before)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_idle_between_refreshes_it_uses_no_cpu(tty: Any) -> None:
    process, _ = tty("top", "--quota", "os_bigdata", "--interval", "30")
    assert process.expect("sorted by cpu", 15), process.plain[-2000:]
    time.sleep(0.3)
    first = _cpu_seconds(process.pid)
    time.sleep(2.0)
    used = _cpu_seconds(process.pid) - first
    assert used <= 0.02, f"{used:.3f} s of CPU in 2 s of idling"
    process.send(b"q")
    assert process.wait(5) == 0


def test_a_short_terminal_shows_what_fits(tty: Any) -> None:
    process, before = tty("top", "--quota", "os_bigdata", lines=12)
    assert process.expect("sorted by cpu", 15), process.plain[-2000:]
    screen = [row for row in process.screen() if row]
    assert "more" in "\n".join(screen) and len(screen) <= 12
    process.send(b"q")
    assert process.wait(5) == 0
    _given_back(process, before)


# -- in a pipe ------------------------------------------------------------------------------------


def test_in_a_pipe_top_prints_one_snapshot_as_lines(emulator: Emulator) -> None:
    result = run_maxjob("top", "--quota", "os_bigdata", endpoint=emulator.url, timeout=20)
    assert result.code == 0, result.err
    rows = [line.split("\t") for line in result.out.splitlines()]
    assert rows and all(len(row) == 13 for row in rows)
    assert {row[0] for row in rows} >= {"bd-etl-nightly", "queued", "bd-urgent-fix"}
    assert result.err.startswith("maxjob: quota os_bigdata, snapshot ")


def test_in_a_pipe_without_snapshot_permission_top_falls_back(emulator: Emulator) -> None:
    result = run_maxjob("top", "--quota", "os_restricted", "-o", "json", endpoint=emulator.url)
    assert result.code == 0, result.err
    assert {item["instanceId"] for item in json.loads(result.out)} == {
        "restricted-running",
        "restricted-queued",
    }
    assert "without the columns priority, cores and memory" in result.err


def test_why_in_a_pipe(emulator: Emulator) -> None:
    result = run_maxjob("why", "queued", "-o", "json", endpoint=emulator.url)
    assert result.code == 0, result.err
    value = json.loads(result.out)
    assert value["stage"] == "waiting for resources"
    assert value["quota"]["level1"] == "os_bigdata_p"
    assert [a["instanceId"] for a in value["ahead"]] == ["bd-urgent-fix", "bd-early-batch"]
    plain = run_maxjob("why", "payg-waiting", endpoint=emulator.url)
    assert plain.code == 0 and "stage\twaiting for resources" in plain.out
    assert "pay-as-you-go: a shared pool" in plain.out
