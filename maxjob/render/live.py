"""The view `maxjob watch` keeps updated in place on a terminal."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Group, RenderableType
from rich.text import Text

from maxjob.models import JobInfo
from maxjob.render.phases import job_figures
from maxjob.render.table import why_pointer
from maxjob.render.timeline import timeline
from maxjob.render.units import duration


def live_view(
    job: JobInfo,
    *,
    utc: bool,
    watched_for: float,
    next_poll: float,
    width: int,
    now: datetime | None = None,
) -> RenderableType:
    """The job's timeline so far, `maxjob why` pointed to once it has waited long, and a line
    saying how long it has been watched. The job's figures are measured to `now` (default: the
    clock, read once for the frame)."""
    moment = now or datetime.now(UTC)
    parts: list[RenderableType] = [timeline(job, utc=utc, width=width, now=moment), Text("")]
    pointer = why_pointer(job, job_figures(job, moment))
    if pointer is not None:
        parts.append(pointer)
    status = Text(style="dim")
    status.append(f"watching for {duration(round(watched_for))}")
    if job.is_finished:
        status.append(" · finished")
    elif next_poll > 0:
        status.append(f" · next poll in {next_poll:.0f}s")
    else:
        status.append(" · polling…")
    status.append(" · Ctrl-C to stop")
    return Group(*parts, status)
