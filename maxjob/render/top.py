"""`maxjob top`: a quota's header and its jobs, as a rich view, tab-separated lines or CSV.

The header says which quota, its type, the snapshot's time and age, how many jobs run and wait,
and the cores and memory in use against the capacity (1 CU = 1 core + 4 GB), or why the capacity
is unknown. Rows: ID, state (queued when it has no running time), priority, owner, project,
waited, ran, cores used/requested, memory used, share. Waited and ran are the snapshot's own
`waitingTime` and `runningTime` (a snapshot item's status is always `running`, so the job
figures of `phases` would take a queued job for a started one). Server text is sanitised; rich
is imported only by the functions that draw with it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from maxjob.quota import RUNNING_JOBS, Capacity, QuotaJob, Snapshot, ordered
from maxjob.render.sanitize import display, whole
from maxjob.render.units import (
    PAY_AS_YOU_GO,
    amount,
    decimal,
    duration,
    human_time,
    quota_kind,
    rfc3339,
)

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

    from maxjob.render.layout import Joined

# The keys of the live view, in the order its footer names them.
KEY_HELP = (("c", "cpu"), ("w", "wait"), ("p", "priority"), ("r", "refresh"), ("q", "quit"))
# The fixed columns of `plain` (no header) and `csv` (this header): the API's field names, and
# maxjob's `state` (running or queued) and `share` (of the capacity, 0-1).
COLUMNS = (
    "instanceId",
    "state",
    "priority",
    "jobOwner",
    "project",
    "waitingTime",
    "runningTime",
    "cpuUsage",
    "cpuRequest",
    "memoryUsage",
    "memoryRequest",
    "share",
    "submittedAtTime",
)
# Lines of the live view that are not rows or the header: the blank line and the table's
# heading above the rows, "… N more", the share line, the blank line before the footer and one to
# spare (the footer's own lines are counted as they wrap).
CHROME_LINES = 6


class Frame(NamedTuple):
    """Everything one screen of `top` shows."""

    quota: str
    snapshot: Snapshot
    capacity: Capacity
    sort: str = "cpu"
    # Why the jobs come from GetRunningJobs instead of a snapshot.
    fallback: str | None = None
    # The last refresh's failure (the frame still shows the snapshot read before it).
    error: str | None = None
    failed_at: float | None = None
    # Live: seconds between refreshes (the footer names the keys); None: printed once.
    interval: float | None = None

    @property
    def jobs(self) -> list[QuotaJob]:
        return ordered(self.snapshot.jobs, self.sort)

    @property
    def quota_type(self) -> str | None:
        """The quota's type as people read it (`units.quota_kind`), when one is known."""
        if self.capacity.billing:
            return quota_kind(self.capacity.billing)
        # One type however the jobs spell it (payasyougo, PayAsYouGo: one pay-as-you-go).
        kinds = {
            quota_kind(kind) if isinstance(kind, str) else kind
            for kind in (job.raw.get("quotaType") for job in self.snapshot.jobs)
        }
        kinds.discard(None)
        kind = kinds.pop() if len(kinds) == 1 else None
        return kind if isinstance(kind, str) else None


def share(job: QuotaJob, frame: Frame) -> float | None:
    """The job's part of the quota: cores used over the capacity, else over the cores in use;
    from GetRunningJobs, its `cuSnapshot`."""
    if job.queued:
        return None
    if frame.snapshot.source == RUNNING_JOBS:
        return job.cu_snapshot
    if job.cpu_usage is None:
        return None
    whole = frame.capacity.cores or frame.snapshot.cores_used
    return job.cpu_usage / whole if whole else None


def share_basis(frame: Frame) -> str:
    if frame.snapshot.source == RUNNING_JOBS:
        return "share: the API's cuSnapshot, usually of the quota's capacity"
    if frame.capacity.cores:
        return f"share: of the {count(frame.capacity.cores)}-core capacity"
    return "share: of the cores in use (capacity unknown)"


def _percent(part: float, whole: float | None) -> str:
    return f" ({part / whole:.0%})" if whole else ""


def _when(moment: float, utc: bool) -> str:
    return human_time(datetime.fromtimestamp(moment, UTC), utc=utc)


def _clock(moment: float, utc: bool) -> str:
    local = datetime.fromtimestamp(moment, UTC)
    return (local if utc else local.astimezone()).strftime("%H:%M:%S")


def header_lines(
    frame: Frame, *, now: float, utc: bool, quote: Callable[[str], str] = display
) -> list[tuple[str, str]]:
    """The header as (text, style) lines: quota and type; snapshot; counts and use; notes.
    `quote` turns text from the service (or the user) into text for the view: `display` here,
    Markdown's `escape` for `-o markdown`; maxjob's own words and figures go in as they are."""
    snapshot, capacity = frame.snapshot, frame.capacity
    first = [quote(frame.quota)]
    kind = frame.quota_type
    if kind:
        first.append(kind if kind == PAY_AS_YOU_GO else quote(kind))
    if capacity.level1 and capacity.level1 != frame.quota:
        first.append(f"level-1 {quote(capacity.level1)}")
    if capacity.scheduler:
        first.append(quote(capacity.scheduler))
    if capacity.priority_enabled is not None:
        first.append("priorities on" if capacity.priority_enabled else "priorities off")
    lines = [(" · ".join(first), "bold")]
    if snapshot.source == RUNNING_JOBS:
        lines.append((f"GetRunningJobs at {_when(snapshot.read_at, utc)}", ""))
    elif snapshot.at is not None:
        age = snapshot.age(now) or 0.0
        lines.append((f"snapshot {_when(snapshot.at, utc)} · {duration(round(age))} old", ""))
    else:
        newest, oldest = snapshot.searched or (0, 0)
        minutes = (newest - oldest) // 60 + 1
        lines.append(
            (
                f"no snapshot between {_clock(oldest, utc)} and {_clock(newest, utc)}: the quota "
                f"may be idle, or its data lags more than {minutes} minutes",
                "yellow",
            )
        )
    lines.append((_use_line(frame), ""))
    if capacity.unknown and not capacity.is_pay_as_you_go:
        lines.append((f"capacity unknown: {quote(capacity.unknown)}", "yellow"))
    elif capacity.is_pay_as_you_go:
        lines.append((f"{PAY_AS_YOU_GO}: a shared pool, no capacity of its own", "dim"))
    if frame.fallback:
        lines.append(
            (
                f"from GetRunningJobs ({quote(frame.fallback)}): "
                "no priority, cores or memory; waits measured from submission",
                "yellow",
            )
        )
    if frame.error and frame.failed_at is not None:
        lines.append(
            (f"refresh at {_clock(frame.failed_at, utc)} failed: {quote(frame.error)}", "red")
        )
    return lines


def _use_line(frame: Frame) -> str:
    snapshot, capacity = frame.snapshot, frame.capacity
    parts = [f"{len(snapshot.running)} running", f"{len(snapshot.queued)} queued"]
    cores, memory = snapshot.cores_used, snapshot.memory_used
    if cores is not None:
        text = f"cores {count(cores)}"
        if capacity.cores:
            text += f" / {count(capacity.cores)}{_percent(cores, capacity.cores)}"
        parts.append(text)
    if memory is not None:
        text = f"memory {count(round(memory / 1024, 1))}"
        if capacity.memory_mb:
            text += f" / {count(capacity.memory_mb / 1024)} GB"
            text += _percent(memory, capacity.memory_mb)
        else:
            text += " GB"
        parts.append(text)
    if snapshot.source == RUNNING_JOBS:
        total = sum(job.cu_snapshot or 0.0 for job in snapshot.running)
        parts.append(f"cuSnapshot {total:.0%} in all")
    return " · ".join(parts)


def footer(frame: Frame) -> str:
    """`sorted by cpu · c cpu  w wait  p priority  r refresh  q quit · every 30s`."""
    keys = "  ".join(f"{key} {name}" for key, name in KEY_HELP)
    every = f" · every {duration(frame.interval)}" if frame.interval else ""
    return f"sorted by {frame.sort} · {keys}{every}"


class Cells(NamedTuple):
    instance_id: str
    state: str
    priority: str
    owner: str
    project: str
    waited: str
    ran: str
    cores: str
    memory: str
    share: str


def count(value: float | None) -> str:
    """Cores and GB as people read them: `90`, `1,024`, `0.50`."""
    if value is None:
        return ""
    return f"{int(value):,}" if value == int(value) else amount(value)


def cells(job: QuotaJob, frame: Frame) -> Cells:
    number = count

    cores = ""
    if job.cpu_usage is not None or job.cpu_request is not None:
        cores = f"{number(job.cpu_usage) or '-'}/{number(job.cpu_request) or '-'}"
    part = share(job, frame)
    return Cells(
        display(job.instance_id, limit=200),
        "queued" if job.queued else "running",
        "" if job.priority is None else str(job.priority),
        display(job.owner, limit=200),
        display(job.project, limit=200),
        duration(job.waited),
        duration(job.ran),
        cores,
        "" if job.memory_usage is None else count(round(job.memory_usage / 1024, 1)),
        "" if part is None else f"{part:.0%}",
    )


OWNER = 3  # the owner's column
HEADINGS = Cells(
    "ID", "STATE", "PRI", "OWNER", "PROJECT", "WAITED", "RAN", "CORES", "MEM GB", "SHARE"
)
RIGHT_ALIGNED = frozenset({2, 5, 6, 7, 8, 9})


def top_view(
    frame: Frame, *, now: float, utc: bool, width: int, height: int | None = None
) -> RenderableType:
    """The whole screen: header, the jobs as a table (cut to `height` lines, saying how many
    more), and in a live view a footer with the keys. Owner and project give way first when
    the width is short; the other columns keep their width."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from maxjob.render.layout import account
    from maxjob.render.table import MAX_WIDTH, constrained

    header = header_lines(frame, now=now, utc=utc)
    parts: list[RenderableType] = [_joined(text, style) for text, style in header]
    jobs = frame.jobs
    shown = jobs
    screen = min(width, MAX_WIDTH)
    if height is not None:
        # Lines as they wrap on this screen, so that the footer with the keys stays in view;
        # on a screen too short for even one row, none is listed.
        texts = [text for text, _ in header]
        if frame.interval is not None:
            texts.append(footer(frame))
        room = height - _lines(texts, screen) - CHROME_LINES
        shown = jobs[: max(room, 0)] if len(jobs) > room else jobs
    share_shown = False
    if jobs:
        rows = [cells(job, frame) for job in shown]
        widths = column_widths(rows, screen, keep=SORT_COLUMNS.get(frame.sort))
        if 0 < widths[OWNER] < max((len(row.owner) for row in rows), default=0):
            # Too narrow for whole owners: without their account type (`ALIYUN$`), so that
            # what is left of them still tells them apart.
            rows = [row._replace(owner=account(row.owner)) for row in rows]
            widths = column_widths(rows, screen, keep=SORT_COLUMNS.get(frame.sort))
        table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold")
        kept = [index for index, size in enumerate(widths) if size]
        share_shown = bool(shown) and HEADINGS.index("SHARE") in kept
        for index in kept:
            table.add_column(
                HEADINGS[index],
                justify="right" if index in RIGHT_ALIGNED else "left",
                no_wrap=True,
                overflow="ellipsis",
                width=widths[index],
            )
        for job, row in zip(shown, rows, strict=True):
            style = "yellow" if job.queued else None
            table.add_row(*(_cell(row[index]) for index in kept), style=style)
        if shown:
            parts.append(Text(""))
            parts.append(table)
        if len(shown) < len(jobs):
            more = (
                f"… {len(jobs) - len(shown)} more"
                if shown
                else f"{len(jobs)} jobs: no room to list them"
            )
            parts.append(Text(more, style="dim"))
    if share_shown:  # (what the SHARE column is a share of)
        parts.append(Text(share_basis(frame), style="dim"))
    if frame.interval is not None:
        parts.append(Text(""))
        parts.append(_joined(footer(frame), "dim"))
    return constrained(Group(*parts), width)


def _joined(line: str, style: str) -> Joined:
    """A header or footer line, broken between its ` · ` phrases to fit (a server string that
    holds ` · ` itself only gives it one more place to break)."""
    from maxjob.render.layout import Joined

    return Joined(line.split(" · "), style=style)


# The column each sort orders the rows by: kept however narrow the screen.
SORT_COLUMNS = {"cpu": 7, "wait": 5, "priority": 2}
# Columns that give up their room, most expendable first, when the screen is narrow (owner and
# project first shrink to `SHRUNK` columns).
DROPPED_FIRST = (4, 8, 9, 2, 3, 6)
SHRUNK = 8
GAP = 2  # columns between two columns of the table
# Owner and project are cut beyond this many columns, however wide the screen.
LONGEST_NAME = 28


def column_widths(rows: Sequence[Cells], width: int, *, keep: int | None = None) -> list[int]:
    """Each column's width (0: left out) so that the table fits `width` columns: owner and
    project shrink first, then whole columns go, least needed first, but never `keep` (the
    column the rows are sorted by)."""
    widths = [
        max([len(heading), *(len(row[index]) for row in rows)])
        for index, heading in enumerate(HEADINGS)
    ]
    for name in (3, 4):
        widths[name] = min(widths[name], LONGEST_NAME)

    def total() -> int:
        shown = [size for size in widths if size]
        return sum(shown) + GAP * (len(shown) - 1)

    for name in (4, 3):
        if total() > width:
            widths[name] = max(min(widths[name], widths[name] - (total() - width)), SHRUNK)
    for index in DROPPED_FIRST:
        if total() <= width:
            break
        if index != keep:
            widths[index] = 0
    if total() > width:  # the id itself is cut, never the state
        widths[0] = max(widths[0] - (total() - width), 4)
    return widths


def _lines(texts: Sequence[str], width: int) -> int:
    """How many lines the header and footer `texts` take on a screen `width` columns wide, as
    they are drawn (`_joined`)."""
    from rich.console import Console

    console = Console(width=max(width, 1), file=io.StringIO(), color_system=None)
    return sum(len(console.render_lines(_joined(text, ""), pad=False)) for text in texts)


def _cell(value: str) -> Text:
    from rich.text import Text

    return Text(value)


def summary(frame: Frame, *, now: float) -> str:
    """One line for stderr beside a machine-readable output: what the rows are of."""
    snapshot = frame.snapshot
    if snapshot.source == RUNNING_JOBS:
        when = f"GetRunningJobs at {rfc3339(_utc(snapshot.read_at))}"
    elif snapshot.at is not None:
        when = f"snapshot {rfc3339(_utc(snapshot.at))} ({duration(snapshot.age(now))} old)"
    else:
        when = "no snapshot in the last minutes"
    use = _use_line(frame)
    unknown = frame.capacity.unknown
    tail = f"; capacity unknown: {unknown}" if unknown and frame.capacity.cores is None else ""
    return f"maxjob: quota {frame.quota}, {when}: {use}{tail}"


def _utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def _number_field(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else f"{value:.4g}"


def records(frame: Frame) -> Iterator[list[str]]:
    """One list of `COLUMNS` values per job, in the frame's order, server text sanitised and
    never cut (`plain` and `csv`)."""
    for job in frame.jobs:
        part = share(job, frame)
        yield [
            whole(job.instance_id),
            "queued" if job.queued else "running",
            "" if job.priority is None else str(job.priority),
            whole(job.owner),
            whole(job.project),
            _number_field(job.waited),
            _number_field(job.ran),
            _number_field(job.cpu_usage),
            _number_field(job.cpu_request),
            _number_field(job.memory_usage),
            _number_field(job.memory_request),
            decimal(part),
            "" if job.submitted_at is None else rfc3339(_utc(job.submitted_at)),
        ]


def plain(frame: Frame) -> str:
    """`plain`: one tab-separated line of `COLUMNS` per job, no header."""
    return "".join("\t".join(record) + "\n" for record in records(frame))


def csv_text(frame: Frame) -> str:
    """`csv`: RFC 4180, a header row of `COLUMNS`, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records(frame):
        # Server text a spreadsheet would run as a formula (=, +, -, @) gets a leading ', as in
        # list and history: the id, the owner and the project.
        writer.writerow(
            [
                "'" + v if i in _TEXT_COLUMNS and v[:1] in "=+-@" and v else v
                for i, v in enumerate(record)
            ]
        )
    return out.getvalue()


_TEXT_COLUMNS = (0, 3, 4)


def markdown(frame: Frame, *, now: float, md: Any) -> str:
    """`markdown`: the header as lines of a paragraph, then the jobs as a GitHub table; `md` is
    `maxjob.render.markdown` (its `escape` and `table`)."""
    header = header_lines(frame, now=now, utc=True, quote=lambda text: str(md.escape(text)))
    lines = [text for text, _ in header]
    parts = ["  \n".join(lines)]
    if frame.jobs:
        align = "".join("r" if index in RIGHT_ALIGNED else "l" for index in range(len(HEADINGS)))
        parts.append(
            str(
                md.table(list(HEADINGS), [list(cells(job, frame)) for job in frame.jobs], align)
            ).rstrip("\n")
        )
        parts.append(share_basis(frame))  # maxjob's own words: nothing Markdown reads
    return "\n\n".join(parts) + "\n"


def sorted_raw(frame: Frame) -> Sequence[object]:
    """The API's items exactly as returned, in the frame's order (for `json` and `jsonl`)."""
    return [job.raw for job in frame.jobs]
