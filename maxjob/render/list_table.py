"""The `table` of `list`: one line per job, its columns fitted to the terminal's width.

The widths are decided once, from the first rows (a page), so that later rows can be printed as
their pages arrive. Each column, by rank, gets its widest value if it fits; a text column that
does not may take what is left (at least `MIN_TEXT`), cut with `…`; the others are left out. The
ID and the outcome come first, then a column the list is sorted by. Every cell is a
`rich.text.Text` of sanitised text: never markup.

An ID and a figure are never cut: a later row's figure wider than its column (a job that ran
for hours below a first page of seconds) pushes the rest of its line to the right, as
`kubectl get --watch` does, and the text columns of that line give up the room (cut shorter
with `…`). When more rows may follow the first ones, a duration column is at least
`DURATION_ROOM` wide, so that most do not.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text

from maxjob.render.job_list import JobRow
from maxjob.render.layout import account
from maxjob.render.phases import OUTCOME_STYLES, STATUS_STYLES
from maxjob.render.units import amount, binary_bytes, duration

GAP = 2
# A text column narrowed to make room keeps at least this much.
MIN_TEXT = 8
EMPTY = "-"
# Room for `59m 59s` in a duration column when more rows may follow than decided its width.
DURATION_ROOM = 7


class Column(NamedTuple):
    key: str
    header: str
    rank: int  # the order in which columns get room; lower first
    right: bool = False  # numbers align right
    flex: bool = False  # text that may be cut to fit
    cap: int = 0  # at most this wide (0: its widest value)
    sorted_only: bool = False  # shown only when the list is sorted by it


COLUMNS = (
    Column("id", "ID", 0, cap=64),
    Column("outcome", "OUTCOME", 1, cap=16),
    Column("project", "PROJECT", 4, flex=True, cap=28),
    Column("owner", "OWNER", 7, flex=True, cap=36),
    Column("submitted", "SUBMITTED", 2),
    Column("waited", "WAITED", 5, right=True),
    Column("ran", "RAN", 3, right=True),
    Column("cu", "CU-HOURS", 6, right=True),
    Column("input", "INPUT", 8, right=True),
    Column("quota", "QUOTA", 9, flex=True, cap=24),
    Column("priority", "PRIORITY", 10, right=True, sorted_only=True),
)
# The column that shows an API sort field: sorting by it gives it room first.
SORT_COLUMNS = {
    "submittedAtTime": "submitted",
    "waitingTime": "waited",
    "runningTime": "ran",
    "cuUsage": "cu",
    "inputBytes": "input",
    "priority": "priority",
}


class Layout(NamedTuple):
    columns: tuple[tuple[Column, int], ...]
    width: int
    utc: bool
    # Owners without their account type (`ALIYUN$`): the column is too narrow for them whole.
    short_owner: bool = False


def submitted_text(moment: datetime | None, *, utc: bool) -> str:
    """`11-30 08:00`: a listing reaches 45 days back at most, so the year goes without saying."""
    if moment is None:
        return ""
    shown = moment.astimezone(UTC) if utc else moment.astimezone()
    return shown.strftime("%m-%d %H:%M")


def cells(row: JobRow, *, utc: bool, short_owner: bool = False) -> dict[str, str]:
    """The text of each column for one job (`short_owner`: see `Layout`)."""
    return {
        "id": row.instance_id,
        "outcome": row.outcome,
        "project": row.project,
        "owner": account(row.owner) if short_owner else row.owner,
        "submitted": submitted_text(row.submitted, utc=utc),
        "waited": duration(row.waited),
        "ran": duration(row.ran),
        "cu": "" if row.core_hours is None else amount(row.core_hours),
        "input": binary_bytes(row.input_bytes),
        "quota": row.quota,
        "priority": "" if row.priority is None else str(row.priority),
    }


def header_text(column: Column, *, utc: bool) -> str:
    return "SUBMITTED (UTC)" if column.key == "submitted" and utc else column.header


def layout(
    rows: Sequence[JobRow],
    width: int,
    *,
    utc: bool,
    sorted_by: Collection[str] = (),
    more: bool = False,
) -> Layout:
    """The columns that fit in `width`, and their widths, for rows like `rows` (`more`: other
    rows may follow, printed in the same columns)."""
    shape = _fit(rows, width, utc=utc, sorted_by=sorted_by, more=more, short_owner=False)
    owner = dict((column.key, size) for column, size in shape.columns).get("owner")
    if owner is not None and any(cell_len(row.owner) > owner for row in rows):
        shape = _fit(rows, width, utc=utc, sorted_by=sorted_by, more=more, short_owner=True)
    return shape


def _fit(
    rows: Sequence[JobRow],
    width: int,
    *,
    utc: bool,
    sorted_by: Collection[str],
    more: bool,
    short_owner: bool,
) -> Layout:
    texts = [cells(row, utc=utc, short_owner=short_owner) for row in rows]
    natural: dict[str, int] = {}
    for column in COLUMNS:
        widest = max(
            [cell_len(header_text(column, utc=utc))]
            + [cell_len(text[column.key] or EMPTY) for text in texts]
        )
        natural[column.key] = min(widest, column.cap) if column.cap else widest
    if more:
        for key in ("waited", "ran"):
            natural[key] = max(natural[key], DURATION_ROOM)
    promoted = {SORT_COLUMNS[name] for name in sorted_by if name in SORT_COLUMNS}
    # RAN before WAITED, unless more of these jobs have waited than have run (a queue).
    ranks = {column.key: column.rank for column in COLUMNS}
    if sum(1 for t in texts if t["waited"]) > sum(1 for t in texts if t["ran"]):
        ranks["waited"], ranks["ran"] = ranks["ran"], ranks["waited"]

    def rank(column: Column) -> tuple[int, int]:
        if column.rank <= 1:
            return (0, column.rank)
        return (1 if column.key in promoted else 2, ranks[column.key])

    chosen: dict[str, int] = {}
    used = -GAP
    for column in sorted(COLUMNS, key=rank):
        if column.sorted_only and column.key not in promoted:
            continue
        room = width - used - GAP
        if natural[column.key] <= room:
            chosen[column.key] = natural[column.key]
        elif column.flex and room >= MIN_TEXT:
            chosen[column.key] = room  # cut: the last column that gets room
        elif column.key == "id":  # the ID is always shown, cut only by the screen's edge
            chosen[column.key] = natural["id"]
        else:
            continue
        used += GAP + chosen[column.key]
    return Layout(
        tuple((column, chosen[column.key]) for column in COLUMNS if column.key in chosen),
        width,
        utc,
        short_owner,
    )


def _cell(text: str, column: Column, size: int, style: str = "") -> Text:
    cell = Text(text or EMPTY, style=style if text else "dim")
    if (column.key == "id" or column.right) and cell.cell_len > size:
        return cell  # never cut: the line is cut at the screen's edge instead
    if column.right:
        cell.truncate(size, overflow="ellipsis")
        cell.align("right", size)
    else:
        cell.truncate(size, overflow="ellipsis", pad=True)
    return cell


def _line(parts: Sequence[Text], width: int) -> Text:
    line = Text(" " * GAP).join(parts)
    line.rstrip()
    line.truncate(width, overflow="ellipsis")
    return line


def header_line(shape: Layout) -> Text:
    return _line(
        [
            _cell(header_text(column, utc=shape.utc), column, size, "bold")
            for column, size in shape.columns
        ],
        shape.width,
    )


def outcome_style(row: JobRow) -> str:
    for outcome, style in OUTCOME_STYLES.items():
        if row.outcome == outcome.value:
            return style
    return STATUS_STYLES.get(row.outcome, "")


def row_line(row: JobRow, shape: Layout) -> Text:
    texts = cells(row, utc=shape.utc, short_owner=shape.short_owner)
    sizes = _refit(texts, shape)
    return _line(
        [
            _cell(
                texts[column.key],
                column,
                size,
                outcome_style(row) if column.key == "outcome" else "",
            )
            for column, size in zip((column for column, _ in shape.columns), sizes, strict=True)
        ],
        shape.width,
    )


def _refit(texts: dict[str, str], shape: Layout) -> list[int]:
    """The column widths for one row: as decided, but when its ID or a figure is wider than its
    column (it is never cut), the text columns of this line give up the room it takes, the last
    one first, down to one cell each."""
    sizes = [size for _, size in shape.columns]
    over = sum(
        max(0, cell_len(texts[column.key] or EMPTY) - size)
        for column, size in shape.columns
        if column.key == "id" or column.right
    )
    spare = shape.width - (sum(sizes) + GAP * (len(sizes) - 1))
    over -= max(0, spare)
    for index in reversed(range(len(sizes))):
        column = shape.columns[index][0]
        if over <= 0:
            break
        if column.flex:
            given = min(over, sizes[index] - 1)
            sizes[index] -= given
            over -= given
    return sizes


def footer_line(text: str) -> Text:
    return Text(text, style="dim")


def picture(
    rows: Sequence[JobRow],
    footer: str,
    *,
    width: int,
    utc: bool,
    sample: int,
    sorted_by: Collection[str] = (),
) -> Group | Text:
    """The whole table as the terminal shows it, for `--export`: the header, a line per row,
    then `footer` (which wraps rather than being cut); the widths come from the first `sample`
    rows, as on the terminal. No rows: `footer` alone (why nothing is shown)."""
    closing = footer_line(footer)
    if not rows:
        return closing
    first = rows[: max(1, sample)]
    shape = layout(first, width, utc=utc, sorted_by=sorted_by, more=len(rows) > len(first))
    table = Text("\n").join([header_line(shape), *(row_line(row, shape) for row in rows)])
    table.no_wrap, table.overflow = True, "ellipsis"
    return Group(table, closing)
