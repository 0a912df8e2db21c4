"""A list of jobs (ListJobInfos items) as rows: the outcome, the figures, and the `plain` and
`csv` lines. No rich (the `table` is in `list_table`).

A row's figures are `info`'s: the item is read as a `JobInfo` and its durations come from
`phases.job_figures` at the listing's frozen `now`, so a job reads the same in `list` and `info`
to the second (an item has no substatuses, whose sub-second times `info` may refine a finished
job's whole seconds with: 4.5s there is 4s here, the API's `runningTime`).
Every server string is sanitised here (`display`), never in `json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from maxjob.models import JobInfo
from maxjob.render.phases import job_figures
from maxjob.render.sanitize import display, whole
from maxjob.render.units import core_hours, decimal, rfc3339

if TYPE_CHECKING:
    from maxjob.listing import Tally

# A string as long as this is shown cut; `json` has it whole.
TEXT_LIMIT = 2000
# The columns of `plain` (tab-separated, no header), in order; the README documents them.
PLAIN_COLUMNS = (
    "instanceId",
    "outcome",
    "project",
    "jobOwner",
    "submitted (RFC 3339, UTC)",
    "waited (s)",
    "ran (s)",
    "core-hours",
    "inputBytes",
    "quotaNickname",
)
# The header of `csv`: the API's names of the table's fields (the outcome is `status`).
CSV_FIELDS = (
    "instanceId",
    "status",
    "project",
    "jobOwner",
    "submittedAtTime",
    "waitingTime",
    "runningTime",
    "cuUsage",
    "inputBytes",
    "quotaNickname",
)
# What a spreadsheet would run as a formula (OWASP's CSV injection list).
_FORMULA_STARTS = ("=", "+", "-", "@")


class JobRow(NamedTuple):
    """One job of a list, as every text format shows it (strings already sanitised)."""

    instance_id: str
    outcome: str
    project: str
    owner: str
    submitted: datetime | None
    waited: float | None
    ran: float | None
    core_hours: float | None
    input_bytes: float | None
    quota: str
    priority: int | None = None


def outcome(job: JobInfo) -> str:
    """`succeeded`, `failed` or `cancelled` as `info` tells them; `ended` for a job whose
    status is only `terminated` and whose item has no substatus to say how (ListJobInfos has
    none): never a guess. A job still going shows its status (`running`, `waiting`, ...)."""
    if not job.is_finished or job.outcome is None:
        return display(job.status, limit=64).lower() or "unknown"
    return job.outcome.value


def job_row(item: Mapping[str, Any], now: datetime, *, uncut: bool = False) -> JobRow:
    """The row of one ListJobInfos item at `now` (the listing's frozen clock). Its text is cut
    at `TEXT_LIMIT` characters for the table, or kept `uncut` (`plain`: never cut)."""
    job = JobInfo.from_api(item)
    figures = job_figures(job, now)

    def text(value: str | None) -> str:
        return whole(value) if uncut else display(value, limit=TEXT_LIMIT)

    return JobRow(
        instance_id=text(job.instance_id),
        outcome=outcome(job),
        project=text(job.project),
        owner=text(job.job_owner),
        submitted=job.submitted_at,
        waited=figures.waited,
        ran=figures.ran,
        core_hours=None if job.cu_usage is None else core_hours(job.cu_usage),
        input_bytes=job.input_bytes,
        quota=text(job.quota_nickname),
        priority=job.priority,
    )


def _seconds(value: float | None) -> str:
    return "" if value is None else str(round(value))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else repr(value)


def plain_line(row: JobRow) -> str:
    """`PLAIN_COLUMNS`, tab-separated: machine units (seconds, core-hours, bytes), times in
    RFC 3339 UTC, an unknown value empty."""
    cells = (
        row.instance_id,
        row.outcome,
        row.project,
        row.owner,
        rfc3339(row.submitted) if row.submitted else "",
        _seconds(row.waited),
        _seconds(row.ran),
        decimal(row.core_hours),
        _number(row.input_bytes),
        row.quota,
    )
    return "\t".join(cells)


def csv_cells(item: Mapping[str, Any]) -> list[str]:
    """`CSV_FIELDS` of an item: numbers as the API wrote them, text sanitised like `plain` and
    kept from being read as a spreadsheet formula (a leading `'`), anything else empty."""
    cells = []
    for name in CSV_FIELDS:
        value = item.get(name)
        if isinstance(value, str):
            text = whole(value)
            cells.append("'" + text if text.startswith(_FORMULA_STARTS) else text)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            cells.append(json.dumps(value))
        else:
            cells.append("")
    return cells


def footer(tally: Tally) -> str:
    """`12 jobs`, or `50 of 1,234 jobs (--limit 0 for all)`; `about` when windows overlap
    (a job in two is counted twice), `at least` when older windows were never read."""
    shown, matched = tally.shown, tally.matched
    unread = tally.windows_counted < tally.windows
    more = "(--limit N for more, 0 for all)"
    if tally.complete or (shown >= matched and not unread):
        return f"{shown:,} {'job' if shown == 1 else 'jobs'}"
    noun = "job" if matched == 1 else "jobs"
    if unread:
        if shown >= matched:
            return f"{shown:,} {'job' if shown == 1 else 'jobs'}; older ones may match {more}"
        return f"{shown:,} of at least {matched:,} {noun} {more}"
    about = "" if tally.windows <= 1 else "about "
    return f"{shown:,} of {about}{matched:,} {noun} {more}"
