"""A huge server string is cut before it is drawn: fast, flat in memory, and said so on screen."""

from __future__ import annotations

import json
import re
import time
import tracemalloc
from typing import Any

import pytest

from maxjob.emulator.seed import FAILED_DATA
from maxjob.render.sanitize import FIELD_LIMIT, MULTILINE_LIMIT, display, sanitize
from tests.unit.test_render import render

NINE_MB = 9_000_000
VIEWS = ["table", "timeline", "timeline-lines"]


def with_huge(field: str, value: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(FAILED_DATA))
    scene, sub = data["sceneResults"][1], data["jobSubStatusList"][-1]
    if field in ("summary", "description"):
        scene[field] = value
    elif field == "param":
        scene["params"] = {"node": value}
    elif field == "substatus":
        sub["description"] = value
    else:
        data[field] = value
    return data


FIELDS = ["description", "summary", "param", "substatus", "project", "instanceId", "unknownField"]
HUGE = {
    "words": "Lorem ipsum dolor sit amet. " * (NINE_MB // 28),
    "one word": "x" * NINE_MB,
    "escapes": "\x1b" * NINE_MB,
    "lines": "a\n" * (NINE_MB // 2),
}

# The fields each view draws (the timeline leaves out the job's facts; its lines, the details).
SHOWN = {
    "table": set(FIELDS) - {"unknownField"},
    "timeline": set(FIELDS) - {"unknownField", "project"},
    "timeline-lines": {"summary", "substatus", "instanceId"},
}


@pytest.mark.timed
@pytest.mark.parametrize("kind", list(HUGE))
@pytest.mark.parametrize("fmt", VIEWS)
def test_a_9_mb_field_renders_fast_and_flat_with_a_visible_cut(fmt: str, kind: str) -> None:
    for field in FIELDS:
        data = with_huge(field, HUGE[kind])
        tracemalloc.start()
        started = time.perf_counter()
        out = render(data, fmt, 100)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        # Before the cut, one such field took 45 s and 530 MB to draw in the table.
        assert elapsed < 1.0, (field, elapsed)
        assert peak < 8_000_000, (field, peak)
        assert len(out) < 200_000, field
        if field in SHOWN[fmt]:
            assert "more characters)" in re.sub(r"[\s│]+", " ", out), field


def test_json_keeps_the_huge_field_whole() -> None:
    data = with_huge("description", HUGE["escapes"])
    assert json.loads(render(data, "json")) == data


def test_the_cut_counts_what_is_left_and_bounds_what_is_drawn() -> None:
    assert display("abcdef", limit=4) == "abcd… (2 more characters)"
    assert display("  abc  ", limit=4) == "abc"
    # Escapes count towards the limit: an all-ESC field still draws at most `limit` characters.
    shown = display("\x1b" * 100, limit=10)
    assert shown == "\\x1b\\x1b… (98 more characters)"
    assert sanitize("\u202e" * 3, limit=12) == "\\u202e\\u202e… (1 more character)"
    huge = " " * 10 + "y" * (FIELD_LIMIT * 3) + "   "
    assert display(huge) == "y" * FIELD_LIMIT + f"… ({FIELD_LIMIT * 2:,} more characters)"
    assert sanitize("z" * 10) == "z" * 10  # no limit unless asked


def test_a_multiline_field_shows_a_bounded_number_of_lines() -> None:
    shown = display("line\n" * 1000, multiline=True)
    assert shown.count("\n") == MULTILINE_LIMIT - 1
    assert shown.endswith(f"line… ({5 * 1000 - 1 - (5 * MULTILINE_LIMIT - 1):,} more characters)")


@pytest.mark.timed
def test_plain_writes_even_a_9_mb_field_whole() -> None:
    """The SPEC's plain has no truncation: a pipe gets the value as sent, made inert."""
    data = with_huge("description", HUGE["escapes"])
    started = time.perf_counter()
    lines = render(data, "plain").splitlines()
    assert time.perf_counter() - started < 5
    line = next(line for line in lines if line.startswith("sceneResults.1.description\t"))
    assert line == "sceneResults.1.description\t" + "\\x1b" * NINE_MB


def test_a_view_draws_at_most_fifty_diagnostics_and_counts_the_rest() -> None:
    import io

    from rich.console import Console

    from maxjob.models import JobInfo
    from maxjob.render import markdown
    from maxjob.render.phases import MOST_DIAGNOSTICS
    from maxjob.render.table import job_view
    from maxjob.render.timeline import timeline_lines

    scenes = [{"type": "warning", "scene": f"S{n}", "summary": f"finding {n}"} for n in range(120)]
    job = JobInfo.from_api({"instanceId": "j", "status": "running", "sceneResults": scenes})
    more = "… 70 more diagnostics (-o json has them all)"
    lines = timeline_lines(job)
    assert sum(1 for line in lines if line.startswith("warning")) == MOST_DIAGNOSTICS == 50
    assert lines[-1] == more
    section = markdown.job_section(job, utc=True)
    assert "finding 49" in section and "finding 50" not in section and more in section
    console = Console(width=100, file=io.StringIO(), color_system=None)
    console.print(job_view(job, utc=True, width=100))
    drawn = console.file.getvalue()  # type: ignore[attr-defined]
    assert "finding 49" in drawn and "finding 50" not in drawn and "70 more diagnostics" in drawn


def test_a_view_draws_the_last_hundred_substatuses_and_counts_the_rest() -> None:
    """100,000 substatuses took a minute and 470 MB to draw (and watch did not hear Ctrl-C):
    the views draw the last 100, the current one among them, and count the earlier ones."""
    import io

    from rich.console import Console

    from maxjob.models import JobInfo
    from maxjob.render import markdown
    from maxjob.render.phases import MOST_SUB_STATUSES
    from maxjob.render.table import job_view
    from maxjob.render.timeline import timeline, timeline_lines

    subs = [
        {
            "code": 1032,
            "startTime": f"2025-11-30 {n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d} +0000",
            "description": f"step {n}",
        }
        for n in range(20_000)
    ]
    job = JobInfo.from_api({"instanceId": "j", "status": "running", "jobSubStatusList": subs})
    more = "19,900 earlier substatuses (-o json has them all)"
    started = time.monotonic()
    lines = timeline_lines(job)
    assert sum(1 for line in lines if "step " in line) == MOST_SUB_STATUSES == 100
    assert "step 19999" in lines[-1] and any(more in line for line in lines)
    section = markdown.job_section(job, utc=True)
    assert "step 19900" in section and "step 19899" not in section and more in section
    for view in (job_view(job, utc=True, width=100), timeline(job, utc=True, width=100)):
        console = Console(width=100, file=io.StringIO(), color_system=None)
        console.print(view)
        drawn = console.file.getvalue()  # type: ignore[attr-defined]
        assert "step 19999" in drawn and "step 19899" not in drawn and more in drawn
    assert time.monotonic() - started < 20
