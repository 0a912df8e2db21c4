"""`maxjob watch ID`: follow one job until it finishes; the exit status is its outcome.

A live view on a terminal, one appended line per change otherwise (or one JSON object per change
with `-o jsonl`), then the final job in the chosen format.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from maxjob import ci, exits, ids
from maxjob.errors import UsageError
from maxjob.models import JobInfo, Outcome, SubStatus
from maxjob.output import formats
from maxjob.output.files import start_export
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams
from maxjob.polling import Clock, Deadline, poll
from maxjob.render.sanitize import display
from maxjob.render.units import duration, rfc3339
from maxjob.session import ClientFactory, ConnectionOptions, open_client

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient
    from maxjob.output.export import Export

FORMATS = formats.JOB_VIEWS
# At most this many substatuses that came and went between two polls get a line each.
MISSED_LINES = 100


class Options(NamedTuple):
    ref: str
    output: str | None = None
    jq: str | None = None
    utc: bool = False
    # `--export FILE.svg|html`: the final view also saved there, `width` columns wide.
    export: str | None = None
    width: int = 100
    interval: float = 5.0
    timeout: float = 3600.0
    connection: ConnectionOptions = ConnectionOptions()
    # The command line that resumes this watch, for the Ctrl-C hint (the CLI fills it in).
    resume: tuple[str, ...] = ()


def check_timing(interval: float, timeout: float) -> None:
    if not interval > 0:
        raise UsageError("--interval must be more than 0 seconds")
    if timeout < 0:
        raise UsageError("--timeout cannot be negative (0 checks once)")


def warn_unknown_status(streams: Streams, instance_id: str, job: JobInfo, warned: set[str]) -> None:
    """Say once per status that an unknown status is treated as not finished."""
    if not job.is_status_known and job.normalised_status not in warned:
        warned.add(job.normalised_status)
        streams.warn(
            # Quoted as it is shown (not repr: its escapes would be escaped again).
            f"{instance_id}: unknown status '{display(job.status)}'; treated as not finished"
        )


def change_key(job: JobInfo) -> tuple[str, int | None, str]:
    current = job.current_sub_status
    return (
        job.normalised_status,
        current.code if current else None,
        display(current.description) if current else "",
    )


def change_time(job: JobInfo, seen: datetime, new_substatus: bool) -> datetime:
    """When a change happened: the start of the substatus it is for, when it brings a new one
    that says when (and not after the poll `seen` saw it); else `seen`."""
    current = job.current_sub_status
    started = current.start_time if current is not None and new_substatus else None
    return started if started is not None and started <= seen else seen


def change_line(job: JobInfo, when: datetime) -> str:
    """`<RFC 3339 time>  <status>  <substatus code> <description>`."""
    status = display(job.status) or "unknown"
    if job.outcome is not None and job.outcome.value != job.normalised_status:
        status = f"{status} ({job.outcome.value})"
    current = job.current_sub_status
    sub = _sub_text(current) if current is not None else ""
    return f"{rfc3339(when.replace(microsecond=0))}  {status}  {sub}".rstrip()


def _sub_text(sub: SubStatus) -> str:
    """`<code> <description>` of a substatus, as the change lines end."""
    code = "" if sub.code is None else str(sub.code)
    return f"{code} {display(sub.description)}".strip()


def missed_line(sub: SubStatus) -> str:
    """A substatus that began and ended between two polls, from the job's substatus list: its
    start and its code, with `-` for the status (what the job's status was then is not known)."""
    when = rfc3339(sub.start_time.replace(microsecond=0)) if sub.start_time else "-"
    return f"{when}  -  {_sub_text(sub)}".rstrip()


def _identity(sub: SubStatus, position: int) -> tuple[int | None, datetime | int | None]:
    """A substatus across polls: its code and when it started (as a time, however spelt); one
    without a time, by its place in the job's list (which the service appends to). Not its
    description, which may change while it runs (`Running 10%`, then `100%`)."""
    return (sub.code, sub.start_time if sub.start_time is not None else position)


def resume_hint(words: tuple[str, ...]) -> str:
    return "maxjob: interrupted; resume with: " + " ".join(shlex.quote(w) for w in words)


class Watcher:
    """Polls one job until it finishes or the deadline passes, and reports each change."""

    def __init__(
        self,
        client: MaxComputeClient,
        instance_id: str,
        streams: Streams,
        clock: Clock,
        *,
        interval: float,
        timeout: float,
    ) -> None:
        self.client = client
        self.instance_id = instance_id
        self.streams = streams
        self.clock = clock
        self.interval = interval
        self.deadline = Deadline(clock, timeout)
        self.job: JobInfo | None = None
        self._warned: set[str] = set()

    def fetch(self) -> JobInfo:
        # A poll may always take one whole attempt, even when the wait's deadline is near.
        until = max(self.deadline.at, self.clock.monotonic() + self.client.one_attempt())
        job = self.client.get_job_info(self.instance_id, deadline=until)
        warn_unknown_status(self.streams, self.instance_id, job, self._warned)
        self.job = job
        return job

    def follow(
        self,
        on_job: Callable[[JobInfo], None] | None = None,
        idle: Callable[[float], None] | None = None,
    ) -> JobInfo:
        def step() -> bool:
            job = self.fetch()
            if on_job is not None:
                on_job(job)
            return job.is_finished

        poll(step, clock=self.clock, interval=self.interval, deadline=self.deadline, idle=idle)
        assert self.job is not None
        return self.job


def run(
    options: Options,
    streams: Streams,
    client_factory: ClientFactory = open_client,
    clock: Clock | None = None,
) -> int:
    """Follow one job to its end; return the exit status."""
    check_timing(options.interval, options.timeout)
    ref = ids.parse_ref(options.ref)
    jq = JqProgram(options.jq) if options.jq else None
    fmt = formats.choose(options.output, FORMATS, streams, jq is not None)
    utc = options.utc or not streams.out_is_terminal
    saved = start_export(
        options.export, streams, command="maxjob watch", width=options.width, utc=utc, view=fmt.name
    )
    github = ci.github(streams)
    with client_factory(
        options.connection, streams, pool_size=1, fallback_region=ref.region
    ) as client:
        watcher = Watcher(
            client,
            ref.instance_id,
            streams,
            clock or Clock(),
            interval=options.interval,
            timeout=options.timeout,
        )
        try:
            job = follow(watcher, fmt, jq, utc=utc)
        except KeyboardInterrupt:
            streams.message(resume_hint(options.resume or ("maxjob", "watch", ref.instance_id)))
            if watcher.job is not None:  # the last state seen, in the files asked for
                _reports(watcher.job, "interrupted", ref.instance_id, streams, saved, github, utc)
            return exits.ExitCode.INTERRUPTED
        except (SystemExit, BrokenPipeError) as exc:
            # SIGTERM or SIGHUP (how CI cancels a job), or stdout's reader gone: the files
            # still written (a finished job's with its outcome), the status kept.
            last = watcher.job
            if last is not None:
                word = last.outcome.value if last.outcome is not None else exits.cut_short(exc)
                _reports(last, word, ref.instance_id, streams, saved, github, utc)
            raise
    word = job.outcome.value if job.outcome is not None else "timed out"
    # The files first: a stdout whose reader has gone cannot lose them.
    code = _reports(job, word, ref.instance_id, streams, saved, github, utc)
    if fmt.name != "jsonl":
        formats.writer(fmt, streams, jq=jq, many=False, utc=utc).show(ref.instance_id, job)
    if job.outcome is None:
        streams.message(
            f"maxjob: error: timed out after {duration(options.timeout)}: job "
            f"{ref.instance_id} is still {display(job.status) or 'unfinished'}"
        )
        return exits.with_files(exits.ExitCode.TIMED_OUT, code)
    if job.outcome is Outcome.ENDED:
        streams.message(exits.ended_note(ref.instance_id))
    return exits.with_files(exits.of_job(job), code)


def _reports(
    job: JobInfo,
    word: str,
    instance_id: str,
    streams: Streams,
    saved: Export | None,
    github: ci.GitHub | None,
    utc: bool,
) -> int:
    """The annotation, step summary and export of the watched job; 1 if the export could not
    be written (said on stderr), else 0."""
    if github is not None:
        from maxjob.render.markdown import JobEnd, job_section

        github.annotate(JobEnd(instance_id, word, job))
        github.summarise(job_section(job, utc=True))
    if saved is None:
        return 0
    saved.add(instance_id, job)
    return saved.finish(streams)


def follow(watcher: Watcher, fmt: formats.Format, jq: JqProgram | None, *, utc: bool) -> JobInfo:
    """Poll until the job finishes or the timeout passes, showing progress; the last state."""
    if watcher.streams.out_is_terminal and fmt.is_view:
        return _follow_live(watcher, utc)
    return _follow_lines(watcher, fmt, jq)


def _follow_lines(watcher: Watcher, fmt: formats.Format, jq: JqProgram | None) -> JobInfo:
    """One line (or JSON object) per change, flushed as it happens."""
    streams = watcher.streams
    to_stdout = fmt.name in ("plain", "table", "timeline")
    previous: list[tuple[str, int | None, str]] = []
    # The substatuses seen so far: those of the first poll, then every one shown.
    seen: set[tuple[int | None, datetime | int | None]] = set()

    def emit(line: str) -> None:
        if to_stdout:
            streams.write(line + "\n")
        else:
            streams.message(line)

    def on_job(job: JobInfo) -> None:
        place = {id(sub): index for index, sub in enumerate(job.sub_statuses)}
        known = [(sub, _identity(sub, place[id(sub)])) for sub in job.sub_statuses_in_order]
        missed = 0
        if previous and fmt.name != "jsonl":
            # Substatuses that began and ended between two polls: a line each, in order.
            for sub, identity in known[-MISSED_LINES - 1 : -1]:
                if identity not in seen:
                    emit(missed_line(sub))
                    missed += 1
        seen.update(identity for _, identity in known)
        key = change_key(job)
        if previous and previous[-1] == key and not missed:
            # (After a missed line the current state is said again: the job came back to it.)
            return
        new_substatus = not previous or previous[-1][1:] != key[1:]
        previous[:] = [key]
        if fmt.name == "jsonl":
            formats.emit_json(streams, job.raw, jq, compact=True)
            return
        emit(change_line(job, change_time(job, datetime.now(UTC), new_substatus)))

    job = watcher.follow(on_job)
    if to_stdout:
        streams.write("\n")
    return job


def _follow_live(watcher: Watcher, utc: bool) -> JobInfo:
    """A view updated in place, with the elapsed time ticking between polls. It gives way to
    the final view when the job ends; interrupted, its last frame stays on screen."""
    from rich.live import Live

    from maxjob import shutdown
    from maxjob.render.live import live_view

    console = watcher.streams.console()
    with (
        shutdown.cursor_shown_on_forced_exit(console.file),
        Live(console=console, refresh_per_second=4, transient=True) as view,
    ):

        def show(next_poll: float) -> None:
            if watcher.job is not None:
                view.update(
                    live_view(
                        watcher.job,
                        utc=utc,
                        watched_for=watcher.deadline.elapsed(),
                        next_poll=next_poll,
                        width=console.width,
                    )
                )

        try:
            return watcher.follow(lambda job: show(0.0), idle=show)
        except KeyboardInterrupt:
            view.transient = False  # interrupted: the last frame stays on screen
            raise
