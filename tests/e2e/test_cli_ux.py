"""Completion, demo, pasted Logview links, help, and the README kept in step with `--help`."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from maxjob.ids import parse_ref
from tests.conftest import Emulator, run_maxjob

ROOT = Path(__file__).resolve().parents[2]
COMPLETION_FILES = {
    "bash": "maxjob.bash",
    "zsh": "_maxjob",
    "fish": "maxjob.fish",
    "powershell": "maxjob.ps1",
}
LOGVIEW = (
    "https://logview.aliyun.com/logview/?h=http://service.cn-shanghai.maxcompute.aliyun.com/api"
    "&p=sales_dw&i=finished&token=U0VDUkVULVRPS0VOLURPLU5PVC1QUklOVA=="
)


@pytest.mark.parametrize(("shell", "filename"), COMPLETION_FILES.items())
def test_completion_files_are_exactly_what_the_command_prints(shell: str, filename: str) -> None:
    result = run_maxjob("completion", shell, keys=False)
    assert result.code == 0, result.err
    assert (ROOT / "completions" / filename).read_text() == result.out


def test_maxjob_alone_prints_its_help_with_the_aliases() -> None:
    result = run_maxjob(keys=False)
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith("Usage: maxjob [OPTIONS] COMMAND [ARGS]...")
    assert "\n  list, ls    Find jobs" in result.out


def test_completion_of_an_unknown_shell_is_a_usage_error() -> None:
    result = run_maxjob("completion", "tcsh", keys=False)
    assert result.code == 2 and "bash, zsh, fish, powershell" in result.err


def _complete(words: str) -> list[str]:
    parts = words.split(" ")
    env = {
        "_MAXJOB_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    result = run_maxjob(env=env, keys=False)
    assert result.code == 0, result.err
    return result.out.split()


def test_bash_completion_of_commands_options_and_values() -> None:
    assert _complete("maxjob wa") == ["watch", "wait"]
    assert "--concurrency" in _complete("maxjob info --con")
    assert _complete("maxjob info -o ") == [
        "table",
        "plain",
        "json",
        "jsonl",
        "timeline",
        "markdown",
    ]
    assert _complete("maxjob info --region cn-sh") == ["cn-shanghai", "cn-shenzhen"]
    assert _complete("maxjob completion f") == ["fish"]
    assert _complete("maxjob ls --status ") == [
        "running",
        "waiting",
        "submitted",
        "success",
        "failed",
        "cancelled",
        "terminated",
    ]
    assert _complete("maxjob list --status f") == ["failed"]
    assert _complete("maxjob ls --sort cu") == ["cuUsage"]
    assert _complete("maxjob ls --sort pr") == ["priority"]
    assert _complete("maxjob ls --sort cuUsage:") == ["cuUsage:desc", "cuUsage:asc"]


def test_logview_link_parsing_takes_id_and_region_and_never_the_token() -> None:
    ref = parse_ref(LOGVIEW)
    assert ref.instance_id == "finished" and ref.region == "cn-shanghai"
    vpc = parse_ref(
        "https://logview.aliyun.com/logview/?h=http://service.cn-beijing-vpc."
        "maxcompute.aliyun-inc.com/api&i=abc"
    )
    assert vpc.region == "cn-beijing"
    assert parse_ref("  20230410071055424gqt9ulc2yuo ").instance_id == (
        "20230410071055424gqt9ulc2yuo"
    )


def test_info_accepts_a_logview_link(emulator: Emulator) -> None:
    result = run_maxjob("info", LOGVIEW, "-o", "json", "--debug", endpoint=emulator.url)
    assert result.code == 0, result.err
    assert json.loads(result.out)["instanceId"] == "finished"
    assert "U0VDUkVU" not in result.out + result.err
    assert "region cn-shanghai" in result.err


def test_logview_link_without_an_id_is_a_usage_error() -> None:
    result = run_maxjob(
        "info", "https://logview.aliyun.com/logview/?h=x&token=abc", "--region", "cn-hangzhou"
    )
    assert result.code == 2 and "i=" in result.err and "abc" not in result.err


@pytest.mark.timed
@pytest.mark.slow
def test_demo_runs_end_to_end_without_an_account(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_maxjob("demo", keys=False, timeout=60)
    assert result.code == 0, result.err
    assert time.monotonic() - started < 30
    assert "terminated (succeeded)" in result.out
    assert "status    succeeded" in result.out  # the timeline
    assert "1032   " in result.out and "Task executing" in result.out
    assert "maxjob info <instanceId>" in result.out
    # Its messages fit a 60-column terminal (a port of five digits included).
    assert result.err and max(len(line) for line in result.err.splitlines()) <= 60
    # It touched no user configuration.
    assert not (Path(tmp_path) / ".aliyun").exists()


def test_demo_reads_no_setting_of_the_environment_or_the_cli(tmp_path: Path) -> None:
    """A bad region, timeout or profile in the environment, or a broken ~/.aliyun/config.json,
    stopped the demo ('needs no account') with 2."""
    home = tmp_path / "home"
    (home / ".aliyun").mkdir(parents=True)
    (home / ".aliyun" / "config.json").write_text("{not json")
    bad = {
        "ALIBABA_CLOUD_REGION_ID": "BAD",
        "MAXJOB_REQUEST_TIMEOUT": "abc",
        "ALIBABA_CLOUD_PROFILE": "x\x01",
        "HTTP_PROXY": "http://127.0.0.1:1",
    }
    result = run_maxjob("demo", keys=False, env=bad, home=home, timeout=60)
    assert result.code == 0, result.err
    assert "terminated (succeeded)" in result.out


def test_root_help_lists_commands_and_exit_statuses() -> None:
    result = run_maxjob("--help", keys=False)
    assert result.code == 0
    for command in ("info", "watch", "wait", "emulator", "demo", "completion"):
        assert re.search(rf"^  {command}\s", result.out, re.M), command
    for code in ("0", "2", "3", "4", "5", "6", "7", "8", "124", "130"):
        assert re.search(rf"^  {code}\s", result.out, re.M), code


@pytest.mark.parametrize("command", ["info", "watch", "wait", "emulator", "demo", "completion"])
def test_each_command_help_has_a_summary_and_examples(command: str) -> None:
    result = run_maxjob(command, "--help", keys=False)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith(f"Usage: maxjob {command}")
    assert lines[2].strip() and lines[2].strip().endswith(".")
    assert re.search(r"^(Examples?|Install):$", result.out, re.M)


def test_api_commands_group_their_options() -> None:
    out = run_maxjob("watch", "--help", keys=False).out
    assert "Output options:" in out and "Connection options:" in out
    assert "Watching options:" in out
    assert out.index("--interval") > out.index("Watching options:")


def test_a_mistyped_command_or_option_suggests_the_closest() -> None:
    result = run_maxjob("wacth", keys=False)
    assert result.code == 2 and "watch" in result.err
    result = run_maxjob("info", "x", "--outptu", "json", keys=False)
    assert result.code == 2 and "--output" in result.err


def _help_options(command: str) -> set[str]:
    out = run_maxjob(command, "--help", keys=False).out
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", out)) - {"--help"}


def _readme_section(command: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(
        rf"^### `maxjob {command}[^`]*`[^\n]*\n(.*?)(?=^### |^## )", readme, re.M | re.S
    )
    assert match, f"README has no section for maxjob {command}"
    return match.group(1)


# Every command, in the order of `maxjob --help`.
COMMANDS = [
    "info",
    "list",
    "history",
    "top",
    "why",
    "watch",
    "wait",
    "kill",
    "demo",
    "emulator",
    "completion",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_reference_matches_help(command: str) -> None:
    section = _readme_section(command)
    table_rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", "\n".join(table_rows)))
    assert documented == _help_options(command)


def test_readme_lists_every_command() -> None:
    out = run_maxjob("--help", keys=False).out
    listing = out.split("Commands:")[1].split("Examples:")[0]
    commands = re.findall(r"^  (\w+)(?:, \w+)*\s{2,}", listing, re.M)
    assert commands == COMMANDS
    readme = (ROOT / "README.md").read_text()
    for command in commands:
        assert f"### `maxjob {command}" in readme, command


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["list", "--limit", "abc"], "invalid value for '--limit': 'abc' is not a whole number"),
        (["list", "--limit", "-5"], "'--limit': -5 is out of range: give 0 or more"),
        (["list", "--concurrency", "99"], "99 is out of range: give from 1 to 64"),
        (["history", "x", "--fail-over", "abc"], "'abc' is not a number"),
    ],
)
def test_a_bad_number_is_said_in_a_users_words(args: list[str], said: str) -> None:
    result = run_maxjob(*args, endpoint="http://127.0.0.1:9")
    assert result.code == 2
    assert result.err.splitlines()[0] == f"maxjob: error: {said}" or said in result.err
    assert "int range" not in result.err and "x>=" not in result.err


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_fits_80_columns(command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    result = run_maxjob(*args, env={"COLUMNS": "80"})
    assert result.code == 0
    assert [line for line in result.out.splitlines() if len(line) > 80] == []


def test_the_demos_own_lines_fit_60_columns() -> None:
    from maxjob.commands.demo import NEXT_STEPS

    assert max(len(line) for line in NEXT_STEPS.splitlines()) <= 60


@pytest.mark.parametrize("columns", ["0", "00", "-5", "wide", "\u00b2", "9" * 5000])
def test_a_columns_of_zero_or_nonsense_still_draws_the_views(
    emulator: Emulator, columns: str
) -> None:
    """rich took `COLUMNS=0` as it was and drew nothing (exit 0: the job's data silently
    lost), and `COLUMNS=²` (digits to str.isdigit) or 5,000 digits crashed it; the views are
    drawn 80 wide instead. LINES likewise."""
    for args in (("info", "finished", "-o", "table"), ("why", "queued", "-o", "table")):
        env = {"COLUMNS": columns, "LINES": columns}
        result = run_maxjob(*args, endpoint=emulator.url, env=env)
        assert result.code == 0, result.err
        lines = result.out.splitlines()
        assert len(lines) > 5 and max(len(line) for line in lines) <= 80, result.out[:300]
