"""The `table` view: a coloured header and panels for the job, timing, resources, quota, upstream
scheduler, diagnostics and substatuses.

Every server string goes through `display()` and into a `rich.text.Text`, so it is never read as
markup or emoji. Missing fields are left out. Below 110 columns the panels stack; above, they sit
side by side, and the view grows no wider than 120 columns. Every duration comes from
`phases.job_figures`, as in the timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Group, RenderableType
from rich.constrain import Constrain
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from maxjob.models import JobInfo, SceneResult
from maxjob.render.layout import Joined, KeyValues
from maxjob.render.phases import (
    Figures,
    glance_parts,
    job_figures,
    shown_diagnostics,
    status_style,
    sub_status_rows,
)
from maxjob.render.sanitize import display
from maxjob.render.units import (
    amount,
    binary_bytes,
    core_hours,
    duration,
    gb_hours,
    human_time,
    quota_kind,
)

WIDE = 110
# Wider than this, the panels would stretch across the screen mostly empty.
MAX_WIDTH = 120
Row = tuple[str, Text]

SEVERITY_MARKS = {
    "critical": ("✖", "bold red"),
    "error": ("✖", "bold red"),
    "fatal": ("✖", "bold red"),
    "warning": ("▲", "yellow"),
    "warn": ("▲", "yellow"),
    "info": ("●", "blue"),
    "notice": ("●", "blue"),
}


def header(job: JobInfo) -> Text:
    """`<instance id>  <status> → <outcome>  ·  <current substatus> (<code>)`."""
    line = Text()
    line.append(display(job.instance_id) or "(no instance id)", style="bold")
    line.append("  ")
    status = display(job.status) or "unknown"
    outcome = job.outcome
    style = status_style(job)
    line.append(f" {status} ", style=f"bold reverse {style}")
    if outcome is not None and outcome.value != job.normalised_status:
        line.append(f" → {outcome.value}", style=f"bold {style}")
    elif not job.is_finished and not job.is_status_known and job.status:
        line.append(" (unknown status)", style="dim")
    current = job.current_sub_status
    if current is not None and (current.description or current.code is not None):
        line.append("  ·  ", style="dim")
        line.append(display(current.description) or "", style="italic")
        if current.code is not None:
            line.append(f" ({current.code})", style="dim")
    return line


def _panel(title: str, rows: Sequence[Row]) -> Panel | None:
    rows = [(k, v) for k, v in rows if v.plain]
    if not rows:
        return None
    facts = KeyValues(rows)
    return Panel(facts, title=title, title_align="left", border_style="dim", expand=True)


def _t(value: str | None) -> Text:
    return Text(display(value))


def job_rows(job: JobInfo) -> list[Row]:
    priority = Text()
    if job.priority is not None:
        priority.append(str(job.priority))
        priority.append("  (0 = most urgent, 9 = least)", style="dim")
    return [
        ("Project", _t(job.project)),
        ("Owner", _t(job.job_owner)),
        ("Type", _t(job.job_type)),
        ("Priority", priority),
        ("SQL signature", _t(job.signature)),
        ("Tenant", _t(job.tenant_id)),
        ("Region", _t(job.region)),
    ]


def quota_rows(job: JobInfo) -> list[Row]:
    return [("Quota", _t(job.quota_nickname)), ("Type", _t(quota_kind(job.quota_type)))]


def timing_rows(job: JobInfo, *, utc: bool, figures: Figures | None = None) -> list[Row]:
    def when(moment: object) -> Text:
        return Text(human_time(moment, utc=utc)) if isinstance(moment, datetime) else Text()

    numbers = figures or job_figures(job)
    waiting = Text(duration(numbers.waited))
    share = numbers.waiting_share
    if share is not None and waiting.plain:
        part = "<1%" if 0 < share < 0.005 else f"{share:.0%}"
        waiting.append(f"  ({part} of the total)", style="dim")
    return [
        ("Submitted", when(job.submitted_at)),
        ("Started", when(job.running_at)),
        ("Ended", when(numbers.ended)),
        ("Waiting", waiting),
        ("Running", Text(duration(numbers.ran))),
        ("Total", Text(duration(numbers.total))),
    ]


def resource_rows(job: JobInfo) -> list[Row]:
    def usage(value: float | None, convert: object, unit: str, field: str) -> Text:
        if value is None or not callable(convert):
            return Text()
        text = Text(f"{amount(convert(value))} {unit}")
        raw = f"{value:,.0f}" if value == int(value) else f"{value:,}"
        text.append(f"  ({field} {raw})", style="dim")
        return text

    data = Text()
    if job.input_bytes is not None:
        data.append(binary_bytes(job.input_bytes))
        if job.input_bytes >= 1024:
            data.append(f"  ({job.input_bytes:,.0f} bytes)", style="dim")
    return [
        ("CPU", usage(job.cu_usage, core_hours, "core-hours", "cuUsage")),
        ("Memory", usage(job.memory_usage, gb_hours, "GB-hours", "memoryUsage")),
        ("Input", data),
    ]


def upstream_rows(job: JobInfo) -> list[Row]:
    return [
        ("Platform", _t(job.ext_plant_from)),
        ("Node", _t(job.ext_node_id)),
        ("On duty", _t(job.ext_node_on_duty)),
    ]


def diagnostic(scene: SceneResult) -> Text:
    kind = (scene.type or "").strip().lower()
    mark, style = SEVERITY_MARKS.get(kind, ("•", "bold"))
    text = Text()
    text.append(f"{mark} {display(scene.type) or 'note'}", style=style)
    name = " / ".join(x for x in (display(scene.scene), display(scene.scene_tag)) if x)
    if name:
        text.append(f"  {name}", style="dim")
    if scene.summary and display(scene.summary):
        text.append("\n")
        text.append(display(scene.summary, multiline=True), style="bold")
    if scene.description and display(scene.description):
        text.append("\n")
        text.append(display(scene.description, multiline=True))
    for key, value in scene.params:
        text.append("\n")
        text.append(f"{display(key)}: ", style="dim")
        text.append(display(value))
    return text


def diagnostics_panel(job: JobInfo) -> Panel | None:
    if not job.scene_results:
        return None
    parts: list[RenderableType] = []
    scenes, more = shown_diagnostics(job)
    for index, scene in enumerate(scenes):
        if index:
            parts.append(Text(""))
        parts.append(diagnostic(scene))
    if more:
        parts += [Text(""), Text(more, style="dim")]
    return Panel(Group(*parts), title="Diagnostics", title_align="left", border_style="dim")


def sub_status_panel(
    job: JobInfo,
    *,
    utc: bool,
    now: datetime | None = None,
    figures: Figures | None = None,
    width: int = MAX_WIDTH,
) -> Panel | None:
    """A table of the substatuses; where `width` leaves the descriptions too little room, each
    one on its own line(s) above its start and duration, so that no time is ever cut."""
    numbers = figures or job_figures(job, now)
    rows = sub_status_rows(job, utc=utc, figures=numbers)
    if not rows:
        return None
    started = max(len("Started"), *(len(r.started) for r in rows))
    lasted = max(len("For"), *(len(r.lasted) for r in rows))
    code = max(len("Code"), *(len(r.code) for r in rows))
    inner = min(width, MAX_WIDTH) - 4  # the panel's border and padding
    last = len(rows) - 1
    body: RenderableType
    if inner - started - lasted - code - 6 >= 16:
        table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold")
        table.add_column("Started", no_wrap=True, min_width=started)
        table.add_column("For", justify="right", no_wrap=True, min_width=lasted)
        table.add_column("Code", justify="right", no_wrap=True, min_width=code)
        table.add_column("Description", overflow="fold")
        for index, row in enumerate(rows):
            table.add_row(
                Text(row.started),
                Text(row.lasted, style="dim"),
                Text(row.code),
                Text(row.description),
                style="bold" if index == last and not job.is_finished else None,
            )
        body = table
    else:
        lines: list[RenderableType] = []
        for index, row in enumerate(rows):
            style = "bold" if index == last and not job.is_finished else ""
            lines.append(Text(f"{row.code} {row.description}".strip(), style=style))
            if started + 2 + lasted <= inner:
                indent = "  " if started + 4 + lasted <= inner else ""
                lines.append(
                    Text(f"{indent}{row.started:<{started}}  {row.lasted:>{lasted}}", style="dim")
                )
            else:  # the time and the duration would not fit on one line together
                lines.append(Text(f"  {row.started}", style="dim"))
                lines.append(Text(f"  {row.lasted}", style="dim"))
        body = Group(*lines)
    left_out = numbers.sub_statuses_left_out
    if left_out is not None:
        body = Group(Text(left_out, style="dim"), body)
    return Panel(body, title="Substatuses", title_align="left", border_style="dim")


# A job still waiting after this many seconds gets a pointer to `maxjob why`.
LONG_WAIT = 300.0


def glance(job: JobInfo, figures: Figures) -> Joined | None:
    """The line under the header (`phases.glance_parts`), broken between its phrases."""
    own, quoted = glance_parts(job, figures=figures)
    return Joined([*own, quoted or ""], style="dim") if own or quoted else None


def why_pointer(job: JobInfo, figures: Figures) -> Text | None:
    """`why so long? maxjob why ID` for a job that has waited over `LONG_WAIT` seconds and has
    not started yet (the line above says how long); None otherwise."""
    if job.is_finished or figures.started or figures.since is None or figures.since < LONG_WAIT:
        return None
    ref = display(job.instance_id) or "ID"
    return Text(f"why so long? maxjob why {ref}", style="yellow")


def constrained(renderable: RenderableType, width: int) -> RenderableType:
    """`renderable` no wider than `MAX_WIDTH` columns, however wide the terminal."""
    return Constrain(renderable, width=MAX_WIDTH) if width > MAX_WIDTH else renderable


def job_view(job: JobInfo, *, utc: bool, width: int, now: datetime | None = None) -> RenderableType:
    """The whole table view of one job, laid out for `width` columns; `now` is when an unfinished
    job's figures are measured to (default: the clock, read once)."""
    figures = job_figures(job, now)
    parts: list[RenderableType] = [header(job)]
    summary = glance(job, figures)
    if summary is not None:
        parts.append(summary)
    pointer = why_pointer(job, figures)
    if pointer is not None:
        parts.append(pointer)
    parts.extend(_fact_panels(job, utc=utc, wide=width >= WIDE, figures=figures))
    for panel in (
        diagnostics_panel(job),
        sub_status_panel(job, utc=utc, figures=figures, width=width),
    ):
        if panel is not None:
            parts.append(panel)
    return constrained(Group(*parts), width)


def _fact_panels(job: JobInfo, *, utc: bool, wide: bool, figures: Figures) -> list[RenderableType]:
    timing = _panel("Timing", timing_rows(job, utc=utc, figures=figures))
    resources = _panel("Resources", resource_rows(job))
    if wide:
        left = [p for p in (_panel("Job", job_rows(job)), _panel("Quota", quota_rows(job))) if p]
        upstream = _panel("Upstream scheduler", upstream_rows(job))
        right = [p for p in (timing, resources, upstream) if p]
        if left and right:
            grid = Table.grid(expand=True, padding=(0, 1))
            grid.add_column()
            grid.add_column()
            grid.add_row(Group(*left), Group(*right))
            return [grid]
    # Narrow: timing first (what people look for), then the job with its quota and its upstream
    # scheduler in one panel, so that the view stays short.
    scheduler = [
        ("Scheduler" if key == "Platform" else f"Scheduler {key.lower()}", value)
        for key, value in upstream_rows(job)
    ]
    quota = [("Quota", _t(job.quota_nickname)), ("Quota type", _t(quota_kind(job.quota_type)))]
    facts = _panel("Job", job_rows(job) + quota + scheduler)
    return [p for p in (timing, facts, resources) if p is not None]
