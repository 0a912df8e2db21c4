"""Each path imports only what it needs (deterministic: module lists, not timings).

The installed command runs under `python -X importtime`, which names every module imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MAXJOB, Emulator, clean_environ, keyed_environ

HEAVY_FOR_STARTUP = ("httpx", "httpcore", "rich", "pydantic", "alibabacloud_credentials")
# httpx (and httpcore under it) serve only a proxy: without one, requests go to maxjob's own
# connections over h11, and a plain-http endpoint loads no TLS either.
HEAVY_FOR_DATA = (
    "httpx",
    "httpcore",
    "anyio",
    "rich",
    "pydantic",
    "alibabacloud_credentials",
    "jq",
)
NOT_FOR_PLAIN_HTTP = ("ssl", "certifi")


def imported(args: list[str], env: dict[str, str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", MAXJOB, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, done.stderr
    return names


def offenders(names: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in banned)


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["info", "--help"], ["watch", "--help"], ["completion", "bash"]],
    ids=["version", "help", "info-help", "watch-help", "completion-script"],
)
def test_startup_paths_import_no_network_or_rendering_stack(
    args: list[str], tmp_path: Path
) -> None:
    names = imported(args, clean_environ(tmp_path))
    assert offenders(names, HEAVY_FOR_STARTUP) == []


def test_shell_completion_imports_no_network_or_rendering_stack(tmp_path: Path) -> None:
    env = clean_environ(tmp_path)
    env.update(
        {"_MAXJOB_COMPLETE": "complete_bash", "COMP_WORDS": "maxjob info -o ", "COMP_CWORD": "3"}
    )
    assert offenders(imported([], env), HEAVY_FOR_STARTUP) == []


@pytest.mark.parametrize("fmt", ["json", "jsonl", "plain"])
def test_data_outputs_with_keys_in_the_environment_import_no_rich_nor_credentials_package(
    fmt: str, emulator: Emulator, tmp_path: Path
) -> None:
    env = keyed_environ(tmp_path, emulator.url)
    names = imported(["info", "finished", "-o", fmt], env)
    assert "h11" in names  # the call did happen
    assert offenders(names, HEAVY_FOR_DATA) == []
    assert offenders(names, NOT_FOR_PLAIN_HTTP) == []  # the emulator speaks plain http
    # Nothing built that a single call does not use.
    assert "concurrent.futures.thread" not in names


def test_a_plain_http_endpoint_loads_no_ca_bundle() -> None:
    from maxjob import config
    from maxjob.api.network import tls_context

    http = config.resolve(endpoint="http://127.0.0.1:1", environ={})
    assert tls_context(http.endpoint, None, {}) is None
    https = config.resolve(region="cn-hangzhou", environ={})
    context = tls_context(https.endpoint, None, {})
    assert context is not None and context.cert_store_stats()["x509_ca"] > 0


def test_the_table_imports_rich_and_a_profile_imports_the_credentials_package(
    emulator: Emulator, tmp_path: Path
) -> None:
    env = keyed_environ(tmp_path, emulator.url)
    assert "rich.table" in imported(["info", "finished", "-o", "table"], env)
    del env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    names = imported(["info", "finished", "-o", "json"], env)
    assert any(n.startswith("alibabacloud_credentials") for n in names)


def test_markdown_and_ci_reports_import_no_rich(emulator: Emulator, tmp_path: Path) -> None:
    env = keyed_environ(tmp_path, emulator.url)
    names = imported(["info", "finished", "failed", "-o", "markdown"], env)
    assert "maxjob.render.markdown" in names
    assert offenders(names, HEAVY_FOR_DATA) == []
    env.update({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")})
    args = ["wait", "failed", "-o", "markdown", "--junit", str(tmp_path / "junit.xml")]
    names = imported(args, env)
    assert {"maxjob.ci", "xml.etree.ElementTree"} <= names  # the report was built
    assert offenders(names, HEAVY_FOR_DATA) == []


def test_only_an_export_imports_rich_and_only_ci_reports_build_markdown_or_xml(
    emulator: Emulator, tmp_path: Path
) -> None:
    env = keyed_environ(tmp_path, emulator.url)
    names = imported(["info", "finished", "-o", "json", "--export", str(tmp_path / "a.svg")], env)
    assert {"maxjob.output.export", "rich.console"} <= names
    names = imported(["info", "finished", "-o", "json"], env)
    assert not {"maxjob.output.export", "maxjob.render.markdown"} & names
    names = imported(["wait", "finished", "-o", "json"], env)
    assert not {"maxjob.render.markdown", "xml.etree.ElementTree"} & names


@pytest.mark.parametrize(
    "command",
    [["list", "--since", "30d"], ["history", "hist-steady"], ["why", "hist-regressed"]],
    ids=["list", "history", "why"],
)
def test_list_history_and_why_import_rich_only_for_an_export(
    command: list[str], emulator: Emulator, tmp_path: Path
) -> None:
    env = keyed_environ(tmp_path, emulator.url)
    for fmt in ("json", "plain"):
        names = imported([*command, "-o", fmt], env)
        assert "h11" in names  # the calls did happen
        assert offenders(names, HEAVY_FOR_DATA) == [], fmt
        assert "maxjob.output.export" not in names
    names = imported([*command, "-o", "json", "--export", str(tmp_path / "a.svg")], env)
    assert {"maxjob.output.export", "rich.console"} <= names
    assert (tmp_path / "a.svg").stat().st_size > 0
