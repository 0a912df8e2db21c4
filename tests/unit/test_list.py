"""`maxjob list` without a network: the request body of every flag, windows and pages (in order
however they answer, each job once, no page past the limit), the outcome and figures of a row,
and the plain, csv and table renderings (sanitised, fitted to 60, 80 and 160 columns)."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from maxjob import listing
from maxjob.api.operations import Operation
from maxjob.commands import list as list_command
from maxjob.emulator.seed import FAILED_DATA, FINISHED_DATA
from maxjob.errors import ServiceError, UsageError
from maxjob.models import JobInfo
from maxjob.render import job_list, list_table
from maxjob.render.phases import job_figures
from maxjob.render.units import amount, binary_bytes, core_hours, duration

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
T = int(NOW.timestamp())


def item(instance_id: str, submitted: int, **fields: Any) -> dict[str, Any]:
    return {"instanceId": instance_id, "submittedAtTime": submitted, "status": "success", **fields}


class FakeClient:
    """Answers ListJobInfos from a list of items per window (`from`, `to`), sorted as asked;
    records every call; `gate(from, page)` may hold a page back (it runs on the caller's
    thread, so it can wait for another page)."""

    def __init__(
        self,
        windows: dict[tuple[int, int], list[dict[str, Any]]] | None = None,
        *,
        every: list[dict[str, Any]] | None = None,
        gate: Callable[[int, int], None] | None = None,
        fail: Callable[[int, int], Exception | None] | None = None,
    ) -> None:
        self.windows = windows or {}
        self.every = every
        self.gate = gate
        self.fail = fail
        self.calls: list[tuple[dict[str, Any], int, int]] = []
        self.answered: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def call(self, operation: Operation, **_: Any) -> Any:
        body = json.loads(operation.body)
        query = dict(operation.query)
        number, size = int(query["pageNumber"]), int(query["pageSize"])
        with self.lock:
            self.calls.append((body, number, size))
        if self.gate:
            self.gate(body["from"], number)
        if self.fail and (error := self.fail(body["from"], number)):
            raise error
        rows = (
            self.every
            if self.every is not None
            else self.windows.get((body["from"], body["to"]), [])
        )
        rows = sorted(rows, key=listing.order_key(body))
        with self.lock:
            self.answered.append((body["from"], number))
        start = (number - 1) * size
        return {"totalCount": len(rows), "jobInfoList": rows[start : start + size]}


def ids(items: Any) -> list[str]:
    return [i["instanceId"] for i in items]


# -- the request -----------------------------------------------------------------------------------


def test_every_filter_goes_verbatim_to_its_field() -> None:
    options = list_command.Options(
        statuses=("Failed", "running"),
        projects=("sales_dw",),
        owners=("ALIYUN$a@b.com", "RAM$c d"),
        quota="默认预付费Quota_p",
        types=("SQL",),
        priorities=(0, 9),
        signatures=("i094KijGrN3kOXZ74kbexB77XQY=",),
        nodes=("76358164",),
        ids=("20230410050036549gfmsdwf60gg",),
        diags=("DataSkew",),
        sort=("cuUsage", "submittedAtTime:ASC"),
    )
    assert list_command.request_body(options) == {
        "statusList": ["Failed", "running"],
        "projectList": ["sales_dw"],
        "jobOwnerList": ["ALIYUN$a@b.com", "RAM$c d"],
        "typeList": ["SQL"],
        "priorityList": [0, 9],
        "signatureList": ["i094KijGrN3kOXZ74kbexB77XQY="],
        "extNodeIdList": ["76358164"],
        "instanceIdList": ["20230410050036549gfmsdwf60gg"],
        "sceneTagList": ["DataSkew"],
        "quotaNickname": "默认预付费Quota_p",
        "sortByList": ["cuUsage", "submittedAtTime"],
        "sortOrderList": ["desc", "asc"],
    }


def test_no_filter_sends_only_the_default_sort() -> None:
    assert list_command.request_body(list_command.Options()) == {
        "sortByList": ["submittedAtTime"],
        "sortOrderList": ["desc"],
    }


@pytest.mark.parametrize("spec", ["cuUsage:up", ":desc", "", "a:b:c"])
def test_a_bad_sort_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError, match="FIELD"):
        list_command.parse_sort((spec,))


def test_a_field_with_a_colon_keeps_it() -> None:
    assert list_command.parse_sort(("ns:field:asc",)) == (["ns:field"], ["asc"])


# -- windows and pages -----------------------------------------------------------------------------


def test_a_long_window_is_split_newest_first_into_weeks() -> None:
    whole = listing.Window(T - 20 * 86400, T)
    parts = listing.split(whole)
    assert parts == [
        listing.Window(T - 7 * 86400, T),
        listing.Window(T - 14 * 86400, T - 7 * 86400),
        listing.Window(T - 20 * 86400, T - 14 * 86400),
    ]


def test_pages_are_yielded_in_order_when_a_later_page_answers_first() -> None:
    page3_done = threading.Event()

    def gate(since: int, number: int) -> None:
        if number == 2:  # page 2 answers only after page 3 has
            assert page3_done.wait(5)

    jobs = [item(f"j{n:03d}", T - n) for n in range(250)]
    client = FakeClient(every=jobs, gate=gate)
    original = client.call

    def call(operation: Operation, **kwargs: Any) -> Any:
        answer = original(operation, **kwargs)
        if dict(operation.query)["pageNumber"] == "3":
            page3_done.set()
        return answer

    client.call = call
    found = list(listing.jobs(client, {}, listing.Window(T - 3600, T), concurrency=4))
    assert ids(found) == [f"j{n:03d}" for n in range(250)]
    assert [n for _, n in client.answered].index(3) < [n for _, n in client.answered].index(2)


class PagedClient:
    """Answers each page with what `pages` holds for its number (`data` as it is)."""

    def __init__(self, pages: dict[int, Any]) -> None:
        self.pages = pages
        self.asked: list[int] = []
        self.lock = threading.Lock()

    def call(self, operation: Operation, **_: Any) -> Any:
        number = int(dict(operation.query)["pageNumber"])
        with self.lock:
            self.asked.append(number)
        return self.pages.get(number, {"totalCount": 0, "jobInfoList": []})


def page_of(first: int, size: int, total: Any) -> dict[str, Any]:
    jobs = [item(f"j{n:04d}", T - n) for n in range(first, first + size)]
    return {"totalCount": total, "jobInfoList": jobs}


def listed(client: Any, limit: int = 0) -> tuple[list[str], listing.Tally]:
    tally = listing.Tally()
    window = listing.Window(T - 60, T)
    return ids(listing.jobs(client, {}, window, limit=limit, concurrency=3, tally=tally)), tally


def test_an_empty_page_in_the_middle_does_not_hide_the_pages_after_it() -> None:
    client = PagedClient(
        {
            1: page_of(0, 100, 250),
            2: {"totalCount": 250, "jobInfoList": []},
            3: page_of(200, 50, 250),
        }
    )
    found, tally = listed(client)
    assert found == [f"j{n:04d}" for n in [*range(100), *range(200, 250)]]
    assert tally.complete and tally.shown == 150 and tally.total == 250


@pytest.mark.parametrize("total", [50, None, "250", -1, True])
def test_without_a_count_it_can_trust_pages_are_read_until_one_is_not_full(total: Any) -> None:
    pages = {1: page_of(0, 100, total), 2: page_of(100, 100, total), 3: page_of(200, 50, total)}
    client = PagedClient(pages)
    found, tally = listed(client)
    assert found == [f"j{n:04d}" for n in range(250)]
    assert client.asked == [1, 2, 3]
    assert tally.complete
    # ... one page after another, and none past what the limit can use.
    client = PagedClient(pages)
    assert listed(client, limit=150)[0] == [f"j{n:04d}" for n in range(150)]
    assert client.asked == [1, 2]


@pytest.mark.parametrize("total", [150, None])
def test_ids_that_are_not_text_are_shown_each_time_and_never_end_the_listing(total: Any) -> None:
    """An id that is a list (which no set can hold) or a number is no id: its job is shown,
    and a page of them never counts as a page already seen."""
    odd = [{"instanceId": ["x"], "n": n} for n in range(100)]
    pages = {
        1: {"totalCount": total, "jobInfoList": odd},
        2: {"totalCount": total, "jobInfoList": [*odd[:49], {"instanceId": 7}]},
    }
    client = PagedClient(pages)
    tally = listing.Tally()
    found = list(listing.jobs(client, {}, listing.Window(T - 60, T), concurrency=2, tally=tally))
    assert len(found) == 150 and tally.shown == 150 and not tally.repeated


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"totalCount": 3, "jobInfoList": [1, "x", None]}, "holds a number at 0, not a job"),
        ({"totalCount": 3, "jobInfoList": {"a": 1}}, "jobInfoList is not a list"),
        ([{"instanceId": "a"}], "data is not an object"),
    ],
)
def test_a_malformed_page_is_an_error_not_an_empty_page(data: Any, said: str) -> None:
    from maxjob.errors import ResponseError

    with pytest.raises(ResponseError, match=said):
        listed(PagedClient({1: data}))


def test_a_page_with_more_jobs_than_asked_for_is_an_error() -> None:
    from maxjob.errors import ResponseError

    everything = {"totalCount": 300, "jobInfoList": [{"instanceId": f"j{n}"} for n in range(300)]}
    with pytest.raises(ResponseError, match="holds 300 jobs on a page of 100; not read"):
        listed(PagedClient({1: everything}))


def test_a_count_the_pages_do_not_reach_is_a_warning_not_no_match() -> None:
    from maxjob.output.streams import Streams

    client = PagedClient({1: {"totalCount": 3, "jobInfoList": None}})
    out, err = io.StringIO(), io.StringIO()
    streams = Streams(out, err, environ={})
    options = list_command.Options(output="json")
    code = list_command.run(options, streams, lambda *_, **__: _Closing(client))
    assert (code, out.getvalue()) == (0, "[]\n")
    assert err.getvalue() == (
        "maxjob: warning: the service counted 3 jobs but sent 0: pages came back short or "
        "empty (did jobs change while they were read?); the list may be incomplete\n"
    )


class _SamePage(PagedClient):
    """A service that ignores the page number: every page is the first, with a huge count."""

    def call(self, operation: Operation, **_: Any) -> Any:
        with self.lock:
            self.asked.append(int(dict(operation.query)["pageNumber"]))
            if len(self.asked) > 500:  # a failure, not a hang, if the listing never stops
                raise AssertionError("the listing did not stop")
        return page_of(0, 100, 10**12)


@pytest.mark.parametrize(("since", "windows"), [("1h", 1), ("8d", 2)])
def test_pages_that_repeat_the_jobs_shown_end_the_listing_with_a_warning(
    since: str, windows: int
) -> None:
    from maxjob.output.streams import Streams

    client = _SamePage({})
    out, err = io.StringIO(), io.StringIO()
    streams = Streams(out, err, environ={})
    options = list_command.Options(output="jsonl", limit=0, since=since)
    code = list_command.run(options, streams, lambda *_, **__: _Closing(client))
    assert code == 0
    assert len(out.getvalue().splitlines()) == 100  # the same 100 jobs in every window
    counted = f"{windows * 10**12:,}"
    assert err.getvalue() == (
        "maxjob: warning: pages came back holding only jobs already shown (after 100 jobs, of "
        f"{counted} counted): stopped there; the service may be ignoring the page "
        "number, and the list may be incomplete\n"
    )
    # Each window stopped after two such pages (and the few asked ahead), not at the count.
    assert len(client.asked) < 40 * windows


def test_jobs_without_an_id_are_never_taken_for_a_repeated_page() -> None:
    def nameless(first: int) -> dict[str, Any]:
        jobs = [{"status": "running", "submittedAtTime": T - n} for n in range(first, first + 100)]
        return {"totalCount": 300, "jobInfoList": jobs}

    client = PagedClient({1: nameless(0), 2: nameless(100), 3: nameless(200)})
    tally = listing.Tally()
    window = listing.Window(T - 60, T)
    shown = list(listing.jobs(client, {}, window, concurrency=3, tally=tally))
    assert len(shown) == 300 and not tally.repeated


def test_one_page_of_jobs_already_shown_does_not_end_a_listing() -> None:
    pages = {1: page_of(0, 100, 300), 2: page_of(0, 100, 300), 3: page_of(100, 100, 300)}
    shown, tally = listed(PagedClient(pages))
    assert len(shown) == 200 and not tally.repeated


class _Closing:
    def __init__(self, client: Any) -> None:
        self.client = client

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *_: object) -> None:
        return None


def test_batches_are_whole_pages_and_stop_at_the_limit_without_asking_for_more() -> None:
    jobs = [item(f"j{n:03d}", T - n) for n in range(1000)]
    client = FakeClient(every=jobs)
    tally = listing.Tally()
    batches = list(
        listing.batches(
            client,
            {},
            listing.Window(T - 3600, T),
            limit=150,
            concurrency=8,
            tally=tally,
        )
    )
    assert [len(b) for b in batches] == [100, 50]
    assert sorted(n for _, n, _ in client.calls) == [1, 2]  # no page it did not need
    assert (tally.shown, tally.total, tally.complete) == (150, 1000, False)


def test_all_pages_with_limit_zero() -> None:
    jobs = [item(f"j{n:04d}", T - n) for n in range(1234)]
    client = FakeClient(every=jobs)
    tally = listing.Tally()
    found = list(listing.jobs(client, {}, listing.Window(T - 60, T), concurrency=3, tally=tally))
    assert ids(found) == ids(jobs)
    assert sorted(n for _, n, _ in client.calls) == list(range(1, 14))
    assert all(size == 100 for _, _, size in client.calls)
    assert tally.complete and tally.shown == tally.matched == 1234


@pytest.mark.parametrize(("limit", "fixed"), [(0, True), (1100, True), (900, False)])
def test_a_listing_that_may_be_long_takes_big_buffers_from_the_system(
    monkeypatch: pytest.MonkeyPatch, limit: int, fixed: bool
) -> None:
    """Before the first page is in (while it is on its way), when more than 10 pages may be
    read: all of them (`--limit 0`), or a limit past 10 pages."""
    from maxjob import memory

    called: list[bool] = []
    monkeypatch.setattr(memory, "large_buffers_from_the_system", lambda: called.append(True))
    client = FakeClient(every=[item(f"j{n:04d}", T - n) for n in range(1200)])
    window = listing.Window(T - 60, T)
    chunks = listing.batches(client, {}, window, limit=limit, concurrency=2)
    first = next(chunks)
    assert bool(called) is fixed and first
    chunks.close()


def test_the_mmap_threshold_is_set_once_and_never_fails() -> None:
    from maxjob import memory

    memory.large_buffers_from_the_system()
    memory.large_buffers_from_the_system()
    assert memory._done


def test_a_job_in_two_pages_or_two_windows_is_shown_once() -> None:
    week = 7 * 86400
    straddler = item("straddler", T - week - 60, endAtTime=T - week + 60)
    newer = [item("new-1", T - 100), straddler]
    older = [straddler, item("old-1", T - week - 3600)]
    client = FakeClient({(T - week, T): newer, (T - 2 * week, T - week): older})
    tally = listing.Tally()
    whole = listing.Window(T - 2 * week, T)
    found = list(listing.jobs(client, {}, whole, tally=tally))
    assert ids(found) == ["new-1", "straddler", "old-1"]
    assert (tally.windows, tally.total, tally.duplicates, tally.matched) == (2, 4, 1, 3)
    # Within one window, a page that repeats a job (the listing moved) shows it once too.
    repeat = FakeClient(every=[item("a", T - 1), item("a", T - 1), item("b", T - 2)])
    assert ids(listing.jobs(repeat, {}, listing.Window(T - 60, T))) == ["a", "b"]


def test_windows_are_merged_on_the_requested_sort() -> None:
    week = 7 * 86400
    newer = [item("n-small", T - 10, cuUsage=5), item("n-big", T - 20, cuUsage=50)]
    older = [item("o-mid", T - week - 10, cuUsage=20), item("o-huge", T - week - 20, cuUsage=90)]
    client = FakeClient({(T - week, T): newer, (T - 2 * week, T - week): older})
    body = {"sortByList": ["cuUsage"], "sortOrderList": ["desc"]}
    whole = listing.Window(T - 2 * week, T)
    found = list(listing.jobs(client, body, whole, limit=3))
    assert ids(found) == ["o-huge", "n-big", "o-mid"]
    # Every window's first page is asked for at once, before anything is shown.
    assert sorted(number for _, number, _ in client.calls) == [1, 1]


def test_order_key_sorts_text_descending_and_missing_last() -> None:
    key = listing.order_key({"sortByList": ["jobOwner"], "sortOrderList": ["desc"]})
    rows = [{"jobOwner": "b"}, {}, {"jobOwner": "c"}, {"jobOwner": "a"}]
    assert [r.get("jobOwner") for r in sorted(rows, key=key)] == ["c", "b", "a", None]
    default = listing.order_key({})
    assert sorted([{"submittedAtTime": 1}, {"submittedAtTime": 3}], key=default)[0] == {
        "submittedAtTime": 3
    }


def test_a_failed_page_raises_where_it_would_have_been_shown() -> None:
    jobs = [item(f"j{n:03d}", T - n) for n in range(300)]

    def fail(since: int, number: int) -> Exception | None:
        return ServiceError("boom", code="InternalError") if number == 2 else None

    client = FakeClient(every=jobs, fail=fail)
    seen = []
    with pytest.raises(ServiceError, match="boom"):
        for found in listing.jobs(client, {}, listing.Window(T - 60, T)):
            seen.append(found)
    assert len(seen) == 100


# -- rows ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": "success"}, "succeeded"),
        ({"status": "Failed"}, "failed"),
        ({"status": "cancelled"}, "cancelled"),
        ({"status": "terminated"}, "ended"),  # ListJobInfos has no substatus: never a guess
        ({"status": "terminated", "jobSubStatusList": [{"code": 1054}]}, "failed"),
        ({"status": "terminated", "jobSubStatusList": [{"code": 1032}]}, "ended"),
        ({"status": "running"}, "running"),
        ({"status": "Waiting"}, "waiting"),
        ({"status": "\x1b[2Jodd"}, "\\x1b[2jodd"),
        ({}, "unknown"),
    ],
)
def test_the_outcome_is_told_as_info_tells_it_or_ended(
    fields: dict[str, Any], expected: str
) -> None:
    assert job_list.outcome(JobInfo.from_api(fields)) == expected


@pytest.mark.parametrize("data", [FINISHED_DATA, FAILED_DATA], ids=["finished", "failed"])
def test_a_row_has_the_figures_info_shows(data: dict[str, Any]) -> None:
    listed = {k: v for k, v in data.items() if k != "jobSubStatusList"}
    row = job_list.job_row(listed, NOW)
    job = JobInfo.from_api(data)
    figures = job_figures(job, NOW)
    texts = list_table.cells(row, utc=True)
    assert texts["waited"] == duration(figures.waited)
    assert texts["ran"] == duration(figures.ran)
    assert texts["cu"] == amount(core_hours(data["cuUsage"]))
    assert texts["input"] == binary_bytes(data["inputBytes"])


def test_a_running_job_runs_until_the_listings_now() -> None:
    running = item("r", T - 600, status="running", runningAtTime=T - 500, waitingTime=100)
    running["endAtTime"] = 0  # how ListJobInfos says "not yet"
    row = job_list.job_row(running, NOW)
    assert (row.waited, row.ran, row.outcome) == (100, 500, "running")


HOSTILE = {
    "instanceId": "evil\x1b[31m",
    "status": "failed",
    "project": "[bold]p[/bold]\t\u202e",
    "jobOwner": '=HYPERLINK("http://x")',
    "submittedAtTime": T - 100,
    "waitingTime": 5,
    "runningTime": 90,
    "cuUsage": 36,
    "inputBytes": 1288490188.8,
    "quotaNickname": 'q,"x"\nnext',
    "extra": "kept",
}


def test_plain_is_ten_sanitised_tab_separated_columns() -> None:
    line = job_list.plain_line(job_list.job_row(HOSTILE, NOW))
    cells = line.split("\t")
    assert len(cells) == len(job_list.PLAIN_COLUMNS) == 10
    assert cells == [
        "evil\\x1b[31m",
        "failed",
        "[bold]p[/bold]\\t\\u202e",
        '=HYPERLINK("http://x")',
        "2026-11-30T11:58:20Z",
        "5",
        "90",
        "1",
        "1288490188.8",
        'q,"x"\\nnext',
    ]
    assert "\x1b" not in line and "\n" not in line


def test_csv_is_rfc4180_with_api_field_names_sanitised_and_no_formulas() -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(job_list.CSV_FIELDS)
    writer.writerow(job_list.csv_cells(HOSTILE))
    text = buffer.getvalue()
    assert text.count("\r\n") == 2 and "\x1b" not in text
    header, row = list(csv.reader(io.StringIO(text)))
    assert header == list(job_list.CSV_FIELDS)
    values = dict(zip(header, row, strict=True))
    assert values["instanceId"] == "evil\\x1b[31m"
    assert values["jobOwner"] == '\'=HYPERLINK("http://x")'
    assert values["quotaNickname"] == 'q,"x"\\nnext'
    assert values["inputBytes"] == "1288490188.8" and values["cuUsage"] == "36"
    assert values["submittedAtTime"] == str(T - 100) and values["status"] == "failed"


def test_plain_and_csv_never_cut_a_value_and_the_table_does() -> None:
    long = {**HOSTILE, "project": "p" * 5000, "quotaNickname": "q" * 3000}
    cells = job_list.plain_line(job_list.job_row(long, NOW, uncut=True)).split("\t")
    assert cells[2] == "p" * 5000 and cells[9] == "q" * 3000
    values = dict(zip(job_list.CSV_FIELDS, job_list.csv_cells(long), strict=True))
    assert values["project"] == "p" * 5000
    # The table's rows are cut (its columns cut them further).
    assert "more characters" in job_list.job_row(long, NOW).project
    # And `-o plain` writes them whole.
    from maxjob.output.job_list import PlainListWriter
    from maxjob.output.streams import Streams

    out = io.StringIO()
    PlainListWriter(Streams(out, io.StringIO(), environ={}), NOW).write([long])
    assert out.getvalue().split("\t")[2] == "p" * 5000


def tally(shown: int, total: int, *, complete: bool, windows: int = 1, read: int = 1) -> Any:
    counted = listing.Tally()
    counted.shown, counted.total, counted.complete = shown, total, complete
    counted.windows, counted.windows_counted = windows, read
    return counted


def test_footer() -> None:
    assert job_list.footer(tally(12, 12, complete=True)) == "12 jobs"
    assert job_list.footer(tally(1, 1, complete=True)) == "1 job"
    assert job_list.footer(tally(50, 1234, complete=False)) == (
        "50 of 1,234 jobs (--limit N for more, 0 for all)"
    )
    assert "of about 1,234" in job_list.footer(tally(50, 1234, complete=False, windows=2, read=2))
    # Older windows never read: what they hold is not known.
    assert job_list.footer(tally(50, 1234, complete=False, windows=5)) == (
        "50 of at least 1,234 jobs (--limit N for more, 0 for all)"
    )
    assert job_list.footer(tally(50, 50, complete=False, windows=5)) == (
        "50 jobs; older ones may match (--limit N for more, 0 for all)"
    )


def test_newest_first_with_a_limit_reads_an_older_week_only_when_it_may_hold_the_next_job() -> None:
    weeks = listing.split(listing.Window(T - 30 * 86400, T))
    # 120 jobs in the newest week, all submitted in it; 10 in each older one.
    windows = {
        (w.since, w.until): [
            item(f"w{i}-{n:03d}", w.until - 60 * (n + 1)) for n in range(120 if i == 0 else 10)
        ]
        for i, w in enumerate(weeks)
    }
    client = FakeClient(windows)
    counted = listing.Tally()
    whole = listing.Window(T - 30 * 86400, T)
    found = list(listing.jobs(client, {}, whole, limit=100, concurrency=4, tally=counted))
    assert ids(found) == [f"w0-{n:03d}" for n in range(100)]
    assert {body["from"] for body, _, _ in client.calls} == {weeks[0].since}
    assert counted.windows_counted == 1 and counted.windows == 5
    # A job submitted before its week began (it ran into it) may come after an older week's.
    windows[(weeks[0].since, weeks[0].until)][5]["submittedAtTime"] = weeks[0].since - 86400
    client = FakeClient(windows)
    found = list(listing.jobs(client, {}, whole, limit=130, concurrency=4))
    assert len(found) == 130 and {body["from"] for body, _, _ in client.calls} == {
        weeks[0].since,
        weeks[1].since,
    }
    assert [i["submittedAtTime"] for i in found] == sorted(
        (i["submittedAtTime"] for i in found), reverse=True
    )
    # Sorted on anything else, every week is read at once (the merge needs them all).
    client = FakeClient(windows)
    sort = {"sortByList": ["cuUsage"], "sortOrderList": ["desc"]}
    list(listing.jobs(client, sort, whole, limit=10, concurrency=4))
    assert len({body["from"] for body, _, _ in client.calls}) == 5


# -- the table -------------------------------------------------------------------------------------


def rows(count: int = 5) -> list[job_list.JobRow]:
    """Jobs like `failed`, submitted an hour apart: waited 21 min, ran 5 min (one still runs)."""
    made = []
    for n in range(count):
        submitted = T - 3600 * (n + 1)
        data = {
            **FAILED_DATA,
            "instanceId": f"2023041005003654{n:02d}gfmsdwf60g",
            "status": ["success", "failed", "running", "terminated", "cancelled"][n % 5],
            "submittedAtTime": submitted,
            "runningAtTime": submitted + 1260,
            "endAtTime": 0 if n % 5 == 2 else submitted + 1571,
        }
        data.pop("jobSubStatusList")
        made.append(job_list.job_row(data, NOW))
    return made


def render(width: int, *, sorted_by: tuple[str, ...] = (), color: bool = False) -> list[str]:
    shape = list_table.layout(rows(), width, utc=True, sorted_by=sorted_by)
    console = Console(
        record=True,
        width=width,
        color_system="truecolor" if color else None,
        file=io.StringIO(),
        markup=False,
    )
    console.print(list_table.header_line(shape), no_wrap=True)
    for row in rows():
        console.print(list_table.row_line(row, shape), no_wrap=True)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [60, 80, 160])
def test_the_table_fits_the_width_and_never_cuts_an_id(width: int) -> None:
    lines = render(width)
    assert all(len(line) <= width for line in lines)
    header = lines[0].split()
    assert header[:2] == ["ID", "OUTCOME"] and "SUBMITTED" in header
    for line, row in zip(lines[1:], rows(), strict=True):
        assert line.startswith(row.instance_id + "  ")
        assert row.outcome in line
    if width == 160:
        assert header == [
            "ID",
            "OUTCOME",
            "PROJECT",
            "OWNER",
            "SUBMITTED",
            "(UTC)",
            "WAITED",
            "RAN",
            "CU-HOURS",
            "INPUT",
            "QUOTA",
        ]
        assert "21m 00s" in lines[1] and "1.00" in lines[1] and "1.2 GiB" in lines[1]
    if width == 60:
        assert "QUOTA" not in header and "OWNER" not in header


def test_at_80_columns() -> None:
    assert render(80) == [
        "ID                            OUTCOME    PROJECT   SUBMITTED (UTC)         RAN",
        "202304100500365400gfmsdwf60g  succeeded  sales_dw  11-30 11:00          5m 11s",
        "202304100500365401gfmsdwf60g  failed     sales_dw  11-30 10:00          5m 11s",
        "202304100500365402gfmsdwf60g  running    sales_dw  11-30 09:00      2h 39m 00s",
        "202304100500365403gfmsdwf60g  ended      sales_dw  11-30 08:00          5m 11s",
        "202304100500365404gfmsdwf60g  cancelled  sales_dw  11-30 07:00          5m 11s",
    ]


def test_a_later_rows_figure_is_never_cut() -> None:
    """The widths come from the first page; a job below it that ran for hours keeps every digit
    of its figures (its line is pushed right and cut at the screen's edge instead), and with more
    rows to come a duration column has room for `59m 59s` from the start."""
    first = [
        job_list.job_row({"instanceId": f"short{n}", "status": "success", **_ran(3 + n)}, NOW)
        for n in range(3)
    ]
    later = job_list.job_row({"instanceId": "long", "status": "success", **_ran(7384)}, NOW)
    shape = list_table.layout(first, 60, utc=True, sorted_by=("runningTime",), more=True)
    assert dict((column.key, size) for column, size in shape.columns)["ran"] == 7
    line = list_table.row_line(later, shape).plain
    assert "2h 03m 04s" in line, line
    assert len(line) <= 60
    alone = list_table.layout(first, 60, utc=True, sorted_by=("runningTime",))
    assert dict((column.key, size) for column, size in alone.columns)["ran"] == 3  # "RAN"


def _ran(seconds: int) -> dict[str, int]:
    start = T - 86400
    return {"submittedAtTime": start, "runningAtTime": start, "endAtTime": start + seconds}


def test_a_narrow_owner_column_shows_owners_without_their_account_type() -> None:
    owners = ["ALIYUN$etl-bot@example.com", "RAM$ml-team@example.com"]
    made = [
        job_list.job_row({"instanceId": f"j{n}", "status": "success", "jobOwner": owner}, NOW)
        for n, owner in enumerate(owners)
    ]
    seen = set()
    for width in range(40, 120):
        shape = list_table.layout(made, width, utc=True)
        sizes = {column.key: size for column, size in shape.columns}
        if "owner" not in sizes:
            continue
        lines = [list_table.row_line(row, shape).plain for row in made]
        seen.add(shape.short_owner)
        if sizes["owner"] >= len(owners[0]):
            assert not shape.short_owner and owners[0] in lines[0]
        else:
            assert shape.short_owner and "etl-bot" in lines[0] and "ml-team" in lines[1], lines
    assert seen == {True, False}


def test_a_queue_of_waiting_jobs_keeps_waited_over_ran() -> None:
    items = [
        {"instanceId": f"q{n}", "status": "waiting", "submittedAtTime": 1764489600 - 60 * n}
        for n in range(1, 5)
    ]
    waiting = [job_list.job_row(item, NOW) for item in items]
    # Room for one of the two: ID, OUTCOME, SUBMITTED (UTC) and WAITED.
    waited = max(len("WAITED"), *(len(duration(row.waited)) for row in waiting))
    width = len("q1  OUTCOME  SUBMITTED (UTC)  ") + waited
    header = list_table.header_line(list_table.layout(waiting, width, utc=True)).plain.split()
    assert "WAITED" in header and "RAN" not in header, header
    assert "RAN" in render(80)[0].split()  # finished jobs: RAN first, as before


def test_a_sorted_column_gets_room_first() -> None:
    assert "CU-HOURS" not in render(80)[0]
    assert "CU-HOURS" in render(80, sorted_by=("cuUsage",))[0]


def test_priority_is_a_column_only_when_the_list_is_sorted_by_it() -> None:
    assert all("PRIORITY" not in render(width)[0] for width in (60, 80, 200))
    for width in (60, 200):
        lines = render(width, sorted_by=("priority",))
        assert lines[0].split()[-1] == "PRIORITY", lines[0]
        # FAILED_DATA's priority, right-aligned under its header.
        assert all(line.endswith("  9") for line in lines[1:]), lines


def test_server_text_is_never_markup_or_an_escape() -> None:
    row = job_list.job_row(HOSTILE, NOW)
    shape = list_table.layout([row], 160, utc=True)
    line = list_table.row_line(row, shape)
    assert "[bold]p[/bold]" in line.plain and "\\x1b[31m" in line.plain
    assert "\x1b" not in line.plain and "\u202e" not in line.plain


def test_colour_marks_the_outcome_only() -> None:
    shape = list_table.layout(rows(), 160, utc=True)
    styles = {span.style for span in list_table.row_line(rows()[1], shape).spans if span.style}
    assert "red" in styles  # failed


def test_submitted_is_local_unless_utc() -> None:
    moment = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert list_table.submitted_text(moment, utc=True) == "11-30 23:30"
    local = moment.astimezone()
    assert list_table.submitted_text(moment, utc=False) == local.strftime("%m-%d %H:%M")


# -- messages --------------------------------------------------------------------------------------


def test_no_match_names_the_window_the_filters_and_the_documented_statuses() -> None:
    options = list_command.Options(statuses=("FAILED",), projects=("p1", "p2"), quota="q")
    whole = listing.Window(T - 3600, T)
    line = list_command.no_match(options, whole, utc=True)
    assert line.startswith("maxjob: no jobs matched from 2026-11-30 11:00:00 UTC to ")
    assert "--status FAILED --project p1 --project p2 --quota q" in line
    assert "running, waiting, submitted, success, failed, cancelled, terminated" in line
    plain = list_command.no_match(list_command.Options(), whole, utc=True)
    assert "with" not in plain and "statuses" not in plain
    # An outcome as a status: an ended job is often `terminated`, whatever its outcome.
    failed = list_command.no_match(list_command.Options(statuses=("failed",)), whole, utc=True)
    assert failed.endswith(
        "try --status terminated (the list cannot tell their outcome: maxjob info ID can)"
    )
    both = list_command.Options(statuses=("failed", "terminated"))
    assert "try --status terminated" not in list_command.no_match(both, whole, utc=True)


def test_no_match_repeats_the_flags_as_they_can_be_typed_again() -> None:
    whole = listing.Window(T - 3600, T)
    # A value with a comma is one value (sent as it is): the line says how to give several.
    comma = list_command.no_match(
        list_command.Options(statuses=("failed,terminated",)), whole, utc=True
    )
    assert "with --status failed,terminated (statuses the documentation shows" in comma
    assert "repeat the flag for several (--status A --status B)" in comma
    projects = list_command.no_match(list_command.Options(projects=("a,b",)), whole, utc=True)
    assert "(--project A --project B)" in projects
    # An owner without its account type, as a narrow table shows it, matches nothing.
    short = list_command.no_match(
        list_command.Options(owners=("etl-bot@example.com",)), whole, utc=True
    )
    assert "with --owner etl-bot@example.com;" in short
    assert "(ALIYUN$name or RAM$name" in short
    # Quoted for a shell where it must be: the line can be copied back.
    full = list_command.no_match(
        list_command.Options(owners=("ALIYUN$etl-bot@example.com",)), whole, utc=True
    )
    assert "with --owner 'ALIYUN$etl-bot@example.com'" in full
    assert "account type" not in full and "comma" not in full


def test_since_after_until_writes_offsets_as_rfc_3339_does() -> None:
    with pytest.raises(UsageError, match=r"\(2026-11-30 12:00:00 \+00:00\) is after --until"):
        listing.window("2026-11-30T12:00:00Z", "2026-11-30T11:00:00Z", now=NOW)


@pytest.mark.parametrize(
    ("value", "refused", "hint"),
    [
        ("20261130", "has no unit", "a date is written 2026-11-30"),
        ("90", "has no unit", "--since 90s counts seconds back from now"),
        ("1e3", "has no unit", None),
        ("1_000", "has no unit", None),
        ("999999999d", "reaches back before the year 1", None),
        ("9999999999999s", "reaches back before the year 1", None),
    ],
)
def test_a_since_without_a_unit_or_too_far_back_is_a_usage_error(
    value: str, refused: str, hint: str | None
) -> None:
    with pytest.raises(UsageError, match=refused) as caught:
        listing.window(value, "now", now=NOW)
    assert "a duration back from now (90s, 30m, 2h, 7d)" in str(caught.value)
    assert caught.value.hint == hint


def test_the_hint_for_a_refused_window_says_how_far_back() -> None:
    long_ago = listing.Window(int((NOW - timedelta(days=60)).timestamp()), T)
    assert "45 days" in list_command.refused_hint(long_ago, NOW)
    recent = listing.Window(T - 3600, T)
    assert "--debug" in list_command.refused_hint(recent, NOW)


# -- the strict parser, made fast enough for pages of 100 jobs -------------------------------------


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b"[" * 64 + b"]" * 64, None),
        (b"[" * 65 + b"]" * 65, "nested more than 64 levels deep"),
        (b'{"a": "' + b"[" * 100 + b'"}', None),  # brackets in a string do not count
        (b'{"a": [' * 40 + b"1" + b"]}" * 40, "nested more than 64"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'{"a": 1, "b": 2, "a": 3}', "repeats the key 'a'"),
        (b'{"a": [1, {"b": 2, "b": 3}]}', "repeats the key 'b'"),
    ],
)
def test_the_strict_parser_still_refuses_deep_nesting_and_repeated_keys(
    body: bytes, refused: str | None
) -> None:
    from maxjob.api.strict_json import parse_json

    if refused is None:
        parse_json(body)
    else:
        with pytest.raises(ValueError, match=refused):
            parse_json(body)


def test_a_local_time_the_clocks_skip_is_refused_and_a_repeated_one_taken_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        now = datetime(2026, 6, 1, tzinfo=UTC)
        with pytest.raises(UsageError, match="the clocks skip it"):
            listing.parse_when("2026-03-08T02:30", now, name="--since")
        before = listing.parse_when("2026-03-08T01:30", now, name="--since")
        assert before.utcoffset() == timedelta(hours=-5)
        after = listing.parse_when("2026-03-08T03:30", now, name="--since")
        assert after.utcoffset() == timedelta(hours=-4)
        # The hour repeated when the clocks go back is a time (its first pass).
        assert listing.parse_when("2026-11-01T01:30", now, name="--since").tzinfo is not None
    finally:
        monkeypatch.undo()
        time.tzset()


def test_pages_without_a_count_end_when_the_service_ignores_the_page_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from maxjob.errors import ResponseError

    same = PagedClient({n: page_of(0, 100, None) for n in range(1, 50)})
    found, _ = listed(same)
    assert found == [f"j{n:04d}" for n in range(100)] and same.asked == [1, 2]
    # Full pages forever, each new: a bound, and an error rather than a listing.
    monkeypatch.setattr(listing, "MAX_UNCOUNTED_PAGES", 5)
    endless = PagedClient({n: page_of(100 * n, 100, None) for n in range(1, 50)})
    with pytest.raises(ResponseError, match="no job count and still full pages after 5 pages"):
        listed(endless)
    assert endless.asked == [1, 2, 3, 4, 5]


def test_a_huge_count_over_empty_pages_ends_after_two_of_them() -> None:
    pages = {1: page_of(0, 5, 10_000_000)}
    client = PagedClient(pages)
    found, tally = listed(client, limit=50)
    assert found == [f"j{n:04d}" for n in range(5)]
    assert len(client.asked) <= 1 + 2 * 3  # the first page, and the pages asked ahead
    assert tally.total == 10_000_000


def test_sorted_on_another_field_the_first_pages_of_all_weeks_are_asked_at_once() -> None:
    weeks = listing.split(listing.Window(T - 30 * 86400, T))
    asked = threading.Event()
    seen: set[int] = set()

    def gate(since: int, number: int) -> None:
        seen.add(since)
        if len(seen) == len(weeks):
            asked.set()
        if since == weeks[0].since and number == 1:
            # The newest week answers only once every week's first page has been asked for.
            assert asked.wait(5), "the first pages were asked for one after another"

    windows = {
        (w.since, w.until): [item(f"w{i}", w.until - 60, cuUsage=i)] for i, w in enumerate(weeks)
    }
    client = FakeClient(windows, gate=gate)
    sort = {"sortByList": ["cuUsage"], "sortOrderList": ["desc"]}
    whole = listing.Window(T - 30 * 86400, T)
    found = list(listing.jobs(client, sort, whole, limit=10, concurrency=8))
    assert ids(found) == ["w4", "w3", "w2", "w1", "w0"]
