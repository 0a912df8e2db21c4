"""Renderers: golden outputs at 80 and 140 columns, hostile text, and property tests.

Regenerate the golden files after an intended change with
`UPDATE_GOLDEN=1 python -m pytest tests/unit/test_render.py`, then read the diff.
"""

from __future__ import annotations

import io
import json
import os
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from maxjob.emulator.seed import FAILED_DATA, FINISHED_DATA, SAMPLE_DATA
from maxjob.models import JobInfo
from maxjob.render import text
from maxjob.render.sanitize import display, sanitize
from maxjob.render.table import job_view
from maxjob.render.timeline import timeline, timeline_lines

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2025, 3, 5, 0, 30, 0, tzinfo=UTC)
JOBS: dict[str, dict[str, Any]] = {
    "sample": SAMPLE_DATA,
    "finished": FINISHED_DATA,
    "failed": FAILED_DATA,
    "minimal": {"instanceId": "min-1", "status": "running"},
    "nulls": {
        "instanceId": "nulls-1",
        "status": "waiting",
        "project": None,
        "priority": None,
        "cuUsage": None,
        "memoryUsage": "n/a",
        "submittedAtTime": "not-a-time",
        "jobSubStatusList": [
            None,
            {"code": "1010", "startTime": "yesterday-ish", "description": None},
            {"code": 1011, "startTime": "2025-03-05 00:04:15 +0800", "description": "Waiting"},
        ],
        "sceneResults": [None, {"type": None, "summary": 42}],
        "newField": {"nested": [1, 2.5, True, None]},
    },
}


def at_a_glance(job: JobInfo, now: datetime | None = None) -> str:
    """The line under the header as one string (`phases.glance_parts`, joined)."""
    from maxjob.render.phases import glance_parts

    own, quoted = glance_parts(job, now)
    return " · ".join([*own, quoted] if quoted else own)


def pinned(width: int) -> Console:
    return Console(
        record=True,
        width=width,
        color_system=None,
        file=io.StringIO(),
        markup=False,
        emoji=False,
        highlight=False,
    )


def render(data: dict[str, Any], fmt: str, width: int = 100) -> str:
    job = JobInfo.from_api(data)
    if fmt == "plain":
        return text.plain(job.instance_id or "", job)
    if fmt == "json":
        return text.to_json(job.raw) + "\n"
    if fmt == "jsonl":
        return text.to_json(job.raw, compact=True) + "\n"
    if fmt == "timeline-lines":
        return "\n".join(timeline_lines(job, now=NOW)) + "\n"
    console = pinned(width)
    if fmt == "table":
        console.print(job_view(job, utc=True, width=width, now=NOW))
    else:
        console.print(timeline(job, utc=True, width=width, now=NOW))
    return console.export_text()


CASES = [
    (name, fmt, width) for name in JOBS for fmt in ("table", "timeline") for width in (80, 140)
]
CASES += [(name, fmt, 0) for name in JOBS for fmt in ("plain", "json", "jsonl", "timeline-lines")]


@pytest.mark.parametrize(("name", "fmt", "width"), CASES)
def test_golden(name: str, fmt: str, width: int) -> None:
    rendered = render(JOBS[name], fmt, width or 100)
    path = GOLDEN / f"{name}.{fmt}{f'.{width}' if width else ''}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [80, 140])
def test_table_fits_the_width(width: int) -> None:
    for name in JOBS:
        for fmt in ("table", "timeline"):
            lines = render(JOBS[name], fmt, width).splitlines()
            assert max(len(line) for line in lines) <= width, (name, fmt)


def test_missing_fields_are_left_out_not_none() -> None:
    out = render(JOBS["minimal"], "table", 80)
    assert "None" not in out and "Project" not in out and "Resources" not in out
    assert "min-1" in out and "running" in out
    nulls = render(JOBS["nulls"], "table", 80) + render(JOBS["nulls"], "plain")
    assert "None" not in nulls


def test_plain_keys_and_values() -> None:
    lines = render(SAMPLE_DATA, "plain").splitlines()
    assert "jobOwner\tALIYUN$7632***@aliyun.com" in lines  # trailing newline trimmed
    assert "jobType\tSQL" in lines
    assert "submittedAtTime\t2022-12-27T03:33:33Z" in lines
    assert "jobSubStatusList.0.startTime\t2025-03-04T16:04:15.717364Z" in lines
    assert 'sceneResults.0.params.key\t"jobinsight_data_skew_node": "Worker M1#10000_0"' in lines
    assert "cuUsage\t10\t0.28 core-hours" in lines
    assert "inputBytes\t1234" in lines
    assert all(line.count("\t") in (1, 2) for line in lines)


def test_unknown_fields_are_kept_in_json_and_shown_in_plain() -> None:
    out = json.loads(render(JOBS["nulls"], "json"))
    assert out == JOBS["nulls"]
    assert "newField.nested.1\t2.5" in render(JOBS["nulls"], "plain")


def test_terminated_outcome_comes_from_the_last_substatus() -> None:
    failed = {
        **FINISHED_DATA,
        "jobSubStatusList": [
            {"code": 1055, "startTime": "2025-11-30 08:00:00 +0800", "description": "x"},
            {"code": 1044, "startTime": "2025-11-30 09:00:00 +0800", "description": "y"},
        ],
    }
    assert JobInfo.from_api(failed).outcome is not None
    assert JobInfo.from_api(failed).outcome.value == "failed"  # type: ignore[union-attr]
    header = render(failed, "table", 80).splitlines()[0]
    assert "terminated" in header and "failed" in header


def _terminated(*codes: int) -> Any:
    subs = [
        {"code": code, "startTime": f"2025-11-30 08:0{n}:00 +0800", "description": "x"}
        for n, code in enumerate(codes)
    ]
    return JobInfo.from_api({**FINISHED_DATA, "jobSubStatusList": subs}).outcome


def test_a_terminated_job_that_nothing_says_succeeded_is_not_taken_for_a_success() -> None:
    """`terminated` alone says the job ended, not how: a CI gate (exit 0) must not pass it."""
    from maxjob import exits
    from maxjob.models import Outcome

    assert _terminated() is Outcome.ENDED  # no substatus at all
    assert _terminated(1010, 1032) is Outcome.ENDED  # the last one names no outcome
    assert _terminated(1055, 1032) is Outcome.ENDED  # a success only from the last word
    assert _terminated(1032, 1044, 1060) is Outcome.FAILED  # an earlier failure still counts
    assert _terminated(1032, 1046, 1060) is Outcome.CANCELLED
    assert _terminated(1044, 1055) is Outcome.SUCCEEDED  # the last word decides
    assert exits.of_outcome(Outcome.ENDED) == 1


def test_substatuses_are_sorted_and_unparsable_times_kept() -> None:
    shuffled = {
        "instanceId": "s",
        "status": "running",
        "jobSubStatusList": [
            {"code": 1032, "startTime": "2025-03-05 00:10:00 +0800", "description": "later"},
            {"code": 9999, "startTime": "garbage", "description": "unparsable"},
            {"code": 1010, "startTime": "2025-03-05 00:00:00 +0800", "description": "earlier"},
        ],
    }
    lines = render(shuffled, "timeline-lines").splitlines()
    order = [line for line in lines if line.startswith("  ")]
    assert "earlier" in order[0] and "later" in order[1] and "garbage" in order[2]


HOSTILE = {
    "clear": "\x1b[2J\x1b[H",
    "title": "\x1b]0;pwned\x07",
    "clipboard": "\x1b]52;c;ZXZpbA==\x07",
    "link": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "markup": "[bold]loud[/bold] [link=http://evil.example]x[/link] [/]",
    "emoji": ":smile: :warning:",
    "bidi": "abc\u202edcba\u2066x\u2069",
    "zero": "a\u200bb\ufeffc",
    "c1": "a\x9bb\x85c\x7f",
}


def hostile_job() -> dict[str, Any]:
    values = " ".join(HOSTILE.values())
    return {
        "instanceId": "hostile" + HOSTILE["clear"],
        "status": "running" + HOSTILE["title"],
        "project": values,
        "jobOwner": HOSTILE["markup"],
        "jobType": HOSTILE["emoji"],
        "quotaNickname": HOSTILE["bidi"],
        "extNodeId": HOSTILE["link"],
        "submittedAtTime": 1741104255,
        "sceneResults": [
            {
                "type": HOSTILE["clipboard"],
                "summary": values,
                "description": values,
                "params": {HOSTILE["zero"]: HOSTILE["c1"]},
            }
        ],
        "jobSubStatusList": [
            {"code": 1010, "startTime": "2025-03-05 00:04:15 +0800", "description": values}
        ],
        HOSTILE["clear"]: HOSTILE["link"],
    }


BAD_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@pytest.mark.parametrize("fmt", ["table", "timeline", "plain", "timeline-lines", "json", "jsonl"])
def test_hostile_strings_are_inert_in_every_format(fmt: str) -> None:
    out = render(hostile_job(), fmt, 140)
    assert not BAD_CHARS.search(out), repr(BAD_CHARS.search(out))
    if fmt.startswith("json"):
        assert "\\u001b[2J" in out and "\\u202e" in out
        return
    assert "\\x1b[2J" in out
    assert "[bold]loud[/bold]" in out and ":smile:" in out
    assert "\\u202e" in out


def test_hostile_strings_in_colour_emit_only_our_own_sgr_codes() -> None:
    console = Console(
        record=True,
        width=140,
        color_system="truecolor",
        force_terminal=True,
        file=io.StringIO(),
        markup=False,
        emoji=False,
        highlight=False,
    )
    job = JobInfo.from_api(hostile_job())
    console.print(job_view(job, utc=True, width=140, now=NOW))
    console.print(timeline(job, utc=True, width=140, now=NOW))
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    without_sgr = re.sub(r"\x1b\[[0-9;]*m", "", raw)
    assert "\x1b" not in without_sgr and "\x07" not in without_sgr
    assert "[bold]loud[/bold]" in without_sgr


UNSAFE_SINGLE = re.compile("[\x00-\x1f\x7f-\x9f]")


@given(st.text())
@settings(max_examples=400)
def test_sanitizer_leaves_nothing_unsafe(value: str) -> None:
    single = sanitize(value)
    multi = sanitize(value, multiline=True)
    assert not UNSAFE_SINGLE.search(single)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", multi)
    for out in (single, multi):
        for char in out:
            assert unicodedata.category(char) not in ("Cf", "Cs", "Zl", "Zp"), repr(char)
        assert Text(out).plain == out  # nothing is read as markup
        out.encode("utf-8")  # no lone surrogate survives


@given(st.text())
def test_sanitizer_keeps_safe_text_unchanged(value: str) -> None:
    safe = "".join(
        c
        for c in value
        if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
        and not 0x1F3FB <= ord(c) <= 0x1F3FF  # skin-tone modifiers: escaped (no cell wide)
    )
    assert sanitize(safe) == safe
    assert display("  " + safe + "\n") == sanitize(safe.strip())


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "instanceId",
        "status",
        "project",
        "jobOwner",
        "priority",
        "cuUsage",
        "memoryUsage",
        "inputBytes",
        "submittedAtTime",
        "runningAtTime",
        "endAtTime",
        "waitingTime",
        "runningTime",
        "totalTime",
        "sceneResults",
        "jobSubStatusList",
        "signature",
        "quotaNickname",
    ]
)
SUBSTATUS = st.fixed_dictionaries(
    {},
    optional={
        "code": st.integers(0, 99999) | JSON,
        "startTime": st.sampled_from(["2025-03-05 00:04:15.717364 +0800", "x", ""]) | JSON,
        "description": st.text() | JSON,
    },
)
DATA = st.dictionaries(FIELDS | st.text(), JSON, max_size=12) | st.fixed_dictionaries(
    {
        "status": st.sampled_from(["running", "terminated", "failed", "weird"]),
        "jobSubStatusList": st.lists(SUBSTATUS, max_size=5),
        "submittedAtTime": st.integers(-10, 2**40) | st.floats(allow_nan=False),
        "endAtTime": st.integers(0, 2**34) | st.none(),
    },
)


@given(DATA)
@settings(max_examples=150, deadline=None)
def test_any_json_object_renders_in_every_format(data: dict[str, Any]) -> None:
    for fmt in ("plain", "json", "jsonl", "timeline-lines"):
        out = render(data, fmt)
        assert not UNSAFE_SINGLE.search(out.replace("\n", "").replace("\t", "")) or fmt.startswith(
            "json"
        )
    for fmt in ("table", "timeline"):
        out = render(data, fmt, 80)
        assert not BAD_CHARS.search(out)
    assert json.loads(render(data, "json")) == data


def test_at_a_glance_says_what_it_cost_or_what_holds_it_up() -> None:
    done = at_a_glance(JobInfo.from_api(FAILED_DATA))
    assert done == "took 26m 11s · 80% of it waiting · 1.00 core-hours · 1.2 GiB read"
    waiting = JobInfo.from_api(
        {
            "status": "waiting",
            "submittedAtTime": int(NOW.timestamp()) - 190,
            "sceneResults": [
                {"type": "info", "summary": "fyi"},
                {"type": "warning", "summary": "Quota busy\n"},
            ],
        }
    )
    assert at_a_glance(waiting, NOW) == "waiting for 3m 10s · Quota busy"
    # Running, a lack of resources holds it up no more; another finding still does.
    lack = {"type": "warning", "scene": "LackResource", "summary": "Insufficient resources."}
    skew = {"type": "warning", "scene": "DataSkew", "summary": "Data skew."}
    started = int(NOW.timestamp()) - 60
    running = {"status": "running", "submittedAtTime": started - 5, "runningAtTime": started}
    assert at_a_glance(JobInfo.from_api({**running, "sceneResults": [lack]}), NOW) == (
        "running for 1m 00s"
    )
    assert at_a_glance(JobInfo.from_api({**running, "sceneResults": [lack, skew]}), NOW) == (
        "running for 1m 00s · Data skew."
    )
    assert at_a_glance(
        JobInfo.from_api(
            {**running, "status": "waiting", "runningAtTime": None, "sceneResults": [lack]}
        ),
        NOW,
    ).endswith("Insufficient resources.")


def test_a_server_key_cannot_start_a_workflow_command_line_in_plain() -> None:
    job = JobInfo.from_api({"instanceId": "j1", "::error title=x::pwned": "v"})
    lines = text.plain("j1", job).splitlines()
    assert not any(line.startswith("::") for line in lines)
    assert "\\x3a:error title=x::pwned\tv" in lines
