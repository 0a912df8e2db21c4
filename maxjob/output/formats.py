"""The output formats: one object per format, looked up by name, and `--jq` wrapped once.

A command declares the formats it accepts (the parser refuses the others) and asks `writer()` for
one; the writer takes jobs one at a time in the order given (`show`), then `finish()`. `json` with
several jobs streams one array; `jsonl` one object a line; `plain` blocks separated by a blank
line; `table` and `timeline` rich renderings (rich imported only then). `--jq` filters the JSON
formats, and what it prints to a terminal is sanitised like every other format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from maxjob.errors import MaxjobError, UsageError
from maxjob.models import JobInfo
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams
from maxjob.render import text


class Format(NamedTuple):
    name: str
    help: str
    is_json: bool = False
    # Drawn with rich for a person (a terminal, or an export).
    is_view: bool = False


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("table", "rich panels (the default on a terminal)", is_view=True),
        Format("plain", "key<TAB>value lines (the default in a pipe)"),
        Format("json", "the API's data object(s), as returned", is_json=True),
        Format("jsonl", "one compact JSON object a line", is_json=True),
        Format("timeline", "substatuses and their durations, as a chart", is_view=True),
        Format("csv", "RFC 4180 with a header of the API's field names (lists of jobs)"),
        Format("markdown", "GitHub-flavoured Markdown tables (a step summary, a PR, a ticket)"),
    )
}
JOB_VIEWS = ("table", "plain", "json", "jsonl", "timeline", "markdown")
# The formats of a list of jobs (`list`; see `maxjob.output.job_list`).
JOB_LISTS = ("table", "plain", "json", "jsonl", "csv")


def choose(requested: str | None, accepted: Sequence[str], streams: Streams, jq: bool) -> Format:
    """The format to use: the one asked for; with `--jq`, JSON; else table on a terminal, plain
    otherwise (or the first accepted one)."""
    if requested is not None and requested not in accepted:
        raise UsageError(f"-o {requested} is not one of {', '.join(accepted)} here")
    if jq:
        if requested is not None and not FORMATS[requested].is_json:
            raise UsageError("--jq works with -o json or -o jsonl")
        return FORMATS[requested or "json"]
    if requested:
        return FORMATS[requested]
    default = "table" if streams.out_is_terminal else "plain"
    return FORMATS[default if default in accepted else accepted[0]]


class JobWriter(Protocol):
    def show(self, instance_id: str, result: JobInfo | MaxjobError) -> None: ...

    def finish(self) -> None: ...


def emit_json(streams: Streams, value: Any, jq: JqProgram | None, *, compact: bool) -> None:
    """One JSON value on stdout, or what `jq` makes of it (sanitised on a terminal)."""
    if jq is None:
        streams.write(text.to_json(value, compact=compact) + "\n")
        return
    lines = jq.lines(value, compact=compact)
    if streams.out_is_terminal:
        from maxjob.render.sanitize import sanitize

        lines = [sanitize(line) for line in lines]
    streams.write("".join(line + "\n" for line in lines))


class JsonWriter:
    """`json`: one object, or (several IDs) one array streamed as the jobs arrive."""

    def __init__(self, streams: Streams, jq: JqProgram | None, many: bool) -> None:
        self.streams, self.jq, self.many = streams, jq, many
        self.count = 0
        self.collected: list[Any] = []

    def show(self, instance_id: str, result: JobInfo | MaxjobError) -> None:
        value = text.json_value(instance_id, result)
        first = self.count == 0
        self.count += 1
        if not self.many:
            emit_json(self.streams, value, self.jq, compact=False)
        elif self.jq is not None:
            self.collected.append(value)
        else:
            body = text.to_json(value).replace("\n", "\n  ")
            self.streams.write(("[\n  " if first else ",\n  ") + body)

    def finish(self) -> None:
        if not self.many:
            return
        if self.jq is not None:
            emit_json(self.streams, self.collected, self.jq, compact=False)
        else:
            self.streams.write("\n]\n" if self.count else "[]\n")


class JsonlWriter:
    """`jsonl`: one compact object a line, as each job arrives."""

    def __init__(self, streams: Streams, jq: JqProgram | None) -> None:
        self.streams, self.jq = streams, jq

    def show(self, instance_id: str, result: JobInfo | MaxjobError) -> None:
        emit_json(self.streams, text.json_value(instance_id, result), self.jq, compact=True)

    def finish(self) -> None:
        pass


class PlainWriter:
    """`plain`: key<TAB>value blocks, a blank line between jobs."""

    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.count = 0

    def show(self, instance_id: str, result: JobInfo | MaxjobError) -> None:
        self.streams.write(("\n" if self.count else "") + text.plain(instance_id, result))
        self.count += 1

    def finish(self) -> None:
        pass


class ViewWriter:
    """`table` and `timeline`: rich renderings on a terminal; the timeline as lines in a pipe."""

    def __init__(self, streams: Streams, name: str, utc: bool) -> None:
        self.streams, self.name, self.utc = streams, name, utc
        self.count = 0
        self.hints: set[str] = set()

    def show(self, instance_id: str, result: JobInfo | MaxjobError) -> None:
        first = self.count == 0
        self.count += 1
        if isinstance(result, MaxjobError):
            from maxjob.render.sanitize import sanitize

            line = f"{sanitize(instance_id)}: error: {sanitize(result.one_line())}"
            if not self.streams.out_is_terminal:
                self.streams.write(("" if first else "\n") + line + "\n")
                return
            from rich.text import Text

            # On a terminal the error is said here only (not on stderr too): so is its hint,
            # once however many jobs it is for; both wrapped between words.
            said = Text(line, style="red")
            if result.hint and result.hint not in self.hints:
                self.hints.add(result.hint)
                said.append(f"\nhint: {sanitize(result.hint)}", style="dim")
            console = self.streams.console()
            if not first:
                console.print()
            console.print(said, overflow="fold")
            return
        if self.name == "timeline" and not self.streams.out_is_terminal:
            from maxjob.render.timeline import timeline_lines

            lines = "\n".join(timeline_lines(result))
            self.streams.write(("" if first else "\n") + lines + "\n")
            return
        console = self.streams.console()
        if not first:
            console.print()
        console.print(view(result, self.name, utc=self.utc, width=console.width))

    def finish(self) -> None:
        pass


class MarkdownWriter:
    """`markdown`: one section per job (or error), one document (`maxjob.render.markdown`)."""

    def __init__(self, streams: Streams, utc: bool) -> None:
        self.streams, self.utc = streams, utc
        self.count = 0

    def show(self, instance_id: str, result: JobInfo | MaxjobError) -> None:
        from maxjob.render.markdown import section

        text = section(instance_id, result, utc=self.utc)
        self.streams.write(("\n" if self.count else "") + text)
        self.count += 1

    def finish(self) -> None:
        pass


def view(job: JobInfo, name: str, *, utc: bool, width: int) -> Any:
    """The rich renderable of a job for the `table` or `timeline` view."""
    if name == "timeline":
        from maxjob.render.timeline import timeline

        return timeline(job, utc=utc, width=width)
    from maxjob.render.table import job_view

    return job_view(job, utc=utc, width=width)


def writer(
    fmt: Format, streams: Streams, *, jq: JqProgram | None, many: bool, utc: bool
) -> JobWriter:
    """The writer of jobs for `fmt`."""
    if fmt.name == "json":
        return JsonWriter(streams, jq, many)
    if fmt.name == "jsonl":
        return JsonlWriter(streams, jq)
    if fmt.name == "plain":
        return PlainWriter(streams)
    if fmt.name == "markdown":
        return MarkdownWriter(streams, utc)
    return ViewWriter(streams, fmt.name, utc)
