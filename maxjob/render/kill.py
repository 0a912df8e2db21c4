"""What `maxjob kill` shows: the table of jobs to kill, one line per job, a dry run's requests.

Pure functions; every server string goes through `display`, and the rich renderables are built
from `Text`, never markup. rich is imported only by the functions that draw for a terminal.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from maxjob.models import JobInfo
from maxjob.render.sanitize import display, sanitize
from maxjob.render.units import duration

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

# The words of a job's line (the second column of `plain`), and their colour on a terminal.
RESULT_STYLES: dict[str, str] = {
    "cancelled": "green",
    "already ended": "blue",
    "ended": "blue",
    "kill sent": "cyan",
    "would kill": "magenta",
    "still running": "yellow",
    "not killed": "yellow",
    "error": "bold red",
}
STATUS_STYLES = {"running": "yellow", "waiting": "cyan"}
# An id wider than this does not widen every line's first column.
MAX_ID_COLUMN = 40
RESULT_WIDTH = max(len(word) for word in RESULT_STYLES)
# Below this width a line's details go under its id and result; above it, they get at least this.
NARROW = 80
MIN_DETAIL_COLUMN = 30


class Line(NamedTuple):
    """One job's line: its id, what happened (a word of `RESULT_STYLES`), and the details."""

    instance_id: str
    result: str
    detail: str
    hint: str | None = None


def running_for(job: JobInfo, now: datetime) -> str:
    """How long the job has run (`12m 03s`), or waited when it has not started (`waited 3m 02s`)."""
    if job.running_at is not None:
        return duration(max(0.0, (now - job.running_at).total_seconds()))
    if job.running_time is not None:
        return duration(max(0.0, job.running_time))
    if job.submitted_at is not None:
        return "waited " + duration(max(0.0, (now - job.submitted_at).total_seconds()))
    return ""


def ended_detail(job: JobInfo) -> str:
    """`succeeded`, or `succeeded (terminated)` when only the last substatus told it."""
    outcome = job.outcome.value if job.outcome else "unknown"
    if job.normalised_status == "terminated":
        return f"{outcome} ({display(job.status, limit=64)})"
    return outcome


def plain_line(line: Line) -> str:
    """`<id><TAB><result><TAB><detail>`: one line, whatever the server sent."""
    return f"{sanitize(line.instance_id)}\t{line.result}\t{sanitize(line.detail)}\n"


def id_width(instance_ids: Sequence[str]) -> int:
    return min(MAX_ID_COLUMN, max((len(sanitize(i)) for i in instance_ids), default=0))


def terminal_line(line: Line, id_column: int, width: int) -> RenderableType:
    """The line on a terminal of `width` columns: the id in a column `id_column` wide (folded
    when longer), the result coloured, then the details and any hint beside them, or, narrower
    than `NARROW`, under them."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    detail = Text(sanitize(line.detail), style="" if line.result == "error" else "dim")
    hint = Text("hint: " + sanitize(line.hint), style="dim") if line.hint else None
    grid = Table.grid(padding=(0, 2))
    narrow = width < NARROW
    room = width - RESULT_WIDTH - 2 - (0 if narrow else MIN_DETAIL_COLUMN + 2)
    grid.add_column(width=max(8, min(id_column, room)), overflow="fold", style="bold")
    grid.add_column(width=RESULT_WIDTH, no_wrap=True)
    result = Text(line.result, style=RESULT_STYLES.get(line.result, ""))
    if narrow:
        # The details under the id and the result, indented.
        grid.add_row(Text(sanitize(line.instance_id)), result)
        under = [Padding(text, (0, 0, 0, 4)) for text in (detail, hint) if text]
        return Group(grid, *under)
    grid.add_column(overflow="fold")
    grid.add_row(Text(sanitize(line.instance_id)), result, detail)
    if hint is not None:
        grid.add_row("", "", hint)
    return grid


class Skipped(NamedTuple):
    """A job that will not be killed, and why, for the list under the table."""

    instance_id: str
    why: str


def confirmation(
    jobs: Sequence[tuple[str, JobInfo]],
    skipped: Sequence[Skipped],
    *,
    where: str,
    now: datetime,
    width: int,
) -> RenderableType:
    """What a person sees before `Kill N jobs? [y/N]`: the jobs to kill (ID, project, owner,
    status, running for; under one another below `NARROW` columns), how many projects and
    owners they span, and those left alone."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    count = len(jobs)
    parts: list[RenderableType] = [
        Text(f"About to kill {count} job{'s' if count != 1 else ''} at {sanitize(where)}:")
    ]
    parts += _cards(jobs, now) if width < NARROW else [_table(jobs, now)]
    spread = _spread(jobs)
    if spread:
        parts.append(Text(spread, style="bold yellow"))
    if skipped:
        parts.append(Text("Left alone:"))
        grid = Table.grid(padding=(0, 0, 0, 2))
        grid.add_column(overflow="fold")
        grid.add_column(overflow="fold")
        for item in skipped:
            grid.add_row(Text(sanitize(item.instance_id)), Text(sanitize(item.why)))
        parts.append(grid)
    return Group(*parts)


def _fields(job: JobInfo, now: datetime) -> tuple[Text, Text, Text, Text]:
    """A job's project, owner, status (coloured) and running time, as the table shows them."""
    from rich.text import Text

    status = display(job.status, limit=64) or "unknown"
    return (
        Text(display(job.project, limit=200)),
        Text(display(job.job_owner, limit=200)),
        Text(status, style=STATUS_STYLES.get(status.lower(), "")),
        Text(running_for(job, now)),
    )


def _table(jobs: Sequence[tuple[str, JobInfo]], now: datetime) -> RenderableType:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
        header_style="bold",
    )
    table.add_column("ID", no_wrap=True, overflow="fold", style="bold")
    table.add_column("project", overflow="fold")
    table.add_column("owner", overflow="fold")
    table.add_column("status", overflow="fold")
    table.add_column("running for", no_wrap=True)
    for instance_id, job in jobs:
        table.add_row(Text(sanitize(instance_id)), *_fields(job, now))
    return table


_LABELS = ("project", "owner", "status", "running for")


def _cards(jobs: Sequence[tuple[str, JobInfo]], now: datetime) -> list[RenderableType]:
    """The table's fields one under the other, for a narrow terminal."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    cards: list[RenderableType] = []
    for instance_id, job in jobs:
        cards.append(Text(sanitize(instance_id), style="bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(overflow="fold")
        for label, value in zip(_LABELS, _fields(job, now), strict=True):
            if label == "running for" and value.plain.startswith("waited "):
                # Not started: the card says so in its label ("waited 3m", not "running for
                # waited 3m"), where the table's column shares one heading.
                label, value = "waited", Text(value.plain.removeprefix("waited "))
            grid.add_row(label, value)
        cards.append(Padding(grid, (0, 0, 0, 2)))
    return cards


def _spread(jobs: Sequence[tuple[str, JobInfo]]) -> str:
    """`They are in 2 projects, of 3 owners.` when they are in more than one of either."""
    projects = {job.project for _, job in jobs}
    owners = {job.job_owner for _, job in jobs}
    if len(projects) < 2 and len(owners) < 2:
        return ""
    return f"They are in {len(projects)} projects, of {len(owners)} owners."


def prompt(count: int) -> str:
    return f"Kill {count} job{'s' if count != 1 else ''}? [y/N] "


def request_text(request: Mapping[str, object]) -> str:
    """A KillJobs request as a dry run prints it: method and URL, the headers that say what it
    is, a blank line, the body. Signing headers are made when a request is sent: none here."""
    headers = request.get("headers")
    lines = [f"{request['method']} {request['url']}"]
    if isinstance(headers, Mapping):
        lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["", str(request["body"])]
    return sanitize("\n".join(lines), multiline=True) + "\n"


def to_text(
    renderable: RenderableType, *, width: int, color: bool, environ: Mapping[str, str]
) -> str:
    """`renderable` drawn `width` columns wide, with colour codes or none, as text to write
    (on stderr, where `Streams.console` does not draw)."""
    from rich.console import Console

    system: Literal["standard", "256", "truecolor"] = "standard"
    if environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        system = "truecolor"
    elif "256" in environ.get("TERM", ""):
        system = "256"
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system=system if color else None,
        markup=False,
        emoji=False,
        highlight=False,
    )
    console.print(renderable)
    return buffer.getvalue()
