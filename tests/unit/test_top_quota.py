"""`maxjob.quota` against the emulator's store in this process: snapshot stepping over the data lag,
every page, the level-2 to level-1 mapping with ListQuotas, capacity without permission, queue
positions under FIFO, priority and Fair, and GetRunningJobs instead of snapshots.

`Emulated` is a real `MaxComputeClient` whose transport hands each signed request to the
emulator's gateway checks and handlers (no socket), on a clock the test moves. `test_top.py` and
`test_why.py` use it too.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx
import pytest

from maxjob.api.client import MaxComputeClient
from maxjob.credentials import Credentials
from maxjob.emulator import seed
from maxjob.emulator.errors import GatewayError
from maxjob.emulator.gateway import Credential, verify_request
from maxjob.emulator.handlers import Answer, Request, error_answer, handle
from maxjob.emulator.store import Store
from maxjob.errors import CredentialsError
from maxjob.output.streams import Streams
from maxjob.quota import (
    MAX_STEPS,
    RUNNING_JOBS,
    SNAPSHOTS,
    Capacity,
    QuotaBook,
    QuotaJob,
    SnapshotReader,
    consumers,
    is_denied,
    ordered,
    queue_of,
    running_jobs,
)
from maxjob.session import ConnectionOptions, resolve_settings

KEY = Credential("test-key-id", "test-key-secret")


class Emulated:
    """The emulator's store behind a real client; `now` is the store's clock (and the wall
    clock the commands are given), near the real time so that request dates are fresh."""

    def __init__(
        self,
        jobs: Sequence[Mapping[str, Any]] | None = None,
        quotas: Sequence[Mapping[str, Any]] | None = None,
        *,
        lag: float = 120.0,
        start: float | None = None,
        settle: float = 180.0,
    ) -> None:
        self.now = float(int(start if start is not None else time.time()) // 60 * 60 + 7)
        self.store = Store(
            seed.BUILTIN_JOBS if jobs is None else jobs,
            quotas,
            clock=lambda: self.now,
            snapshot_lag=lag,
        )
        # A few minutes after the store started: every seeded story is in the snapshots.
        self.now += settle
        self.calls: list[tuple[str, dict[str, str], bytes]] = []
        self.refuse: dict[str, int] = {}  # action -> HTTP status to answer instead

    def wall(self) -> float:
        return self.now

    def handle(self, request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.read()
        try:
            verified = verify_request(
                {KEY.key_id: KEY},
                time.time(),
                self.store.use_nonce,
                request.method,
                request.url.raw_path.decode(),
                headers,
                body,
            )
        except GatewayError as exc:
            answer = error_answer(exc, "r-0", "emulated")
        else:
            self.calls.append((verified.action, verified.query, body))
            status = self.refuse.get(verified.action)
            if status is not None:
                code = "NoPermission" if status < 500 else "InternalError"
                refused = GatewayError(status, code, f"{verified.action} refused")
                answer = error_answer(refused, "r-0", "emulated")
            else:
                answer = handle(
                    self.store,
                    Request(
                        "r-1",
                        "emulated",
                        verified.action,
                        verified.path_params,
                        verified.query,
                        body,
                    ),
                )
        return _response(answer)

    def client(self) -> MaxComputeClient:
        streams = Streams(io.StringIO(), io.StringIO(), environ={})
        options = ConnectionOptions(endpoint="http://127.0.0.1:9", max_attempts=1)
        settings = resolve_settings(options, streams)
        return MaxComputeClient(
            settings,
            Credentials(KEY.key_id, KEY.secret),
            transport=httpx.MockTransport(self.handle),
        )

    def factory(self) -> Callable[..., MaxComputeClient]:
        def open_client(*args: Any, **kwargs: Any) -> MaxComputeClient:
            return self.client()

        return open_client

    def actions(self) -> list[str]:
        return [action for action, _, _ in self.calls]


def _response(answer: Answer) -> httpx.Response:
    import json

    body = answer.raw if answer.raw is not None else json.dumps(answer.document).encode()
    return httpx.Response(
        answer.status,
        content=body,
        headers={"content-type": "application/json;charset=utf-8", **answer.headers},
    )


@pytest.fixture
def emulated() -> Emulated:
    return Emulated()


@pytest.fixture
def client(emulated: Emulated) -> Iterator[MaxComputeClient]:
    with emulated.client() as opened:
        yield opened


def running_story(count: int, quota: str = "q_many") -> list[dict[str, Any]]:
    """`count` jobs running on `quota` (a subscription sub-quota of `many_p`), 10 cores each."""
    base = {**seed.BIGDATA, "quotaNickname": quota, "jobOwner": "RAM$x@example.com"}
    return [
        seed.story(
            f"many-{n:03d}",
            {**base, "priority": n % 10},
            submitted=3600 + n,
            wait=10,
            resources={"cpuUsage": 10, "cpuRequest": 10},
        )
        for n in range(count)
    ]


# -- snapshots ------------------------------------------------------------------------------------


def test_the_snapshot_steps_back_a_minute_at_a_time_while_it_is_empty(
    emulated: Emulated, client: MaxComputeClient
) -> None:
    emulated.store.snapshot_lag = 150  # the newest 2.5 minutes are empty
    reader = SnapshotReader(client, "os_bigdata")
    minute = int(emulated.now) // 60 * 60

    snapshot = reader.read(emulated.now)

    assert reader.asked == [minute, minute - 60, minute - 120, minute - 180]
    assert snapshot.at == minute - 180
    assert snapshot.source == SNAPSHOTS
    assert {j.instance_id for j in snapshot.running} == {
        "bd-etl-nightly",
        "bd-feature-backfill",
        "running",
        "bd-report-daily",
    }
    assert snapshot.cores_used == 196
    # The next read starts one minute newer than the lag it found, not at `now` again.
    emulated.now += 60
    reader.asked.clear()
    again = reader.read(emulated.now)
    assert reader.asked == [minute - 60, minute - 120]
    assert again.at == minute - 120


def test_a_snapshot_newer_than_the_last_lag_is_taken_when_the_data_catches_up(
    emulated: Emulated, client: MaxComputeClient
) -> None:
    emulated.store.snapshot_lag = 200
    reader = SnapshotReader(client, "os_bigdata")
    minute = int(emulated.now) // 60 * 60
    assert reader.read(emulated.now).at == minute - 240
    emulated.store.snapshot_lag = 30  # the service caught up
    assert reader.read(emulated.now).at == minute - 180  # one minute newer, no further
    assert reader.read(emulated.now).at == minute - 120


def test_the_search_is_bounded_and_an_empty_quota_is_no_snapshot_not_an_idle_one(
    emulated: Emulated, client: MaxComputeClient
) -> None:
    reader = SnapshotReader(client, "no_such_quota")
    snapshot = reader.read(emulated.now)
    assert len(reader.asked) == MAX_STEPS
    assert snapshot.at is None and snapshot.jobs == ()
    minute = int(emulated.now) // 60 * 60
    assert snapshot.searched == (minute, minute - (MAX_STEPS - 1) * 60)


def test_every_page_of_a_busy_quota_is_read(client: MaxComputeClient) -> None:
    emulated = Emulated(running_story(250), _many_quota())
    with emulated.client() as busy:
        snapshot = SnapshotReader(busy, "q_many").read(emulated.now)
    assert len(snapshot.jobs) == 250
    assert len({job.instance_id for job in snapshot.jobs}) == 250
    pages = [q["pageNumber"] for action, q, _ in emulated.calls if action == SNAPSHOTS]
    assert sorted(pages[-3:]) == ["1", "2", "3"]


def test_a_snapshot_item_is_queued_when_it_has_no_running_time() -> None:
    waiting = QuotaJob.from_snapshot({"instanceId": "a", "status": "running", "waitingTime": 90})
    started = QuotaJob.from_snapshot(
        {"instanceId": "b", "runningTime": 0, "runningAtTime": 1700000000, "cpuUsage": 4}
    )
    assert waiting.queued and waiting.ran is None and waiting.waited == 90
    assert not started.queued and started.ran == 0 and started.cpu_usage == 4
    odd = QuotaJob.from_snapshot({"priority": "x", "cpuUsage": float("nan"), "runningTime": True})
    assert odd.priority is None and odd.cpu_usage is None and odd.queued


# -- capacity -------------------------------------------------------------------------------------


def test_a_level2_quota_maps_to_its_level1_parent_for_its_capacity(
    emulated: Emulated, client: MaxComputeClient
) -> None:
    book = QuotaBook(client)
    capacity = book.capacity("os_bigdata")
    assert capacity.level1 == "os_bigdata_p"
    assert (capacity.max_cu, capacity.min_cu) == (200, 100)
    assert (capacity.cores, capacity.memory_mb) == (200, 200 * 4096)
    assert capacity.scheduler == "Fifo" and capacity.priority_enabled is True
    assert capacity.is_subscription and capacity.unknown is None
    assert "os_bigdata_p" in capacity.source and "ListQuotas" in capacity.source
    adhoc = book.capacity("adhoc")
    assert (adhoc.level1, adhoc.scheduler, adhoc.priority_enabled) == (
        "os_bigdata_p",
        "Fair",
        False,
    )
    # ListQuotas once, QueryQuota once for the shared parent: cached for the run.
    assert emulated.actions().count("ListQuotas") == 1
    assert emulated.actions().count("QueryQuota") == 1
    assert book.capacity("os_bigdata") is capacity


def test_the_mapping_follows_every_page_of_list_quotas() -> None:
    quotas = [
        seed._quota(f"filler_{n:03d}_p", str(9000 + n), "subscription", {}, []) for n in range(150)
    ] + _many_quota()
    emulated = Emulated(running_story(1), quotas)
    with emulated.client() as client:
        capacity = QuotaBook(client).capacity("q_many")
    assert capacity.level1 == "many_p" and capacity.max_cu == 500
    markers = [q.get("marker") for action, q, _ in emulated.calls if action == "ListQuotas"]
    assert markers == [None, "100"]


def test_a_level1_nickname_is_its_own_parent(client: MaxComputeClient) -> None:
    capacity = QuotaBook(client).capacity("os_bigdata_p")
    assert capacity.level1 == "os_bigdata_p" and capacity.max_cu == 300
    assert capacity.source == "QueryQuota os_bigdata_p"


def test_without_query_quota_the_capacity_is_unknown_and_says_why(
    client: MaxComputeClient,
) -> None:
    capacity = QuotaBook(client).capacity("os_restricted")
    assert capacity.cores is None and capacity.level1 == "os_restricted_p"
    assert capacity.unknown == (
        "no permission for odps:QueryQuota on os_restricted_p (NoPermission)"
    )


def test_without_list_quotas_the_capacity_is_unknown_and_says_why(emulated: Emulated) -> None:
    emulated.refuse["ListQuotas"] = 403
    with emulated.client() as client:
        book = QuotaBook(client)
        capacity = book.capacity("os_bigdata")
        assert book.exists("os_bigdata") is None
    assert capacity.cores is None
    assert capacity.unknown is not None
    assert capacity.unknown.startswith("no permission for odps:ListQuotas (NoPermission)")
    assert "QueryQuota" not in emulated.actions()


def test_pay_as_you_go_has_no_capacity_of_its_own(client: MaxComputeClient) -> None:
    capacity = QuotaBook(client).capacity("etl_payg")
    assert capacity.is_pay_as_you_go and capacity.cores is None
    assert capacity.unknown is not None and "shared pool" in capacity.unknown


def test_an_unknown_quota_is_not_listed(client: MaxComputeClient) -> None:
    book = QuotaBook(client)
    assert book.exists("os_bigdat") is False
    capacity = book.capacity("os_bigdat")
    assert capacity.unknown == "ListQuotas does not list quota os_bigdat"


# -- the queue ------------------------------------------------------------------------------------


def _job(
    instance_id: str, priority: int | None, submitted: float, *, queued: bool = True
) -> QuotaJob:
    item: dict[str, Any] = {
        "instanceId": instance_id,
        "priority": priority,
        "submittedAtTime": submitted,
        "cpuRequest": 8,
        "cpuUsage": 0 if queued else 8,
    }
    if not queued:
        item["runningTime"] = 60
    return QuotaJob.from_snapshot(item)


JOBS = [
    _job("urgent", 0, 500),
    _job("early", 3, 100),
    _job("late", 3, 900),
    _job("low", 7, 50),
    _job("runs", 1, 10, queued=False),
]
FIFO = Capacity("q", "q_p", "subscription", 100, 50, "Fifo", True)


def test_under_fifo_a_higher_priority_then_the_same_priority_submitted_earlier_are_ahead() -> None:
    queue = queue_of("me", 3, 600, JOBS, FIFO)
    assert [(a.job.instance_id, a.why) for a in queue.ahead] == [
        ("urgent", "higher priority"),
        ("early", "same priority, submitted earlier"),
    ]
    assert queue.position == 3 and queue.fair_among is None


def test_the_lowest_priority_waits_behind_every_more_urgent_job() -> None:
    queue = queue_of("low", 7, 50, JOBS, FIFO)
    assert [a.job.instance_id for a in queue.ahead] == ["urgent", "early", "late"]
    assert queue.position == 4


def test_when_priorities_are_not_honoured_only_submission_order_counts() -> None:
    off = FIFO._replace(priority_enabled=False)
    queue = queue_of("me", 3, 600, JOBS, off)
    assert [(a.job.instance_id, a.why) for a in queue.ahead] == [
        ("low", "submitted earlier"),
        ("early", "submitted earlier"),
        ("urgent", "submitted earlier"),
    ]
    assert queue.position == 4


def test_under_fair_scheduling_there_is_no_position_but_a_share() -> None:
    fair = FIFO._replace(scheduler="Fair")
    queue = queue_of("me", 3, 600, JOBS, fair)
    assert queue.position is None
    assert [a.job.instance_id for a in queue.ahead] == ["urgent"]  # priority still comes first
    assert queue.fair_among == 3  # early, late and this job, all of priority 3
    unordered = queue_of("me", 3, 600, JOBS, fair._replace(priority_enabled=False))
    assert unordered.ahead == () and unordered.fair_among == 6


def test_the_seeded_queued_job_is_third_in_line(
    emulated: Emulated, client: MaxComputeClient
) -> None:
    snapshot = SnapshotReader(client, "os_bigdata").read(emulated.now)
    capacity = QuotaBook(client).capacity("os_bigdata")
    me = snapshot.find("queued")
    assert me is not None and me.queued and me.cpu_request == 48
    queue = queue_of("queued", me.priority, me.submitted_at, snapshot.jobs, capacity)
    assert [a.job.instance_id for a in queue.ahead] == ["bd-urgent-fix", "bd-early-batch"]
    assert queue.position == 3
    assert [j.instance_id for j in consumers(snapshot)] == [
        "bd-etl-nightly",
        "bd-feature-backfill",
        "running",
    ]


def test_sort_keys() -> None:
    assert [j.instance_id for j in ordered(JOBS, "priority")] == [
        "urgent",
        "runs",
        "early",
        "late",
        "low",
    ]
    assert ordered(JOBS, "cpu")[0].instance_id == "runs"


# -- GetRunningJobs -------------------------------------------------------------------------------


def test_running_jobs_instead_of_snapshots(emulated: Emulated, client: MaxComputeClient) -> None:
    with pytest.raises(CredentialsError) as refused:
        SnapshotReader(client, "os_restricted").read(emulated.now)
    assert is_denied(refused.value)
    snapshot = running_jobs(client, "os_restricted", emulated.now)
    assert snapshot.source == RUNNING_JOBS
    assert {(j.instance_id, j.queued) for j in snapshot.jobs} == {
        ("restricted-running", False),
        ("restricted-queued", True),
    }
    assert snapshot.cores_used is None
    running = next(j for j in snapshot.jobs if not j.queued)
    assert running.cu_snapshot == pytest.approx(0.6) and running.priority is None
    assert running.waited == 30 and running.ran is not None and running.ran > 2000
    (_, query, _) = next(c for c in emulated.calls if c[0] == RUNNING_JOBS)
    assert query["quotaNicknameList"] == "os_restricted" and query["pageSize"] == "20"
    assert int(query["to"]) - int(query["from"]) == 7 * 86400


def test_a_bad_credential_is_not_taken_for_a_missing_permission() -> None:
    assert not is_denied(CredentialsError("bad signature", code="SignatureDoesNotMatch"))
    assert is_denied(CredentialsError("no", code="NoPermission"))
    assert is_denied(CredentialsError("no", http_status=403))


def _many_quota() -> list[dict[str, Any]]:
    return [
        seed._quota(
            "many_p",
            "7000",
            "subscription",
            {"minCU": 500, "maxCU": 500},
            [("q_many", "7001", seed._sub(250, 500, "Fifo"))],
        )
    ]


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (1e308, "a maxCU of 1e+308, not a capacity"),  # its memory would overflow to infinity
        (-10, "a maxCU of -10, not a capacity"),
        ("lots", "a maxCU of lots, not a capacity"),
        (None, "no maxCU"),
    ],
)
def test_a_maxcu_that_is_no_capacity_leaves_the_capacity_unknown(given: Any, why: str) -> None:
    from maxjob.quota import capacity_of

    parameter = {} if given is None else {"maxCU": given}
    found = capacity_of("q", "q_p", {"parameter": parameter}, {})
    assert (found.max_cu, found.cores, found.memory_mb) == (None, None, None)
    assert found.unknown is not None and found.unknown.endswith(why)


def test_a_huge_figure_of_a_job_is_no_figure() -> None:
    job = QuotaJob.from_snapshot(
        {"instanceId": "j", "cpuUsage": 1e308, "memoryUsage": -5, "runningTime": -1}
    )
    assert (job.cpu_usage, job.memory_usage, job.ran, job.queued) == (None, None, None, False)
    # An absurd running time is no figure, but the job runs all the same.
    huge = QuotaJob.from_snapshot({"instanceId": "j", "runningTime": 1e16})
    assert (huge.ran, huge.queued) == (None, False)
    assert QuotaJob.from_snapshot({"instanceId": "j", "runningTime": ""}).queued


def test_a_level1_nickname_of_dot_dot_sends_no_request_to_another_path() -> None:
    """ListQuotas naming a parent `..` made QueryQuota go to /api/v1/query: no request is sent,
    and the capacity is unknown, saying why."""
    quotas = [
        seed._quota("..", "7000", "subscription", {}, [("q_dots", "7001", seed._sub(1, 2, "Fifo"))])
    ]
    emulated = Emulated(running_story(1), quotas)
    with emulated.client() as client:
        capacity = QuotaBook(client).capacity("q_dots")
    assert "QueryQuota" not in emulated.actions()
    assert capacity.cores is None
    assert capacity.unknown == "QueryQuota on .. failed: '..' cannot be a name in a request path"


@pytest.mark.parametrize("name", [".", "..", "q" * 70_000])
def test_a_quota_named_dot_or_endlessly_is_a_usage_error(name: str) -> None:
    from maxjob.commands import top
    from maxjob.errors import UsageError

    with pytest.raises(UsageError, match="not a quota nickname"):
        top.check(top.Options(quota=name))
