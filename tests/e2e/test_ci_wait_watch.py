"""`wait` and `watch` in CI, end to end against the emulator: GitHub Actions annotations on
stderr (stdout stays parseable), the step summary, and `wait --junit` however the wait ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MAXJOB, Emulator, keyed_environ, run_maxjob
from tests.unit.test_ci import parse_command, parse_xml
from tests.unit.test_markdown import tables, unescape

EVIL = "x|y](http://e)<script>\n::error::forged"
HOSTILE_JOB = {
    "instanceId": "evil-1",
    "data": {
        "instanceId": "evil-1",
        "status": "terminated",
        "project": "p,q:r",
        "jobOwner": EVIL,
        "runningTime": 12,
        "sceneResults": [{"type": "critical", "summary": EVIL, "description": EVIL}],
        "jobSubStatusList": [
            {"code": 1054, "startTime": "2025-11-30 02:26:11 +0000", "description": EVIL}
        ],
    },
}


UNTOLD_JOB = {
    "instanceId": "untold",
    "data": {"instanceId": "untold", "status": "terminated", "jobSubStatusList": []},
}


def test_a_job_terminated_with_no_word_on_how_fails_the_gate(
    emulator_with: Any, tmp_path: Path
) -> None:
    """Exit 1, said on stderr, an error annotation and a JUnit failure: never a success."""
    emu: Emulator = emulator_with([UNTOLD_JOB])
    report = tmp_path / "junit.xml"
    args = ("--junit", str(report))
    result = run_maxjob("wait", "untold", *args, endpoint=emu.url, env=github_env(tmp_path))
    assert result.code == 1, result.err
    assert result.out == "untold\tended\tterminated\n"
    assert "untold: terminated, and no substatus says how it ended: exit 1" in result.err
    assert [(name, props["title"]) for name, props, _ in commands(result.err)] == [
        ("error", "MaxCompute job untold ended")
    ]
    suite = parse_xml(report.read_bytes()).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    # Beside a failed or a missing job, those win (an ended one does not hide them); beside a
    # cancelled or succeeded one, the ended one does.
    for others, code in ((("failed",), 3), (("nope",), 5), (("cancelled", "finished"), 1)):
        batch = run_maxjob("wait", "untold", *others, endpoint=emu.url)
        assert batch.code == code, (others, batch.err)
    for command in (("watch", "untold"), ("info", "untold", "--exit-status")):
        again = run_maxjob(*command, "-o", "json", endpoint=emu.url)
        assert again.code == 1, (command, again.err)
        assert "no substatus says how it ended" in again.err


def github_env(tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def commands(stderr: str) -> list[tuple[str, dict[str, str], str]]:
    return [parse_command(line) for line in stderr.splitlines() if line.startswith("::")]


def test_wait_in_github_actions(emulator_with: Any, tmp_path: Path) -> None:
    emu: Emulator = emulator_with([HOSTILE_JOB])
    report = tmp_path / "junit.xml"
    result = run_maxjob(
        *("wait", "finished", "failed", "cancelled", "evil-1", "nope", "-o", "json"),
        *("--junit", str(report)),
        endpoint=emu.url,
        env=github_env(tmp_path),
    )
    assert result.code == 5  # the worst: an error
    assert [job.get("instanceId") for job in json.loads(result.out)] == [
        "finished",
        "failed",
        "cancelled",
        "evil-1",
        "nope",
    ]
    found = commands(result.err)
    assert [(name, props["title"]) for name, props, _ in found] == [
        ("error", "MaxCompute job failed failed"),
        ("warning", "MaxCompute job cancelled cancelled"),
        ("error", "MaxCompute job evil-1 failed"),
        ("error", "MaxCompute job nope error"),
    ]
    assert found[0][2] == "Data skew detected in the join stage."
    assert found[2][2] == EVIL  # one line on stderr, read back whole
    # The step summary: the tally as a table, hostile text inert.
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### maxjob wait: 1 succeeded, 2 failed, 1 cancelled, 1 error\n")
    jobs, errors = tables(summary)
    assert [unescape(row[0]) for row in jobs[2:]] == [
        "finished",
        "failed",
        "cancelled",
        "evil-1",
        "nope",
    ]
    assert unescape(jobs[5][4]) == EVIL.replace("\n", " ")
    assert unescape(errors[2][1]) == "OBJECT_NOT_EXIST"
    assert "](" not in summary and "<script" not in summary
    # JUnit: one case per job.
    suite = parse_xml(report.read_bytes()).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "3", "1")
    assert suite.findall("testcase")[3].get("classname") == "p,q:r"


def test_wait_markdown_on_stdout(emulator: Emulator) -> None:
    result = run_maxjob("wait", "finished", "failed", "-o", "markdown", endpoint=emulator.url)
    assert result.code == 3
    assert result.out.startswith("### maxjob wait: 1 succeeded, 1 failed\n")
    (jobs,) = tables(result.out)
    assert [row[:3] for row in jobs[2:]] == [
        ["finished", "succeeded", "terminated"],
        ["failed", "failed", "failed"],
    ]
    assert "::" not in result.err  # not in GitHub Actions: no workflow commands


def test_junit_is_written_when_the_wait_times_out(emulator: Emulator, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    result = run_maxjob(
        *("wait", "running", "finished", "--timeout", "0", "--junit", str(report)),
        endpoint=emulator.url,
    )
    assert result.code == 124
    suite = parse_xml(report.read_bytes()).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    failure = suite.find("testcase[@name='running']/failure")
    assert failure is not None and failure.get("type") == "timed out"


@pytest.mark.timed
@pytest.mark.parametrize(
    ("sent", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["ctrl-c", "sigterm", "sighup"],  # a CI runner cancels a job with SIGTERM
)
def test_junit_is_written_when_the_wait_is_interrupted(
    emulator: Emulator, tmp_path: Path, sent: signal.Signals, status: int
) -> None:
    report = tmp_path / "junit.xml"
    process = subprocess.Popen(
        [MAXJOB, "wait", "running", "finished", "--interval", "0.2", "--junit", str(report)],
        env=keyed_environ(tmp_path, emulator.url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("finished\tsucceeded")  # it is polling
    time.sleep(0.3)
    process.send_signal(sent)
    _, err = process.communicate(timeout=20)
    assert process.returncode == status, err
    suite = parse_xml(report.read_bytes()).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("2", "1", "0")
    skipped = suite.find("testcase[@name='running']/skipped")
    assert skipped is not None and skipped.get("message") == "not waited for (still running)"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".junit")] == []


def test_junit_in_a_missing_directory_is_refused_before_polling(tmp_path: Path) -> None:
    # Nothing listens there: had it polled, it would have failed with 6.
    result = run_maxjob(
        "wait", "finished", "--junit", str(tmp_path / "no" / "r.xml"), endpoint="127.0.0.1:9"
    )
    assert result.code == 2
    assert "--junit" in result.err and "does not exist" in result.err


def test_watch_in_github_actions(emulator: Emulator, tmp_path: Path) -> None:
    result = run_maxjob(
        "watch", "failed", "-o", "json", endpoint=emulator.url, env=github_env(tmp_path)
    )
    assert result.code == 3
    assert json.loads(result.out)["instanceId"] == "failed"
    assert commands(result.err) == [
        (
            "error",
            {"title": "MaxCompute job failed failed"},
            "Data skew detected in the join stage.",
        )
    ]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### failed · failed\n")
    assert len(tables(summary)) == 3


def test_watch_timeout_is_a_warning_and_an_unwritable_summary_only_warns(
    emulator: Emulator, tmp_path: Path
) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "s.md")}
    result = run_maxjob("watch", "running", "--timeout", "0", endpoint=emulator.url, env=env)
    assert result.code == 124
    assert [(name, props["title"]) for name, props, _ in commands(result.err)] == [
        ("warning", "MaxCompute job running timed out")
    ]
    assert "maxjob: warning: cannot append the step summary" in result.err


@pytest.mark.parametrize(
    "args",
    [
        ["wait", "finished", "failed", "--junit", "{dir}/r.xml"],
        ["watch", "failed", "--export", "{dir}/f.svg"],
        # Nothing on stdout before the final output: the pipe breaks at that last write.
        ["wait", "finished", "failed", "--junit", "{dir}/r.xml", "-o", "json"],
        ["watch", "failed", "--export", "{dir}/f.svg", "-o", "json"],
    ],
    ids=["wait", "watch", "wait-json", "watch-json"],
)
def test_a_reader_that_leaves_early_loses_no_report(
    emulator: Emulator, tmp_path: Path, args: list[str]
) -> None:
    summary = tmp_path / "summary.md"
    env = {
        **keyed_environ(tmp_path, emulator.url),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    read, write = os.pipe()
    os.close(read)  # stdout's reader is gone before anything is written
    with open(write, "wb") as stdout:
        done = subprocess.run(
            [MAXJOB, *(a.format(dir=tmp_path) for a in args)],
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
    assert done.returncode == 141, done.stderr
    assert summary.read_text().strip()
    report = tmp_path / ("r.xml" if args[0] == "wait" else "f.svg")
    assert report.stat().st_size > 0
