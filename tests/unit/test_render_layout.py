"""Layout at any width: times and durations are never cut (the descriptions give way), and the
table view stops growing at `MAX_WIDTH` columns."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from maxjob.emulator.seed import FAILED_DATA, FINISHED_DATA, SAMPLE_DATA
from maxjob.models import JobInfo
from maxjob.render.phases import job_figures
from maxjob.render.table import MAX_WIDTH, WIDE, job_view
from maxjob.render.timeline import timeline
from maxjob.render.units import duration, human_time

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
LONG = (
    "Waiting for cluster resource because the quota os_bigdata has no free cores left for jobs "
    "of this priority"
)
WORDY: dict[str, Any] = {
    **FINISHED_DATA,
    "instanceId": "wordy",
    "jobSubStatusList": [
        {**sub, "description": LONG if sub["code"] == 1011 else sub["description"]}
        for sub in FINISHED_DATA["jobSubStatusList"]
    ],
}
DAYS: dict[str, Any] = {**SAMPLE_DATA, "instanceId": "days", "endAtTime": None}
JOBS = {"finished": FINISHED_DATA, "failed": FAILED_DATA, "wordy": WORDY, "days": DAYS}


def export(renderable: Any, width: int) -> str:
    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def whole_figures(job: JobInfo) -> tuple[set[str], set[str]]:
    """The durations and the start times (hh:mm:ss) the views must show whole."""
    figures = job_figures(job, NOW)
    spans = [*figures.phases, *(span for _, span in figures.sub_statuses)]
    lasted = {duration(figures.waited), duration(figures.ran)}
    lasted |= {duration(span.seconds) for span in spans}
    times = {human_time(span.start, utc=True)[11:19] for span in spans if span.start is not None}
    return lasted - {""}, times


@pytest.mark.parametrize("width", [40, 60, 80])
@pytest.mark.parametrize("name", list(JOBS))
def test_timeline_never_cuts_a_time_or_a_duration(name: str, width: int) -> None:
    job = JobInfo.from_api(JOBS[name])
    out = export(timeline(job, utc=True, width=width, now=NOW), width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    lasted, times = whole_figures(job)
    for text in lasted | times:
        assert any(text in line for line in lines), (text, out)
    if name == "wordy":
        # The long description wraps (no room for bars) or is cut with an ellipsis (beside them).
        wrapped = set(LONG.split()) <= set(out.split())
        assert wrapped or re.search(r"1011 Waiting for [^\n]*…  ", out), out


@pytest.mark.parametrize("width", [40, 60, 80])
@pytest.mark.parametrize("name", list(JOBS))
def test_table_never_cuts_a_time_or_a_duration(name: str, width: int) -> None:
    job = JobInfo.from_api(JOBS[name])
    out = export(job_view(job, utc=True, width=width, now=NOW), width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    lasted, _ = whole_figures(job)
    for text in lasted:
        assert any(text in line for line in lines), (text, out)
    figures = job_figures(job, NOW)
    for _, span in figures.sub_statuses:
        if span.start is not None:
            started = human_time(span.start, utc=True)
            assert any(started in line for line in lines), (started, out)


def test_timeline_at_40_columns_reads_without_bars() -> None:
    out = export(timeline(JobInfo.from_api(FINISHED_DATA), utc=True, width=40), 40)
    assert "█" not in out
    assert "Ended succeeded" in out
    assert "Running             00:00:42  1h 01m 23s" in out


def test_table_view_stops_at_max_width_and_keeps_two_columns() -> None:
    job = JobInfo.from_api(FINISHED_DATA)
    wide = export(job_view(job, utc=True, width=160), 160).splitlines()
    assert max(len(line.rstrip()) for line in wide) == MAX_WIDTH
    assert any("╭─ Job" in line and "╭─ Timing" in line for line in wide)
    at_wide = export(job_view(job, utc=True, width=WIDE), WIDE).splitlines()
    assert any("╭─ Job" in line and "╭─ Timing" in line for line in at_wide)
    narrow = export(job_view(job, utc=True, width=WIDE - 1), WIDE - 1).splitlines()
    assert not any("╭─ Job" in line and "╭─ Timing" in line for line in narrow)
    drawn = export(timeline(job, utc=True, width=160), 160).splitlines()
    assert max(len(line.rstrip()) for line in drawn) <= MAX_WIDTH
