"""What the views compute from a job: phases, substatus spans, status colours, and in
`job_figures` every duration they show (the one place figures are decided). No rich."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from maxjob.models import JobInfo, Outcome, SceneResult, SubStatus
from maxjob.render.sanitize import display
from maxjob.render.units import (
    amount,
    binary_bytes,
    core_hours,
    duration,
    human_time,
    rfc3339,
)

STATUS_STYLES = {
    "submitted": "cyan",
    "waiting": "yellow",
    "queued": "yellow",
    "pending": "yellow",
    "running": "blue",
}
OUTCOME_STYLES = {
    Outcome.SUCCEEDED: "green",
    Outcome.FAILED: "red",
    Outcome.CANCELLED: "magenta",
    Outcome.ENDED: "yellow",
}


def status_style(job: JobInfo) -> str:
    outcome = job.outcome
    if outcome is not None:
        return OUTCOME_STYLES[outcome]
    return STATUS_STYLES.get(job.normalised_status, "white")


@dataclass(frozen=True)
class Span:
    """Something that started at a time and lasted a while (a phase or a substatus)."""

    label: str
    start: datetime | None
    end: datetime | None
    code: str = ""
    start_raw: str = ""

    @property
    def seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return max((self.end - self.start).total_seconds(), 0.0)


def job_end(job: JobInfo, now: datetime | None) -> datetime | None:
    """When the job ended (None when the API does not say), or `now` for one that has not: the
    status decides, so an unfinished job's stray `endAtTime` does not stop its clock."""
    if job.is_finished:
        return job.end_at
    return now or datetime.now(UTC)


def phases(job: JobInfo, now: datetime | None = None, *, precise: bool = True) -> list[Span]:
    """Waiting (submitted to started) and running (started to the end or now), at the
    substatuses' precision where they pin the API's whole seconds down (see `precise_times`);
    `precise=False`: at the API's whole seconds, as a job without substatuses reads."""
    return _spans(job, now, precise_times(job) if precise else None)


def _spans(job: JobInfo, now: datetime | None, refined: Refined | None) -> list[Span]:
    """`phases`, with the refined times (`precise_times`) already found, or None."""
    end = job_end(job, now)
    start = job.submitted_at
    running = job.running_at
    if refined is not None:
        start, running = refined[0], refined[1]
        end = refined[2] if job.is_finished else end
    if start is None and running is None:
        return []
    if (
        running is None
        and start is not None
        and job.waiting_time is not None
        and (job.normalised_status == "running" or job.running_time is not None)
    ):
        try:
            running = start + timedelta(seconds=job.waiting_time)
        except OverflowError:  # a waiting time past the calendar: no start time to show
            running = None
    spans: list[Span] = []
    if start is not None:
        # A job that runs, with no start time to say since when, waited until an unknown time.
        wait_end = running or (None if _started(job) and not job.is_finished else end)
        spans.append(Span("waiting", start, wait_end))
    if running is not None:
        spans.append(Span("running", running, end if end and end >= running else None))
    return spans


_SECOND = timedelta(seconds=1)
# Submitted, started (None: not yet) and ended (None: not yet), refined (`precise_times`).
Refined = tuple[datetime, datetime | None, datetime | None]


def precise_times(job: JobInfo) -> Refined | None:
    """Submitted, started (None: not yet) and (finished) ended, in the substatuses'
    microseconds, where they agree with the API's whole seconds; else None, and the API's times
    stand.

    The API gives these times and the durations between them in whole seconds; substatus start
    times have microseconds. Shown side by side, a job could wait "5s" in its phases and "5.4s"
    in its substatuses, and the two rows of bars would not line up. So when exactly one
    substatus starts within the second of each API time (the first substatus at submission,
    one at the start, the last at the end), those are the times, provided every duration the
    API gives is the refined one to within a second (however the service rounds).
    """
    starts = [sub.start_time for sub in job.sub_statuses_in_order if sub.start_time is not None]
    if not starts or job.submitted_at is None:
        return None

    def within(whole: datetime) -> list[datetime]:
        return [t for t in starts if timedelta(0) <= t - whole < _SECOND]

    submitted = within(job.submitted_at)
    if not submitted or submitted[0] != starts[0]:
        return None
    begun = submitted[0]
    if job.running_at is None:
        # Still waiting: its first substatus is when it was submitted (its wait is counted
        # from there, as the substatus bars are); ended without a start: the API's times.
        return None if job.is_finished else (begun, None, None)
    started = within(job.running_at)
    if len(started) != 1:
        return None
    running = started[0]
    if running < begun:
        return None
    ended: datetime | None = None
    given: tuple[tuple[float | None, timedelta], ...]
    if job.is_finished:
        if job.end_at is None or not within(job.end_at) or within(job.end_at)[-1] != starts[-1]:
            return None
        ended = starts[-1]
        if ended < running:
            return None
        given = (
            (job.waiting_time, running - begun),
            (job.running_time, ended - running),
            (job.total_time, ended - begun),
        )
    else:
        given = ((job.waiting_time, running - begun),)
    for seconds, measured in given:
        if seconds is not None and abs(measured.total_seconds() - seconds) >= 1:
            return None
    return begun, running, ended


def sub_status_spans(job: JobInfo, now: datetime | None = None) -> list[tuple[SubStatus, Span]]:
    """Substatuses in time order, each lasting until the next starts (the last: until the end)."""
    ordered = job.sub_statuses_in_order
    end = job_end(job, now)
    result: list[tuple[SubStatus, Span]] = []
    for index, sub in enumerate(ordered):
        following = ordered[index + 1].start_time if index + 1 < len(ordered) else end
        if (
            following is end
            and following is not None
            and sub.start_time is not None
            and timedelta(0) < sub.start_time - following < timedelta(seconds=1)
        ):
            following = sub.start_time  # the job's end is in whole seconds, the last step's not
        if sub.start_time is None or (following is not None and following < sub.start_time):
            following = None
        result.append(
            (
                sub,
                Span(
                    display(sub.description),
                    sub.start_time,
                    following,
                    "" if sub.code is None else str(sub.code),
                    display(sub.start_time_raw),
                ),
            )
        )
    return result


def _started(job: JobInfo) -> bool:
    return (
        job.running_at is not None
        or job.normalised_status == "running"
        or bool(job.running_time and job.running_time > 0)
    )


@dataclass(frozen=True)
class Figures:
    """Every duration the views show of one job, decided here once, from one `now`: the table,
    the timeline, its plain lines, the at-a-glance line and the live view all read them.

    The API's `waitingTime`, `runningTime` and `totalTime` are used as given for a finished job,
    and `waitingTime` for the wait of a job that has started; what is still going is measured
    to `now`: running `now - runningAtTime`, waiting (not started) `now - submittedAtTime`,
    in all the sum of the two. Seconds, unrounded: `units.duration` is the one rounding.
    """

    now: datetime
    started: bool
    ended: datetime | None  # when a finished job ended; None while it runs, or when unknown
    waited: float | None
    ran: float | None
    total: float | None
    since: float | None  # unfinished: how long it has been waiting, or running, so far
    phases: tuple[Span, ...]
    sub_statuses: tuple[tuple[SubStatus, Span], ...]

    @property
    def shown_sub_statuses(self) -> tuple[tuple[SubStatus, Span], ...]:
        """The substatuses a view draws: the last `MOST_SUB_STATUSES` (the current one among
        them); `sub_statuses_left_out` counts the others."""
        return self.sub_statuses[-MOST_SUB_STATUSES:]

    @property
    def sub_statuses_left_out(self) -> str | None:
        """The line that counts the substatuses a view leaves out (None: none)."""
        left = len(self.sub_statuses) - MOST_SUB_STATUSES
        return f"… {left:,} earlier substatuses (-o json has them all)" if left > 0 else None

    @property
    def waiting_share(self) -> float | None:
        """The part of the total spent waiting, when both are known and sensible."""
        if self.waited is None or not self.total or self.total <= 0:
            return None
        share = self.waited / self.total
        return share if 0 <= share <= 1 else None


def job_figures(job: JobInfo, now: datetime | None = None, *, precise: bool = True) -> Figures:
    """The job's figures at `now` (default: the clock, read once). `precise=False`: the API's
    own whole-second figures, where a figure is compared with other jobs' (ListJobInfos has no
    substatuses) or stands under the API's field name."""
    clock = now or datetime.now(UTC)
    refined = precise_times(job) if precise else None
    spans = _spans(job, clock, refined)
    waiting = next((s.seconds for s in spans if s.label == "waiting"), None)
    running = next((s for s in spans if s.label == "running"), None)
    started = running is not None or _started(job)
    since: float | None = None
    waited: float | None
    ran: float | None
    total: float | None
    begun, started_at, ended_at = refined or (None, None, None)
    if job.is_finished and begun and started_at and ended_at:
        # The substatuses' precision, the API's figures to within a second (`precise_times`).
        waited = (started_at - begun).total_seconds()
        ran = (ended_at - started_at).total_seconds()
        total = (ended_at - begun).total_seconds()
    elif job.is_finished:
        waited = _first(job.waiting_time, waiting)
        ran = _first(job.running_time, running.seconds if running else None)
        span = _between(job.submitted_at, job.end_at)
        total = _first(job.total_time, span, _sum(waited, ran))
    else:
        if running is not None and running.start is not None:
            waited = waiting if refined is not None else _first(job.waiting_time, waiting)
            ran = max((clock - running.start).total_seconds(), 0.0)
        elif started:
            waited, ran = job.waiting_time, job.running_time
        else:
            waited, ran = _first(waiting, job.waiting_time), None
        total = _first(_sum(waited, ran) if started else waited, job.total_time)
        since = ran if started else waited
    return Figures(
        now=clock,
        started=started,
        ended=job.end_at if job.is_finished else None,
        waited=waited,
        ran=ran,
        total=total,
        since=since,
        phases=tuple(spans),
        sub_statuses=tuple(sub_status_spans(job, clock)),
    )


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _sum(*values: float | None) -> float | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


@dataclass(frozen=True)
class SubStatusRow:
    started: str
    lasted: str
    code: str
    description: str


def sub_status_rows(
    job: JobInfo,
    *,
    utc: bool,
    now: datetime | None = None,
    rfc: bool = False,
    figures: Figures | None = None,
) -> list[SubStatusRow]:
    rows = []
    numbers = figures or job_figures(job, now)
    for _, span in numbers.shown_sub_statuses:
        if span.start is not None:
            started = rfc3339(span.start) if rfc else human_time(span.start, utc=utc)
        else:
            started = span.start_raw or "?"
        rows.append(SubStatusRow(started, duration(span.seconds), span.code, span.label))
    return rows


ALARMING = ("critical", "error", "fatal", "warning", "warn")
# The most substatuses a view draws (a real job has tens; 100,000 took a minute and 470 MB to
# draw): the last ones, and a line that counts the earlier ones.
MOST_SUB_STATUSES = 100
# The most diagnostics a view draws (each field is cut already; their number is not bounded by
# the service): the rest are counted in one line, and `-o json` has them all.
MOST_DIAGNOSTICS = 50


def shown_diagnostics(job: JobInfo) -> tuple[tuple[SceneResult, ...], str | None]:
    """The diagnostics a view draws, and the line that counts those left out (None: none)."""
    scenes = job.scene_results
    if len(scenes) <= MOST_DIAGNOSTICS:
        return scenes, None
    left = len(scenes) - MOST_DIAGNOSTICS
    return scenes[:MOST_DIAGNOSTICS], f"… {left:,} more diagnostics (-o json has them all)"


def glance_parts(
    job: JobInfo, now: datetime | None = None, *, figures: Figures | None = None
) -> tuple[list[str], str | None]:
    """The line under a job's header, in pieces: maxjob's own figures and words, and the
    diagnosis it quotes from the service (sanitised for a terminal), if any; joined by ` · `:
    `took 1h 02m 05s · 1% of it waiting · 24.00 core-hours · 5.0 TiB read`, or
    `waiting for 3m 10s · Insufficient computing resources available for the job.`"""
    numbers = figures or job_figures(job, now)
    parts: list[str] = []
    if job.is_finished:
        if numbers.total is not None:
            parts.append(f"took {duration(numbers.total)}")
        share = numbers.waiting_share
        if share is not None and share >= 0.01:
            parts.append(f"{share:.0%} of it waiting")
        if job.cu_usage is not None:
            parts.append(f"{amount(core_hours(job.cu_usage))} core-hours")
        if job.input_bytes:
            parts.append(f"{binary_bytes(job.input_bytes)} read")
        return parts, None
    if numbers.since is not None:
        parts.append(f"{'running' if numbers.started else 'waiting'} for {duration(numbers.since)}")
    for scene in job.scene_results:
        if numbers.started and _about_waiting(scene):
            continue  # it runs: a lack of resources no longer holds it up
        if (scene.type or "").strip().lower() in ALARMING and display(scene.summary):
            return parts, display(scene.summary)
    return parts, None


def _about_waiting(scene: SceneResult) -> bool:
    """Whether a diagnostic is about a wait for resources (`LackResource`)."""
    names = ((scene.scene or "").strip().lower(), (scene.scene_tag or "").strip().lower())
    return any(name.endswith("lackresource") for name in names)
