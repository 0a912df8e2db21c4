"""`maxjob history`'s statistics on known data: median, nearest-rank p90, ratios, the levels,
the verdict's words, too few runs, and the `--fail-over` gate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from maxjob.history_stats import (
    Run,
    gate,
    median,
    nearest_rank,
    outcome_of,
    p90,
    summarize,
    times,
)
from maxjob.models import JobInfo

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
GIB = 1024**3


def item(
    wait: float,
    run: float,
    *,
    status: str = "success",
    gib: float = 20,
    cu: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A finished ListJobInfos item; cuUsage defaults to 32 cores for the running time."""
    return {
        "instanceId": extra.pop("instanceId", f"r-{wait}-{run}"),
        "status": status,
        "submittedAtTime": 1795000000,
        "runningAtTime": 1795000000 + int(wait),
        "endAtTime": 1795000000 + int(wait + run),
        "waitingTime": wait,
        "runningTime": run,
        "totalTime": wait + run,
        "cuUsage": 32 * run / 100 if cu is None else cu,
        "inputBytes": gib * GIB,
        **extra,
    }


def runs(*items: dict[str, Any]) -> list[Run]:
    return [Run.from_item(i, NOW) for i in items]


# -- median and p90 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5], 5),
        ([3, 1, 2], 2),
        ([4, 1, 3, 2], 2.5),  # the mean of the two middle values
        (list(range(1, 11)), 5.5),
        ([660, 730, 800, 760, 830, 790, 860, 750, 820, 890], 795),
        ([], None),
    ],
)
def test_median_is_the_middle_or_the_mean_of_the_two_middle_values(
    values: list[float], expected: float | None
) -> None:
    assert median(values) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (list(range(1, 11)), 9),  # ceil(0.9 x 10) = 9th
        ([10, 20, 30], 30),  # ceil(2.7) = 3rd
        ([7], 7),
        ([1, 2], 2),  # ceil(1.8) = 2nd
        (list(range(1, 21)), 18),  # ceil(18.0) = 18th, not the 19th
        (list(range(1, 12)), 10),  # ceil(9.9) = 10th
        ([5, 1, 4, 2, 3, 9, 8, 7, 6, 10], 9),  # order does not matter
        ([], None),
    ],
)
def test_p90_is_the_nearest_rank(values: list[float], expected: float | None) -> None:
    assert p90(values) == expected


def test_nearest_rank_of_other_percentiles_is_always_one_of_the_values() -> None:
    values = [15, 20, 35, 40, 50]
    assert nearest_rank(values, 30) == 20  # ceil(1.5) = 2nd
    assert nearest_rank(values, 40) == 20  # ceil(2.0) = 2nd
    assert nearest_rank(values, 50) == 35
    assert nearest_rank(values, 100) == 50
    assert nearest_rank(values, 0) == 15


@pytest.mark.parametrize(
    ("ratio", "shown"), [(3.4166, "3.4x"), (1.0, "1.0x"), (0.918, "0.9x"), (25.2, "25x")]
)
def test_ratios_read_with_one_decimal(ratio: float, shown: str) -> None:
    assert times(ratio) == shown
    assert times(0.04) == "0.04x"


# -- outcomes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"status": "success"}, "succeeded"),
        ({"status": "Failed"}, "failed"),
        ({"status": "cancelled"}, "cancelled"),
        # A ListJobInfos item has no substatus: a terminated run is "ended", never guessed.
        ({"status": "terminated"}, "ended"),
        ({"status": "terminated", "jobSubStatusList": [{"code": 1054}]}, "failed"),
        ({"status": "terminated", "jobSubStatusList": [{"code": 1055}]}, "succeeded"),
        ({"status": "running"}, "running"),
        ({}, "unknown"),
    ],
)
def test_outcome_of_a_run_comes_from_its_status(data: dict[str, Any], expected: str) -> None:
    assert outcome_of(JobInfo.from_api(data)) == expected


# -- the comparison ----------------------------------------------------------------------------


REGRESSED = [item(30 + 2 * i, 720 + (i % 3 - 1) * 45, gib=40 + i % 2) for i in range(9)]


def test_a_regression_on_the_same_input_says_how_much_slower_beside_the_input() -> None:
    this = Run.from_item(item(35, 41 * 60, gib=44), NOW)
    summary = summarize(this, runs(*REGRESSED))
    run = summary.measures["run"]
    assert (run.median, run.p90, run.runs) == (720, 765, 9)
    assert run.ratio == pytest.approx(2460 / 720)
    assert run.level == "higher"
    assert summary.measures["input"].ratio == pytest.approx(44 / 40)
    assert summary.measures["wait"].level == "usual"
    assert summary.verdict == (
        "Ran 41m 00s, 3.4x the median 12m 00s, on 1.1x the usual input; "
        "used 3.4x the usual CU-hours; waited as usual."
    )
    assert gate(summary, "run", 2).exceeded
    assert not gate(summary, "run", 3.5).exceeded
    assert not gate(summary, "wait", 2).exceeded


def test_a_run_slower_because_it_read_more_data_says_so() -> None:
    earlier = [item(25, (28 - 2 * i) * 60, gib=28 - 2 * i) for i in range(8)]
    this = Run.from_item(item(25, 30 * 60, gib=30), NOW)
    summary = summarize(this, runs(*earlier))
    assert summary.measures["run"].median == 21 * 60  # the mean of 20m and 22m
    assert summary.measures["run"].p90 == 28 * 60  # ceil(7.2) = 8th of 8
    assert summary.verdict is not None
    assert summary.verdict.startswith(
        "Ran 30m 00s, 1.4x the median 21m 00s, on 1.4x the usual input, which accounts for it"
    )


def test_a_run_as_usual_says_so_with_the_median() -> None:
    earlier = [item(35 + 3 * i, 660 + 17 * i) for i in range(10)]
    summary = summarize(Run.from_item(item(40, 730), NOW), runs(*earlier))
    assert summary.verdict == "Ran 12m 10s as usual (median 12m 16s); waited as usual."


def test_a_long_wait_is_told_apart_from_a_long_run() -> None:
    earlier = [item(50, 720) for _ in range(5)]
    summary = summarize(Run.from_item(item(21 * 60, 700), NOW), runs(*earlier))
    assert summary.measures["wait"].level == "higher"
    assert summary.measures["run"].level == "usual"
    assert summary.verdict == (
        "Ran 11m 40s as usual (median 12m 00s); waited 21m 00s, 25x the median 50s."
    )
    assert gate(summary, "wait", 3).exceeded
    assert gate(summary, "total", 3).exceeded is False


def test_a_median_of_nothing_is_no_gate_and_no_ratio_is_infinite() -> None:
    """Earlier runs of 0 s: every run was 'over' 2x nothing (exit 9, while the verdict said as
    usual); a median of 1e-300 made a ratio of Infinity, which is not JSON."""
    import json

    summary = summarize(Run.from_item(item(5, 10), NOW), runs(*[item(5, 0) for _ in range(5)]))
    checked = gate(summary, "run", 2)
    assert not checked.exceeded
    assert (
        checked.why == "the median running time of the earlier runs is 0: no ratio to compare with"
    )
    tiny = [item(5, 60, cu=1e-300) for _ in range(5)]
    summary = summarize(Run.from_item(item(5, 60, cu=1e300), NOW), runs(*tiny))
    assert summary.measures["cu"].ratio is None
    json.dumps(summary.measures["cu"].as_json(), allow_nan=False)


def test_small_differences_in_time_are_as_usual_whatever_the_ratio() -> None:
    # 40 s against a median of 10 s is 4x, but half a minute is not worth a person's attention.
    summary = summarize(Run.from_item(item(40, 600), NOW), runs(*[item(10, 600)] * 4))
    assert summary.measures["wait"].ratio == 4
    assert summary.measures["wait"].level == "usual"


def test_failed_and_cancelled_runs_are_counted_not_used_for_the_medians() -> None:
    earlier = runs(
        item(30, 600),
        item(30, 5, status="failed"),
        item(30, 620),
        item(30, 1, status="cancelled"),
        item(30, 640),
        item(30, 5000, status="terminated"),
    )
    summary = summarize(Run.from_item(item(30, 610), NOW), earlier)
    assert summary.earlier == 6
    assert summary.outcomes == {"succeeded": 3, "failed": 1, "cancelled": 1, "ended": 1}
    assert summary.successful == 3
    assert summary.measures["run"].median == 620
    assert summary.measures["run"].runs == 3


@pytest.mark.parametrize("good", [0, 1, 2])
def test_fewer_than_three_successful_runs_give_no_verdict(good: int) -> None:
    earlier = runs(*[item(30, 600)] * good, item(30, 10, status="failed"))
    summary = summarize(Run.from_item(item(30, 6000), NOW), earlier)
    assert summary.verdict is None
    assert not summary.enough
    assert summary.reason is not None and "too few to compare (at least 3 needed)" in summary.reason
    assert f"of {good + 1}" in summary.reason
    checked = gate(summary, "run", 2)
    assert not checked.exceeded and checked.why == summary.reason
    assert checked.as_json()["checked"] is False


def test_no_earlier_runs_and_no_key_say_why() -> None:
    this = Run.from_item(item(30, 600), NOW)
    assert summarize(this, []).reason == (
        "no earlier runs: nothing to compare with (at least 3 needed)"
    )
    why = "this job has no SQL signature and no scheduler node id"
    summary = summarize(this, runs(*[item(30, 600)] * 5), why=why)
    assert summary.verdict is None and summary.reason == why


def test_the_gate_on_cu_hours_and_on_a_run_that_has_no_value_yet() -> None:
    earlier = runs(*[item(30, 600, cu=100)] * 3)
    heavy = summarize(Run.from_item(item(30, 600, cu=260), NOW), earlier)
    assert heavy.measures["cu"].median == pytest.approx(100 * 100 / 3600)
    assert gate(heavy, "cu", 2.5).exceeded
    assert not gate(heavy, "cu", 2.6).exceeded
    unfinished = JobInfo.from_api({"status": "waiting", "submittedAtTime": 1795000000})
    waiting = summarize(Run.of(unfinished, NOW), earlier)
    checked = gate(waiting, "cu", 2)
    assert not checked.exceeded and checked.why == "this run has no CU usage yet"
    assert waiting.verdict is not None and waiting.verdict.startswith("Has not started running")
    assert waiting.verdict.endswith("This run is still waiting: its figures are so far.")


def test_the_gate_message_names_the_figures() -> None:
    summary = summarize(Run.from_item(item(35, 41 * 60, gib=44), NOW), runs(*REGRESSED))
    checked = gate(summary, "run", 2)
    assert checked.limit == 1440
    assert checked.message(summary) == (
        "running time 41m 00s is 3.4x the median 12m 00s of 9 earlier successful runs: "
        "over --fail-over 2 (limit 24m 00s)"
    )
