"""The emulator's store on a fake clock, without sockets: the seed's stories, seen the same way
through every operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from maxjob.emulator import seed
from maxjob.emulator.errors import GatewayError, ServiceError
from maxjob.emulator.jobs import is_final
from maxjob.emulator.server import load_jobs
from maxjob.emulator.store import Filters, Listing, Store

START = 1_796_000_000.0  # 2026-11-30 and a bit, UTC


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Store:
    return Store(load_jobs(None), clock=clock, kill_delay=2.0)


def window(
    since: float, until: float = START, *, size: int = 100, number: int = 1, **filters: Any
) -> Listing:
    return Listing(
        Filters(**filters), page_number=number, page_size=size, start=int(since), end=int(until)
    )


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["instanceId"]) for item in items]


def info(store: Store, instance_id: str) -> dict[str, Any]:
    job = store.find(instance_id)
    assert job is not None, instance_id
    return job.info(store.now())


# -- the fixed jobs -------------------------------------------------------------------------------


def test_the_documented_sample_and_fixed_jobs_are_served_as_they_are(store: Store) -> None:
    assert info(store, "20230410****60gg") == seed.SAMPLE_DATA
    assert info(store, "finished") == seed.FINISHED_DATA
    assert info(store, "failed")["status"] == "failed"


def test_cancelled_is_a_real_cancelled_job(store: Store) -> None:
    job = info(store, "cancelled")
    assert job["status"] == "cancelled"
    last = job["jobSubStatusList"][-1]
    assert (last["code"], last["description"]) == (1056, "Cancelled")
    assert job["cuUsage"] * 100 / 3600 < 2  # under two core-hours
    assert job["endAtTime"] < START and job["runningTime"] == 6 * 60


def test_running_is_coherent_with_the_servers_clock(store: Store) -> None:
    job = info(store, "running")
    assert job["status"] == "running"
    assert START - 30 * 60 < job["submittedAtTime"] < job["runningAtTime"] < START
    assert job["jobSubStatusList"][-1]["code"] == 1032
    year = job["jobSubStatusList"][0]["startTime"][:4]
    assert year == "2026", job["jobSubStatusList"]
    assert "endAtTime" not in job and "cuUsage" not in job


def test_queued_waits_for_resources_on_a_subscription_quota(store: Store) -> None:
    job = info(store, "queued")
    assert job["status"] == "waiting" and job["quotaType"] == "subscription"
    assert job["jobSubStatusList"][-1]["code"] == 1011
    assert "runningAtTime" not in job and job["waitingTime"] == 7 * 60


# -- ListJobInfos ----------------------------------------------------------------------------------


def test_list_finds_what_overlaps_the_window(store: Store) -> None:
    page = store.list_jobs(window(START - 3600))
    found = set(ids(page.items))
    assert {"running", "queued", "bd-etl-nightly", "payg-done", "hist-steady"} <= found
    assert "cancelled" not in found  # it ended three hours ago
    assert "cancelled" in ids(store.list_jobs(window(START - 4 * 3600)).items)
    # A job running since two hours overlaps a window of the last minute.
    assert "bd-etl-nightly" in ids(store.list_jobs(window(START - 60)).items)
    assert page.total == len(page.items)
    assert all("jobSubStatusList" not in item for item in page.items)


def test_list_items_have_the_lists_own_fields(store: Store) -> None:
    items = {i["instanceId"]: i for i in store.list_jobs(window(START - 3600)).items}
    running, done = items["running"], items["hist-steady"]
    assert running["endAtTime"] == 0 and running["statusSnapshot"] == "running"
    assert running["cuSnapshot"] == pytest.approx(30 / 200)
    assert running["totalTime"] == int(START) - running["submittedAtTime"]
    assert done["status"] == "success" and done["cuSnapshot"] == 0.0
    assert done["extNodeName"] == "hist_steady_di" and done["tags"] == "[]"
    assert isinstance(done["taskName"], str) and done["cluster"]


def test_list_is_sorted_newest_first_and_paged(store: Store) -> None:
    everything = store.list_jobs(window(START - 3600)).items
    submitted = [i["submittedAtTime"] for i in everything]
    assert submitted == sorted(submitted, reverse=True)
    pages = [store.list_jobs(window(START - 3600, size=4, number=n)) for n in (1, 2, 3)]
    assert [i for p in pages for i in p.items] == everything[:12]
    assert {p.total for p in pages} == {len(everything)}
    assert store.list_jobs(window(START - 3600, size=4, number=100)).items == []


def test_list_sorts_by_several_fields(store: Store) -> None:
    listing = Listing(
        Filters(quota="os_bigdata", statuses=frozenset({"waiting"})),
        sort=(("priority", False), ("submittedAtTime", False)),
        page_size=100,
        start=int(START - 3600),
        end=int(START),
    )
    assert ids(store.list_jobs(listing).items) == [
        "bd-urgent-fix",
        "bd-early-batch",
        "queued",
        "bd-late-adhoc",
        "bd-low-prio",
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"statuses": frozenset({"waiting"}), "quota": "os_bigdata"}, 5),
        ({"projects": frozenset({"finance_dw"})}, 2),
        ({"owners": frozenset({"RAM$analyst@example.com"}), "quota": "os_bigdata"}, 2),
        ({"priorities": frozenset({0})}, 1),
        ({"instance_ids": frozenset({"queued", "running"})}, 2),
        ({"types": frozenset({"sql"}), "quota": "etl_payg"}, 3),
        ({"ext_node_ids": frozenset({"700000000102"})}, 1),
        ({"scene_tags": frozenset({"SubscriptionLackResource"})}, 0),
    ],
)
def test_list_filters(store: Store, filters: dict[str, Any], expected: int) -> None:
    assert store.list_jobs(window(START - 3600, **filters)).total == expected


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        (START - 8 * 86400, START, "7 days"),
        (START - 46 * 86400, START - 45.5 * 86400, "45 days"),
        (START, START - 60, "after"),
    ],
)
def test_list_refuses_long_old_or_reversed_windows(
    store: Store, since: float, until: float, words: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        store.list_jobs(window(since, until))
    assert caught.value.code == "ILLEGAL_ARGUMENT" and caught.value.status == 400
    assert words in caught.value.message


# -- history ---------------------------------------------------------------------------------------


def _runs(store: Store, newest: str, **filters: Any) -> list[dict[str, Any]]:
    """The runs history would find: two windows of 7 days before the newest run."""
    job = info(store, newest)
    end = job["submittedAtTime"]
    items = []
    for days in (0, 7):
        listing = window(end - (days + 7) * 86400, end - days * 86400, **filters)
        items += store.list_jobs(listing).items
    return [i for i in {i["instanceId"]: i for i in items}.values() if i["instanceId"] != newest]


def test_history_steady_has_twelve_earlier_runs(store: Store) -> None:
    job = info(store, "hist-steady")
    runs = _runs(
        store,
        "hist-steady",
        signatures=frozenset({job["signature"]}),
        projects=frozenset({job["project"]}),
    )
    outcomes = sorted(r["status"] for r in runs)
    assert outcomes == ["cancelled", "failed"] + ["success"] * 10
    ran = sorted(r["runningTime"] for r in runs if r["status"] == "success")
    median = (ran[4] + ran[5]) / 2
    assert 0.8 < job["runningTime"] / median < 1.2
    everywhere = _runs(store, "hist-steady", signatures=frozenset({job["signature"]}))
    assert len(everywhere) == 13  # and its run in sales_dw_dev


def test_the_failed_run_has_a_diagnosis_to_filter_on(store: Store) -> None:
    end = info(store, "hist-steady")["submittedAtTime"]
    listing = window(end - 7 * 86400, end, scene_tags=frozenset({"DataSkew"}))
    assert ids(store.list_jobs(listing).items) == ["hist-steady-r04"]
    assert info(store, "hist-steady-r04")["sceneResults"][0]["type"] == "critical"


def test_history_regressed_grew_and_few(store: Store) -> None:
    def ratio(newest: str) -> tuple[float, float, int]:
        job = info(store, newest)
        runs = _runs(store, newest, ext_node_ids=frozenset({job["extNodeId"]}))
        ran = sorted(r["runningTime"] for r in runs)
        size = sorted(r["inputBytes"] for r in runs)
        middle = len(runs) // 2
        return job["runningTime"] / ran[middle], job["inputBytes"] / size[middle], len(runs)

    run, size, count = ratio("hist-regressed")
    assert 3 <= run <= 4 and size < 1.2 and count == 9
    run, size, count = ratio("hist-grew")
    assert run > 1.3 and abs(run - size) < 0.1 and count == 8
    assert ratio("hist-few")[2] == 1


# -- ListJobSnapshotInfos --------------------------------------------------------------------------


def test_snapshots_are_whole_minutes_and_the_newest_are_empty(store: Store, clock: Clock) -> None:
    clock.now = START + 30
    assert store.snapshot(window(0, clock.now, quota="os_bigdata")).total == 0
    assert store.snapshot(window(0, clock.now - 60, quota="os_bigdata")).total == 0
    page = store.snapshot(window(0, clock.now - 180, quota="os_bigdata"))
    assert page.total > 0
    at = page.items[0]["snapshotTime"]
    assert at % 60 == 0 and at <= clock.now - 180


def test_the_subscription_quota_story_in_a_snapshot(store: Store, clock: Clock) -> None:
    clock.now = START + 240
    items = store.snapshot(window(0, START, quota="os_bigdata")).items
    by_id = {i["instanceId"]: i for i in items}
    running = [i for i in items if "runningTime" in i]
    queued = [i for i in items if "runningTime" not in i]
    assert sum(i["cpuUsage"] for i in running) == 196
    assert {i["instanceId"] for i in queued} == {
        "bd-urgent-fix",
        "bd-early-batch",
        "queued",
        "bd-late-adhoc",
        "bd-low-prio",
    }
    mine = by_id["queued"]
    ahead = [
        i
        for i in queued
        if i["priority"] < mine["priority"]
        or (i["priority"] == mine["priority"] and i["submittedAtTime"] < mine["submittedAtTime"])
    ]
    assert {i["instanceId"] for i in ahead} == {"bd-urgent-fix", "bd-early-batch"}
    assert mine["cpuUsage"] == 0 and mine["cpuRequest"] == 48
    waited = mine["snapshotTime"] - mine["submittedAtTime"]
    assert mine["waitingTime"] == mine["totalTime"] == waited > 6 * 60
    big = by_id["bd-etl-nightly"]
    assert big["cpuUsage"] == 90 and big["memoryUsage"] == 90 * 4096
    assert big["status"] == "running" and big["minCpuPct"] == pytest.approx(0.9)


def test_pay_as_you_go_jobs_have_no_min_pct(store: Store, clock: Clock) -> None:
    clock.now = START + 240
    items = store.snapshot(window(0, START, quota="etl_payg")).items
    assert {i["instanceId"] for i in items} == {"payg-running", "payg-waiting"}
    assert all("minCpuPct" not in i for i in items)


def test_snapshots_of_the_restricted_quota_are_refused(store: Store) -> None:
    with pytest.raises(GatewayError) as caught:
        store.snapshot(window(0, START - 300, quota="os_restricted"))
    assert (caught.value.status, caught.value.code) == (403, "NoPermission")
    everything = store.snapshot(window(0, START - 300, size=1000)).items
    assert not [i for i in everything if i.get("quotaNickname") == "os_restricted"]


# -- GetRunningJobs --------------------------------------------------------------------------------


def test_running_jobs_include_the_restricted_quota(store: Store) -> None:
    page = store.running_jobs(
        int(START - 86400), int(START), None, frozenset({"os_restricted"}), 1, 20
    )
    assert sorted(ids(page.items)) == ["restricted-queued", "restricted-running"]
    running = next(i for i in page.items if i["instanceId"] == "restricted-running")
    assert running["progress"] == 0.5 and running["cuSnapshot"] == pytest.approx(24 / 40)
    assert set(running) == {
        "instanceId",
        "jobOwner",
        "project",
        "quotaNickname",
        "cuSnapshot",
        "memorySnapshot",
        "progress",
        "submittedAtTime",
        "runningAtTime",
    }


def test_running_jobs_filter_on_submission_time_and_owner(store: Store) -> None:
    recent = store.running_jobs(int(START - 600), int(START), None, None, 1, 20)
    assert "bd-etl-nightly" not in ids(recent.items) and "queued" in ids(recent.items)
    owner = frozenset({"RAM$analyst@example.com"})
    mine = store.running_jobs(int(START - 86400), int(START), owner, None, 1, 20)
    assert sorted(ids(mine.items)) == ["bd-late-adhoc", "queued"]


# -- KillJobs --------------------------------------------------------------------------------------


def test_a_kill_cancels_after_the_delay(store: Store, clock: Clock) -> None:
    job = store.find("kill-t1")
    assert job is not None
    assert job.info(clock.now)["status"] == "running"
    store.kill([(job, "demo_project")])
    clock.now += 1
    assert job.info(clock.now)["status"] == "running"
    clock.now += 1.5
    done = job.info(clock.now)
    assert done["status"] == "cancelled" and done["jobSubStatusList"][-1]["code"] == 1056
    assert done["endAtTime"] == int(START + 2) and done["runningTime"] == 50 + 2
    assert done["cuUsage"] == round(16 * 52 / 100)
    listed = store.list_jobs(window(START - 600, clock.now, instance_ids=frozenset({"kill-t1"})))
    assert listed.items[0]["status"] == "cancelled"
    with pytest.raises(ServiceError) as caught:
        store.kill([(job, "demo_project")])
    assert caught.value.code == "ILLEGAL_ARGUMENT"
    assert "Only an instance in the Running state" in caught.value.message


def test_a_kill_of_a_static_running_job_and_its_delay(store: Store, clock: Clock) -> None:
    slow = store.find("killslow-1")
    queued = store.find("queued")
    assert slow is not None and queued is not None
    store.kill([(slow, "demo_project"), (queued, "dp_cdm_prod")])
    clock.now += 3
    assert queued.info(clock.now)["status"] == "cancelled"
    assert "runningAtTime" not in queued.info(clock.now)
    assert slow.info(clock.now)["status"] == "running"
    clock.now += 30
    assert slow.info(clock.now)["status"] == "cancelled"


def test_a_kill_is_all_or_nothing(store: Store, clock: Clock) -> None:
    fresh, ended = store.find("kill-t2"), store.find("finished")
    assert fresh is not None and ended is not None
    with pytest.raises(ServiceError):
        store.kill([(fresh, "demo_project"), (ended, "sales_dw")])
    with pytest.raises(ServiceError) as caught:
        store.kill([(fresh, "another_project")])
    assert caught.value.code == "OBJECT_NOT_EXIST"
    clock.now += 10
    assert fresh.info(clock.now)["status"] == "running"


# -- quotas ----------------------------------------------------------------------------------------


def test_a_job_quota_maps_to_its_level_1_quota(store: Store) -> None:
    quotas, marker = store.quotas.page("", 100, None)
    assert marker == ""
    parent = next(
        q["nickName"]
        for q in quotas
        for sub in q["subQuotaInfoList"]
        if sub["nickName"] == info(store, "queued")["quotaNickname"]
    )
    assert parent == "os_bigdata_p"
    quota = store.quotas.query(parent)
    sub = next(s for s in quota["subQuotaInfoList"] if s["nickName"] == "os_bigdata")
    assert sub["parameter"]["maxCU"] == 200 and sub["parameter"]["schedulerType"] == "Fifo"
    assert quota["billingPolicy"]["billingMethod"] == "subscription"
    assert "denied" not in quota


def test_quota_errors_and_paging(store: Store) -> None:
    with pytest.raises(ServiceError) as unknown:
        store.quotas.query("os_bigdata")  # a level-2 nickname
    assert unknown.value.code == "QUOTA_UNKNOWN_NICKNAME"
    with pytest.raises(GatewayError) as denied:
        store.quotas.query("os_restricted_p")
    assert denied.value.code == "NoPermission"
    first, marker = store.quotas.page("", 2, None)
    rest, end = store.quotas.page(marker, 2, None)
    assert len(first) == 2 and len(rest) == 1 and end == ""
    payg, _ = store.quotas.page("", 100, "payasyougo")
    assert [q["nickName"] for q in payg] == ["etl_payg_p"]
    assert store.quotas.capacity("etl_payg") is None and store.quotas.capacity("os_bigdata") == 200


# -- the jobs-file format and synthetic jobs -------------------------------------------------------


def test_file_jobs_win_and_scripts_start_at_their_first_reference(clock: Clock) -> None:
    mine = {"instanceId": "finished", "data": {"status": "Pondering"}}
    scripted = {
        "idPrefix": "x-",
        "script": [
            {"at": 0, "status": "waiting", "code": 1010},
            {"at": 5, "status": "running", "code": 1032},
        ],
        "base": {"project": "p"},
    }
    store = Store([mine, scripted, *load_jobs(None)], clock=clock)
    assert info(store, "finished") == {"status": "Pondering", "instanceId": "finished"}
    clock.now += 100
    job = store.find("x-1")
    assert job is not None and job.info(clock.now)["submittedAtTime"] == int(clock.now)
    clock.now += 6
    assert job.info(clock.now)["status"] == "running"
    assert job.info(clock.now)["waitingTime"] == 5


def test_synthetic_jobs_are_listed_within_the_last_hour(clock: Clock) -> None:
    store = Store(load_jobs(None), clock=clock, synthetic_jobs=250)
    listing = window(START - 3600, projects=frozenset({"bench_project"}), size=100)
    pages = [store.list_jobs(Listing(**{**listing.__dict__, "page_number": n})) for n in (1, 2, 3)]
    found = [i for p in pages for i in p.items]
    assert pages[0].total == 250 and len({i["instanceId"] for i in found}) == 250
    assert all(is_final(i["status"]) and i["endAtTime"] <= START - 600 for i in found)
    assert info(store, "synth-001")["jobSubStatusList"][-1]["code"] in (1054, 1055, 1056)
    assert store.snapshot(window(0, START - 180, quota="etl_payg", size=1000)).total == 2


def test_a_jobs_file_that_is_no_file_or_too_deep_is_refused(tmp_path: Path) -> None:
    """`--jobs /dev/zero` filled 2 GB in 10 s, a FIFO hung, 100,000 brackets were 'a bug'."""
    import os

    fifo = tmp_path / "jobs.fifo"
    os.mkfifo(fifo)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    for path, said in ((Path("/dev/zero"), "regular"), (fifo, "regular"), (deep, "deeply")):
        with pytest.raises(ValueError, match=said):
            load_jobs(path)


def test_listings_no_longer_fresh_are_dropped_as_new_ones_are_made(clock: Clock) -> None:
    store = Store(load_jobs(None), clock=clock, synthetic_jobs=250)
    for step in range(5):
        clock.now += 2  # past CACHE_SECONDS: the listing made before is stale
        store.list_jobs(window(START - 3600 + step, size=100))
    assert len(store._cache) == 1
    store.list_jobs(window(START - 100, size=100))  # made within the second: both kept
    assert len(store._cache) == 2
