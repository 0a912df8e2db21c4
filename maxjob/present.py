"""Writing jobs in the chosen output format, one at a time, in the order given.

`json` with several jobs streams one array; `jsonl` one object a line; `plain` blocks separated by a
blank line; `table` and `timeline` rich renderings (imported only then). `--jq` filters the JSON.
"""

from __future__ import annotations

from typing import Any

from maxjob.errors import MaxjobError, UsageError
from maxjob.models import JobInfo
from maxjob.output import Streams
from maxjob.render import text


class JqProgram:
    """A compiled jq program; strings come out raw, like `jq -r`."""

    def __init__(self, expression: str) -> None:
        try:
            import jq
        except ImportError:
            raise UsageError(
                "--jq needs the jq package, which installs with maxjob: pip install jq"
            ) from None
        try:
            self._program = jq.compile(expression)
        except ValueError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "syntax error"
            raise UsageError(f"--jq: {first}") from None

    def lines(self, value: Any) -> list[str]:
        try:
            results = self._program.input_value(value).all()
        except ValueError as exc:
            raise MaxjobError(f"--jq: {str(exc).splitlines()[0] if str(exc) else exc}") from None
        return [r if isinstance(r, str) else text.to_json(r) for r in results]


def pick_format(requested: str | None, streams: Streams, jq: bool) -> str:
    """`table` on a terminal, `plain` otherwise; `json` when `--jq` is given."""
    if jq:
        if requested not in (None, "json", "jsonl"):
            raise UsageError("--jq works with -o json or -o jsonl")
        return requested or "json"
    if requested:
        return requested
    return "table" if streams.out_is_terminal else "plain"


class Presenter:
    """Writes each job (or its error) as it arrives."""

    def __init__(
        self,
        streams: Streams,
        fmt: str,
        *,
        utc: bool = False,
        jq: JqProgram | None = None,
        many: bool = False,
    ) -> None:
        self.streams = streams
        self.fmt = fmt
        self.utc = utc
        self.jq = jq
        self.many = many
        self._count = 0
        self._collected: list[Any] = []

    def show(self, instance_id: str, result: JobInfo | MaxjobError) -> None:
        index, self._count = self._count, self._count + 1
        if isinstance(result, MaxjobError):
            self.streams.error(result, prefix=f"{instance_id}: " if self.many else "")
            if not self.many:
                return
        out = self.streams
        if self.fmt in ("json", "jsonl"):
            value = text.json_value(instance_id, result)
            if self.fmt == "jsonl":
                self._emit(value, compact=True)
            elif self.many and self.jq is not None:
                self._collected.append(value)
            elif self.many:
                body = text.to_json(value).replace("\n", "\n  ")
                out.write(("[\n  " if index == 0 else ",\n  ") + body)
            else:
                self._emit(value, compact=False)
            return
        if self.fmt == "plain":
            out.write(("\n" if index else "") + text.plain(instance_id, result))
            return
        if isinstance(result, MaxjobError):
            from maxjob.render.sanitize import sanitize

            out.write(
                ("\n" if index else "") + f"{sanitize(instance_id)}: error: "
                f"{sanitize(result.one_line())}\n"
            )
            return
        self.rich(result, first=index == 0)

    def rich(self, job: JobInfo, *, first: bool) -> None:
        if self.fmt == "timeline" and not self.streams.out_is_terminal:
            from maxjob.render.timeline import timeline_lines

            self.streams.write(("" if first else "\n") + "\n".join(timeline_lines(job)) + "\n")
            return
        console = self.streams.console()
        if not first:
            console.print()
        if self.fmt == "timeline":
            from maxjob.render.timeline import timeline

            console.print(timeline(job, utc=self.utc, width=console.width))
        else:
            from maxjob.render.table import job_view

            console.print(job_view(job, utc=self.utc, width=console.width))

    def _emit(self, value: Any, *, compact: bool) -> None:
        if self.jq is not None:
            for line in self.jq.lines(value):
                self.streams.write(line + "\n")
        else:
            self.streams.write(text.to_json(value, compact=compact) + "\n")

    def finish(self) -> None:
        """Close what `show` opened (the JSON array of several jobs)."""
        if self.fmt != "json" or not self.many:
            return
        if self.jq is not None:
            self._emit(self._collected, compact=False)
        elif self._count:
            self.streams.write("\n]\n")
        else:
            self.streams.write("[]\n")
