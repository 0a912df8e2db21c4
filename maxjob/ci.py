"""What `wait` and `watch` tell a CI system besides their exit status.

GitHub Actions (`GITHUB_ACTIONS=true`): one workflow command per job that did not succeed, on
stderr (the runner reads both streams; stderr leaves `-o json` on stdout intact):
`::error title=...::message` for a failed job or one that could not be read, `::warning
title=...::message` for a cancelled or timed-out one, the message being the job's first
diagnostic, the most severe first (else its last substatus, or the error with its code and
request id), with its id in the title. Server text is sanitised
(control characters shown as escapes), secrets are masked, then the text is escaped as workflow
commands require: `%`, CR and LF in the message, and also `:` and `,` in the title. With
`GITHUB_STEP_SUMMARY` set, a Markdown summary is appended to that file; a summary that cannot be
written is a warning, not a failure. GitHub keeps at most 1 MiB of a step's summary (the whole
file, whatever else the step appended) and drops a larger one: a summary that would take the
file over it keeps its table rows in order while they fit, and ends with a line saying how many
rows were left out (`fit_summary`).

JUnit (`wait --junit FILE`): a `testsuites/testsuite` report, one test case per job (name: the
instance id; classname: its project, or `maxjob`; time: its running time in seconds). Failed,
cancelled and timed-out jobs are failures with their diagnostics, a job that could not be read is
an error, and one the wait did not see end (`--any`, `--fail-fast`, Ctrl-C) is skipped. Built
with `xml.etree` (which escapes text), with every character XML 1.0 forbids shown as an escape.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from maxjob.output.files import write_atomically
from maxjob.render.sanitize import display

if TYPE_CHECKING:
    from maxjob.output.streams import Streams
    from maxjob.render.markdown import Ended

_LINE_ENDS = re.compile(r"\r\n?")
# How a job that did not succeed is annotated, by how its wait ended.
LEVELS = {
    "failed": "error",
    "error": "error",
    "ended": "error",  # how is not known: not to be read as a success
    "cancelled": "warning",
    "timed out": "warning",
}
# A title names the job, a message says why: both short enough to read in the run's page.
TITLE_LIMIT = 200
MESSAGE_LIMIT = 2000
# GitHub's limit on one step's summary, in bytes: a larger one is not shown at all.
SUMMARY_LIMIT = 1024 * 1024
# A delimiter row of a GitHub table, which maxjob writes as `| --- | ---: |`.
_DELIMITER_ROW = re.compile(r"\|(?: *:?-+:? *\|)+")


# GitHub's runner reads a line of a step's output that starts with `::` (after any indent) as a
# workflow command, and `##[` anywhere in a line as one of the older form. Server text must form
# neither: its first character is written as an escape that JSON reads as the same character.
_V1_COMMAND = "##["
_V1_INERT = "#\\u0023["
_V2_INERT = "\\u003a"


def inert_workflow_commands(text: str, *, ours: bool = False) -> str:
    """`text` as written to a step's log, with no workflow command in it: `##[` anywhere and a
    line that starts with `::` get an escape (`#\\u0023[`, `\\u003a:`). `ours`: the text is one
    command of maxjob's own (`::error ...`), whose leading `::` stays."""
    if _V1_COMMAND in text:
        text = text.replace(_V1_COMMAND, _V1_INERT)
    if "::" not in text:
        return text
    # The runner reads lines as .NET's ReadLine does: a lone CR ends one too.
    parts = _LINE_BREAKS.split(text)  # lines at even places, their breaks at odd ones
    for index in range(0, len(parts), 2):
        line = parts[index]
        body = line.lstrip()
        # A comparison that follows the culture may skip invisible characters: skip them too.
        bare = body.lstrip(_IGNORABLE)
        if bare.startswith("::") and not (ours and index == 0):
            parts[index] = line[: len(line) - len(bare)] + _V2_INERT + bare[1:]
    return "".join(parts)


# Soft hyphen, zero-width space/joiners, word joiner, BOM and the like.
_IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u2060\u2061\u2062\u2063\u2064\ufeff"
)


_LINE_BREAKS = re.compile(r"(\r\n|\r|\n)")


def github(streams: Streams) -> GitHub | None:
    """GitHub Actions' annotations and step summary for a command, when running there."""
    return GitHub(streams) if streams.in_github_actions else None


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (`title=`): also `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, title: str, message: str) -> str:
    """`::level title=...::message` on one line, whatever `title` and `message` hold."""
    return f"::{level} title={escape_property(title)}::{escape_data(message)}"


def annotation(ended: Ended) -> str | None:
    """The workflow command for a job that did not succeed (None for one that did, or that the
    wait did not see end), its server text sanitised but not yet masked."""
    from maxjob.render.markdown import first_diagnostic

    level = LEVELS.get(ended.word)
    if level is None:
        return None
    title = f"MaxCompute job {display(ended.instance_id, limit=TITLE_LIMIT)} {ended.word}"
    if ended.error is not None:
        why = ended.error.one_line()
    elif ended.job is not None:
        why = first_diagnostic(ended.job)
        if ended.word == "timed out":
            why = f"still {display(ended.job.status) or 'unfinished'}" + (f": {why}" if why else "")
    else:
        why = ""
    message = display(_LINE_ENDS.sub("\n", why), multiline=True, limit=MESSAGE_LIMIT) or title
    return workflow_command(level, title, message)


class GitHub:
    """GitHub Actions' annotations and step summary for one command; does nothing elsewhere."""

    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.enabled = streams.in_github_actions
        self.summary_path = streams.environ.get("GITHUB_STEP_SUMMARY", "") if self.enabled else ""

    def annotate(self, ended: Ended) -> None:
        """An `::error` or `::warning` line on stderr for a job that did not succeed."""
        if not self.enabled:
            return
        line = annotation(ended)
        if line is not None:
            # Its server text was masked as `display` read it; masked again, one line, as written.
            self.streams.message(line, command=True)

    def summarise(self, markdown: str) -> None:
        """Append `markdown` to the step summary, when there is one, cut to keep the file within
        `SUMMARY_LIMIT`; a warning if it cannot be written or nothing of it fits."""
        if not self.summary_path:
            return
        path = Path(self.summary_path)
        try:
            info = path.stat()
        except OSError:
            info = None  # not there yet: appending creates it (or says why it cannot)
        if info is not None and not stat.S_ISREG(info.st_mode):
            # A FIFO would block the command for ever; a directory or device is no summary.
            self.streams.warn(f"cannot append the step summary to {self.summary_path}: not a file")
            return
        used = info.st_size if info is not None else 0
        # The blank line after it keeps the next step's Markdown apart.
        text = fit_summary(self.streams.mask(markdown).rstrip("\n"), SUMMARY_LIMIT - used - 2)
        if text is None:
            self.streams.warn(
                f"the step summary {self.summary_path} is full (GitHub keeps at most 1 MiB of "
                "a step's summary): nothing appended"
            )
            return
        try:
            with path.open("a", encoding="utf-8") as file:
                file.write(text + "\n\n")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.streams.warn(f"cannot append the step summary to {self.summary_path}: {reason}")


def fit_summary(markdown: str, room: int) -> str | None:
    """`markdown` in at most `room` bytes of UTF-8: unchanged when it fits; else with the body
    rows of its tables kept in order while they fit (every row after the first that does not is
    left out, so no gap hides in the middle), every other line kept, and a last paragraph that
    says how many rows were left out. A table keeps its header, so the document stays valid
    Markdown. When not even that fits, one line saying the summary was left out; None when
    there is no room for that either."""
    if len(markdown.encode("utf-8")) <= room:
        return markdown
    lines = markdown.split("\n")
    rows = _body_rows(lines)
    total = sum(rows)
    # Room for the longest note it may need, after a blank line (which ends a table).
    budget = room - len(_left_out(total).encode("utf-8")) - 2
    budget -= sum(
        len(line.encode("utf-8")) + 1 for line, row in zip(lines, rows, strict=True) if not row
    )
    if total and budget >= 0:
        kept: list[str] = []
        left = 0
        for line, row in zip(lines, rows, strict=True):
            if row:
                size = len(line.encode("utf-8")) + 1
                if left or size > budget:
                    left += 1
                    continue
                budget -= size
            kept.append(line)
        return "\n".join(kept).rstrip("\n") + "\n\n" + _left_out(left)
    whole = (
        f"*A summary of {len(markdown.encode('utf-8')):,} bytes was left out: "
        "GitHub keeps at most 1 MiB of a step's summary.*"
    )
    return whole if len(whole.encode("utf-8")) <= room else None


def _left_out(rows: int) -> str:
    noun = "row" if rows == 1 else "rows"
    return f"*{rows:,} more table {noun} left out: GitHub keeps at most 1 MiB of a step's summary.*"


def _body_rows(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it is a body row of a table (after a header and delimiter row)."""
    rows: list[bool] = []
    in_body = False
    for index, line in enumerate(lines):
        if in_body and line.startswith("|"):
            rows.append(True)
            continue
        rows.append(False)
        in_body = (
            index > 0 and lines[index - 1].startswith("|") and bool(_DELIMITER_ROW.fullmatch(line))
        )
    return rows


# -- JUnit ------------------------------------------------------------------------------------

# XML 1.0 allows tab, LF, CR and these ranges; `display` has shown every other control character
# and lone surrogate as an escape already, which leaves the two non-characters.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str | None, *, multiline: bool = False) -> str:
    if multiline and text:
        text = _LINE_ENDS.sub("\n", text)
    shown = display(text, multiline=multiline)
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", shown)


def _details(ended: Ended) -> str:
    """The body of a failure: status, last substatus, then every diagnostic."""
    job = ended.job
    if job is None:
        return ""
    lines = [f"status: {display(job.status)}"]
    current = job.current_sub_status
    if current is not None:
        code = "" if current.code is None else f"{current.code} "
        lines.append(f"substatus: {code}{display(current.description)}".rstrip())
    for scene in job.scene_results:
        name = "/".join(x for x in (display(scene.scene), display(scene.scene_tag)) if x)
        lines.append(f"{display(scene.type) or 'note'} {name}: {display(scene.summary)}".rstrip())
        if scene.description and display(scene.description):
            lines.append(display(_LINE_ENDS.sub("\n", scene.description), multiline=True))
        lines.extend(f"  {display(key)}: {display(value)}" for key, value in scene.params)
    return "\n".join(lines)


def junit(ended: Sequence[Ended], *, started: datetime, name: str = "maxjob wait") -> bytes:
    """The JUnit XML report of the jobs of a wait (UTF-8, with its XML declaration)."""
    import xml.etree.ElementTree as ET

    from maxjob.render.markdown import first_diagnostic
    from maxjob.render.phases import job_figures

    counts = {"tests": len(ended), "failures": 0, "errors": 0, "skipped": 0}
    cases: list[ET.Element] = []
    total = 0.0
    for item in ended:
        job = item.job
        ran = (job_figures(job).ran if job is not None else None) or 0.0
        total += ran
        project = _xml(job.project) if job is not None else ""
        case = ET.Element(
            "testcase",
            name=_xml(item.instance_id),
            classname=project or "maxjob",
            time=f"{ran:.3f}",
        )
        if item.error is not None:
            counts["errors"] += 1
            error = ET.SubElement(
                case,
                "error",
                message=_xml(item.error.one_line()),
                type=_xml(item.error.code) or type(item.error).__name__,
            )
            error.text = _xml(item.error.one_line())
        elif item.word in ("failed", "cancelled", "ended", "timed out"):
            counts["failures"] += 1
            why = first_diagnostic(job) if job is not None else ""
            failure = ET.SubElement(
                case,
                "failure",
                message=_xml(f"{item.word}: {why}" if why else item.word),
                type=item.word,
            )
            failure.text = _xml(_details(item), multiline=True)
        elif item.word != "succeeded":
            counts["skipped"] += 1
            state = f" (still {display(job.status)})" if job is not None and job.status else ""
            ET.SubElement(case, "skipped", message=_xml(f"{item.word}{state}"))
        cases.append(case)
    attributes = {key: str(value) for key, value in counts.items()}
    attributes["time"] = f"{total:.3f}"
    root = ET.Element("testsuites", {"name": name, **attributes})
    timestamp = started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    suite = ET.SubElement(root, "testsuite", {"name": name, **attributes, "timestamp": timestamp})
    suite.extend(cases)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def write_junit(path: Path, ended: Sequence[Ended], *, started: datetime, streams: Streams) -> None:
    """Write the report atomically, secrets masked; MaxjobError (exit 1) if it cannot be."""
    report = streams.mask(junit(ended, started=started).decode("utf-8"))
    write_atomically(path, report.encode("utf-8"), what="the JUnit report")
