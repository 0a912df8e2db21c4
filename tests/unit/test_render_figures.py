"""One source per figure: every view of a job shows the same waited, ran, total, "for" and
substatus durations, measured to the same `now`.

Each builtin emulator job is rendered as its own data says, and each scripted one as GetJobInfo
would answer at several moments of its script (whole-second epochs beside truncated durations,
as the API gives them), with the client's `now` a little later than the server's.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from maxjob.emulator.jobs import Job
from maxjob.emulator.seed import BUILTIN_JOBS
from maxjob.models import JobInfo
from maxjob.render.live import live_view
from maxjob.render.phases import job_figures
from maxjob.render.table import job_view
from maxjob.render.timeline import timeline, timeline_lines
from maxjob.render.units import duration
from tests.unit.test_render import at_a_glance

DURATION = re.compile(r"-?(?:\d+d \d\dh \d\dm|\d+h \d\dm \d\ds|\d+m \d\ds|\d+(?:\.\d)?s)")
ANCHOR = 1764460800.65  # the emulator's clock when a script starts: not on a whole second
MOMENTS = (0.3, 4.8, 75.0)
LAG = 0.45  # the client renders a little after the server answered


def snapshots() -> list[tuple[str, dict[str, Any], datetime]]:
    found = []
    for spec in BUILTIN_JOBS:
        name = str(spec.get("instanceId") or spec.get("idPrefix"))
        if "data" in spec:
            found.append((name, dict(spec["data"]), datetime(2026, 11, 30, 12, tzinfo=UTC)))
            continue
        job = Job(name, spec, ANCHOR)
        for moment in MOMENTS:
            at = ANCHOR + moment
            now = datetime.fromtimestamp(at + LAG, UTC)
            found.append((f"{name}@{moment}", dict(job.info(at)), now))
    return found


SNAPSHOTS = snapshots()
# Each snapshot at a width that stacks the table's panels, the documented ones also side by side.
CASES = [(*s, 100) for s in SNAPSHOTS] + [(*s, 140) for s in SNAPSHOTS if "@" not in s[0]]


def export(renderable: Any, width: int) -> str:
    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def fields(line: str) -> list[str]:
    return [f for f in re.split(r"\s{2,}", line.strip(" │")) if f]


def is_duration(text: str) -> bool:
    return DURATION.fullmatch(text) is not None


def glance(line: str) -> dict[str, str]:
    found = {}
    for word, key in (("took", "total"), ("running for", "ran"), ("waiting for", "waited")):
        match = re.match(rf"{word} ({DURATION.pattern})( ·|$)", line)
        if match:
            found[key] = match.group(1)
    return found


def table_figures(out: str) -> dict[str, Any]:
    lines = out.splitlines()
    found: dict[str, Any] = glance(lines[1]) if len(lines) > 1 else {}
    subs = []
    for line in lines:
        for key, name in (("Waiting", "waited"), ("Running", "ran"), ("Total", "total")):
            match = re.search(rf"│ {key} +({DURATION.pattern})(?:  |\s*│)", line)
            if match:
                assert found.setdefault(name, match.group(1)) == match.group(1), line
        row = fields(line)
        if len(row) >= 3 and re.match(r"\d{4}-\d\d-\d\d ", row[0]) and is_duration(row[1]):
            subs.append(row[1])
    found["subs"] = subs
    return found


def timeline_figures(out: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    subs = []
    for line in out.splitlines():
        found.update(glance(line))
        match = re.match(rf"from .*, ({DURATION.pattern}) in all$", line)
        if match:
            found["total"] = match.group(1)
        row = fields(line)
        if len(row) >= 3 and row[0] in ("Waiting", "Running") and is_duration(row[2]):
            found["waited" if row[0] == "Waiting" else "ran"] = row[2]
        elif len(row) >= 3 and re.match(r"\d+ ", row[0]) and is_duration(row[2]):
            subs.append(row[2])
    found["subs"] = subs
    return found


def lines_figures(lines: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    subs = []
    for line in lines:
        row = fields(line)
        if len(row) >= 3 and row[0] in ("waiting", "running") and is_duration(row[2]):
            found["waited" if row[0] == "waiting" else "ran"] = row[2]
        elif len(row) >= 3 and re.fullmatch(r"\d+", row[0]) and is_duration(row[2]):
            subs.append(row[2])
    found["subs"] = subs
    return found


def agree(name: str, views: dict[str, dict[str, Any]]) -> None:
    for key in ("waited", "ran", "total", "subs"):
        shown = {view: figures[key] for view, figures in views.items() if figures.get(key)}
        assert len(set(map(str, shown.values()))) <= 1, (name, key, shown)


@pytest.mark.parametrize(
    ("name", "data", "now", "width"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES]
)
def test_every_view_shows_the_same_figures(
    name: str, data: dict[str, Any], now: datetime, width: int
) -> None:
    job = JobInfo.from_api(data)
    table = table_figures(export(job_view(job, utc=True, width=width, now=now), width))
    drawn = timeline_figures(export(timeline(job, utc=True, width=width, now=now), width))
    live = live_view(job, utc=True, watched_for=7, next_poll=2, width=width, now=now)
    watched = timeline_figures(export(live, width))
    lines = lines_figures(timeline_lines(job, now=now))
    agree(name, {"table": table, "timeline": drawn, "live": watched, "lines": lines})

    # And every one of them is the one figure decided for the job at that moment.
    figures = job_figures(job, now)
    expected = {
        "waited": duration(figures.waited),
        "ran": duration(figures.ran),
        "total": duration(figures.total),
        "subs": [duration(s.seconds) for _, s in figures.sub_statuses if s.seconds is not None],
    }
    for view in (table, drawn, watched, lines):
        for key, value in view.items():
            assert value == expected[key], (name, key, value, expected[key])
    if figures.waited is not None:
        assert table["waited"] == drawn["waited"] == lines["waited"]
    if figures.ran is not None:
        assert table["ran"] == drawn["ran"] == lines["ran"]
    assert table["subs"] == drawn["subs"] == lines["subs"] == expected["subs"]


def test_an_unfinished_job_runs_until_now_in_every_view() -> None:
    # The documented sample says `running` with an `endAtTime` and `runningTime` of 800 s: it
    # is still running, so it has run from `runningAtTime` to now, in the table as elsewhere.
    sample = next(s["data"] for s in BUILTIN_JOBS if s.get("instanceId") == "sample")
    job = JobInfo.from_api(sample)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    ran = duration((now - datetime.fromtimestamp(sample["runningAtTime"], UTC)).total_seconds())
    assert ran == "1433d 20h 24m"
    table = export(job_view(job, utc=True, width=100, now=now), 100)
    assert f"running for {ran}" in table and re.search(rf"│ Running +{ran} ", table)
    assert "Ended" not in table  # not ended: the stray endAtTime is in `-o json`/`plain`
    assert at_a_glance(job, now).startswith(f"running for {ran}")


def test_the_api_durations_are_used_for_a_finished_job() -> None:
    # Whole-second epochs 5 s apart, but the API measured 4 s: 4 s everywhere.
    data = {
        "instanceId": "j",
        "status": "terminated",
        "submittedAtTime": 1000,
        "waitingTime": 2,
        "runningAtTime": 1003,
        "runningTime": 4,
        "endAtTime": 1008,
        "totalTime": 7,
        "jobSubStatusList": [
            {"code": 1032, "startTime": "1970-01-01 08:16:43.600000 +0800", "description": "x"},
            {"code": 1055, "startTime": "1970-01-01 08:16:48 +0800", "description": "y"},
        ],
    }
    job = JobInfo.from_api(data)
    table = export(job_view(job, utc=True, width=100), 100)
    drawn = export(timeline(job, utc=True, width=100), 100)
    assert re.search(r"│ Running +4s ", table) and re.search(r"^Running +\S+ +4s ", drawn, re.M)
    assert re.search(r"│ Waiting +2s ", table) and re.search(r"^Waiting +\S+ +2s ", drawn, re.M)
    assert "took 7s" in table and "7s in all" in drawn


def test_the_last_step_of_a_finished_job_lasts_until_its_whole_second_end() -> None:
    # endAtTime is whole seconds; the last substatus began 0.4 s into that second.
    data = {
        "status": "terminated",
        "submittedAtTime": 1000,
        "endAtTime": 1008,
        "jobSubStatusList": [
            {"code": 1032, "startTime": "1970-01-01 08:16:43 +0800", "description": "run"},
            {"code": 1055, "startTime": "1970-01-01 08:16:48.400000 +0800", "description": "ok"},
        ],
    }
    lines = timeline_lines(JobInfo.from_api(data))
    assert [line.split()[2] for line in lines if line.startswith("  10")] == ["5.4s", "0s"]


def _demo_like(**changes: Any) -> dict[str, Any]:
    """The demo job as GetJobInfo answers it: whole-second times and truncated durations
    beside substatuses with microseconds (submitted at 46.75, running at 51.75, ended 56.25)."""
    steps = [(46.75, 1010), (47.95, 1220), (48.75, 1230), (49.55, 1011), (51.75, 1032)]
    steps.append((56.25, 1055))
    data = {
        "instanceId": "d",
        "status": "terminated",
        "submittedAtTime": 1_000_046,
        "runningAtTime": 1_000_051,
        "endAtTime": 1_000_056,
        "waitingTime": 5,
        "runningTime": 4,
        "totalTime": 9,
        "jobSubStatusList": [
            {
                "code": code,
                "startTime": datetime.fromtimestamp(1_000_000 + at, UTC).strftime(
                    "%Y-%m-%d %H:%M:%S.%f +0000"
                ),
                "description": str(code),
            }
            for at, code in steps
        ],
    }
    data.update(changes)
    return data


def test_substatus_times_refine_the_whole_second_phases_on_one_axis() -> None:
    job = JobInfo.from_api(_demo_like())
    figures = job_figures(job, datetime(2026, 1, 1, tzinfo=UTC))
    assert (figures.waited, figures.ran, figures.total) == (5.0, 4.5, 9.5)
    running = next(span for span in figures.phases if span.label == "running")
    executing = next(span for sub, span in figures.sub_statuses if sub.code == 1032)
    assert running.start == executing.start and running.end == executing.end  # one axis
    table = export(job_view(job, utc=True, width=100), 100)
    drawn = export(timeline(job, utc=True, width=100), 100)
    assert re.search(r"│ Running +4\.5s ", table) and "took 9.5s" in table
    # The Running bar and the 1032 bar start in the same column and are as long.
    phase = re.search(r"^Running .*?(█+)", drawn, re.M)
    step = re.search(r"^ 1032 .*?(█+)", drawn, re.M)
    assert phase and step and phase.group(1) == step.group(1)
    assert phase.start(1) - phase.start(0) == step.start(1) - step.start(0)


@pytest.mark.parametrize(
    "changes",
    [
        {"runningTime": 7},  # the API measured otherwise: its figures stand
        {"runningAtTime": None},  # no start time to pin down
        {"submittedAtTime": 1_000_044},  # no substatus in the second of the submission
    ],
    ids=["durations-disagree", "no-start-time", "submission-unpinned"],
)
def test_the_api_figures_stand_where_the_substatuses_do_not_pin_them(
    changes: dict[str, Any],
) -> None:
    job = JobInfo.from_api(_demo_like(**changes))
    figures = job_figures(job, datetime(2026, 1, 1, tzinfo=UTC))
    assert figures.ran == (7 if changes.get("runningTime") else 4)
    assert figures.total == 9


def test_two_substatuses_in_the_second_of_the_start_leave_the_api_times() -> None:
    data = _demo_like()
    data["jobSubStatusList"].insert(
        4, {"code": 1031, "startTime": "1970-01-12 13:47:31.100000 +0000", "description": "x"}
    )
    job = JobInfo.from_api(data)
    assert job_figures(job, datetime(2026, 1, 1, tzinfo=UTC)).ran == 4


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("payasyougo", "pay-as-you-go"),
        ("PayAsYouGo", "pay-as-you-go"),
        ("postpaid", "pay-as-you-go"),
        ("subscription", "subscription"),
        ("Reserved-2027", "Reserved-2027"),
        (None, None),
    ],
)
def test_a_quota_type_reads_as_words_where_people_read_it(kind: str | None, shown: str) -> None:
    from maxjob.render.units import quota_kind

    assert quota_kind(kind) == shown


def test_where_figures_are_compared_or_named_as_api_fields_they_are_the_apis() -> None:
    from maxjob import diagnosis
    from maxjob.errors import ServiceError
    from maxjob.history_stats import Run

    class Refusing:
        """A client that answers nothing: `why` then says what it could not see."""

        def __getattr__(self, name: str) -> Any:
            def refuse(*args: Any, **kwargs: Any) -> Any:
                raise ServiceError("no answer")

            return refuse

    job = JobInfo.from_api(_demo_like())
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert job_figures(job, now).ran == 4.5  # what info shows
    run = Run.of(job, now)  # history: against runs read from ListJobInfos, in whole seconds
    assert (run.waited, run.ran, run.total) == (5, 4, 9)
    explained = diagnosis.explain(Refusing(), job, now=now.timestamp())  # type: ignore[arg-type]
    phase = next(reason for reason in explained.reasons if reason.kind == "phase")
    assert (phase.evidence["runningTime"], phase.evidence["totalTime"]) == (4, 9)
    assert "after 9s in all" in explained.reasons[0].text


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (9.94, "9.9s"),
        (9.96, "10s"),
        (9.5, "9.5s"),
        (0.04, "0s"),
        (0.06, "0.1s"),
        (-0.04, "0s"),
        (-3, "-3s"),
    ],
)
def test_just_under_ten_seconds_reads_as_ten_seconds_do(seconds: float, shown: str) -> None:
    from maxjob.render.units import duration

    assert duration(seconds) == shown


def test_a_waiting_job_waits_from_its_first_substatus_as_its_bars_do() -> None:
    data = _demo_like(status="waiting", jobSubStatusList=_demo_like()["jobSubStatusList"][:2])
    for field in ("runningAtTime", "endAtTime", "runningTime", "totalTime", "waitingTime"):
        data.pop(field)
    job = JobInfo.from_api(data)
    now = datetime.fromtimestamp(1_000_050, UTC)  # submitted at 46 (first substatus 46.75)
    figures = job_figures(job, now)
    assert figures.waited == 3.25 and figures.since == 3.25
    first = figures.sub_statuses[0][1]
    assert figures.phases[0].start == first.start  # the Waiting bar starts with the 1010 bar
    assert job_figures(job, now, precise=False).waited == 4  # the API's whole second


def test_an_absurd_figure_stays_short() -> None:
    """A service's 1e308 (or infinity) does not fill a screen with digits."""
    from maxjob.render import units

    assert units.duration(1e308) == units.duration(float("inf")) == "99999d+"
    assert units.duration(99_999 * 86400) == "99999d 00h 00m"
    assert units.duration(-1e308) == "-99999d+"
    assert units.binary_bytes(1e308) == "8.67e+289 EiB"
    assert units.amount(1e308) == "1e+308"
    assert units.decimal(1e308) == "1e+308" and units.decimal(123.5) == "123.5"


def test_a_negative_figure_of_the_api_is_no_figure() -> None:
    """`took -3s`, `Waiting -99999d+` and 'used 5.0x the usual CU-hours' of a negative usage
    were drawn as sent; a duration or an amount below zero is no figure."""
    job = JobInfo.from_api(
        {
            "instanceId": "x",
            "status": "success",
            "totalTime": -3,
            "waitingTime": -99999999999,
            "runningTime": 5,
            "cuUsage": -100,
            "memoryUsage": -1,
            "inputBytes": -5,
        }
    )
    assert (job.total_time, job.waiting_time, job.running_time) == (None, None, 5)
    assert (job.cu_usage, job.memory_usage, job.input_bytes) == (None, None, None)
    assert "-" not in at_a_glance(job, datetime(2026, 11, 30, tzinfo=UTC))
