"""`maxjob watch` and `maxjob wait`: poll jobs until they finish and exit with their outcome.

`watch` follows one job: a live view on a terminal, one appended line per change otherwise (or one
JSON object per change with `-o jsonl`), then the final job. `wait` has no view: it polls every job
with bounded concurrency until all (or, with `--any`, one) have finished, or `--fail-fast` sees a
failure, then prints a line per job and a tally. Exit status: 0 succeeded, 3 failed, 7 cancelled,
124 timed out, or the error's own; the worst wins.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from maxjob import ids
from maxjob.errors import MaxjobError, UsageError
from maxjob.models import JobInfo, Outcome
from maxjob.output import Streams, worst_exit_code
from maxjob.present import JqProgram, Presenter, pick_format
from maxjob.render import text
from maxjob.render.sanitize import display
from maxjob.render.units import duration, rfc3339
from maxjob.session import ConnectionOptions, open_client

if TYPE_CHECKING:
    from maxjob.client import MaxComputeClient

EXIT_BY_OUTCOME = {Outcome.SUCCEEDED: 0, Outcome.FAILED: 3, Outcome.CANCELLED: 7}
TIMEOUT_EXIT = 124
JITTER = 0.1


@dataclass(frozen=True)
class FollowOptions:
    refs: tuple[str, ...]
    output: str | None = None
    jq: str | None = None
    utc: bool = False
    interval: float = 5.0
    timeout: float = 3600.0
    any: bool = False
    fail_fast: bool = False
    concurrency: int = 8
    connection: ConnectionOptions = field(default_factory=ConnectionOptions)


@dataclass
class Clock:
    """Time, sleep and jitter, injectable so tests run fast and exactly."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    uniform: Callable[[float, float], float] = random.uniform

    def interval(self, base: float) -> float:
        return base * self.uniform(1 - JITTER, 1 + JITTER)


def _check(options: FollowOptions) -> None:
    if not options.interval > 0:
        raise UsageError("--interval must be more than 0 seconds")
    if options.timeout < 0:
        raise UsageError("--timeout cannot be negative (0 checks once)")


def warn_unknown_status(streams: Streams, instance_id: str, job: JobInfo, warned: set[str]) -> None:
    """Say once per status that an unknown status is treated as not finished."""
    if not job.is_status_known and job.normalised_status not in warned:
        warned.add(job.normalised_status)
        streams.warn(
            f"{instance_id}: unknown status {display(job.status)!r}; treated as not finished"
        )


def change_key(job: JobInfo) -> tuple[str, int | None, str]:
    current = job.current_sub_status
    return (
        job.normalised_status,
        current.code if current else None,
        display(current.description) if current else "",
    )


def change_line(job: JobInfo, when: datetime) -> str:
    """`<RFC 3339 time>  <status>  <substatus code> <description>`."""
    status = display(job.status) or "unknown"
    if job.outcome is not None and job.outcome.value != job.normalised_status:
        status = f"{status} ({job.outcome.value})"
    current = job.current_sub_status
    sub = ""
    if current is not None:
        code = "" if current.code is None else str(current.code)
        sub = f"{code} {display(current.description)}".strip()
    return f"{rfc3339(when.replace(microsecond=0))}  {status}  {sub}".rstrip()


class Watcher:
    """Polls one job and reports each change."""

    def __init__(
        self,
        client: MaxComputeClient,
        instance_id: str,
        options: FollowOptions,
        streams: Streams,
        clock: Clock,
    ) -> None:
        self.client = client
        self.instance_id = instance_id
        self.options = options
        self.streams = streams
        self.clock = clock
        self.started = clock.monotonic()
        self.deadline = self.started + options.timeout
        self.last: JobInfo | None = None
        self._warned_status: set[str] = set()

    def poll(self) -> JobInfo:
        s = self.client.settings
        one_attempt = s.connect_timeout + s.read_timeout
        deadline = max(self.deadline, self.clock.monotonic() + one_attempt)
        job = self.client.get_job_info(self.instance_id, deadline=deadline)
        warn_unknown_status(self.streams, self.instance_id, job, self._warned_status)
        self.last = job
        return job

    def remaining(self) -> float:
        return self.deadline - self.clock.monotonic()

    def elapsed(self) -> float:
        return self.clock.monotonic() - self.started


def run_watch(options: FollowOptions, streams: Streams, clock: Clock | None = None) -> int:
    """Follow one job to its end; return the exit status."""
    _check(options)
    clock = clock or Clock()
    ref = ids.parse_ref(options.refs[0])
    jq = JqProgram(options.jq) if options.jq else None
    fmt = pick_format(options.output, streams, jq is not None)
    utc = options.utc or not streams.out_is_terminal
    with open_client(
        options.connection, streams, pool_size=1, fallback_region=ref.region
    ) as client:
        try:
            job = watch_job(client, ref.instance_id, options, streams, clock, fmt=fmt, jq=jq)
        except KeyboardInterrupt:
            streams.message(f"maxjob: interrupted; resume with: maxjob watch {ref.instance_id}")
            return 130
        presenter = Presenter(streams, fmt, utc=utc, jq=jq)
        if fmt != "jsonl":
            presenter.show(ref.instance_id, job)
        if job.outcome is None:
            streams.message(
                f"maxjob: error: timed out after {duration(options.timeout)}: job "
                f"{ref.instance_id} is still {display(job.status) or 'unfinished'}"
            )
            return TIMEOUT_EXIT
        return EXIT_BY_OUTCOME[job.outcome]


def watch_job(
    client: MaxComputeClient,
    instance_id: str,
    options: FollowOptions,
    streams: Streams,
    clock: Clock,
    *,
    fmt: str,
    jq: JqProgram | None = None,
) -> JobInfo:
    """Poll until the job finishes or the timeout passes, showing progress; the last state."""
    watcher = Watcher(client, instance_id, options, streams, clock)
    if streams.out_is_terminal and fmt in ("table", "timeline"):
        return _watch_live(watcher, options.utc or False)
    return _watch_lines(watcher, fmt, jq)


def _watch_lines(watcher: Watcher, fmt: str, jq: JqProgram | None) -> JobInfo:
    """One line (or JSON object) per change, flushed as it happens."""
    streams = watcher.streams
    to_stdout = fmt in ("plain", "table", "timeline")
    previous: tuple[str, int | None, str] | None = None
    while True:
        job = watcher.poll()
        key = change_key(job)
        if key != previous:
            previous = key
            if fmt == "jsonl":
                value = job.raw
                lines = jq.lines(value) if jq else [text.to_json(value, compact=True)]
                streams.write("".join(line + "\n" for line in lines))
            elif to_stdout:
                streams.write(change_line(job, datetime.now(UTC)) + "\n")
            else:
                streams.message(change_line(job, datetime.now(UTC)))
        if job.is_finished or watcher.remaining() <= 0:
            if to_stdout:
                streams.write("\n")
            return job
        watcher.clock.sleep(
            min(watcher.clock.interval(watcher.options.interval), watcher.remaining())
        )


def _watch_live(watcher: Watcher, utc: bool) -> JobInfo:
    """A view updated in place, with the elapsed time ticking between polls."""
    from rich.live import Live

    from maxjob.render.live import live_view

    console = watcher.streams.console()
    job = watcher.poll()
    with Live(console=console, refresh_per_second=4, transient=True) as view:

        def show(next_poll: float) -> None:
            elapsed = watcher.elapsed()
            view.update(
                live_view(
                    job, utc=utc, watched_for=elapsed, next_poll=next_poll, width=console.width
                )
            )

        while True:
            show(0.0)
            if job.is_finished or watcher.remaining() <= 0:
                return job
            wait = min(watcher.clock.interval(watcher.options.interval), watcher.remaining())
            until = watcher.clock.monotonic() + wait
            while (left := until - watcher.clock.monotonic()) > 0:
                show(left)
                watcher.clock.sleep(min(0.25, left))
            job = watcher.poll()


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
        if self.job is None or self.job.outcome is None:
            return TIMEOUT_EXIT
        return EXIT_BY_OUTCOME[self.job.outcome]

    @property
    def word(self) -> str:
        if self.error is not None:
            return "error"
        if self.job is not None and self.job.outcome is not None:
            return self.job.outcome.value
        return "timed out" if self.timed_out else "not waited for"


def run_wait(
    options: FollowOptions,
    streams: Streams,
    stdin: TextIO | None = None,
    clock: Clock | None = None,
) -> int:
    """Block until every job (or the first, with --any) finishes; return the exit status."""
    _check(options)
    if options.any and options.fail_fast:
        raise UsageError("--any and --fail-fast cannot be used together")
    clock = clock or Clock()
    refs = list(ids.expand(options.refs, stdin or sys.stdin, ids.stdin_prompt(streams.message)))
    if not refs:
        raise UsageError("give at least one instance id (or - to read them from stdin)")
    jq = JqProgram(options.jq) if options.jq else None
    fmt = options.output or ("json" if jq else "plain")
    if jq and fmt not in ("json", "jsonl"):
        raise UsageError("--jq works with -o json or -o jsonl")
    if fmt in ("table", "timeline"):
        raise UsageError("wait shows no view: use -o plain, json or jsonl (or maxjob watch)")
    jobs = {ref.instance_id: Waited(ref.instance_id) for ref in refs}
    order = list(jobs)
    started = clock.monotonic()
    deadline = started + options.timeout
    pool = min(options.concurrency, max(len(order), 1))
    with open_client(
        options.connection, streams, pool_size=pool, fallback_region=refs[0].region
    ) as client:
        try:
            _wait_loop(client, jobs, order, options, streams, clock, deadline, fmt, jq)
        except KeyboardInterrupt:
            pending = [i for i in order if not jobs[i].done]
            streams.message(
                "maxjob: interrupted; resume with: maxjob wait "
                + " ".join(pending[:20])
                + (" ..." if len(pending) > 20 else "")
            )
            return 130
    finished = [jobs[i] for i in order]
    if fmt == "json":
        value = [
            text.json_value(w.instance_id, result)
            for w in finished
            if (result := w.result) is not None
        ]
        lines = jq.lines(value) if jq else [text.to_json(value)]
        streams.write("".join(line + "\n" for line in lines))
    counted = [w for w in finished if w.done or w.timed_out]
    streams.message("maxjob: " + tally(finished))
    return worst_exit_code([w.exit_code for w in counted]) if counted else TIMEOUT_EXIT


def tally(waited: list[Waited]) -> str:
    """`3 succeeded, 1 failed, 1 cancelled` (only the words that occur, in a fixed order)."""
    words = ["succeeded", "failed", "cancelled", "timed out", "error", "not waited for"]
    counts = {word: sum(1 for w in waited if w.word == word) for word in words}
    parts = [
        f"{n} {word}" if word != "error" else f"{n} error{'s' if n > 1 else ''}"
        for word, n in counts.items()
        if n
    ]
    return ", ".join(parts) or "no jobs"


def _wait_loop(
    client: MaxComputeClient,
    jobs: dict[str, Waited],
    order: list[str],
    options: FollowOptions,
    streams: Streams,
    clock: Clock,
    deadline: float,
    fmt: str,
    jq: JqProgram | None,
) -> None:
    warned: set[str] = set()
    while True:
        pending = [i for i in order if not jobs[i].done]
        for instance_id, result in client.get_many(pending, concurrency=options.concurrency):
            waited = jobs[instance_id]
            if isinstance(result, MaxjobError):
                waited.error = result
                streams.error(result, prefix=f"{instance_id}: ")
            else:
                waited.job = result
                warn_unknown_status(streams, instance_id, result, warned)
            if waited.done:
                _report(waited, streams, fmt, jq)
        finished = [jobs[i] for i in order if jobs[i].done]
        if options.any and finished:
            return
        if options.fail_fast and any(w.exit_code != 0 for w in finished):
            return
        if len(finished) == len(order):
            return
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            for instance_id in order:
                if not jobs[instance_id].done:
                    jobs[instance_id].timed_out = True
                    _report(jobs[instance_id], streams, fmt, jq)
            return
        clock.sleep(min(clock.interval(options.interval), remaining))


def _report(waited: Waited, streams: Streams, fmt: str, jq: JqProgram | None) -> None:
    """A finished (or timed-out) job as soon as it is known: a line in plain, an object in jsonl."""
    if fmt == "plain":
        status = display(waited.job.status) if waited.job else ""
        detail = waited.error.one_line() if waited.error else status
        streams.write(f"{display(waited.instance_id)}\t{waited.word}\t{display(detail)}\n")
    elif fmt == "jsonl":
        result = waited.result
        if result is None:
            return
        value = text.json_value(waited.instance_id, result)
        lines = jq.lines(value) if jq else [text.to_json(value, compact=True)]
        streams.write("".join(line + "\n" for line in lines))
