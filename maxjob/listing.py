"""Jobs over a time window, from ListJobInfos: windows of at most 7 days, pages, no job twice.

`list` and `history` both read jobs this way. The window is frozen when the command starts, so
every page describes the same window; a window over 7 days is split into windows of at most 7
days, newest first [INF: the console's limit; the API documents none]; a job seen in two windows
or two pages is yielded once. Memory stays flat in the number of jobs apart from the set of ids
seen (for the dedup).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from maxjob.errors import UsageError
from maxjob.timespec import parse_duration

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient

MAX_WINDOW = timedelta(days=7)
WHEN_FORMS = (
    "a duration back from now (90s, 30m, 2h, 7d), an RFC 3339 time (2026-11-30T08:00:00+08:00), "
    "or a date (2026-11-30; times without an offset and dates are in the local time zone)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Window(NamedTuple):
    """[since, until], UNIX seconds, as ListJobInfos' `from` and `to`."""

    since: int
    until: int


def parse_when(text: str, now: datetime, *, name: str) -> datetime:
    """`--since`/`--until` WHEN to an aware time; a UsageError with the accepted forms else."""
    value = text.strip()
    if not value:
        raise UsageError(f"{name} is empty: give {WHEN_FORMS}")
    if value.lower() == "now":
        return now
    if value[0].isdigit() and not _DATE.match(value):
        try:
            return now - timedelta(seconds=parse_duration(value, name=name))
        except UsageError:
            pass
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{name} {value!r} is not {WHEN_FORMS}") from None
    if when.tzinfo is None:
        when = when.astimezone()  # local time, as TZ says
    return when


def window(since: str, until: str, *, now: datetime | None = None) -> Window:
    """The frozen window of `--since` and `--until`."""
    moment = now or datetime.now(UTC)
    start = parse_when(since, moment, name="--since")
    end = parse_when(until, moment, name="--until")
    if start > end:
        raise UsageError(
            f"--since ({start:%Y-%m-%d %H:%M:%S %z}) is after --until ({end:%Y-%m-%d %H:%M:%S %z})"
        )
    return Window(int(start.timestamp()), int(end.timestamp()))


def split(whole: Window, most: timedelta = MAX_WINDOW) -> list[Window]:
    """`whole` as windows of at most `most`, newest first."""
    step = int(most.total_seconds())
    parts: list[Window] = []
    end = whole.until
    while True:
        start = max(whole.since, end - step)
        parts.append(Window(start, end))
        if start <= whole.since:
            return parts
        end = start


def jobs(
    client: MaxComputeClient,
    filters: Mapping[str, Any],
    whole: Window,
    *,
    limit: int = 0,
    concurrency: int = 4,
    page_size: int = 100,
) -> Iterator[dict[str, Any]]:
    """The API's job items over `whole`, window by window (newest first) and page by page in
    order, each job once, at most `limit` (0: all). `filters` is the body without from/to."""
    from maxjob.api import operations

    seen: set[str] = set()
    count = 0
    for part in split(whole):
        body = {"from": part.since, "to": part.until, **filters}

        def page(number: int, body: dict[str, Any] = body) -> operations.Operation:
            return operations.list_job_infos(body, page_number=number, page_size=page_size)

        pages = client.pages(
            page, items="jobInfoList", page_size=page_size, concurrency=concurrency
        )
        try:
            for items in pages:
                for item in items:
                    if not isinstance(item, dict):
                        continue
                    key = item.get("instanceId")
                    if isinstance(key, str):
                        if key in seen:
                            continue
                        seen.add(key)
                    yield item
                    count += 1
                    if limit and count >= limit:
                        return
        finally:
            pages.close()
