"""What the views compute from a job: phases, substatus spans, shares, status colours. No rich."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from maxjob.models import JobInfo, Outcome, SubStatus
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
}


def status_style(job: JobInfo) -> str:
    outcome = job.outcome
    if outcome is not None:
        return OUTCOME_STYLES[outcome]
    return STATUS_STYLES.get(job.normalised_status, "white")


def waiting_share(job: JobInfo) -> float | None:
    """The part of the total time spent waiting, when both are known and sensible."""
    if job.waiting_time is None or not job.total_time or job.total_time <= 0:
        return None
    share = job.waiting_time / job.total_time
    return share if 0 <= share <= 1 else None


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
    """When the job ended, or `now` for one that has not."""
    if job.end_at is not None:
        return job.end_at
    if job.is_finished:
        return None
    return now or datetime.now(UTC)


def phases(job: JobInfo, now: datetime | None = None) -> list[Span]:
    """Waiting (submitted to started) and running (started to the end or now)."""
    end = job_end(job, now)
    start = job.submitted_at
    running = job.running_at
    if start is None and running is None:
        return []
    if (
        running is None
        and start is not None
        and job.waiting_time is not None
        and (job.normalised_status == "running" or job.running_time is not None)
    ):
        running = start + timedelta(seconds=job.waiting_time)
    spans: list[Span] = []
    if start is not None:
        spans.append(Span("waiting", start, running or end))
    if running is not None:
        spans.append(Span("running", running, end if end and end >= running else None))
    return spans


def sub_status_spans(job: JobInfo, now: datetime | None = None) -> list[tuple[SubStatus, Span]]:
    """Substatuses in time order, each lasting until the next starts (the last: until the end)."""
    ordered = job.sub_statuses_in_order
    end = job_end(job, now)
    result: list[tuple[SubStatus, Span]] = []
    for index, sub in enumerate(ordered):
        following = ordered[index + 1].start_time if index + 1 < len(ordered) else end
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


@dataclass(frozen=True)
class SubStatusRow:
    started: str
    lasted: str
    code: str
    description: str


def sub_status_rows(
    job: JobInfo, *, utc: bool, now: datetime | None = None, rfc: bool = False
) -> list[SubStatusRow]:
    rows = []
    for _, span in sub_status_spans(job, now):
        if span.start is not None:
            started = rfc3339(span.start) if rfc else human_time(span.start, utc=utc)
        else:
            started = span.start_raw or "?"
        rows.append(SubStatusRow(started, duration(span.seconds), span.code, span.label))
    return rows


ALARMING = ("critical", "error", "fatal", "warning", "warn")


def at_a_glance(job: JobInfo, now: datetime | None = None) -> str:
    """One line under the header: how long, what it cost, and (unfinished) what holds it up.

    `took 1h 02m 05s · 1% of it waiting · 24.00 core-hours · 5.0 TiB read`, or
    `waiting for 3m 10s · Insufficient computing resources available for the job.`
    """
    parts: list[str] = []
    if job.is_finished:
        if job.total_time is not None:
            parts.append(f"took {duration(job.total_time)}")
        share = waiting_share(job)
        if share is not None and share >= 0.01:
            parts.append(f"{share:.0%} of it waiting")
        if job.cu_usage is not None:
            parts.append(f"{amount(core_hours(job.cu_usage))} core-hours")
        if job.input_bytes:
            parts.append(f"{binary_bytes(job.input_bytes)} read")
        return " · ".join(parts)
    clock = now or datetime.now(UTC)
    if job.running_at is not None and job.running_at <= clock:
        parts.append(f"running for {duration((clock - job.running_at).total_seconds())}")
    elif job.submitted_at is not None and job.submitted_at <= clock:
        parts.append(f"waiting for {duration((clock - job.submitted_at).total_seconds())}")
    for scene in job.scene_results:
        if (scene.type or "").strip().lower() in ALARMING and display(scene.summary):
            parts.append(display(scene.summary))
            break
    return " · ".join(parts)
