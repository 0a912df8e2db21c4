"""GitHub-flavoured Markdown: untrusted text made inert, tables, and the documents of `info` and
`watch` (a section per job) and of `wait` (the tally). No rich.

`escape` is the one way server text enters Markdown. It trims and cuts the text and shows
control, bidi and zero-width characters as visible escapes (`display`, as the other views do),
turns line breaks into spaces (or, `multiline`, into `<br>`, the only HTML written), writes
`<`, `>` and `&` as the entities `&lt;`, `&gt;`, `&amp;` and backslash-escapes every other ASCII
punctuation character (CommonMark allows it for all of them): a `|` cannot split a table row,
`[`/`]`, `!`, `<`/`>`, backticks, `*`, `_`, `~`, `&` cannot make a link, an image, HTML, code,
emphasis or an entity, and `:`, `.` and `/` cannot make a URL autolink. GitHub reads some things
in the rendered text, escapes gone: a zero-width space after `@` and `#` (and after a `:` before
a word) keeps an email or xmpp autolink, a mention, an issue reference and an emoji from forming.
Rendered, the text reads as the other views show it.

`Markdown` marks text that is already Markdown; `table` escapes every cell that is not one, so
a caller cannot forget. Every duration comes from `phases.job_figures`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from maxjob.errors import MaxjobError
from maxjob.models import JobInfo, SceneResult
from maxjob.render.phases import glance_parts, job_figures, shown_diagnostics, sub_status_rows
from maxjob.render.sanitize import FIELD_LIMIT, display
from maxjob.render.units import (
    amount,
    binary_bytes,
    core_hours,
    duration,
    gb_hours,
    human_time,
    quota_kind,
)


class Markdown(str):
    """Text that is Markdown already (escaped server text, or maxjob's own markup)."""

    __slots__ = ()


# CommonMark's line endings; any other separator is a control character, shown as an escape.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n]")
# Every ASCII punctuation character: `<`, `>`, `&` as entities (no `<script` even escaped),
# the others backslash-escaped. A table for `str.translate`, which runs in C.
_ESCAPES = {
    **{point: "\\" + chr(point) for point in range(0x21, 0x7F) if not chr(point).isalnum()},
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord("&"): "&amp;",
}
# GitHub reads some things in the text as rendered, where backslash escapes no longer count: an
# email or xmpp autolink (x@host; the GFM extension itself), a mention (@user), an issue
# reference (#123, owner/repo#1) and an emoji (:smile:). A zero-width space after `@` and `#`,
# and after a `:` before a word, breaks each; rendered, the text reads the same.
_ZWSP = "&#8203;"
_ESCAPES[ord("@")] = "\\@" + _ZWSP
_ESCAPES[ord("#")] = "\\#" + _ZWSP
# (`+`, `_`, `-` come escaped.) Not before two digits alone, as in a time (`14:07:53`): no emoji
# is named so, and a time copied from the rendered text must not hold an invisible character.
_COLON_WORD = re.compile(r"\\:(?!\d\d(?![0-9A-Za-z]))(?=\\?[A-Za-z0-9+_-])")
# Where a cell may break its line: our own `<br>`, and nothing the server sent.
BREAK = Markdown("<br>")


def escape(text: str | None, *, multiline: bool = False, limit: int = FIELD_LIMIT) -> Markdown:
    """`text` as inert Markdown on one line: safe in a table cell, a heading or a paragraph.

    With `multiline`, its lines are kept, joined by `<br>` (a table cell cannot hold a line
    break); without, line breaks become spaces. Tabs become spaces.
    """
    if text is None:
        return Markdown("")
    if multiline:
        shown = display(_LINE_BREAKS.sub("\n", text), multiline=True, limit=limit)
        lines = (line.strip() for line in shown.replace("\t", " ").split("\n"))
        return Markdown(BREAK.join(_escape_punctuation(line) for line in lines if line))
    shown = display(_LINE_BREAKS.sub(" ", text), limit=limit)
    return Markdown(_escape_punctuation(shown))


def _escape_punctuation(text: str) -> str:
    escaped = text.translate(_ESCAPES)
    return _COLON_WORD.sub(lambda _: "\\:" + _ZWSP, escaped) if ":" in text else escaped


Cell = str | Markdown


def cell(value: Cell) -> Markdown:
    """A table cell: `Markdown` as it is (on one line), anything else escaped."""
    if isinstance(value, Markdown):
        return Markdown(value.replace("\r", " ").replace("\n", " "))
    return escape(value)


def table(headers: Sequence[Cell], rows: Iterable[Sequence[Cell]], align: str = "") -> Markdown:
    """A GitHub table: a header row, the delimiter row, one row per item. Cells that are not
    `Markdown` are escaped; a short row is padded. `align` has a letter per column, `l` or `r`
    (default: left)."""
    width = len(headers)
    if width == 0:
        raise ValueError("a table needs at least one column")
    delimiters = ["---:" if align[i : i + 1] == "r" else "---" for i in range(width)]
    lines = [_row([cell(h) for h in headers]), _row(delimiters)]
    for row in rows:
        if len(row) > width:
            raise ValueError(f"a row of {len(row)} cells in a table of {width} columns")
        cells = [cell(value) for value in row]
        lines.append(_row(cells + [Markdown("")] * (width - len(cells))))
    return Markdown("\n".join(lines) + "\n")


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def heading(level: int, *parts: Cell) -> Markdown:
    """`### ` and the parts (escaped unless `Markdown`), space-separated."""
    return Markdown("#" * level + " " + " ".join(p for p in map(cell, parts) if p))


def bold(text: Cell) -> Markdown:
    """`**text**` (nothing when the text is empty)."""
    inner = cell(text)
    return Markdown(f"**{inner}**") if inner else Markdown("")


# -- one job: `info -o markdown`, the step summary of `watch` --------------------------------


def status_words(job: JobInfo) -> str:
    """`terminated (failed)`, `running`: the status, and the outcome where it says more."""
    status = display(job.status) or "unknown"
    outcome = job.outcome
    if outcome is not None and outcome.value != job.normalised_status:
        return f"{status} ({outcome.value})"
    return status


def _when(moment: datetime | None, utc: bool) -> Markdown:
    return Markdown(human_time(moment, utc=utc)) if moment is not None else Markdown("")


def job_section(job: JobInfo, *, utc: bool, now: datetime | None = None, level: int = 3) -> str:
    """One job: a heading (id and outcome or status), the line at a glance, its essentials as a
    table, then its diagnostics and its substatuses as tables."""
    figures = job_figures(job, now)
    outcome = job.outcome
    state = outcome.value if outcome is not None else display(job.status) or "unknown"
    parts = [heading(level, job.instance_id or "(no instance id)", Markdown("·"), state), ""]
    # maxjob's own figures ("took 26m 11s · 80% of it waiting") as they are; a diagnosis the
    # service wrote (an unfinished job's) escaped.
    own, quoted = glance_parts(job, figures=figures)
    glance = [*own, escape(quoted)] if quoted else own
    if glance:
        parts += [" · ".join(glance), ""]
    current = job.current_sub_status
    substatus = ""
    if current is not None:
        code = f" ({current.code})" if current.code is not None else ""
        substatus = f"{display(current.description)}{code}".strip()
    quota = " ".join(
        x for x in (display(job.quota_nickname), _paren(quota_kind(job.quota_type))) if x
    )
    cost = ", ".join(
        text
        for text in (
            f"{amount(core_hours(job.cu_usage))} core-hours" if job.cu_usage is not None else "",
            f"{amount(gb_hours(job.memory_usage))} GB-hours"
            if job.memory_usage is not None
            else "",
        )
        if text
    )
    facts: list[tuple[str, Cell]] = [
        ("Status", status_words(job)),
        ("Substatus", substatus),
        ("Project", job.project or ""),
        ("Owner", job.job_owner or ""),
        ("Quota", quota),
        ("Submitted", _when(job.submitted_at, utc)),
        ("Started", _when(job.running_at, utc)),
        ("Ended", _when(figures.ended, utc)),
        ("Waited", Markdown(duration(figures.waited))),
        ("Ran", Markdown(duration(figures.ran))),
        ("Total", Markdown(duration(figures.total))),
        ("Cost", Markdown(cost)),
        ("Input", Markdown(binary_bytes(job.input_bytes))),
    ]
    shown = [(key, value) for key, value in facts if cell(value)]
    parts.append(table(("Field", "Value"), shown))
    scenes, more = shown_diagnostics(job)
    if scenes:
        parts += [bold("Diagnostics"), "", diagnostics_table(scenes)]
        if more:
            parts += ["", more, ""]
    rows = sub_status_rows(job, utc=utc, figures=figures)
    if rows:
        substatuses = table(
            ("Started", "For", "Code", "Description"),
            ((_own_time(r.started), Markdown(r.lasted), r.code, r.description) for r in rows),
            align="lrrl",
        )
        parts += [bold("Substatuses"), ""]
        if figures.sub_statuses_left_out is not None:
            parts += [figures.sub_statuses_left_out, ""]
        parts.append(substatuses)
    return "\n".join(parts)


# A time as maxjob writes it (`2025-11-30 02:00:00 UTC`, `...+08:00`, RFC 3339): nothing in it
# that Markdown reads, so it goes in as it is; a substatus time the service sent unparsed does not.
_OWN_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?(?: ?(?:UTC|Z|[+-]\d\d:?\d\d))?")


def _own_time(text: str) -> Cell:
    return Markdown(text) if _OWN_TIME.fullmatch(text) else text


def _paren(text: str | None) -> str:
    shown = display(text)
    return f"({shown})" if shown else ""


def diagnostics_table(scenes: Sequence[SceneResult]) -> Markdown:
    """Type, scene (and tag), and the summary in bold over the description and parameters."""
    rows = []
    for scene in scenes:
        name = " / ".join(x for x in (display(scene.scene), display(scene.scene_tag)) if x)
        details = [
            bold(escape(scene.summary)),
            escape(scene.description, multiline=True),
            *(escape(f"{key}: {value}") for key, value in scene.params),
        ]
        rows.append(
            (display(scene.type) or "note", name, Markdown(BREAK.join(d for d in details if d)))
        )
    return table(("Type", "Diagnosis", "Details"), rows)


def error_section(instance_id: str, error: MaxjobError, *, level: int = 3) -> str:
    """An ID that could not be read, in its place: its message, code and request id."""
    facts = [
        ("Error", error.message),
        ("Code", error.code or ""),
        ("Request id", error.request_id or ""),
    ]
    rows = [(key, value) for key, value in facts if value]
    return "\n".join(
        [heading(level, instance_id, Markdown("·"), "error"), "", table(("Field", "Value"), rows)]
    )


def section(instance_id: str, result: JobInfo | MaxjobError, *, utc: bool) -> str:
    """One job or its error, as `info -o markdown` shows it."""
    if isinstance(result, MaxjobError):
        return error_section(instance_id, result)
    return job_section(result, utc=utc)


# -- several jobs as they ended: `wait -o markdown`, its step summary ---------------------------


class Ended(Protocol):
    """A job as a wait ended it (`maxjob.commands.wait.Waited` is one)."""

    @property
    def instance_id(self) -> str: ...

    @property
    def job(self) -> JobInfo | None: ...

    @property
    def error(self) -> MaxjobError | None: ...

    @property
    def word(self) -> str:
        """succeeded, failed, cancelled, timed out, error or not waited for."""
        ...


class JobEnd(NamedTuple):
    """An `Ended` made by hand (the one job of `watch`)."""

    instance_id: str
    word: str
    job: JobInfo | None = None
    error: MaxjobError | None = None


# Which diagnostic speaks first: the most severe, then the API's order.
_SEVERITY = {"critical": 0, "fatal": 0, "error": 0, "warning": 1, "warn": 1}


def first_diagnostic(job: JobInfo) -> str:
    """The first diagnostic's summary (or description), the most severe first, else the last
    substatus: why it ended as it did, in the API's words (raw: the caller escapes it for where
    it goes)."""
    ranked = sorted(
        job.scene_results, key=lambda s: _SEVERITY.get((s.type or "").strip().lower(), 2)
    )
    for scene in ranked:
        text = (scene.summary or "").strip() or (scene.description or "").strip()
        if text:
            return text
    current = job.current_sub_status
    return (current.description or "").strip() if current is not None else ""


def tally_document(title: Cell, ended: Sequence[Ended], *, now: datetime | None = None) -> str:
    """A heading (`title`, e.g. the tally), a table of the jobs (id, outcome, status, running
    time, and the first diagnostic of those that did not succeed), then the errors with their
    code and request id."""
    rows: list[Sequence[Cell]] = []
    errors: list[Sequence[Cell]] = []
    for item in ended:
        job, error = item.job, item.error
        ran = Markdown(duration(job_figures(job, now).ran)) if job is not None else Markdown("")
        status = display(job.status) if job is not None else ""
        if error is not None:
            detail = error.message
            errors.append(
                (item.instance_id, error.code or "", error.request_id or "", error.message)
            )
        elif job is not None and item.word != "succeeded":
            detail = first_diagnostic(job)
        else:
            detail = ""
        rows.append((item.instance_id, item.word, status, ran, detail))
    parts = [
        heading(3, title),
        "",
        table(("Job", "Outcome", "Status", "Ran", "Details"), rows, align="lllrl"),
    ]
    if errors:
        parts += [bold("Errors"), "", table(("Job", "Code", "Request id", "Message"), errors)]
    return "\n".join(parts)
