"""`watch`, `wait` and many-ID `info`, run as installed against the emulator over loopback."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.conftest import MAXJOB, Emulator, keyed_environ, run_maxjob

LINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z  \S.*$")


@pytest.mark.parametrize(
    ("prefix", "code", "word"),
    [
        ("progress-", 0, "succeeded"),
        ("progress-fail-", 3, "failed"),
        ("progress-cancel-", 7, "cancelled"),
    ],
)
def test_watch_follows_a_job_to_its_outcome(
    emulator: Emulator, prefix: str, code: int, word: str
) -> None:
    result = run_maxjob("watch", f"{prefix}w1", "--interval", "0.3", endpoint=emulator.url)
    assert result.code == code, result.err
    changes = result.out.split("\n\n", 1)[0].splitlines()
    assert all(LINE.match(line) for line in changes), changes
    assert "waiting  1010 Waiting for scheduling" in changes[0]
    assert f"terminated ({word})" in changes[-1]
    # One line per change: no two consecutive lines report the same state.
    states = [line.split("  ", 1)[1] for line in changes]
    assert all(a != b for a, b in itertools.pairwise(states))
    assert 2 <= len(changes) <= 5
    assert "\x1b" not in result.out
    # Then the final job, in plain (the default in a pipe).
    assert "status\tterminated" in result.out
    # A line for a new substatus carries its start, as the final job says it (not the poll's
    # time, a moment later): one screen agrees with itself.
    final = dict(line.split("\t", 1) for line in result.out.split("\n\n", 1)[1].splitlines())
    starts = {
        final[key.replace(".code", ".description")]: final[key.replace(".code", ".startTime")]
        for key in final
        if key.startswith("jobSubStatusList.") and key.endswith(".code")
    }
    for line in changes:
        when, _, rest = line.split("  ", 2)
        description = rest.split(" ", 1)[1]
        assert starts[description][:19] == when[:19], (line, starts)


@pytest.mark.timed
def test_watch_of_an_already_failed_job_exits_3_at_the_first_poll(emulator: Emulator) -> None:
    started = time.monotonic()
    result = run_maxjob("watch", "failed", "--interval", "30", endpoint=emulator.url)
    assert result.code == 3
    assert time.monotonic() - started < 10
    assert result.out.count("failed") >= 1


def test_watch_timeout_prints_the_last_state_and_exits_124(emulator: Emulator) -> None:
    result = run_maxjob(
        "watch",
        "running",
        "--interval",
        "0.2",
        "--timeout",
        "0.6",
        "-o",
        "json",
        endpoint=emulator.url,
    )
    assert result.code == 124
    assert json.loads(result.out)["status"] == "running"
    assert "timed out" in result.err


def test_watch_timeout_zero_checks_once(emulator: Emulator) -> None:
    result = run_maxjob("watch", "running", "--timeout", "0", endpoint=emulator.url)
    assert result.code == 124
    assert result.out.count("running") >= 1


def test_watch_survives_a_503_window(emulator: Emulator) -> None:
    result = run_maxjob("watch", "flaky-w1", "--interval", "0.2", endpoint=emulator.url)
    assert result.code == 0, result.err
    assert "retrying job flaky-w1" in result.err and "ServiceUnavailable" in result.err


def test_watch_jsonl_is_one_object_per_change(emulator: Emulator) -> None:
    result = run_maxjob(
        "watch", "progress-j1", "--interval", "0.3", "-o", "jsonl", endpoint=emulator.url
    )
    assert result.code == 0
    objects = [json.loads(line) for line in result.out.splitlines()]
    assert objects[0]["status"] == "waiting"
    assert objects[-1]["status"] == "terminated"
    assert all(o["instanceId"] == "progress-j1" for o in objects)


def test_watch_honours_throttling_retry_after(emulator: Emulator) -> None:
    result = run_maxjob("watch", "throttled-w1", "--interval", "0.3", endpoint=emulator.url)
    assert result.code == 0
    assert "Throttling.User" in result.err and "in 0.3s" in result.err


def _mixed_ids(count: int) -> list[str]:
    kinds = ["progress-", "progress-fail-", "progress-cancel-", "progress-", "progress-"]
    return [f"{kinds[i % len(kinds)]}m{i}" for i in range(count)]


def test_wait_over_50_jobs_tallies_mixed_outcomes(emulator: Emulator) -> None:
    ids = _mixed_ids(50)
    result = run_maxjob(
        "wait",
        "-",
        "--interval",
        "0.5",
        "--concurrency",
        "16",
        input="\n".join(ids) + "\n",
        endpoint=emulator.url,
    )
    assert result.code == 3
    assert "maxjob: 30 succeeded, 10 failed, 10 cancelled" in result.err
    lines = result.out.splitlines()
    assert len(lines) == 50
    assert {line.split("\t")[0] for line in lines} == set(ids)


@pytest.mark.timed
def test_wait_any_returns_at_the_first_finished_job(emulator: Emulator) -> None:
    started = time.monotonic()
    result = run_maxjob(
        "wait", "running", "finished", "--any", "--interval", "0.3", endpoint=emulator.url
    )
    assert result.code == 0
    assert time.monotonic() - started < 10
    assert "1 succeeded" in result.err


@pytest.mark.timed
def test_wait_fail_fast_returns_at_the_first_failure(emulator: Emulator) -> None:
    started = time.monotonic()
    result = run_maxjob(
        "wait", "running", "failed", "--fail-fast", "--interval", "0.3", endpoint=emulator.url
    )
    assert result.code == 3
    assert time.monotonic() - started < 10
    assert "1 failed" in result.err and "not waited for" in result.err


def test_wait_timeout_exits_124_and_the_worst_outcome_wins(emulator: Emulator) -> None:
    result = run_maxjob(
        "wait", "running", "--timeout", "0.5", "--interval", "0.2", endpoint=emulator.url
    )
    assert result.code == 124 and "1 timed out" in result.err
    worse = run_maxjob(
        "wait",
        "running",
        "cancelled",
        "--timeout",
        "0.5",
        "--interval",
        "0.2",
        endpoint=emulator.url,
    )
    assert worse.code == 7


def test_wait_json_is_the_final_jobs_in_order(emulator: Emulator) -> None:
    result = run_maxjob("wait", "failed", "finished", "-o", "json", endpoint=emulator.url)
    assert [j["instanceId"] for j in json.loads(result.out)] == ["failed", "finished"]
    assert result.code == 3


def _peak_rss_kb(args: list[str], input_text: str, env: dict[str, str]) -> tuple[int, float]:
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        " time.monotonic() - t)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        input=input_text,
        text=True,
        capture_output=True,
        env=env,
        check=True,
    )
    code, rss, seconds = done.stdout.split()
    assert code == "0", done.stderr
    return int(rss), float(seconds)


@pytest.mark.timed
@pytest.mark.slow
def test_many_ids_are_fetched_concurrently_with_flat_memory(
    emulator_with: Any, tmp_path: Any
) -> None:
    emu = emulator_with(None, "--latency", "0.02")
    env = keyed_environ(tmp_path, emu.url)
    args = [MAXJOB, "info", "-", "-o", "jsonl", "--concurrency", "16"]
    small_rss, _ = _peak_rss_kb(args, "finished\n" * 100, env)
    big_rss, seconds = _peak_rss_kb(args, "finished\n" * 1000, env)
    # One at a time would take at least 1000 x 20 ms = 20 s of server latency alone.
    assert seconds < 20 / 2, seconds  # half the sequential floor: a loaded machine is slow
    assert big_rss - small_rss < 8 * 1024, (small_rss, big_rss)


def test_info_order_is_kept_under_concurrency(emulator: Emulator) -> None:
    ids = [f"progress-o{i}" for i in range(40)] + ["finished"]
    result = run_maxjob(
        "info",
        "-",
        "-o",
        "jsonl",
        "--concurrency",
        "16",
        input="# a comment\n\n" + "\n".join(ids),
        endpoint=emulator.url,
    )
    assert result.code == 0, result.err
    assert [json.loads(line)["instanceId"] for line in result.out.splitlines()] == ids


def test_watch_ctrl_c_exits_130_with_a_resume_hint(emulator: Emulator, tmp_path: Any) -> None:
    import signal

    env = keyed_environ(tmp_path, emulator.url)
    process = subprocess.Popen(
        [MAXJOB, "watch", "running", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # it is polling
    assert "running" in first
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert "resume with: maxjob watch running" in err
    assert "Traceback" not in err


def test_unknown_status_is_reported_once_and_not_final(emulator_with: Any) -> None:
    emu = emulator_with([{"instanceId": "odd-1", "data": {"status": "Pondering"}}])
    result = run_maxjob("watch", "odd-1", "--interval", "0.2", "--timeout", "0.7", endpoint=emu.url)
    assert result.code == 124
    assert result.err.count("unknown status 'Pondering'") == 1


def test_a_reader_that_goes_away_ends_info_quietly(emulator: Emulator, tmp_path: Any) -> None:
    env = keyed_environ(tmp_path, emulator.url)
    ids = "".join(f"progress-h{i}\n" for i in range(3000))
    process = subprocess.Popen(
        [MAXJOB, "info", "-", "-o", "jsonl"],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(ids)
    process.stdin.close()
    assert json.loads(process.stdout.readline())["instanceId"] == "progress-h0"
    process.stdout.close()  # like `| head -1`
    assert process.wait(timeout=30) == 141
    err = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in err and "retrying" not in err


def test_watch_gives_a_line_to_each_substatus_that_came_and_went_between_polls(
    emulator_with: Any,
) -> None:
    from maxjob.emulator.seed import progression

    # Five substatuses within 0.8 s; polls 1.5 s apart see the first and the last only.
    emu = emulator_with([progression("quick-", "succeeded", scale=0.2)])
    result = run_maxjob("watch", "quick-1", "--interval", "1.5", endpoint=emu.url)
    assert result.code == 0, result.err
    changes = result.out.split("\n\n", 1)[0].splitlines()
    assert [line.split("  ", 1)[1] for line in changes] == [
        "waiting  1010 Waiting for scheduling",
        "-  1011 Waiting for cluster resource",
        "-  1220 Compiling",
        "-  1032 Task executing",
        "terminated (succeeded)  1055 Succeeded",
    ]
    assert all(LINE.match(line) for line in changes), changes
    times = [line.split("  ", 1)[0] for line in changes]
    assert times == sorted(times)
