"""The `timeline` view: submitted, waiting, running, the end, every substatus with its duration,
then the diagnostics. A bar chart to scale on a terminal (`timeline`), aligned lines otherwise
(`timeline_lines`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from maxjob.models import JobInfo
from maxjob.render.phases import (
    Span,
    at_a_glance,
    job_end,
    phases,
    status_style,
    sub_status_spans,
)
from maxjob.render.sanitize import display
from maxjob.render.units import duration, human_time, rfc3339

if TYPE_CHECKING:
    from rich.console import RenderableType


def _origin_and_extent(job: JobInfo, spans: list[Span]) -> tuple[datetime | None, float]:
    starts = [s.start for s in spans if s.start is not None]
    ends = [s.end for s in spans if s.end is not None] + starts
    if not starts:
        return None, 0.0
    origin = min(starts)
    return origin, max((max(ends) - origin).total_seconds(), 0.0)


def _end_label(job: JobInfo) -> str:
    outcome = job.outcome
    if outcome is not None:
        return outcome.value
    return display(job.status) or "unknown"


def timeline_lines(job: JobInfo, *, now: datetime | None = None) -> list[str]:
    """Plain, aligned lines (times in RFC 3339 UTC, server text sanitised)."""
    lines = [f"job       {display(job.instance_id)}", f"status    {_end_label(job)}"]
    rows: list[tuple[str, str, str, str]] = []
    for span in phases(job, now):
        start = _second(span.start) if span.start else "?"
        rows.append((span.label, start, duration(span.seconds), ""))
    if job.end_at is not None:
        rows.append(("end", _second(job.end_at), "", _end_label(job)))
    elif not job.is_finished and rows:
        rows.append(("now", _second(job_end(job, now) or _never()), "", "still going"))
    for _sub, span in sub_status_spans(job, now):
        start = _second(span.start) if span.start else (span.start_raw or "?")
        rows.append((f"  {span.code or '-'}", start, duration(span.seconds), span.label))
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines.append("")
        for label, start, lasted, note in rows:
            line = f"{label:<{widths[0]}}  {start:<{widths[1]}}  {lasted:>{widths[2]}}  {note}"
            lines.append(line.rstrip())
    for scene in job.scene_results:
        if lines[-1] != "" and scene is job.scene_results[0]:
            lines.append("")
        summary = display(scene.summary) or display(scene.description)
        name = "/".join(x for x in (display(scene.scene), display(scene.scene_tag)) if x)
        lines.append(f"{display(scene.type) or 'note'}  {name}  {summary}".rstrip())
    return lines


def _second(moment: datetime) -> str:
    return rfc3339(moment.replace(microsecond=0))


def _never() -> datetime:
    raise AssertionError("job_end gives a time for an unfinished job")


def _clock(moment: datetime, origin: datetime | None, *, utc: bool) -> str:
    """`16:19:21` on the origin's day, `12-01 02:03:04` on another."""
    full = human_time(moment, utc=utc)
    if origin is not None and human_time(origin, utc=utc)[:10] == full[:10]:
        return full[11:19]
    return full[5:19]


def timeline(job: JobInfo, *, utc: bool, width: int, now: datetime | None = None) -> RenderableType:
    """A rich renderable: phases and substatuses as bars to scale, then the diagnostics."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from maxjob.render.table import diagnostics_panel, header

    phase_spans = phases(job, now)
    subs = sub_status_spans(job, now)
    origin, extent = _origin_and_extent(job, phase_spans + [s for _, s in subs])
    spans = phase_spans + [s for _, s in subs]
    label_width = min(34, max([8] + [len(s.label) + 6 for _, s in subs]))
    start_width = min(
        20, max([7] + [len(_clock(s.start, origin, utc=utc)) for s in spans if s.start is not None])
    )
    for_width = max([3] + [len(duration(s.seconds)) for s in spans])
    # Each of the four columns has one space of padding on either side.
    bar_width = max(10, min(80, width - label_width - start_width - for_width - 8))

    def when(span: Span) -> Text:
        if span.start is None:
            return Text(span.start_raw or "?", style="dim")
        return Text(_clock(span.start, origin, utc=utc))

    def bar(span: Span, style: str) -> Text:
        text = Text()
        if origin is None or span.start is None:
            return text
        scale = bar_width / extent if extent > 0 else 0.0
        offset = min(int((span.start - origin).total_seconds() * scale), bar_width - 1)
        seconds = span.seconds or 0.0
        length = max(1, round(seconds * scale)) if span.end is not None else 1
        length = min(length, bar_width - offset)
        text.append(" " * offset)
        text.append("█" * length if span.end is not None else "▏", style=style)
        return text

    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("", no_wrap=True, max_width=label_width, overflow="ellipsis")
    table.add_column("Started", no_wrap=True)
    table.add_column("For", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True, width=bar_width)
    style_of = {"waiting": "yellow", "running": "blue"}
    for span in phase_spans:
        table.add_row(
            Text(span.label.capitalize(), style="bold"),
            when(span),
            Text(duration(span.seconds)),
            bar(span, style_of.get(span.label, "white")),
        )
    if job.end_at is not None:
        table.add_row(
            Text("Ended", style="bold"),
            Text(_clock(job.end_at, origin, utc=utc)),
            Text(""),
            Text(_end_label(job), style=f"bold {status_style(job)}"),
        )
    if subs:
        table.add_row(Text(""), Text(""), Text(""), Text(""))
    for _sub, span in subs:
        label = Text(f"{span.code or '-':>5} ", style="dim")
        label.append(span.label)
        table.add_row(label, when(span), Text(duration(span.seconds)), bar(span, "cyan"))
    parts: list[RenderableType] = [header(job)]
    if not job.is_finished and (summary := at_a_glance(job, now)):
        parts.append(Text(summary, style="dim"))
    if origin is not None:
        summary = f"from {human_time(origin, utc=utc)}"
        if extent > 0:
            summary += f", {duration(extent)} in all"
        parts.append(Text(summary, style="dim"))
    if table.row_count:
        parts.append(table)
    panel = diagnostics_panel(job)
    if panel is not None:
        parts.append(panel)
    return Group(*parts)
