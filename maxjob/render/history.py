"""What `maxjob history` shows: the terminal view (verdict, sparkline, one row per run), and the
`plain`, `csv` and `markdown` renderings of the same rows.

Pure functions. Every server string goes through `display` (and, in Markdown, `markdown.escape`);
rich renderables are built from `Text`, never markup, and rich is imported only by `view`. Every
figure comes from `history_stats` (the rows' times from `phases.job_figures` through `Run`), so
the verdict, the summary lines and the rows agree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from maxjob.history_stats import Run, Scope, Summary
from maxjob.render.sanitize import display, whole
from maxjob.render.units import amount, binary_bytes, decimal, duration, human_time, rfc3339

if TYPE_CHECKING:
    from rich.console import RenderableType

SPARKS = "▁▂▃▄▅▆▇█"
OUTCOME_STYLES = {
    "succeeded": "green",
    "failed": "red",
    "cancelled": "magenta",
    "ended": "blue",
    "running": "cyan",
    "waiting": "yellow",
}
# `plain` and `csv`: the columns, in order (documented in the README).
PLAIN_COLUMNS = (
    "instanceId",
    "run",
    "submitted",
    "outcome",
    "waited",
    "ran",
    "total",
    "cuHours",
    "inputBytes",
    "priority",
    "quota",
    "project",
)
CSV_COLUMNS = (
    "instanceId",
    "run",
    "submittedAtTime",
    "status",
    "outcome",
    "waitingTime",
    "runningTime",
    "totalTime",
    "cuUsage",
    "cuHours",
    "inputBytes",
    "priority",
    "quotaNickname",
    "project",
)


def _seconds(value: float | None) -> str:
    """A duration in whole seconds, as the API gives them (a run still going is measured to
    now, to the microsecond: cut, not rounded, so it never runs ahead); empty if unknown."""
    return "" if value is None else str(int(value))


def _number(value: float | None) -> str:
    """A number for a machine: `770`, `12.5`, never in exponent notation; empty if unknown."""
    if value is None:
        return ""
    if value == int(value):
        return str(int(value))
    return f"{value:.3f}".rstrip("0")


def _bytes(value: float | None) -> str:
    return "" if value is None else str(round(value))


def _cu(run: Run) -> str:
    hours = run.cu_hours
    return "" if hours is None else amount(hours)


def _cu_figure(run: Run) -> str:
    """CU-hours for `plain` and `csv`: as `list` writes them (`1234.5`, never `1,234`)."""
    return decimal(run.cu_hours)


def _submitted(run: Run, *, utc: bool) -> str:
    moment = run.job.submitted_at
    if moment is None:
        return ""
    return human_time(moment, utc=utc)[:16]


def _zone(moment: datetime | None, *, utc: bool) -> str:
    if utc or moment is None:
        return "UTC"
    return human_time(moment, utc=False)[20:]


# -- plain and csv ------------------------------------------------------------------------------


def plain_line(run: Run, *, this: bool) -> str:
    """One tab-separated line of `PLAIN_COLUMNS`: times in RFC 3339 UTC, durations in seconds,
    an unknown value empty (as `list` and `top` write it), server text sanitised, never cut."""
    job = run.job

    text = whole
    fields = [
        text(job.instance_id),
        "this" if this else "earlier",
        rfc3339(job.submitted_at) if job.submitted_at else "",
        text(run.outcome),
        _seconds(run.waited),
        _seconds(run.ran),
        _seconds(run.total),
        _cu_figure(run),
        _bytes(run.input_bytes),
        "" if job.priority is None else str(job.priority),
        text(job.quota_nickname),
        text(job.project),
    ]
    return "\t".join(fields) + "\n"


def _spreadsheet_safe(value: str) -> str:
    # A cell a spreadsheet would read as a formula (=, +, -, @) is quoted with a leading '.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_text(this: Run, earlier: Sequence[Run]) -> str:
    """RFC 4180 (CRLF line ends), a header row of `CSV_COLUMNS`: the API's own field names and
    values (times as RFC 3339 UTC), plus `run` (this/earlier), `outcome` and `cuHours`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for run, is_this in _all(this, earlier):
        job = run.job

        def text(value: str | None) -> str:
            return _spreadsheet_safe(whole(value))

        writer.writerow(
            [
                text(job.instance_id),
                "this" if is_this else "earlier",
                rfc3339(job.submitted_at) if job.submitted_at else "",
                text(job.status),
                text(run.outcome),
                "" if run.waited is None else _seconds(run.waited),
                "" if run.ran is None else _seconds(run.ran),
                "" if run.total is None else _seconds(run.total),
                "" if job.cu_usage is None else _number(job.cu_usage),
                _cu_figure(run),
                "" if run.input_bytes is None else _bytes(run.input_bytes),
                "" if job.priority is None else str(job.priority),
                text(job.quota_nickname),
                text(job.project),
            ]
        )
    return out.getvalue()


def _all(this: Run, earlier: Sequence[Run]) -> Iterator[tuple[Run, bool]]:
    yield this, True
    for run in earlier:
        yield run, False


# -- words shared by the view and Markdown ------------------------------------------------------


def scope_line(
    summary: Summary, scope: Scope, escape: Callable[[str | None], str] = display
) -> str:
    """`12 earlier runs with this SQL signature in sales_dw in the 14 days before it: 10
    succeeded, 1 failed, 1 cancelled`; server text through `escape`."""
    count = summary.earlier
    where = (
        "in every project"
        if scope.projects is None
        else "in " + ", ".join(escape(project) for project in scope.projects)
    )
    if not scope.searched:
        return f"Earlier runs {scope.key_words} {where}: not looked up"
    head = (
        f"{count} earlier run{'' if count == 1 else 's'} {scope.key_words} {where} "
        f"{scope.window_words}"
    )
    if count >= scope.runs:
        head += f" (the newest {scope.runs})"
    if not summary.outcomes:
        return head
    parts = [f"{n} {escape(outcome)}" for outcome, n in _outcomes(summary)]
    return f"{head}: {', '.join(parts)}"


def _outcomes(summary: Summary) -> list[tuple[str, int]]:
    order = {name: index for index, name in enumerate(OUTCOME_STYLES)}
    return sorted(summary.outcomes.items(), key=lambda pair: (order.get(pair[0], 99), pair[0]))


def stats_parts(summary: Summary) -> list[str]:
    """`median of 10 successful runs: wait 53s (p90 1m 05s)`, `run 13m 15s (p90 14m 20s)`,
    `total 14m 04s`, `7.07 CU-hours`, `input 20.3 GiB`; none when there is no verdict."""
    if not summary.enough:
        return []
    m = summary.measures
    parts = []
    for name in ("wait", "run"):
        if m[name].median is not None:
            parts.append(f"{name} {duration(m[name].median)} (p90 {duration(m[name].p90)})")
    if m["total"].median is not None:
        parts.append(f"total {duration(m['total'].median)}")
    if m["cu"].median is not None:
        parts.append(f"{amount(m['cu'].median)} CU-hours")
    if m["input"].median is not None:
        parts.append(f"input {binary_bytes(m['input'].median)}")
    if parts:
        count = summary.successful
        parts[0] = f"median of {count} successful run{'' if count == 1 else 's'}: {parts[0]}"
    return parts


def flow(parts: Sequence[str], width: int, separator: str = " · ") -> list[str]:
    """`parts` joined by `separator` into lines of at most `width` (a part longer than that
    stands alone): lines break between parts, never inside `12m 00s`."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(separator) + len(part) <= width:
            lines[-1] += separator + part
        else:
            lines.append(part if not lines else separator.lstrip() + part)
    return lines


# -- the sparkline ------------------------------------------------------------------------------


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value, from 0 (`▁`) to the largest (`█`); `·` for an unknown value."""
    known = [v for v in values if v is not None and v >= 0]
    top = max(known, default=0.0)
    bars = []
    for value in values:
        if value is None or value < 0:
            bars.append("·")
        elif top <= 0:
            bars.append(SPARKS[0])
        else:
            bars.append(SPARKS[min(len(SPARKS) - 1, int(value / top * len(SPARKS)))])
    return "".join(bars)


# -- the terminal view --------------------------------------------------------------------------


class Column(NamedTuple):
    header: str
    cells: list[str]
    right: bool = False


def _columns(this: Run, earlier: Sequence[Run], *, utc: bool) -> dict[str, Column]:
    runs = [this, *earlier]
    zone = _zone(this.job.submitted_at, utc=utc)
    return {
        "mark": Column("", ["▶"] + [""] * len(earlier)),
        "submitted": Column(f"Submitted ({zone})", [_submitted(r, utc=utc) for r in runs]),
        "outcome": Column("Outcome", [display(r.outcome, limit=24) for r in runs]),
        "waited": Column("Waited", [duration(r.waited) for r in runs], right=True),
        "ran": Column("Ran", [duration(r.ran) for r in runs], right=True),
        "cu": Column("CU-hours", [_cu(r) for r in runs], right=True),
        "input": Column("Input", [binary_bytes(r.input_bytes) for r in runs], right=True),
        "priority": Column(
            "Prio", ["" if r.job.priority is None else str(r.job.priority) for r in runs], True
        ),
        "quota": Column("Quota", [display(r.job.quota_nickname, limit=40) for r in runs]),
        "id": Column("ID", [display(r.job.instance_id, limit=64) for r in runs]),
    }


# Shown in this order; kept, when the screen is narrow, in the order of `KEEP`.
ORDER = ("mark", "submitted", "outcome", "waited", "ran", "cu", "input", "priority", "quota", "id")
KEEP = ("mark", "submitted", "outcome", "ran", "waited", "input", "cu", "quota", "priority", "id")
GAP = 2


def fitting(columns: dict[str, Column], width: int) -> list[str]:
    """The columns that fit in `width`, most wanted first, shown in `ORDER`."""
    chosen: list[str] = []
    used = -GAP
    for name in KEEP:
        column = columns[name]
        need = max([len(column.header), *(len(c) for c in column.cells)]) + GAP
        if used + need > width and len(chosen) >= 3:
            continue
        chosen.append(name)
        used += need
    return [name for name in ORDER if name in chosen]


def verdict_style(summary: Summary) -> str:
    run = summary.measures["run"]
    if not summary.enough:
        return "dim"
    if run.level == "higher":
        return "bold red" if (run.ratio or 0) >= 2 else "bold yellow"
    if summary.measures["wait"].level == "higher":
        return "bold yellow"
    return "bold green" if run.level == "usual" else "bold cyan"


def view(
    this: Run,
    earlier: Sequence[Run],
    summary: Summary,
    scope: Scope,
    *,
    utc: bool,
    width: int,
) -> RenderableType:
    """Verdict, what was compared, the medians, the sparkline of total time (oldest on the left,
    this run on the right, apart), and one row per run (this run first, then newest first)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    lines: list[RenderableType] = []
    title = Text()
    title.append(display(this.job.instance_id) or "(no instance id)", style="bold")
    title.append("  ")
    title.append(f" {display(this.outcome, limit=24)} ", style=_outcome_style(this.outcome, True))
    lines.append(title)
    if summary.verdict is not None:
        lines.append(Text(summary.verdict, style=verdict_style(summary)))
    else:
        reason = display(_capital(summary.reason or "no verdict"))
        lines.append(Text(reason + ".", style="yellow"))
    lines.append(Text(scope_line(summary, scope), style="dim"))
    for line in flow(stats_parts(summary), width):
        lines.append(Text(line, style="dim"))
    if earlier:
        lines.append(_spark_text(this, earlier))
    lines.append(Text())
    columns = _columns(this, earlier, utc=utc)
    shown = fitting(columns, width)
    table = Table(box=None, padding=(0, GAP // 2), pad_edge=False, show_edge=False)
    for name in shown:
        column = columns[name]
        table.add_column(
            column.header,
            justify="right" if column.right else "left",
            no_wrap=True,
            overflow="ellipsis",
            header_style="bold",
        )
    for index, run in enumerate([this, *earlier]):
        cells: list[Text] = []
        for name in shown:
            cell = columns[name].cells[index]
            style = _outcome_style(run.outcome, False) if name == "outcome" else ""
            cells.append(Text(cell, style=style))
        table.add_row(*cells, style="bold" if index == 0 else "")
    lines.append(table)
    return Group(*lines)


def _spark_text(this: Run, earlier: Sequence[Run]) -> RenderableType:
    from rich.text import Text

    oldest_first = list(reversed(earlier))
    bars = sparkline([r.total for r in oldest_first] + [this.total])
    line = Text("total time  ", style="dim")
    for run, bar in zip(oldest_first, bars, strict=False):
        line.append(
            bar, style=_outcome_style(run.outcome, False) if run.outcome != "succeeded" else ""
        )
    line.append(" ")
    line.append(bars[-1], style="bold cyan")
    top = max((r.total for r in [*earlier, this] if r.total is not None), default=None)
    line.append(" ◂ this run", style="bold cyan")
    if this.total is not None:
        line.append(f" {duration(this.total)}", style="bold cyan")
    if top is not None and top != this.total:
        line.append(f"  (█ {duration(top)})", style="dim")
    return line


def _outcome_style(outcome: str, reverse: bool) -> str:
    style = OUTCOME_STYLES.get(outcome, "white")
    return f"bold reverse {style}" if reverse else style


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- Markdown -----------------------------------------------------------------------------------


def markdown(this: Run, earlier: Sequence[Run], summary: Summary, scope: Scope) -> str:
    """A heading, the verdict (or why there is none), what was compared, and a table of the runs
    (times in UTC): for a step summary, a PR comment or a ticket."""
    from maxjob.render import markdown as md

    lines = [md.heading(3, "maxjob history", md.escape(this.job.instance_id)), ""]
    if summary.verdict is not None:
        lines.append(f"**{summary.verdict}**")  # maxjob's own words and figures
    else:
        lines.append(f"*{_capital(summary.reason or 'no verdict')}.*")
    lines += ["", scope_line(summary, scope, md.escape) + "."]
    stats = stats_parts(summary)
    if stats:
        lines += ["", _capital(" · ".join(stats)) + "."]
    header = ["", "Submitted (UTC)", "Outcome", "Waited", "Ran", "CU-hours", "Input", "Priority"]
    rows = []
    for run, is_this in _all(this, earlier):
        job = run.job
        # maxjob's own figures as they are; server text (outcome, quota, ID) escaped.
        figures = [
            _submitted(run, utc=True),
            duration(run.waited),
            duration(run.ran),
            _cu(run),
            binary_bytes(run.input_bytes),
            "" if job.priority is None else str(job.priority),
        ]
        own = [md.Markdown(figure) for figure in figures]
        mark = md.bold("this run") if is_this else ""
        server = [md.escape(run.outcome), md.escape(job.quota_nickname), md.escape(job.instance_id)]
        rows.append([mark, own[0], server[0], *own[1:], *server[1:]])
    headers = [md.Markdown(name) for name in [*header, "Quota", "ID"]]  # our own words
    lines += ["", md.table(headers, rows, align="lllrrrrrll")]
    return "\n".join(lines)
