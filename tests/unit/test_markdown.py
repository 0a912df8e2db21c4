"""Markdown: server text made inert, tables that hostile text cannot reshape, and the documents
of `info`/`watch` (a section per job) and `wait` (the tally), parsed back as GFM tables."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maxjob.commands.wait import Waited
from maxjob.emulator.seed import FAILED_DATA, FINISHED_DATA, SAMPLE_DATA
from maxjob.errors import NotFoundError, ServiceError
from maxjob.models import JobInfo
from maxjob.render import markdown as md
from maxjob.render.sanitize import display
from tests.unit.test_render_properties import ANY_OBJECT

NOW = datetime(2025, 12, 1, tzinfo=UTC)
HOSTILE = [
    "a|b",
    "a\\|b",
    "trailing backslash\\",
    "[click](https://evil.example/x)",
    "![img](https://evil.example/p.png)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "`code` and ``more``",
    "*bold* _em_ ~~strike~~ **x**",
    "line one\nline two\r\n| injected | row |",
    "cr only\rnext",
    "www.evil.example and https://evil.example and mail@evil.example",
    "&lt;script&gt; &#60;b&#62;",
    "# heading\n- list\n> quote",
    "\x1b[31mred\x1b[0m \u202egnp.exe \u200b zero width",
    "::error::x %0A ,:",
    "{{template}} ${var}",
]


def split_row(line: str) -> list[str]:
    """A GFM table row into its cells: `|` separates unless escaped by a backslash (which
    escapes whatever follows it, itself included)."""
    assert line.startswith("|") and line.endswith("|"), line
    body = line[1:-1]
    cells, current, index = [], "", 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            current += body[index : index + 2]
            index += 2
            continue
        if char == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += char
        index += 1
    cells.append(current.strip())
    return cells


def tables(document: str) -> list[list[list[str]]]:
    """Every table of a document (runs of lines starting with `|`), each as rows of cells; each
    checked: a delimiter row second, and as many cells in every row as in the header."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*document.split("\n"), ""]:
        if line.startswith("|"):
            current.append(split_row(line))
            continue
        if current:
            header, delimiter, *_ = current
            assert all(re.fullmatch(r"-{3,}:?", cell) for cell in delimiter), delimiter
            assert {len(row) for row in current} == {len(header)}, current
            found.append(current)
            current = []
    return found


def unescape(cell: str) -> str:
    """What a cell reads as once rendered: backslash escapes and entities resolved, and the
    zero-width spaces that break mentions, references, autolinks and emoji left out."""
    return html.unescape(re.sub(r"\\(.)", r"\1", cell)).replace("\u200b", "")


ESCAPED = re.compile(r"\\.|&(?:lt|gt|amp|#8203);")


def inert(markdown: str) -> None:
    """No link, image, HTML (but our `<br>`), code span, entity or raw punctuation from a
    server string: with the escaped pairs and our own markup removed, nothing is left that
    Markdown reads."""
    assert "](" not in markdown.replace("\\]", "").replace("\\(", "")
    assert "<script" not in markdown.lower()
    bare = ESCAPED.sub("", markdown.replace("<br>", ""))
    assert not re.search(r"[<>`\[\]!&]", bare), bare


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_leaves_no_markdown_and_keeps_the_text(text: str) -> None:
    escaped = md.escape(text)
    assert "\n" not in escaped and "\r" not in escaped
    # Every ASCII punctuation character is escaped: nothing is read as Markdown.
    assert not re.search(r"[!-/:-@\[-`{-~]", ESCAPED.sub("", escaped))
    # ... and unescaped, it reads as the other views show it (line breaks as spaces).
    assert unescape(escaped) == display(re.sub(r"\r\n|[\r\n]", " ", text))


def test_multiline_escape_joins_lines_with_br_only() -> None:
    escaped = md.escape("first | one\r\n\nsecond <b>\rthird", multiline=True)
    assert escaped == "first \\| one<br>second &lt;b&gt;<br>third"
    inert(escaped)


def test_control_and_invisible_characters_are_visible_escapes() -> None:
    escaped = md.escape("\x1b[2J\u202eabc\u200b")
    assert "\x1b" not in escaped and "\u202e" not in escaped and "\u200b" not in escaped
    assert unescape(escaped) == "\\x1b[2J\\u202eabc\\u200b"


def test_table_escapes_text_cells_and_keeps_markdown_ones() -> None:
    text = md.table(
        ("Job", "Ran"),
        [("a|b", md.Markdown("**5s**")), ("[x](y)",)],
        align="lr",
    )
    assert text.splitlines() == [
        "| Job | Ran |",
        "| --- | ---: |",
        "| a\\|b | **5s** |",
        "| \\[x\\]\\(y\\) |  |",
    ]
    assert tables(text)[0][2] == ["a\\|b", "**5s**"]
    with pytest.raises(ValueError, match="3 cells"):
        md.table(("a", "b"), [("1", "2", "3")])


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_cells_cannot_add_columns_or_rows(text: str) -> None:
    document = md.table(("one", "two", "three"), [(text, text, md.escape(text, multiline=True))])
    (parsed,) = tables(document)
    assert len(parsed) == 3 and all(len(row) == 3 for row in parsed)
    inert(document)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_any_text_keeps_the_table_shape(values: list[str]) -> None:
    headers = [f"c{i}" for i in range(len(values))]
    document = md.table(headers, [values, [md.escape(v, multiline=True) for v in values]])
    (parsed,) = tables(document)
    assert [len(row) for row in parsed] == [len(values)] * 4
    assert [unescape(cell) for cell in parsed[2]] == [
        display(re.sub(r"\r\n|[\r\n]", " ", v)) for v in values
    ]
    inert(document)


def hostile_job(text: str) -> dict[str, Any]:
    return {
        "instanceId": f"evil-{text}",
        "status": text,
        "project": text,
        "jobOwner": text,
        "quotaNickname": text,
        "quotaType": text,
        "submittedAtTime": 1764468000,
        "runningAtTime": 1764469260,
        "endAtTime": 1764469571,
        "cuUsage": 36,
        "inputBytes": 1288490189,
        "sceneResults": [
            {
                "sceneTag": text,
                "scene": text,
                "type": text,
                "summary": text,
                "description": text,
                "params": {text: text},
            }
        ],
        "jobSubStatusList": [
            {"code": 1010, "startTime": text, "description": text},
            {"code": 1054, "startTime": "2025-11-30 02:26:11 +0000", "description": text},
        ],
    }


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_job_gives_well_formed_inert_tables(text: str) -> None:
    section = md.job_section(JobInfo.from_api(hostile_job(text)), utc=True, now=NOW)
    found = tables(section)
    assert [len(t[0]) for t in found] == [2, 3, 4]  # facts, diagnostics, substatuses
    assert section.startswith("### evil")
    heading = section.splitlines()[0]
    inert(heading)
    inert(section)


def test_info_section_of_a_failed_job() -> None:
    section = md.job_section(JobInfo.from_api(FAILED_DATA), utc=True, now=NOW)
    assert section.splitlines()[0] == "### failed · failed"
    facts, diagnostics, substatuses = tables(section)
    fields = {row[0]: unescape(row[1]) for row in facts[2:]}
    assert fields["Status"] == "failed"
    assert fields["Project"] == "sales_dw"
    assert fields["Owner"] == "RAM$analyst@example.com"
    assert fields["Quota"] == "adhoc (subscription)"
    assert (fields["Waited"], fields["Ran"], fields["Total"]) == ("21m 00s", "5m 11s", "26m 11s")
    assert fields["Cost"] == "1.00 core-hours, 0.25 GB-hours"
    assert fields["Input"] == "1.2 GiB"
    assert fields["Submitted"] == "2025-11-30 02:00:00 UTC"
    assert [row[0] for row in diagnostics[2:]] == ["warning", "critical"]
    assert "**Data skew detected in the join stage\\.**<br>" in diagnostics[3][2]
    assert substatuses[1] == ["---", "---:", "---:", "---"]
    assert [row[2] for row in substatuses[2:]] == ["1010", "1011", "1032", "1054"]
    assert [row[1] for row in substatuses[2:]] == ["4s", "20m 56s", "5m 11s", "0s"]


def test_unfinished_job_is_measured_to_now_from_the_one_source() -> None:
    section = md.job_section(JobInfo.from_api(SAMPLE_DATA), utc=True, now=NOW)
    fields = {row[0]: unescape(row[1]) for row in tables(section)[0][2:]}
    assert fields["Status"] == "running"
    assert "Ended" not in fields
    assert fields["Waited"] == "1m 40s"


def test_error_section_has_its_code_and_request_id() -> None:
    error = NotFoundError("job x|y not found", code="OBJECT_NOT_EXIST", request_id="r-<1>")
    section = md.section("x|y", error, utc=True)
    assert section.splitlines()[0] == "### x\\|y · error"
    (facts,) = tables(section)
    assert {row[0]: unescape(row[1]) for row in facts[2:]} == {
        "Error": "job x|y not found",
        "Code": "OBJECT_NOT_EXIST",
        "Request id": "r-<1>",
    }
    inert(section)


def test_wait_tally_document() -> None:
    failed = JobInfo.from_api(FAILED_DATA)
    ended = [
        Waited("finished", job=JobInfo.from_api(FINISHED_DATA)),
        Waited("failed", job=failed),
        Waited("gone", error=NotFoundError("job gone not found", code="NOT", request_id="r1")),
        Waited("slow|<b>", job=JobInfo.from_api(SAMPLE_DATA), timed_out=True),
        Waited("bad", error=ServiceError("unavailable")),
    ]
    document = md.tally_document(md.Markdown("maxjob wait: 1 failed"), ended, now=NOW)
    assert document.startswith("### maxjob wait: 1 failed\n")
    jobs, errors = tables(document)
    assert jobs[0] == ["Job", "Outcome", "Status", "Ran", "Details"]
    rows = {unescape(row[0]): [unescape(c) for c in row[1:]] for row in jobs[2:]}
    assert rows["finished"][:3] == ["succeeded", "terminated", "1h 01m 23s"]
    # The most severe diagnostic first.
    assert rows["failed"] == ["failed", "failed", "5m 11s", "Data skew detected in the join stage."]
    assert rows["gone"] == ["error", "", "", "job gone not found"]
    assert rows["slow|<b>"][0] == "timed out"
    assert [[unescape(c) for c in row] for row in errors[2:]] == [
        ["gone", "NOT", "r1", "job gone not found"],
        ["bad", "", "", "unavailable"],
    ]
    inert(document)


def test_first_diagnostic_falls_back_to_the_last_substatus() -> None:
    job = JobInfo.from_api(
        {
            "status": "terminated",
            "jobSubStatusList": [{"code": 1056, "description": " Cancelled by user "}],
        }
    )
    assert md.first_diagnostic(job) == "Cancelled by user"
    assert md.first_diagnostic(JobInfo.from_api({})) == ""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_OBJECT)
def test_any_object_gives_a_well_formed_inert_section(data: dict[str, Any]) -> None:
    job = JobInfo.from_api(data)
    section = md.job_section(job, utc=True, now=NOW)
    assert section.startswith("### ")
    tables(section)
    inert(section)
    document = md.tally_document("t", [Waited("x", job=job)], now=NOW)
    assert len(tables(document)[0]) == 3
    inert(document)


def test_substatus_times_maxjob_writes_are_plain_and_one_the_service_sent_is_escaped() -> None:
    subs = [
        {"code": 1010, "startTime": "2025-11-30 10:00:00.000000 +0800", "description": "a"},
        {"code": 1032, "startTime": "[x](https://evil.example)", "description": "b"},
    ]
    job = JobInfo.from_api({"instanceId": "j", "status": "running", "jobSubStatusList": subs})
    text = md.job_section(job, utc=True, now=datetime(2025, 11, 30, 3, tzinfo=UTC))
    assert "| 2025-11-30 02:00:00 UTC |" in text  # nothing in it for Markdown to read
    assert "](https" not in text and "\\[x\\]" in text


def test_a_finished_jobs_glance_line_is_its_own_figures_unescaped() -> None:
    text = md.job_section(JobInfo.from_api(FAILED_DATA), utc=True)
    assert "took 26m 11s · 80% of it waiting · 1.00 core-hours · 1.2 GiB read" in text


def test_an_unfinished_jobs_glance_keeps_its_figures_and_escapes_the_diagnosis() -> None:
    scene = {"type": "critical", "summary": "Quota [full](https://evil.example) *now*"}
    data = {"instanceId": "j", "status": "waiting", "sceneResults": [scene]}
    job = JobInfo.from_api({**data, "submittedAtTime": 1764468000})
    text = md.job_section(job, utc=True, now=datetime(2025, 11, 30, 2, 1, 40, tzinfo=UTC))
    glance = text.splitlines()[2]
    assert glance.startswith("waiting for 1m 40s · Quota \\[full\\]\\(https")
    assert glance.endswith("\\*now\\*")


@pytest.mark.parametrize(
    "text",
    [
        "x@evil.example",
        "@octocat",
        "#123",
        "owner/repo#2",
        ":smile:",
        ":+1:",
        ":100:",
        ":1st_place_medal:",
        "xmpp:x@h.com/r",
    ],
)
def test_nothing_github_reads_in_rendered_text_stays_whole(text: str) -> None:
    """GitHub finds mentions, issue references, email autolinks and emoji in the text as
    rendered (escapes gone): a zero-width space breaks each."""
    rendered = html.unescape(re.sub(r"\\(.)", r"\1", md.escape(text)))
    assert not re.search(r"@\w|#\d|:[\w+-]+:", rendered), rendered
    assert rendered.replace("\u200b", "") == text


def test_a_time_keeps_no_zero_width_space() -> None:
    """Two digits after a colon are a time's minutes or seconds, never an emoji's name: a time
    copied from the rendered text is the time."""
    rendered = html.unescape(re.sub(r"\\(.)", r"\1", md.escape("since 2026-12-01 14:07:53 UTC")))
    assert rendered == "since 2026-12-01 14:07:53 UTC"
