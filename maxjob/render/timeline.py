"""The `timeline` view: submitted, waiting, running, the end, every substatus with its duration,
then the diagnostics. A bar chart to scale on a terminal (`timeline`), aligned lines otherwise
(`timeline_lines`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from maxjob.models import JobInfo
from maxjob.render.phases import (
    Figures,
    Span,
    job_figures,
    shown_diagnostics,
    status_style,
)
from maxjob.render.sanitize import display
from maxjob.render.units import duration, human_time, rfc3339

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text


def _origin_and_extent(spans: list[Span]) -> tuple[datetime | None, float]:
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


def _phase_rows(figures: Figures) -> list[tuple[str, Span | None, float | None]]:
    """Waiting and running: where each is drawn (when known) and how long it lasted (figures)."""
    spans = {span.label: span for span in figures.phases}
    rows: list[tuple[str, Span | None, float | None]] = []
    for label, seconds in (("waiting", figures.waited), ("running", figures.ran)):
        span = spans.get(label)
        if span is not None or seconds is not None:
            rows.append((label, span, seconds))
    return rows


def timeline_lines(job: JobInfo, *, now: datetime | None = None) -> list[str]:
    """Plain, aligned lines (times in RFC 3339 UTC, server text sanitised)."""
    figures = job_figures(job, now)
    lines = [f"job       {display(job.instance_id)}", f"status    {_end_label(job)}"]
    rows: list[tuple[str, str, str, str]] = []
    for label, span, seconds in _phase_rows(figures):
        start = _second(span.start) if span is not None and span.start else "?"
        rows.append((label, start, duration(seconds), ""))
    if figures.ended is not None:
        rows.append(("end", _second(figures.ended), "", _end_label(job)))
    elif not job.is_finished and rows:
        rows.append(("now", _second(figures.now), "", "still going"))
    if figures.sub_statuses_left_out is not None:
        rows.append(("  …", "", "", figures.sub_statuses_left_out.removeprefix("… ")))
    for _sub, span in figures.shown_sub_statuses:
        start = _second(span.start) if span.start else (span.start_raw or "?")
        rows.append((f"  {span.code or '-'}", start, duration(span.seconds), span.label))
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines.append("")
        for label, start, lasted, note in rows:
            line = f"{label:<{widths[0]}}  {start:<{widths[1]}}  {lasted:>{widths[2]}}  {note}"
            lines.append(line.rstrip())
    findings = [
        (
            display(scene.type) or "note",
            "/".join(x for x in (display(scene.scene), display(scene.scene_tag)) if x),
            display(scene.summary) or display(scene.description),
        )
        for scene in shown_diagnostics(job)[0]
    ]
    if findings:
        if lines[-1] != "":
            lines.append("")
        # Aligned as the substatuses are (widths in characters: the server's text is escaped).
        kinds = max(len(kind) for kind, _, _ in findings)
        names = max(len(name) for _, name, _ in findings)
        for kind, name, summary in findings:
            lines.append(f"{kind:<{kinds}}  {name:<{names}}  {summary}".rstrip())
        more = shown_diagnostics(job)[1]
        if more:
            lines.append(more)
    return lines


def _second(moment: datetime) -> str:
    return rfc3339(moment.replace(microsecond=0))


def _clock(moment: datetime, origin: datetime | None, *, utc: bool) -> str:
    """`16:19:21` on the origin's day, `12-01 02:03:04` in its year, `2025-12-01 02:03:04` else."""
    full = human_time(moment, utc=utc)
    first = human_time(origin, utc=utc) if origin is not None else ""
    if first[:10] == full[:10]:
        return full[11:19]
    return full[5:19] if first[:4] == full[:4] else full[:19]


# The bars need this many columns to say anything; with less room the timeline has none.
BAR_MIN = 10
BAR_MAX = 80
LABEL_MAX = 34
LABEL_MIN = 12  # narrower, the labels go on lines of their own
GAP = 2  # between two columns


class _Row(NamedTuple):
    label: Text
    started: Text
    lasted: Text
    span: Span | None  # what its bar draws; None: no bar (the end's row)
    style: str
    exact: bool  # `started` is a time (never cut), not the server's unreadable text


class _Layout(NamedTuple):
    label: int  # 0: each label on a line of its own, above its time and duration
    started: int
    lasted: int
    bar: int  # 0: no bars, the labels wrap instead


def _layout(rows: list[_Row], width: int) -> _Layout:
    """Times and durations whole first, then the bars if they fit, then the labels."""
    started = max([7] + [len(r.started) for r in rows if r.exact])
    started = max(started, min(20, max([0] + [len(r.started) for r in rows])))
    lasted = max([3] + [len(r.lasted) for r in rows])
    room = width - started - lasted - 2 * GAP  # for the labels, and the bars with their gap
    need = max([8] + [len(r.label) for r in rows])
    if room - min(need, 16) - GAP >= BAR_MIN:
        label = min(need, LABEL_MAX, room - GAP - BAR_MIN)
        return _Layout(label, started, lasted, min(BAR_MAX, room - GAP - label))
    return _Layout(room if room >= LABEL_MIN else 0, started, lasted, 0)


def timeline(job: JobInfo, *, utc: bool, width: int, now: datetime | None = None) -> RenderableType:
    """A rich renderable: phases and substatuses as bars to scale, then the diagnostics.

    Times and durations are never cut: the descriptions give way (cut with an ellipsis beside
    the bars, wrapped when `width` leaves no room for bars, on lines of their own when it leaves
    no room for a column of them). At most `MAX_WIDTH` columns, like the table view."""
    from rich.console import Group
    from rich.text import Text

    from maxjob.render.table import MAX_WIDTH, constrained, diagnostics_panel, glance, header

    figures = job_figures(job, now)
    phase_rows = _phase_rows(figures)
    subs = [span for _, span in figures.sub_statuses]
    origin, extent = _origin_and_extent([s for _, s, _ in phase_rows if s] + subs)

    def row(label: Text, span: Span | None, seconds: float | None, style: str) -> _Row:
        if span is None or span.start is None:
            raw = span.start_raw if span is not None and span.start_raw else "?"
            return _Row(label, Text(raw, style="dim"), Text(duration(seconds)), span, style, False)
        started = Text(_clock(span.start, origin, utc=utc))
        return _Row(label, started, Text(duration(seconds)), span, style, True)

    style_of = {"waiting": "yellow", "running": "blue"}
    rows = [
        row(Text(name.capitalize(), style="bold"), span, seconds, style_of[name])
        for name, span, seconds in phase_rows
    ]
    if figures.ended is not None:
        ended = Text(_clock(figures.ended, origin, utc=utc))
        rows.append(_Row(Text("Ended", style="bold"), ended, Text(""), None, "", True))
    phase_count = len(rows)
    for _sub, span in figures.shown_sub_statuses:
        label = Text(f"{span.code or '-':>5} ", style="dim")
        label.append(span.label)
        rows.append(row(label, span, span.seconds, "cyan"))

    layout = _layout(rows, min(width, MAX_WIDTH))
    outcome = Text(_end_label(job), style=f"bold {status_style(job)}")

    def bar(span: Span, style: str) -> Text:
        text = Text()
        if origin is None or span.start is None:
            return text
        scale = layout.bar / extent if extent > 0 else 0.0
        offset = min(int((span.start - origin).total_seconds() * scale), layout.bar - 1)
        length = max(1, round((span.seconds or 0.0) * scale)) if span.end is not None else 1
        length = min(length, layout.bar - offset)
        text.append(" " * offset)
        text.append("█" * length if span.end is not None else "▏", style=style)
        return text

    table: RenderableType | None = None
    if rows and layout.label:
        table = _table(rows, phase_count, layout, bar, outcome)
    elif rows:
        table = _stacked(rows, phase_count, layout, outcome)

    parts: list[RenderableType] = [header(job)]
    summary = glance(job, figures) if not job.is_finished else None
    if summary is not None:
        parts.append(summary)
    if origin is not None:
        line = f"from {human_time(origin, utc=utc)}"
        in_all = figures.total if figures.total is not None else extent
        if in_all > 0:
            line += f", {duration(in_all)} in all"
        parts.append(Text(line, style="dim"))
    if table is not None:
        if figures.sub_statuses_left_out is not None:
            parts.append(Text(figures.sub_statuses_left_out, style="dim"))
        parts.append(table)
    panel = diagnostics_panel(job)
    if panel is not None:
        parts.append(panel)
    return constrained(Group(*parts), width)


def _table(
    rows: list[_Row],
    phase_count: int,
    layout: _Layout,
    bar: Callable[[Span, str], Text],
    outcome: Text,
) -> RenderableType:
    """Label, start, duration and (room allowing) bar columns."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, padding=(0, GAP // 2), pad_edge=False, header_style="bold")
    if layout.bar:
        table.add_column("", width=layout.label, no_wrap=True, overflow="ellipsis")
    else:
        table.add_column("", width=layout.label, overflow="fold")
    table.add_column("Started", width=layout.started, no_wrap=True, overflow="ellipsis")
    table.add_column("For", width=layout.lasted, justify="right", no_wrap=True)
    if layout.bar:
        table.add_column("", width=layout.bar, no_wrap=True, overflow="ellipsis")
    for index, (label, started, lasted, drawn, style, _) in enumerate(rows):
        if index == phase_count and index:
            table.add_row()
        if drawn is None and not layout.bar:  # the end, without bars: its outcome in words
            label = Text.assemble(label, " ", outcome)
        bar_cell = [outcome if drawn is None else bar(drawn, style)] if layout.bar else []
        table.add_row(label, started, lasted, *bar_cell)
    return table


def _stacked(rows: list[_Row], phase_count: int, layout: _Layout, outcome: Text) -> RenderableType:
    """Too narrow for columns: each label on its own line(s), then its start and duration."""
    from rich.console import Group
    from rich.text import Text

    lines: list[RenderableType] = []
    for index, (label, started, lasted, drawn, _, _) in enumerate(rows):
        if index == phase_count and index:
            lines.append(Text(""))
        lines.append(Text.assemble(label, " ", outcome) if drawn is None else label)
        figures = Text("  ")
        figures.append_text(started.copy())
        figures.pad_right(layout.started - len(started))
        figures.append(" " * GAP + " " * (layout.lasted - len(lasted)))
        figures.append_text(lasted)
        figures.rstrip()
        lines.append(figures)
    return Group(*lines)
