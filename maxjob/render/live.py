"""The view `maxjob watch` keeps updated in place on a terminal."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.text import Text

from maxjob.models import JobInfo
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
    """The job's timeline so far, and a line saying how long it has been watched. The job's
    figures are measured to `now` (default: the clock, read once for the frame)."""
    status = Text(style="dim")
    status.append(f"watching for {duration(round(watched_for))}")
    if job.is_finished:
        status.append(" · finished")
    elif next_poll > 0:
        status.append(f" · next poll in {next_poll:.0f}s")
    else:
        status.append(" · polling…")
    status.append(" · Ctrl-C to stop")
    return Group(timeline(job, utc=utc, width=width, now=now), Text(""), status)
