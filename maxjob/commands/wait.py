"""`maxjob wait ID...`: block until every job finishes (no view); the exit status is the worst.

It polls every job with bounded concurrency until all (or, with `--any`, one) have finished, or
`--fail-fast` sees a failure; a line per job as it ends, then a tally on stderr. On a terminal a
status line on stderr says what it is waiting for.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from maxjob import ci, exits, ids
from maxjob.commands.watch import check_timing, resume_hint, warn_unknown_status
from maxjob.errors import MaxjobError, UsageError
from maxjob.models import JobInfo
from maxjob.output import formats
from maxjob.output.files import check_target
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams, is_terminal
from maxjob.polling import Clock, Deadline, poll
from maxjob.render import text
from maxjob.render.sanitize import display
from maxjob.render.units import duration
from maxjob.session import ClientFactory, ConnectionOptions, open_client

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient

FORMATS = ("plain", "json", "jsonl", "markdown")
# On a terminal: the ids' column at most this wide (a longer id pushes its line out), and the
# outcome's ("not waited for").
ID_COLUMN = 40
WORD_COLUMN = 14


class Options(NamedTuple):
    refs: tuple[str, ...]
    output: str | None = None
    jq: str | None = None
    interval: float = 5.0
    timeout: float = 3600.0
    any: bool = False
    fail_fast: bool = False
    concurrency: int = 8
    connection: ConnectionOptions = ConnectionOptions()
    resume: tuple[str, ...] = ()
    # `--junit FILE`: a JUnit XML report of the jobs, written however the wait ends.
    junit: str | None = None


@dataclass
class Waited:
    """One job of `wait`: its last state, or the error that ended its wait."""

    instance_id: str
    job: JobInfo | None = None
    error: MaxjobError | None = None
    timed_out: bool = False

    @property
    def done(self) -> bool:
        return self.error is not None or (self.job is not None and self.job.is_finished)

    @property
    def result(self) -> JobInfo | MaxjobError | None:
        """The error that ended the wait, else the last state seen (None before any)."""
        return self.error or self.job

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        if self.job is None:
            return exits.ExitCode.TIMED_OUT
        return exits.of_job(self.job, unfinished=exits.ExitCode.TIMED_OUT)

    @property
    def word(self) -> str:
        if self.error is not None:
            return "error"
        if self.job is not None and self.job.outcome is not None:
            return self.job.outcome.value
        return "timed out" if self.timed_out else "not waited for"


def tally(waited: list[Waited]) -> str:
    """`3 succeeded, 1 failed, 1 cancelled` (only the words that occur, in a fixed order)."""
    words = ["succeeded", "failed", "cancelled", "ended", "timed out", "error", "not waited for"]
    counts = {word: sum(1 for w in waited if w.word == word) for word in words}
    parts = [
        f"{n} {word}" if word != "error" else f"{n} error{'s' if n > 1 else ''}"
        for word, n in counts.items()
        if n
    ]
    return ", ".join(parts) or "no jobs"


def run(
    options: Options,
    streams: Streams,
    client_factory: ClientFactory = open_client,
    stdin: TextIO | None = None,
    clock: Clock | None = None,
) -> int:
    """Block until every job (or the first, with --any) finishes; return the exit status."""
    check_timing(options.interval, options.timeout)
    if options.any and options.fail_fast:
        raise UsageError("--any and --fail-fast cannot be used together")
    clock = clock or Clock()
    refs = list(
        ids.expand(
            options.refs, stdin or sys.stdin, ids.stdin_prompt(streams.message), keep_bad=True
        )
    )
    if not refs:
        raise UsageError("give at least one instance id (or - to read them from stdin)")
    jq = JqProgram(options.jq) if options.jq else None
    requested = options.output or ("json" if jq else "plain")
    fmt = formats.choose(requested, FORMATS, streams, jq is not None)
    junit = check_target(options.junit, "--junit") if options.junit is not None else None
    github = ci.github(streams)
    started = datetime.now(UTC)
    jobs: dict[str, Waited] = {}
    for ref in refs:
        if isinstance(ref, ids.BadRef):  # an id that could not be read: an error in place
            jobs.setdefault(ref.text, Waited(ref.text, error=ref.error))
        else:
            jobs.setdefault(ref.instance_id, Waited(ref.instance_id))
    order = list(jobs)
    deadline = Deadline(clock, options.timeout)
    pool = min(options.concurrency, max(len(order), 1))
    region = next((r.region for r in refs if isinstance(r, ids.InstanceRef) and r.region), None)
    with client_factory(
        options.connection, streams, pool_size=pool, fallback_region=region
    ) as client:
        loop = _Loop(client, jobs, order, options, streams, fmt, jq, deadline, github)
        try:
            poll(
                loop.step,
                clock=clock,
                interval=options.interval,
                deadline=deadline,
                idle=loop.idle if is_terminal(streams.err) else None,
            )
        except KeyboardInterrupt:
            streams.clear_status()
            pending = [i for i in order if not jobs[i].done]
            # The command as typed, its IDs replaced by those still pending.
            words = options.resume or ("maxjob", "wait")
            more = ("...",) if len(pending) > 20 else ()
            streams.message(resume_hint((*words, *pending[:20])) + " ".join(("", *more)))
            finished = [jobs[i] for i in order]
            _reports(finished, "interrupted", junit, github, streams, started)
            return exits.ExitCode.INTERRUPTED
        except (SystemExit, BrokenPipeError) as exc:
            # SIGTERM or SIGHUP (how CI runners cancel a job), or stdout's reader gone: the
            # reports still written (they are files), the status kept.
            streams.clear_status()
            note = exits.cut_short(exc)
            _reports([jobs[i] for i in order], note, junit, github, streams, started)
            raise
        streams.clear_status()
        if not loop.ended():
            for instance_id in order:
                if not jobs[instance_id].done:
                    jobs[instance_id].timed_out = True
                    loop.report(jobs[instance_id])
    finished = [jobs[i] for i in order]
    # The files first: a stdout whose reader has gone cannot lose them.
    written = _reports(finished, "", junit, github, streams, started)
    if fmt.name == "json":
        value = [
            text.json_value(w.instance_id, result)
            for w in finished
            if (result := w.result) is not None
        ]
        formats.emit_json(streams, value, jq, compact=False)
    elif fmt.name == "markdown":
        from maxjob.render.markdown import Markdown, tally_document

        # The title is maxjob's own words: Markdown as it is.
        title = Markdown(f"maxjob wait: {tally(finished)}")
        streams.write(tally_document(title, finished))
    counted = [w for w in finished if w.done or w.timed_out]
    streams.message("maxjob: " + tally(finished))
    for w in finished:
        if w.word == "ended":
            streams.message(exits.ended_note(w.instance_id))
    if not counted:
        return exits.with_files(exits.ExitCode.TIMED_OUT, written)
    ended = sum(1 for w in counted if w.word == "ended")
    codes = (w.exit_code for w in counted if w.word != "ended")
    return exits.with_files(exits.worst_outcome(codes, ended), written)


def _reports(
    finished: list[Waited],
    note: str,
    junit: Path | None,
    github: ci.GitHub | None,
    streams: Streams,
    started: datetime,
) -> int:
    """The step summary and the JUnit report, however the wait ended; 1 if the report could not
    be written (said on stderr), else 0."""
    if github is not None:
        from maxjob.render.markdown import Markdown, tally_document

        title = Markdown(f"maxjob wait{f' ({note})' if note else ''}: {tally(finished)}")
        github.summarise(tally_document(title, finished))
    if junit is None:
        return 0
    try:
        ci.write_junit(junit, finished, started=started, streams=streams)
    except MaxjobError as exc:
        streams.error(exc)
        return exc.exit_code
    return 0


class _Loop:
    """One poll of every pending job per step; reports each job as it ends."""

    def __init__(
        self,
        client: MaxComputeClient,
        jobs: dict[str, Waited],
        order: list[str],
        options: Options,
        streams: Streams,
        fmt: formats.Format,
        jq: JqProgram | None,
        deadline: Deadline,
        github: ci.GitHub | None = None,
    ) -> None:
        self.client, self.jobs, self.order, self.options = client, jobs, order, options
        self.deadline = deadline
        self.github = github
        self.streams, self.fmt, self.jq = streams, fmt, jq
        self.warned: set[str] = set()
        # On a terminal the lines are read by a person: columns aligned with spaces (in a pipe,
        # tab-separated, as documented).
        self.id_column = (
            min(ID_COLUMN, max(_cells(display(i)) for i in order))
            if order and streams.out_is_terminal
            else 0
        )
        for waited in jobs.values():
            if waited.error is not None:
                self.streams.error(waited.error, prefix=f"{display(waited.instance_id)}: ")
                self.report(waited)

    def step(self) -> bool:
        pending = [i for i in self.order if not self.jobs[i].done]
        # Polls end with the wait, but each may always take one whole attempt.
        until = max(self.deadline.at, self.deadline.clock.monotonic() + self.client.one_attempt())
        results = self.client.get_many(
            pending, concurrency=self.options.concurrency, deadline=until
        )
        try:
            for instance_id, result in results:
                waited = self.jobs[instance_id]
                if isinstance(result, MaxjobError):
                    waited.error = result
                    self.streams.clear_status()
                    self.streams.error(result, prefix=f"{instance_id}: ")
                else:
                    waited.job = result
                    warn_unknown_status(self.streams, instance_id, result, self.warned)
                if waited.done:
                    self.streams.clear_status()
                    self.report(waited)
        finally:
            results.close()
        return self.ended()

    def ended(self) -> bool:
        finished = [self.jobs[i] for i in self.order if self.jobs[i].done]
        if self.options.any and finished:
            return True
        if self.options.fail_fast and any(w.exit_code != 0 for w in finished):
            return True
        return len(finished) == len(self.order)

    def idle(self, left: float) -> None:
        """On a terminal, one status line on stderr: what it waits for, and for how long."""
        pending = [w for w in (self.jobs[i] for i in self.order) if not w.done]
        if not pending:
            return
        first = pending[0]
        state = display(first.job.status) if first.job else "unknown"
        more = f" and {len(pending) - 1} more" if len(pending) > 1 else ""
        line = (
            f"waiting for {display(first.instance_id)} ({state}){more} · "
            f"next poll in {duration(round(left))} · Ctrl-C to stop"
        )
        self.streams.status(line)

    def report(self, waited: Waited) -> None:
        """A finished (or timed-out) job as soon as it is known: a line in plain, an object in
        jsonl; in GitHub Actions, an annotation when it did not succeed."""
        if self.github is not None:
            self.github.annotate(waited)
        if self.fmt.name == "plain":
            status = display(waited.job.status) if waited.job else ""
            detail = waited.error.one_line() if waited.error else status
            fields = (display(waited.instance_id), waited.word, display(detail))
            if self.id_column:
                pad = " " * max(self.id_column - _cells(fields[0]), 0)
                shown = f"{fields[0]}{pad}  {fields[1]:<{WORD_COLUMN}}  {fields[2]}"
                self.streams.write(shown.rstrip() + "\n")
            else:
                self.streams.write("\t".join(fields) + "\n")
        elif self.fmt.name == "jsonl":
            result = waited.result
            if result is not None:
                value = text.json_value(waited.instance_id, result)
                formats.emit_json(self.streams, value, self.jq, compact=True)


def _cells(text: str) -> int:
    """The columns `text` takes on a terminal (a CJK character takes two)."""
    from rich.cells import cell_len  # (on a terminal only: pipes never pay for rich)

    return cell_len(text)
