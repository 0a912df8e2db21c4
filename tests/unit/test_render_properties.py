"""Any JSON object as a job renders in every view at any width from 40 to 200 columns, and no
escape, C1, bidi or zero-width character of a field reaches the output."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from maxjob.models import JobInfo
from maxjob.render import text
from maxjob.render.live import live_view
from maxjob.render.table import job_view
from maxjob.render.timeline import timeline, timeline_lines

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
# What a hostile server would send: escapes, C1, bidi overrides and isolates, zero-width and
# other invisible characters, line separators, and rich's own markup and emoji syntax.
HOSTILE = (
    "\x1b\x9b\x85\x07\x00\x7f\r\x0b"
    "\u202e\u202a\u2066\u2069\u200b\u200d\ufeff\u2028\u00ad\ud800\U000e0001"
)
TEXT = st.text(
    st.sampled_from(HOSTILE) | st.sampled_from("[]/:;=bold link ") | st.characters(),
    max_size=40,
)
SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=10,
)
EPOCH = st.integers(1_600_000_000, 1_800_000_000) | st.floats(1e9, 2e9) | JSON
SECONDS = st.integers(0, 10**7) | st.floats(0, 1e7) | JSON
TIME = st.sampled_from(["2025-03-05 00:04:15.717364 +0800", "2025-03-05 01:00:00 +0800"]) | JSON
SUBSTATUS = st.fixed_dictionaries(
    {},
    optional={
        "code": st.integers(0, 99999) | JSON,
        "startTime": TIME,
        "description": TEXT | JSON,
    },
)
SCENE = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["warning", "critical", "info"]) | TEXT,
        "scene": TEXT,
        "sceneTag": TEXT,
        "summary": TEXT | JSON,
        "description": TEXT | JSON,
        "params": st.dictionaries(TEXT, JSON, max_size=3) | JSON,
    },
)
JOB = st.fixed_dictionaries(
    {},
    optional={
        "instanceId": TEXT,
        "status": st.sampled_from(["running", "waiting", "terminated", "failed", "cancelled"])
        | TEXT,
        "project": TEXT,
        "jobOwner": TEXT,
        "quotaNickname": TEXT,
        "priority": st.integers(-5, 15) | JSON,
        "cuUsage": SECONDS,
        "memoryUsage": SECONDS,
        "inputBytes": SECONDS,
        "submittedAtTime": EPOCH,
        "runningAtTime": EPOCH,
        "endAtTime": EPOCH,
        "waitingTime": SECONDS,
        "runningTime": SECONDS,
        "totalTime": SECONDS,
        "sceneResults": st.lists(SCENE, max_size=3) | JSON,
        "jobSubStatusList": st.lists(SUBSTATUS, max_size=4) | JSON,
    },
).flatmap(lambda known: st.dictionaries(TEXT, JSON, max_size=3).map(lambda extra: extra | known))
ANY_OBJECT = JOB | st.dictionaries(TEXT, JSON, max_size=6)


def unsafe(out: str) -> list[str]:
    """Characters that must never reach a terminal from a field (the renderers' own line
    breaks and plain's tab separators aside)."""
    return [
        char
        for char in out
        if char not in "\n\t"
        and (
            unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")
            or 0x80 <= ord(char) <= 0x9F
        )
    ]


def rich_views(job: JobInfo, width: int) -> dict[str, Any]:
    return {
        "table": job_view(job, utc=True, width=width, now=NOW),
        "timeline": timeline(job, utc=False, width=width, now=NOW),
        "live": live_view(job, utc=True, watched_for=3, next_poll=1, width=width, now=NOW),
    }


@given(ANY_OBJECT, st.integers(40, 200))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_object_renders_in_every_view_at_any_width(data: dict[str, Any], width: int) -> None:
    job = JobInfo.from_api(data)
    for name, view in rich_views(job, width).items():
        console = Console(record=True, width=width, color_system=None, file=io.StringIO())
        console.print(view)
        out = console.export_text()
        assert not unsafe(out), (name, unsafe(out))
        assert max(cell_len(line) for line in out.splitlines()) <= width, name  # columns
    for out in (text.plain(job.instance_id or "", job), "\n".join(timeline_lines(job, now=NOW))):
        assert not unsafe(out), unsafe(out)


@given(JOB, st.integers(40, 200))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_in_colour_only_our_own_styles_reach_the_terminal(data: dict[str, Any], width: int) -> None:
    job = JobInfo.from_api(data)
    for view in rich_views(job, width).values():
        console = Console(
            width=width, color_system="truecolor", force_terminal=True, file=io.StringIO()
        )
        console.print(view)
        raw = console.file.getvalue()  # type: ignore[attr-defined]
        # rich writes SGR codes only (no hyperlinks: no field is ever a link)
        assert not unsafe(re.sub(r"\x1b\[[0-9;]*m", "", raw))


@given(ANY_OBJECT, st.booleans())
@settings(max_examples=150, deadline=None)
def test_json_output_holds_no_raw_control_character_and_reads_back(
    data: dict[str, Any], compact: bool
) -> None:
    import json

    out = text.to_json(data, compact=compact)
    assert not unsafe(out), unsafe(out)  # DEL included: json itself escapes only below 0x20
    assert json.loads(out) == json.loads(json.dumps(data))
