"""Layout at any width: times and durations are never cut (the descriptions give way), and the
table view stops growing at `MAX_WIDTH` columns."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


# -- a value too long to sit beside its label; a line of phrases ------------------------------

SIGNATURE = "f1e2d3c4b5a6978812345678abcdef0123456789"


@pytest.mark.parametrize("width", [60, 80, 110, 120])
def test_a_signature_is_never_folded_in_the_table_view(width: int) -> None:
    """At 60 (and side by side at 110) the 40-character signature does not fit beside its label:
    it goes whole on the next line instead of breaking after 37 characters."""
    job = JobInfo.from_api({**FINISHED_DATA, "signature": SIGNATURE})
    out = export(job_view(job, utc=True, width=width, now=NOW), width)
    assert SIGNATURE in out
    assert max(len(line) for line in out.splitlines()) <= width


def test_a_value_goes_below_its_label_only_when_a_word_cannot_fit() -> None:
    from rich.text import Text

    from maxjob.render.layout import KeyValues

    rows = [
        ("Owner", Text("ALIYUN$etl-bot@example.com")),
        ("SQL signature", Text(SIGNATURE)),
        ("Priority", Text("3  (0 = most urgent, 9 = least)")),
    ]
    narrow = [line.rstrip() for line in export(KeyValues(rows), 41).splitlines()]
    assert narrow == [
        "Owner          ALIYUN$etl-bot@example.com",
        "SQL signature",
        f"  {SIGNATURE[:39]}",
        f"  {SIGNATURE[39:]}",  # narrower than the value itself, it folds below its label
        "Priority       3  (0 = most urgent, 9 =",
        "               least)",
    ]
    wide = export(KeyValues(rows), 60).splitlines()
    assert wide[1] == f"SQL signature  {SIGNATURE}"


def test_the_glance_line_breaks_between_phrases() -> None:
    from maxjob.render.layout import Joined

    parts = ["took 12m 50s", "5% of it waiting", "6.50 core-hours", "20.2 GiB read"]
    assert [line.rstrip() for line in export(Joined(parts), 60).splitlines()] == [
        "took 12m 50s · 5% of it waiting · 6.50 core-hours",
        "20.2 GiB read",
    ]
    assert export(Joined(parts), 80).rstrip() == " · ".join(parts)
    job = JobInfo.from_api(FINISHED_DATA)
    for line in export(job_view(job, utc=True, width=60, now=NOW), 60).splitlines()[1:3]:
        assert not line.startswith(("read", "core-hours", "of it")), line


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.text(alphabet="ab 界·", min_size=1, max_size=30), max_size=8),
    width=st.integers(min_value=1, max_value=90),
)
def test_joined_lines_hold_every_phrase_in_order(parts: list[str], width: int) -> None:
    from rich.cells import cell_len

    from maxjob.render.layout import Joined

    joined = Joined(parts)
    lines = list(joined.lines(width))
    assert " · ".join(lines) == " · ".join(joined.parts)
    for line in lines:
        # A line is over the width only when it is one phrase that is itself wider.
        assert cell_len(line) <= width or line in joined.parts


def test_a_narrow_owner_column_drops_the_account_type_first() -> None:
    from maxjob.render.layout import account

    assert account("ALIYUN$etl-bot@example.com") == "etl-bot@example.com"
    assert account("RAM$ml-team") == "ml-team"
    assert account("plain-owner") == "plain-owner"
    assert account("$x") == "$x" and account("RAM$") == "RAM$"  # nothing to tell apart by
    assert account("a b$c") == "a b$c"  # not an account type
