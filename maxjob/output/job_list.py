"""Writers of a list of jobs (`list`), one per format, each taking the API's items a batch at a
time as the pages arrive (`write`: one write and one flush a page, not one a job), then `finish`.

`json` streams one array of the items exactly as returned (with `--jq`, the program sees the
whole array); `jsonl` one compact item a line; `plain` one tab-separated line per job, no header;
`csv` RFC 4180 with a header of the API's field names; `table` rows fitted to the terminal, their
widths decided by the first page, and a footer of how many of how many are shown. Only `table`
imports rich. Nothing but the ids seen is kept (for the dedup): memory is flat in the jobs.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from maxjob.output.formats import Format, emit_json
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams
from maxjob.render.text import to_json

if TYPE_CHECKING:
    from maxjob.listing import Tally
    from maxjob.render.job_list import JobRow
    from maxjob.render.list_table import Layout

FORMATS = ("table", "plain", "json", "jsonl", "csv")


class ListWriter(Protocol):
    def write(self, items: list[dict[str, Any]]) -> None: ...

    def finish(self, tally: Tally) -> None: ...


class JsonListWriter:
    """`json`: one array, streamed item by item; `--jq` gets the whole array at the end."""

    def __init__(self, streams: Streams, jq: JqProgram | None) -> None:
        self.streams, self.jq = streams, jq
        self.count = 0
        self.collected: list[Any] = []

    def write(self, items: list[dict[str, Any]]) -> None:
        if self.jq is not None:
            self.collected.extend(items)
            return
        parts = []
        for item in items:
            parts.append("[\n  " if self.count == 0 else ",\n  ")
            parts.append(to_json(item).replace("\n", "\n  "))
            self.count += 1
        self.streams.write("".join(parts))

    def finish(self, tally: Tally) -> None:
        if self.jq is not None:
            emit_json(self.streams, self.collected, self.jq, compact=False)
        else:
            self.streams.write("\n]\n" if self.count else "[]\n")


class JsonlListWriter:
    """`jsonl`: one compact item a line, as it arrives: the text the service sent for it when
    that is compact ASCII JSON without escapes (`strict_json.Verbatim`), else encoded again."""

    def __init__(self, streams: Streams, jq: JqProgram | None) -> None:
        self.streams, self.jq = streams, jq

    def write(self, items: list[dict[str, Any]]) -> None:
        if self.jq is not None:
            for item in items:
                emit_json(self.streams, item, self.jq, compact=True)
            return
        if items:
            lines = [getattr(item, "text", None) or to_json(item, compact=True) for item in items]
            self.streams.write("\n".join(lines) + "\n")

    def finish(self, tally: Tally) -> None:
        pass


class PlainListWriter:
    """`plain`: `job_list.PLAIN_COLUMNS`, tab-separated, one line per job."""

    def __init__(self, streams: Streams, now: datetime) -> None:
        self.streams, self.now = streams, now

    def write(self, items: list[dict[str, Any]]) -> None:
        from maxjob.render.job_list import job_row, plain_line

        rows = (job_row(item, self.now, uncut=True) for item in items)
        self.streams.write("".join(plain_line(row) + "\n" for row in rows))

    def finish(self, tally: Tally) -> None:
        pass


class CsvListWriter:
    """`csv`: RFC 4180 (CRLF line ends, quotes where needed), a header row of the API's field
    names before the first job (none when no job matched)."""

    def __init__(self, streams: Streams) -> None:
        import csv

        self.streams = streams
        self.buffer = io.StringIO()
        self.csv = csv.writer(self.buffer, lineterminator="\r\n")
        self.started = False

    def write(self, items: list[dict[str, Any]]) -> None:
        from maxjob.render.job_list import CSV_FIELDS, csv_cells

        if not self.started:
            self.csv.writerow(CSV_FIELDS)
            self.started = True
        self.csv.writerows(csv_cells(item) for item in items)
        self.streams.write(self.buffer.getvalue())
        self.buffer.seek(0)
        self.buffer.truncate()

    def finish(self, tally: Tally) -> None:
        pass


class TableListWriter:
    """`table`: a header and one line per job, fitted to the terminal; the widths come from the
    first `sample` jobs (a page), held back until then; a footer at the end."""

    def __init__(
        self,
        streams: Streams,
        now: datetime,
        *,
        utc: bool,
        sample: int,
        sorted_by: Collection[str] = (),
        more: bool = True,
    ) -> None:
        self.streams, self.now, self.utc = streams, now, utc
        self.sample, self.sorted_by = max(1, sample), sorted_by
        self.more = more  # whether rows may come after the first `sample`
        self.console = streams.console()
        self.waiting: list[JobRow] = []
        self.shape: Layout | None = None

    def write(self, items: list[dict[str, Any]]) -> None:
        from maxjob.render.job_list import job_row

        rows = [job_row(item, self.now) for item in items]
        if self.shape is None:
            self.waiting.extend(rows)
            if len(self.waiting) >= self.sample:
                self._start(more=self.more)
            return
        self._print(rows)

    def _start(self, *, more: bool) -> None:
        from maxjob.render.list_table import header_line, layout

        self.shape = layout(
            self.waiting, self.console.width, utc=self.utc, sorted_by=self.sorted_by, more=more
        )
        self.console.print(header_line(self.shape), no_wrap=True, overflow="ellipsis")
        self._print(self.waiting)
        self.waiting = []

    def _print(self, rows: list[JobRow]) -> None:
        from rich.text import Text

        from maxjob.render.list_table import row_line

        assert self.shape is not None
        if rows:
            lines = Text("\n").join(row_line(row, self.shape) for row in rows)
            self.console.print(lines, no_wrap=True, overflow="ellipsis")

    def finish(self, tally: Tally) -> None:
        if self.shape is None and self.waiting:
            self._start(more=False)
        if tally.shown:
            from maxjob.render.job_list import footer
            from maxjob.render.list_table import footer_line

            text = footer(tally)
            self.console.print(footer_line(text), no_wrap=True, overflow="ellipsis")


def writer(
    fmt: Format,
    streams: Streams,
    *,
    jq: JqProgram | None,
    now: datetime,
    utc: bool,
    sample: int,
    sorted_by: Collection[str] = (),
    more: bool = True,
) -> ListWriter:
    """The writer of a list of jobs in `fmt` (`table`: its widths come from the first `sample`
    jobs; `more`: others may follow them)."""
    if fmt.name == "json":
        return JsonListWriter(streams, jq)
    if fmt.name == "jsonl":
        return JsonlListWriter(streams, jq)
    if fmt.name == "plain":
        return PlainListWriter(streams, now)
    if fmt.name == "csv":
        return CsvListWriter(streams)
    return TableListWriter(streams, now, utc=utc, sample=sample, sorted_by=sorted_by, more=more)
