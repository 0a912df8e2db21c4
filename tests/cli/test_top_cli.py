"""`maxjob top` and `maxjob why` through the Typer app, with the emulator's store behind an
injected client: flags reach the commands, errors are one line with the right exit status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from maxjob.cli import build_app
from maxjob.cli.app import Dependencies
from tests.unit.test_top_quota import Emulated


@pytest.fixture
def invoke() -> Any:
    emulated = Emulated()

    def run(*args: str) -> Any:
        deps = Dependencies(client_factory=emulated.factory())
        return CliRunner().invoke(build_app(), list(args), obj=deps)

    run.emulated = emulated  # type: ignore[attr-defined]
    return run


def test_top_csv_through_the_app(invoke: Any) -> None:
    result = invoke("top", "--quota", "os_bigdata", "-o", "csv", "--sort", "priority")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("instanceId,state,priority,jobOwner,project")
    assert lines[1].startswith("bd-urgent-fix,queued,0,")
    assert "maxjob: quota os_bigdata, snapshot" in result.stderr


def test_top_job_flag_and_once_in_json(invoke: Any) -> None:
    result = invoke("top", "--job", "queued", "--once", "-o", "json", "--interval", "2m")
    assert result.exit_code == 0, result.output
    assert {item["quotaNickname"] for item in json.loads(result.stdout)} == {"os_bigdata"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["top"], "give --quota NICK or --job ID"),
        (["top", "--quota", "a", "--job", "b"], "give --quota NICK or --job ID"),
        (["top", "--quota", "a", "--interval", "0.5"], "--interval must be at least 1s"),
        (["top", "--quota", "a", "--sort", "memory"], "--sort must be one of cpu, wait, priority"),
        (["top", "--quota", "a", "-o", "timeline"], "'timeline' is not one of"),
        (["why", "x", "-o", "csv"], "'csv' is not one of"),
    ],
)
def test_usage_errors_exit_2(invoke: Any, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_top_falls_back_and_exits_0(invoke: Any) -> None:
    result = invoke("top", "--quota", "os_restricted")
    assert result.exit_code == 0
    assert "showing GetRunningJobs instead, without the columns priority, cores" in result.stderr
    assert result.stdout.count("\n") == 2


def test_an_unknown_quota_exits_5_with_a_hint(invoke: Any) -> None:
    result = invoke("top", "--quota", "os_bigdat")
    assert result.exit_code == 5
    assert "maxjob: error: quota os_bigdat not found" in result.stderr
    assert "maxjob: hint: did you mean os_bigdata" in result.stderr


def test_why_json_through_the_app(invoke: Any) -> None:
    result = invoke("why", "queued", "-o", "json")
    assert result.exit_code == 0, result.output
    value = json.loads(result.stdout)
    assert value["stage"] == "waiting for resources"
    assert [a["instanceId"] for a in value["ahead"]][:1] == ["bd-urgent-fix"]


def test_why_jq(invoke: Any) -> None:
    result = invoke("why", "queued", "--jq", '.reasons[] | select(.kind == "queue") | .text')
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 waiting jobs are ahead of it")


def test_why_of_a_missing_job_exits_5(invoke: Any) -> None:
    result = invoke("why", "no-such-job")
    assert result.exit_code == 5
    assert "not found" in result.stderr


def test_help_lists_the_flags() -> None:
    top = CliRunner().invoke(build_app(), ["top", "--help"]).stdout
    for flag in ("--quota", "--job", "--once", "--interval", "--sort", "--output", "--jq"):
        assert flag in top
    assert "[default: 30s]" in top
    assert "Watching options:" in top and "Connection options:" in top
    why = CliRunner().invoke(build_app(), ["why", "--help"]).stdout
    assert "ID" in why and "--output" in why
