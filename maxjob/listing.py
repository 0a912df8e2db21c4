"""Jobs over a time window, from ListJobInfos: windows of at most 7 days, pages, no job twice.

`list` and `history` both read jobs this way. The window is frozen when the command starts, so
every page describes the same window; a window over 7 days is split into windows of at most 7
days, newest first [INF: the console's limit; the API documents none]; a job seen in two windows
or two pages is yielded once.

Pages: the first page of every window is asked for at once; its `totalCount` tells how many
pages follow, and those are fetched ahead on one pool of `concurrency` threads (one connection
pool: the client's), at most about 2 x `concurrency` pages ahead in all and no more than `limit`
still needs, and yielded strictly in page order as soon as each next page is in. Several windows
are merged on the sort of the request (`sortByList`/`sortOrderList`, else `submittedAtTime`
newest first), so that `--sort cuUsage:desc` over 30 days is one order, not one per week; ties
keep the newer window first. Memory stays flat in the number of jobs apart from the set of ids
seen (for the dedup).
"""

from __future__ import annotations

import heapq
import re
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from maxjob.config import json_type
from maxjob.errors import ResponseError, UsageError
from maxjob.timespec import parse_duration

if TYPE_CHECKING:
    from concurrent.futures import Future

    from maxjob.api.client import MaxComputeClient

MAX_WINDOW = timedelta(days=7)
# How far back ListJobInfos lists jobs [INF: the console's limit, OPERATIONS §1.3], and how much
# later than that a window starts, so that it is not refused for a clock a little ahead.
RETENTION = timedelta(days=45)
RETENTION_MARGIN = 600
# Without a job count, pages are read until one is not full, but no more than this many.
MAX_UNCOUNTED_PAGES = 1_000
# Empty pages in a row that end a window before its count says (the listing shrank while it was
# read, or the count is wrong): one is skipped, as the pages after it may still hold jobs.
EMPTY_PAGES_TO_END = 2
# Pages in a row that hold only jobs already shown, in one window, that end it (a service that
# ignores the page number sends the first page again and again).
REPEATED_PAGES_TO_END = 2
# When more than this many pages may be read, big buffers come from the system (see
# `maxjob.memory`).
MANY_PAGES = 10
WHEN_FORMS = (
    "a duration back from now (90s, 30m, 2h, 7d), an RFC 3339 time (2026-11-30T08:00:00+08:00), "
    "or a date (2026-11-30; times without an offset and dates are in the local time zone)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A bare number (`20261130`, `1e3`, `1_000`): what float() reads, with no unit.
_NUMBER = re.compile(r"[0-9_]+(\.[0-9_]*)?([eE][+-]?[0-9_]+)?")


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
        if _NUMBER.fullmatch(value):
            # A duration back from now needs its unit: `20261130` is no date, nor seconds.
            hint = None
            if value.isdigit():
                hint = f"{name} {value}s counts seconds back from now"
                if len(value) == 8:
                    hint = f"a date is written {value[:4]}-{value[4:6]}-{value[6:]}"
            raise UsageError(f"{name} {value!r} has no unit: give {WHEN_FORMS}", hint=hint)
        try:
            seconds = parse_duration(value, name=name)
        except UsageError:
            pass
        else:
            try:
                return now - timedelta(seconds=seconds)
            except OverflowError:
                raise UsageError(
                    f"{name} {value!r} reaches back before the year 1: give {WHEN_FORMS}"
                ) from None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{name} {value!r} is not {WHEN_FORMS}") from None
    if when.tzinfo is None:
        local = when.astimezone()  # local time, as TZ says
        if local.astimezone().replace(tzinfo=None) != when:
            # In the hour the clocks skip: no such local time, and no right guess for it.
            raise UsageError(
                f"{name} {value!r} is not a time in the local time zone: the clocks skip it "
                "(daylight saving)",
                hint="give the time with its offset, e.g. 2026-03-08T03:30:00-04:00",
            )
        when = local
    return when


def window(since: str, until: str, *, now: datetime | None = None) -> Window:
    """The frozen window of `--since` and `--until`."""
    moment = now or datetime.now(UTC)
    start = parse_when(since, moment, name="--since")
    end = parse_when(until, moment, name="--until")
    if start > end:
        raise UsageError(f"--since ({_shown(start)}) is after --until ({_shown(end)})")
    return Window(int(start.timestamp()), int(end.timestamp()))


def listable(since: int, until: int, now: float) -> Window | None:
    """[since, until] cut to what can be listed at `now` (about 45 days back), or None when
    none of it can."""
    floor = int(now - RETENTION.total_seconds()) + RETENTION_MARGIN
    start = max(since, floor)
    return Window(start, until) if start < until else None


def _shown(when: datetime) -> str:
    """`2026-11-30 08:00:00 +08:00`: the offset written as RFC 3339 writes it."""
    offset = f"{when:%z}"
    return f"{when:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:5]}"


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


class Tally:
    """What a listing found, for a footer: filled in as the jobs are read. (A plain class: a
    dataclass costs milliseconds to define, on every start.)"""

    def __init__(self) -> None:
        self.windows = 0
        # The sum of the windows' `totalCount`s (a job in two windows counts twice), once read.
        self.total = 0
        self.windows_counted = 0
        self.shown = 0
        self.duplicates = 0
        # The listing ran to its end (rather than stopping at the limit).
        self.complete = False
        # It stopped at pages that held only jobs already shown (see `REPEATED_PAGES_TO_END`).
        self.repeated = False

    @property
    def matched(self) -> int:
        """How many jobs the service said match, less the duplicates seen so far."""
        return max(self.total - self.duplicates, self.shown)


# One page of one window: its items, and `totalCount` (None when it has none).
_Page = tuple[list[dict[str, Any]], int | None]


def jobs(
    client: MaxComputeClient,
    filters: Mapping[str, Any],
    whole: Window,
    *,
    limit: int = 0,
    concurrency: int = 4,
    page_size: int = 100,
    tally: Tally | None = None,
) -> Generator[dict[str, Any]]:
    """The API's job items over `whole`, newest window first and page by page in order, each job
    once, at most `limit` (0: all). `filters` is the body without from/to. A page that fails
    raises its error where it would have been yielded; closing the iterator cancels the pages
    not yet sent."""
    chunks = batches(
        client,
        filters,
        whole,
        limit=limit,
        concurrency=concurrency,
        page_size=page_size,
        tally=tally,
    )
    try:
        for chunk in chunks:
            yield from chunk
    finally:
        chunks.close()


def batches(
    client: MaxComputeClient,
    filters: Mapping[str, Any],
    whole: Window,
    *,
    limit: int = 0,
    concurrency: int = 4,
    page_size: int = 100,
    tally: Tally | None = None,
    verbatim: bool = False,
) -> Generator[list[dict[str, Any]]]:
    """`jobs`, in batches: each batch is what is in hand before the next page must be waited
    for (a page, with one window), so that a writer can write it at once. `verbatim`: the jobs
    come as `strict_json.Verbatim`, with the text they were sent as."""
    from concurrent.futures import ThreadPoolExecutor

    from maxjob.api import operations
    from maxjob.api.client import check_page

    count = tally if tally is not None else Tally()
    parts = split(whole)
    count.windows = len(parts)
    seen: set[str] = set()

    def fetch(part: Window, number: int) -> _Page:
        body = {"from": part.since, "to": part.until, **filters}
        operation = operations.list_job_infos(
            body, page_number=number, page_size=page_size, verbatim=verbatim
        )
        page = _page_of(client.call(operation))
        check_page(page[0], page_size, operation.action, "jobs")
        return page

    def pages_wanted() -> int | None:
        """How many more pages `limit` can still use (None: no limit)."""
        if not limit:
            return None
        return max(1, -(-(limit - count.shown) // page_size))

    def fresh(item: dict[str, Any]) -> bool:
        """Whether the item is a job not yet shown (and counts it)."""
        key = item.get("instanceId")
        if isinstance(key, str):
            if key in seen:
                count.duplicates += 1
                return False
            seen.add(key)
        count.shown += 1
        return True

    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="maxjob-page")
    # Pages ahead of the reader, per window: about 2 x concurrency in all.
    ahead = max(1, 2 * max(1, concurrency) // len(parts))
    firsts: list[Future[_Page]] = []
    windows: list[Generator[list[dict[str, Any]]]] = []

    def open_window(index: int) -> Iterator[list[dict[str, Any]]]:
        part = parts[index]
        firsts.append(pool.submit(fetch, part, 1))
        stream = _window_pages(
            part, firsts[-1], fetch, pool.submit, ahead, pages_wanted, page_size, count
        )
        windows.append(stream)
        return stream

    # Newest first with a limit, an older window is read only once the jobs to show next could
    # be in it (`--since 30d --limit 50` asks one week for its jobs, not five).
    lazy = bool(limit) and _newest_first(filters)
    try:
        if len(parts) == 1:
            chunks: Iterator[list[dict[str, Any]]] = open_window(0)
        else:
            fence = _fence(parts) if lazy else None
            chunks = _merged(open_window, len(parts), order_key(filters), fence)
        if not limit or limit > MANY_PAGES * page_size:
            # Many pages may come: done while the first is on its way (it loads ctypes).
            from maxjob.memory import large_buffers_from_the_system

            large_buffers_from_the_system()
        for chunk in chunks:
            batch = _all_new(chunk, seen)
            if batch is None:
                batch = []
                for item in chunk:
                    if fresh(item):
                        batch.append(item)
                        if limit and count.shown >= limit:
                            break
            else:
                if limit:
                    batch = batch[: limit - count.shown]
                count.shown += len(batch)
            if limit and count.shown >= limit:
                yield batch
                return
            if batch:
                yield batch
        count.complete = True
    finally:
        for stream in windows:
            stream.close()
        for future in firsts:
            future.cancel()
        # Pages already sent end with the client (closed by its owner); none waits for them.
        pool.shutdown(wait=False, cancel_futures=True)


def _page_of(data: Any) -> _Page:
    """A page's items and `totalCount`. A list that is not a list of objects is a malformed
    answer (ResponseError), not an empty page: jobs would go missing without a word. A missing
    or null list is no jobs; a count that is not a whole number is no count."""
    if not isinstance(data, dict):
        raise ResponseError("the ListJobInfos answer's data is not an object")
    values = data.get("jobInfoList")
    if values is None:
        values = []
    if not isinstance(values, list):
        raise ResponseError("the ListJobInfos answer's jobInfoList is not a list")
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            raise ResponseError(
                f"the ListJobInfos answer's jobInfoList holds {json_type(value)} at {index}, "
                "not a job"
            )
    total = data.get("totalCount")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        total = None
    return values, total


def _window_pages(
    part: Window,
    first: Future[_Page],
    fetch: Callable[[Window, int], _Page],
    submit: Callable[..., Future[_Page]],
    ahead: int,
    pages_wanted: Callable[[], int | None],
    page_size: int,
    count: Tally,
) -> Generator[list[dict[str, Any]]]:
    """One window's pages in order (empty ones left out); pages fetched `ahead` on the shared
    pool, no more than the limit can still use. Without a count, or with one that its first
    page already contradicts, pages are read one after the other until one is not full."""
    items, total = first.result()
    count.windows_counted += 1
    count.total += total or 0
    if items:
        yield items
    if total is None or len(items) > total:
        yield from _pages_until_short(part, items, fetch, page_size)
        return
    last = -(-total // page_size)
    following = 2
    empty = repeated = 0
    # A page of none but the jobs of this window's first page or of the page before, twice in a
    # row, ends it: what a service that ignores the page number sends (two pages of ids kept,
    # not all of them: the listing's own dedup set is the one that grows).
    opening = before = _ids(items)
    queue: deque[Future[_Page]] = deque()
    try:
        while True:
            wanted = pages_wanted()
            room = ahead if wanted is None else min(ahead, wanted)
            while following <= last and len(queue) < room:
                queue.append(submit(fetch, part, following))
                following += 1
            if not queue:
                return
            items, _ = queue.popleft().result()
            ids = _ids(items)
            if items and None not in ids and (ids <= opening or ids <= before):
                # Once: a listing that moved while it was read. Again: a service that ignores
                # the page number (with the count it gave, the first page would come forever).
                repeated += 1
                if repeated >= REPEATED_PAGES_TO_END:
                    count.repeated = True
                    return
            elif items:
                empty = repeated = 0
                before = ids
                yield items
            else:
                empty += 1  # the listing changed while it was read, or its count is wrong
                if empty >= EMPTY_PAGES_TO_END:
                    return
    finally:
        for future in queue:
            future.cancel()


def _pages_until_short(
    part: Window,
    items: list[dict[str, Any]],
    fetch: Callable[[Window, int], _Page],
    page_size: int,
) -> Generator[list[dict[str, Any]]]:
    """The pages after a first one of `items`, one at a time, until one is not full, or one
    is the page before again (a service that ignores the page number), or `MAX_UNCOUNTED_PAGES`
    have been read (an answer that never ends is an error, not a listing)."""
    number = 1
    seen = _ids(items)
    while len(items) >= page_size:
        if number >= MAX_UNCOUNTED_PAGES:
            raise ResponseError(
                f"ListJobInfos gave no job count and still full pages after {number:,} pages: "
                "stopped there"
            )
        number += 1
        items, _ = fetch(part, number)
        ids = _ids(items)
        if None not in ids and ids <= seen:
            return  # nothing new: a service that ignores the page number, or the end
        seen |= ids
        yield items


def _all_new(items: list[dict[str, Any]], seen: set[str]) -> list[dict[str, Any]] | None:
    """`items` when every one has a text id not in `seen` and none repeats in them (a page
    seldom holds any other), with their ids added to `seen`; else None, and nothing added."""
    ids: list[Any] = [item.get("instanceId") for item in items]
    if all(type(key) is str for key in ids):
        new: set[str] = set(ids)
        if len(new) == len(ids) and new.isdisjoint(seen):
            seen |= new
            return items
    return None


def _ids(items: list[dict[str, Any]]) -> set[str | None]:
    """The instance ids of a page's jobs; None for a job whose id is not text (a list would not
    even go in a set)."""
    return {key if type(key := item.get("instanceId")) is str else None for item in items}


def _merged(
    open_window: Callable[[int], Iterator[list[dict[str, Any]]]],
    count: int,
    key: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    fence: Callable[[int, tuple[Any, ...]], bool] | None = None,
) -> Generator[list[dict[str, Any]]]:
    """The `count` windows' pages merged into one order by `key` (each window is in that order
    already; on a tie the newer window comes first), in batches: each ends where the next item
    can only come from a page not yet in hand. Windows are opened all at once; or, with a
    `fence`, one after another, each once `fence(opened - 1, next key)` says that the next item
    could come after something of a window not yet opened."""
    heap: list[tuple[tuple[Any, ...], int, int, dict[str, Any]]] = []
    windows: list[Iterator[list[dict[str, Any]]]] = []
    pending: list[deque[dict[str, Any]]] = []
    sequence = 0

    def refill(index: int) -> None:
        nonlocal sequence
        if not pending[index]:
            page = next(windows[index], None)
            if page is None:
                return
            pending[index].extend(page)
        item = pending[index].popleft()
        heapq.heappush(heap, (key(item), index, sequence, item))
        sequence += 1

    def add_window() -> None:
        windows.append(open_window(len(windows)))
        pending.append(deque())
        refill(len(windows) - 1)

    if fence is None:
        # Every window's first page asked for at once, then read.
        while len(windows) < count:
            windows.append(open_window(len(windows)))
            pending.append(deque())
        for index in range(count):
            refill(index)
    else:
        add_window()
    batch: list[dict[str, Any]] = []
    while True:
        while len(windows) < count and (
            not heap or not fence or not fence(len(windows) - 1, heap[0][0])
        ):
            if batch:
                yield batch  # all that can be shown before an older window is read
                batch = []
            add_window()
        if not heap:
            break
        _, index, _, item = heapq.heappop(heap)
        batch.append(item)
        if not pending[index] and batch:
            yield batch  # the next item of this window may have to be waited for
            batch = []
        refill(index)
    if batch:
        yield batch


def _newest_first(filters: Mapping[str, Any]) -> bool:
    """Whether the request sorts by `submittedAtTime`, newest first, before anything else."""
    names, orders = filters.get("sortByList"), filters.get("sortOrderList")
    if not isinstance(names, list) or not names:
        return True  # the default order
    first = orders[0] if isinstance(orders, list) and orders else "desc"
    return names[0] == "submittedAtTime" and str(first).lower() != "asc"


def _fence(parts: Sequence[Window]) -> Callable[[int, tuple[Any, ...]], bool]:
    """For newest-first windows: whether the job of key `head` comes before every job of the
    windows after `index`. A job of an older window was submitted by that window's end, which is
    where window `index` starts: a job submitted later comes first."""

    def before_older(index: int, head: tuple[Any, ...]) -> bool:
        return bool(head) and head[0] < (0, -parts[index].since)

    return before_older


class _Descending:
    """A text sort key in reverse order (numbers are negated instead)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _Descending) -> bool:
        return self.text > other.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)


def order_key(filters: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """The order the service sorts a request's items in, as a key: its `sortByList` and
    `sortOrderList` (a missing order is `desc`), else `submittedAtTime` newest first. Numbers
    compare as numbers, text as text, and a job without the field comes last."""
    names = filters.get("sortByList")
    orders = filters.get("sortOrderList")
    fields: Sequence[Any] = names if isinstance(names, list) and names else ["submittedAtTime"]
    directions: Sequence[Any] = orders if isinstance(orders, list) else []
    spec = [
        (str(name), str(directions[i]).lower() != "asc" if i < len(directions) else True)
        for i, name in enumerate(fields)
    ]

    def key(item: Mapping[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for name, descending in spec:
            value = item.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                parts.append((0, -value if descending else value))
            elif isinstance(value, str):
                parts.append((1, _Descending(value) if descending else value))
            else:
                parts.append((2, 0))
        return tuple(parts)

    return key
