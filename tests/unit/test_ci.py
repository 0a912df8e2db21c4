"""CI: GitHub Actions workflow commands (escaping, sanitising, masking), the step summary, and the
JUnit report (parsed back with xml.etree, counts checked)."""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from maxjob import ci
from maxjob.commands.wait import Waited
from maxjob.emulator.seed import FAILED_DATA, FINISHED_DATA
from maxjob.errors import CredentialsError, NotFoundError
from maxjob.models import JobInfo
from maxjob.output.streams import Streams
from maxjob.render.markdown import JobEnd

STARTED = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
HOSTILE = "100% done\r\n::add-mask::x\n::error::forged, title=x: y %0A %25 \x1b[2J\u202e\x00"


def parse_xml(document: bytes | str) -> ET.Element:
    """maxjob's own report, parsed as a CI system would (not untrusted input)."""
    return ET.fromstring(document)  # noqa: S314


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: `::name key=value,key=value::message`."""
    match = re.fullmatch(r"::([a-z-]+)(?: ([^:]*))?::(.*)", line)
    assert match, line
    name, properties, message = match.groups()
    pairs = dict(p.split("=", 1) for p in (properties or "").split(",") if p)
    return name, {k: unescape_property(v) for k, v in pairs.items()}, unescape_data(message)


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("50%", "50%25", "50%25"),
        ("a\rb\nc\r\n", "a%0Db%0Ac%0D%0A", "a%0Db%0Ac%0D%0A"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),
        ("::error::", "::error::", "%3A%3Aerror%3A%3A"),
    ],
)
def test_workflow_command_escaping(text: str, data: str, prop: str) -> None:
    assert ci.escape_data(text) == data
    assert ci.escape_property(text) == prop
    assert unescape_data(data) == text and unescape_property(prop) == text


def test_hostile_text_stays_in_one_command_and_reads_back() -> None:
    line = ci.workflow_command("error", HOSTILE, HOSTILE)
    assert "\n" not in line and "\r" not in line
    name, properties, message = parse_command(line)
    assert name == "error" and list(properties) == ["title"]
    assert properties["title"] == HOSTILE and message == HOSTILE


def failed_job(**changes: Any) -> JobInfo:
    return JobInfo.from_api({**FAILED_DATA, **changes})


def test_annotations_by_outcome() -> None:
    failed = ci.annotation(JobEnd("failed", "failed", failed_job()))
    assert failed == (
        "::error title=MaxCompute job failed failed::Data skew detected in the join stage."
    )
    cancelled = ci.annotation(JobEnd("c1", "cancelled", JobInfo.from_api({"status": "cancelled"})))
    assert cancelled == "::warning title=MaxCompute job c1 cancelled::MaxCompute job c1 cancelled"
    error = NotFoundError("job x not found", code="OBJECT_NOT_EXIST", request_id="r-1")
    assert ci.annotation(JobEnd("x", "error", error=error)) == (
        "::error title=MaxCompute job x error::job x not found (OBJECT_NOT_EXIST, request id r-1)"
    )
    timed_out = ci.annotation(JobEnd("r", "timed out", JobInfo.from_api({"status": "running"})))
    assert timed_out == "::warning title=MaxCompute job r timed out::still running"
    assert ci.annotation(JobEnd("ok", "succeeded", JobInfo.from_api(FINISHED_DATA))) is None
    assert ci.annotation(JobEnd("n", "not waited for")) is None


def test_server_text_in_an_annotation_is_sanitised_and_escaped() -> None:
    job = failed_job(sceneResults=[{"type": "critical", "summary": HOSTILE}])
    line = ci.annotation(JobEnd("id:1,x%", "failed", job))
    assert line is not None and "\n" not in line and "\r" not in line
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202e]", line)
    _, properties, message = parse_command(line)
    assert properties == {"title": "MaxCompute job id:1,x% failed"}
    # Line breaks kept (GitHub shows them), control characters visible escapes.
    assert message.splitlines()[0] == "100% done"
    assert "\\x1b[2J\\u202e\\x00" in message
    assert message.count("\n") == 2


def streams(environ: dict[str, str]) -> tuple[Streams, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Streams(out, err, environ=environ), out, err


def test_github_annotates_on_stderr_masked_and_summarises(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    s, out, err = streams({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    s.hide("s3cr3t-key-value-0123456789")
    github = ci.GitHub(s)
    job = failed_job(sceneResults=[{"type": "error", "summary": "s3cr3t-key-value-0123456789"}])
    github.annotate(JobEnd("failed", "failed", job))
    github.summarise("| a |\n| --- |\n| s3cr3t-key-value-0123456789 |\n")
    assert out.getvalue() == ""  # stdout stays data
    assert err.getvalue() == "::error title=MaxCompute job failed failed::****\n"
    assert summary.read_text() == "earlier step\n| a |\n| --- |\n| **** |\n\n"


def test_outside_github_nothing_is_written(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    s, out, err = streams({"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "false"})
    github = ci.GitHub(s)
    github.annotate(JobEnd("failed", "failed", failed_job()))
    github.summarise("x")
    assert out.getvalue() == err.getvalue() == "" and not summary.exists()


def test_a_summary_that_cannot_be_written_is_a_warning(tmp_path: Path) -> None:
    s, _, err = streams(
        {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "s.md")}
    )
    ci.GitHub(s).summarise("x")
    assert re.fullmatch(
        r"maxjob: warning: cannot append the step summary to .*s\.md: No such file or directory\n",
        err.getvalue(),
    )


def report(ended: list[Waited]) -> ET.Element:
    document = ci.junit(ended, started=STARTED)
    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return parse_xml(document)


def test_junit_counts_and_cases() -> None:
    ended = [
        Waited("finished", job=JobInfo.from_api(FINISHED_DATA)),
        Waited("failed", job=failed_job()),
        Waited("cancelled", job=JobInfo.from_api({"status": "cancelled", "runningTime": 7.5})),
        Waited("slow", job=JobInfo.from_api({"status": "running"}), timed_out=True),
        Waited("gone", error=NotFoundError("job gone not found", code="OBJECT_NOT_EXIST")),
        Waited("denied", error=CredentialsError("no permission")),
        Waited("later", job=JobInfo.from_api({"status": "waiting", "project": "p"})),
    ]
    root = report(ended)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    expected = {"tests": "7", "failures": "3", "errors": "2", "skipped": "1"}
    for element in (root, suite):
        assert {k: element.get(k) for k in expected} == expected
    assert suite.get("timestamp") == "2026-11-30T12:00:00"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [w.instance_id for w in ended]
    assert [c.get("classname") for c in cases] == [
        "sales_dw",
        "sales_dw",
        "maxjob",
        "maxjob",
        "maxjob",
        "maxjob",
        "p",
    ]
    assert cases[0].get("time") == "3683.000" and cases[2].get("time") == "7.500"
    assert float(suite.get("time") or 0) == pytest.approx(
        sum(float(c.get("time") or 0) for c in cases)
    )
    assert list(cases[0]) == []
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("type") == "failed"
    assert failure.get("message") == "failed: Data skew detected in the join stage."
    assert "Insufficient computing resources" in (failure.text or "")
    assert [c[0].tag for c in cases[1:]] == [
        "failure",
        "failure",
        "failure",
        "error",
        "error",
        "skipped",
    ]
    assert cases[3][0].get("type") == "timed out"
    assert cases[4][0].get("type") == "OBJECT_NOT_EXIST"
    assert cases[5][0].get("type") == "CredentialsError"
    assert cases[6][0].get("message") == "not waited for (still waiting)"


def test_junit_of_hostile_text_is_well_formed_and_readable() -> None:
    hostile = "<b>&amp;\"'\x00\x1b\x0b\ufffe\uffff\ud800]]>" + HOSTILE
    job = JobInfo.from_api(
        {
            "status": "failed",
            "project": hostile,
            "sceneResults": [{"type": hostile, "summary": hostile, "description": hostile}],
        }
    )
    root = report(
        [Waited(hostile, job=job), Waited(hostile, error=NotFoundError(hostile, code=hostile))]
    )
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 2
    failure = cases[0].find("failure")
    assert failure is not None
    assert (failure.get("message") or "").startswith("failed: <b>&amp;\"'\\x00\\x1b\\x0b\\ufffe")
    assert cases[0].get("name", "").startswith("<b>&amp;")
    # In the type's line (twice: type and summary) and the description's.
    assert (failure.text or "").count("]]>") == 3


def test_junit_is_written_atomically_and_masked(tmp_path: Path) -> None:
    s, _, _ = streams({})
    s.hide("project-secret-0123456789")
    job = JobInfo.from_api({"status": "failed", "project": "project-secret-0123456789"})
    target = tmp_path / "report.xml"
    ci.write_junit(target, [Waited("a", job=job)], started=STARTED, streams=s)
    root = parse_xml(target.read_bytes())
    assert root.find("testsuite/testcase[@classname='****']") is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "report.xml"]


# -- the step summary's 1 MiB ---------------------------------------------------------------


def many_ended(count: int, errors: int = 0) -> list[JobEnd]:
    """`count` failed jobs with a long diagnostic each (a `|` in it), then `errors` unreadable
    ones."""
    ended = [
        JobEnd(
            f"job-{n:05d}",
            "failed",
            failed_job(
                instanceId=f"job-{n:05d}",
                sceneResults=[{"type": "error", "summary": f"{n} | data skew in a join " * 20}],
            ),
        )
        for n in range(count)
    ]
    ended += [
        JobEnd(f"gone-{n}", "error", error=NotFoundError(f"job gone-{n} not found", code="X"))
        for n in range(errors)
    ]
    return ended


def body_ids(table: list[list[str]]) -> list[str]:
    return [cell.replace("\\", "") for cell, *_ in table[2:]]


def test_a_wait_over_thousands_of_jobs_keeps_the_step_summary_within_1_mib(
    tmp_path: Path,
) -> None:
    from markdown_it import MarkdownIt

    from maxjob.render.markdown import Markdown, tally_document
    from tests.unit.test_markdown import tables

    summary = tmp_path / "summary.md"
    earlier = "### an earlier command of this step\n\n" + "x" * 100_000 + "\n\n"
    summary.write_text(earlier)
    s, out, err = streams({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    ended = many_ended(4000, errors=30)
    document = tally_document(Markdown("maxjob wait: 4,000 failed, 30 errors"), ended)
    assert len(document.encode()) > 1.5 * ci.SUMMARY_LIMIT
    ci.GitHub(s).summarise(document)
    assert out.getvalue() == err.getvalue() == ""
    data = summary.read_bytes()
    assert ci.SUMMARY_LIMIT - 2000 < len(data) <= ci.SUMMARY_LIMIT  # full, not over
    appended = data.decode()[len(earlier) :]
    assert appended.startswith("### maxjob wait: 4,000 failed, 30 errors\n")
    found = tables(appended)  # every table well formed: the same cells in every row
    jobs, errors = found
    kept = body_ids(jobs)
    assert kept == [f"job-{n:05d}" for n in range(len(kept))]  # the first ones, in order
    assert 100 < len(kept) < 4000 and len(errors) == 2  # the errors table: its header only
    left = 4000 + 30 + 30 - len(kept)  # an error is a row of both tables
    note = f"*{left:,} more table rows left out: GitHub keeps at most 1 MiB of a step's summary.*"
    assert appended.endswith("\n\n" + note + "\n\n")
    # Read back as GitHub reads it (the head of the jobs table, its last two rows, then the
    # rest: a whole MiB takes the parser seconds): the note is a paragraph, not a table row.
    lines = appended.split("\n")
    last = max(i for i, line in enumerate(lines) if line.startswith("| job"))
    excerpt = "\n".join(lines[:4] + lines[last - 1 :])
    tokens = MarkdownIt("commonmark").enable("table").parse(excerpt)
    assert sum(t.type == "tr_open" for t in tokens) == 1 + 2 + 1
    inline = [t for t in tokens if t.type == "inline"]
    assert inline[-1].content == note
    assert tokens[-3].type == "paragraph_open" and tokens[-4].type == "table_close"


def test_a_summary_that_fits_is_unchanged_and_a_cut_one_fits_any_room() -> None:
    from maxjob.render.markdown import Markdown, tally_document
    from tests.unit.test_markdown import tables

    # 46 rows: 43 in the jobs table, the 3 errors again in theirs.
    document = tally_document(Markdown("maxjob wait"), many_ended(40, errors=3)).rstrip("\n")
    size = len(document.encode())
    assert ci.fit_summary(document, size) == document
    for room in range(size - 1, 0, -997):
        fitted = ci.fit_summary(document, room)
        if fitted is None:
            assert room < 120  # not even the one line fits
            continue
        assert len(fitted.encode()) <= room
        if fitted.startswith("### maxjob wait"):
            found = tables(fitted)
            kept = sum(len(table) - 2 for table in found)
            assert fitted.endswith(
                f" more table {'row' if 46 - kept == 1 else 'rows'} left out: "
                "GitHub keeps at most 1 MiB of a step's summary.*"
            )
            assert f"*{46 - kept:,} more" in fitted.splitlines()[-1]
        else:  # not even the heading and the tables' headers fit
            assert fitted == (
                f"*A summary of {size:,} bytes was left out: "
                "GitHub keeps at most 1 MiB of a step's summary.*"
            )


def test_a_full_step_summary_gets_nothing_and_a_warning(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (ci.SUMMARY_LIMIT - 50))
    s, _, err = streams({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    ci.GitHub(s).summarise("| a |\n| --- |\n" + "| b |\n" * 100)
    assert summary.stat().st_size == ci.SUMMARY_LIMIT - 50
    assert "is full (GitHub keeps at most 1 MiB of a step's summary): nothing appended" in (
        err.getvalue()
    )


def test_a_summary_that_is_a_fifo_is_a_warning_and_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "summary"
    os.mkfifo(fifo)
    s, _, err = streams({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(fifo)})
    ci.GitHub(s).summarise("x")  # would block for ever on open() without the check
    assert err.getvalue().startswith("maxjob: warning: cannot append the step summary")
    assert "not a file" in err.getvalue()


def test_a_secret_in_markdown_is_masked_in_its_escaped_form(tmp_path: Path) -> None:
    from maxjob.render.markdown import escape

    summary = tmp_path / "summary.md"
    s, _, _ = streams({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    token = "CAIS+sts/token=value-0123456789"  # an STS token holds + / =
    s.hide(token)
    github = ci.GitHub(s)
    github.summarise(f"| a |\n| --- |\n| {escape(token)} |\n")
    # Masked as the text was read (Markdown then escapes the mask), or as it was written.
    assert summary.read_text() in (
        "| a |\n| --- |\n| \\*\\*\\*\\* |\n\n",
        "| a |\n| --- |\n| **** |\n\n",
    )
    assert "CAIS" not in summary.read_text()
