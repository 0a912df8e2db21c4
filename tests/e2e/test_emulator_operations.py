"""The emulator's stories through the official SDK over loopback: ListJobInfos' filters and
paging, snapshots stepping back over the data lag, a kill that cancels after a delay, faults,
quota mapping, the latency of every operation, and synthetic jobs for benchmarks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from maxjob import emulator
from tests.e2e.test_emulator import sdk_client


@pytest.fixture(scope="module")
def sdk() -> Iterator[Any]:
    server, _ = emulator.start_in_thread(kill_delay=0.5)
    yield sdk_client(server.server_address[1])
    server.shutdown()
    server.server_close()


def models() -> Any:
    from alibabacloud_maxcompute20220104 import models

    return models


def service_error(call: Any) -> dict[str, Any]:
    """The service-shaped error body a call is refused with."""
    from alibabacloud_tea_openapi.exceptions import ClientException

    with pytest.raises(ClientException) as caught:
        call()
    data: dict[str, Any] = caught.value.data
    return data


def list_jobs(sdk: Any, **request: Any) -> Any:
    now = int(time.time())
    request.setdefault("from_", now - 3600)
    request.setdefault("to", now)
    return sdk.list_job_infos(models().ListJobInfosRequest(**request)).body.data


# -- ListJobInfos ----------------------------------------------------------------------------------


def test_list_pages_add_up_to_the_whole_listing(sdk: Any) -> None:
    whole = list_jobs(sdk, page_size=1000)
    pages = [list_jobs(sdk, page_size=7, page_number=n) for n in range(1, 5)]
    assert {p.total_count for p in pages} == {whole.total_count} and whole.total_count > 15
    assert [p.page_number for p in pages] == [1, 2, 3, 4] and pages[0].page_size == 7
    paged = [j.instance_id for p in pages for j in p.job_info_list]
    assert paged == [j.instance_id for j in whole.job_info_list][:28]
    submitted = [j.submitted_at_time for j in whole.job_info_list]
    assert submitted == sorted(submitted, reverse=True)


def test_list_filters_reach_the_same_jobs_as_get_job_info(sdk: Any) -> None:
    waiting = list_jobs(
        sdk,
        status_list=["waiting"],
        quota_nickname="os_bigdata",
        sort_by_list=["priority", "submittedAtTime"],
        sort_order_list=["asc", "asc"],
        page_size=50,
    )
    ids = [j.instance_id for j in waiting.job_info_list]
    assert ids == ["bd-urgent-fix", "bd-early-batch", "queued", "bd-late-adhoc", "bd-low-prio"]
    queued = waiting.job_info_list[2]
    info = sdk.get_job_info("queued").body.data
    assert (queued.status, queued.priority, queued.submitted_at_time) == (
        info.status,
        info.priority,
        info.submitted_at_time,
    )
    assert queued.end_at_time == 0 and queued.status_snapshot == "waiting"
    by_owner = list_jobs(sdk, job_owner_list=["RAM$finance@example.com"], priority_list=[2])
    assert {j.instance_id for j in by_owner.job_info_list} == {
        "restricted-running",
        "restricted-queued",
    }
    assert list_jobs(sdk, instance_id_list=["nope"]).total_count == 0


def test_history_runs_are_found_by_signature_and_by_node(sdk: Any) -> None:
    newest = sdk.get_job_info("hist-steady").body.data
    end = newest.submitted_at_time
    windows = [(end - 7 * 86400, end), (end - 14 * 86400, end - 7 * 86400)]
    by_signature = [
        j
        for start, stop in windows
        for j in list_jobs(
            sdk,
            from_=start,
            to=stop,
            signature_list=[newest.signature],
            project_list=[newest.project],
            page_size=100,
        ).job_info_list
    ]
    earlier = {j.instance_id: j.status for j in by_signature if j.instance_id != "hist-steady"}
    assert len(earlier) == 12
    assert sorted(earlier.values()) == ["cancelled", "failed"] + ["success"] * 10
    by_node = list_jobs(
        sdk, from_=end - 7 * 86400, to=end, ext_node_id_list=[newest.ext_node_id], page_size=100
    )
    assert {j.ext_node_name for j in by_node.job_info_list} == {"hist_steady_di"}


@pytest.mark.parametrize("days", [8, 46])
def test_list_refuses_a_window_over_7_days_or_older_than_45(sdk: Any, days: int) -> None:
    now = int(time.time())
    error = service_error(lambda: list_jobs(sdk, from_=now - days * 86400, to=now - 86400 * 40))
    assert (error["httpCode"], error["errorCode"]) == (400, "ILLEGAL_ARGUMENT")


def test_list_without_from_and_to_is_refused(sdk: Any) -> None:
    error = service_error(lambda: sdk.list_job_infos(models().ListJobInfosRequest()))
    assert error["errorCode"] == "ILLEGAL_ARGUMENT" and "from" in error["errorMsg"]


# -- ListJobSnapshotInfos --------------------------------------------------------------------------


def test_snapshots_step_back_over_the_data_lag(sdk: Any) -> None:
    at, steps = int(time.time()), 0
    while True:
        request = models().ListJobSnapshotInfosRequest(
            to=at, quota_nickname="os_bigdata", order_column="cpuUsage", asc_order=False
        )
        data = sdk.list_job_snapshot_infos(request).body.data
        if data.total_count:
            break
        at, steps = at - 60, steps + 1
        assert steps <= 3, "no snapshot within three minutes"
    assert steps >= 2  # the newest two minutes are empty
    first = data.job_info_list[0]
    assert first.instance_id == "bd-etl-nightly" and first.snapshot_time == at - at % 60
    assert (first.cpu_usage, first.cpu_request, first.memory_usage) == (90, 100, 90 * 4096)
    assert first.status == "running" and first.running_time > 0


def test_snapshots_of_a_quota_without_permission_fall_back_to_running_jobs(sdk: Any) -> None:
    from alibabacloud_tea_openapi.exceptions import ClientException

    request = models().ListJobSnapshotInfosRequest(
        to=int(time.time()) - 300, quota_nickname="os_restricted"
    )
    with pytest.raises(ClientException) as caught:
        sdk.list_job_snapshot_infos(request)
    assert (caught.value.status_code, caught.value.code) == (403, "NoPermission")
    now = int(time.time())
    running = sdk.get_running_jobs(
        models().GetRunningJobsRequest(
            from_=now - 7 * 86400, to=now, quota_nickname_list=["os_restricted"], page_size=20
        )
    ).body.data
    assert running.total_count == 2
    assert {j.instance_id for j in running.running_job_info_list} == {
        "restricted-running",
        "restricted-queued",
    }
    too_big = models().GetRunningJobsRequest(from_=now - 60, to=now, page_size=21)
    assert service_error(lambda: sdk.get_running_jobs(too_big))["errorCode"] == "ILLEGAL_ARGUMENT"


# -- KillJobs --------------------------------------------------------------------------------------


def kill(sdk: Any, instance_id: str, project: str = "demo_project") -> Any:
    body = json.dumps([{"instanceId": instance_id, "projectName": project}])
    return sdk.kill_jobs(models().KillJobsRequest(body=body)).body


def test_a_killed_job_is_cancelled_after_the_delay(sdk: Any) -> None:
    assert sdk.get_job_info("kill-e2e").body.data.status == "running"
    assert kill(sdk, "kill-e2e").data == "success"
    assert sdk.get_job_info("kill-e2e").body.data.status == "running"
    time.sleep(0.7)
    done = sdk.get_job_info("kill-e2e").body.data
    assert done.status == "cancelled" and done.end_at_time > 0
    last = done.job_sub_status_list[-1]
    assert (last.code, last.description) == (1056, "Cancelled")
    listed = list_jobs(sdk, instance_id_list=["kill-e2e"]).job_info_list
    assert [j.status for j in listed] == ["cancelled"]
    again = service_error(lambda: kill(sdk, "kill-e2e"))
    assert again["errorCode"] == "ILLEGAL_ARGUMENT"
    assert "Only an instance in the Running state" in again["errorMsg"]


def test_kill_refuses_ended_unknown_and_wrong_project_jobs(sdk: Any) -> None:
    assert service_error(lambda: kill(sdk, "finished", "sales_dw"))["httpCode"] == 400
    assert service_error(lambda: kill(sdk, "nope"))["errorCode"] == "OBJECT_NOT_EXIST"
    wrong = service_error(lambda: kill(sdk, "kill-other", "sales_dw"))
    assert wrong["errorCode"] == "OBJECT_NOT_EXIST"
    assert sdk.get_job_info("kill-other").body.data.status == "running"


def test_kill503_answers_503_once(sdk: Any) -> None:
    from alibabacloud_tea_openapi.exceptions import ServerException

    with pytest.raises(ServerException) as caught:
        kill(sdk, "kill503-e2e")
    assert (caught.value.status_code, caught.value.code) == (503, "ServiceUnavailable")
    assert sdk.get_job_info("kill503-e2e").body.data.status == "running"
    assert kill(sdk, "kill503-e2e").data == "success"


def test_get_job_info_faults_still_play(sdk: Any) -> None:
    from alibabacloud_tea_openapi.exceptions import ServerException

    assert sdk.get_job_info("flaky-e2e").body.data.instance_id == "flaky-e2e"
    for _ in range(2):
        with pytest.raises(ServerException):
            sdk.get_job_info("flaky-e2e")
    assert sdk.get_job_info("flaky-e2e").body.data.instance_id == "flaky-e2e"


# -- quotas ----------------------------------------------------------------------------------------


def test_a_job_quota_maps_through_list_quotas_to_query_quota(sdk: Any) -> None:
    level2 = sdk.get_job_info("queued").body.data.quota_nickname
    parents, marker, pages = {}, None, 0
    while True:
        body = sdk.list_quotas(models().ListQuotasRequest(max_item=1, marker=marker)).body
        pages += 1
        for quota in body.quota_info_list:
            for sub in quota.sub_quota_info_list:
                parents[sub.nick_name] = quota.nick_name
        if not body.next_token:
            break
        marker = body.next_token
    assert pages == 3 and parents[level2] == "os_bigdata_p"
    data = sdk.query_quota(parents[level2], models().QueryQuotaRequest()).body.data
    sub = next(s for s in data.sub_quota_info_list if s.nick_name == level2)
    assert sub.parameter["maxCU"] == 200 and sub.parameter["schedulerType"] == "Fifo"
    assert sub.billing_policy.billing_method == "subscription"
    payg = sdk.list_quotas(models().ListQuotasRequest(billing_type="payasyougo")).body
    assert [q.nick_name for q in payg.quota_info_list] == ["etl_payg_p"]


# -- latency and synthetic jobs --------------------------------------------------------------------


@pytest.mark.timed
def test_latency_applies_to_every_operation_and_synthetic_jobs_page() -> None:
    server, _ = emulator.start_in_thread(latency=0.1, synthetic_jobs=10_000)
    try:
        sdk = sdk_client(server.server_address[1])
        started = time.monotonic()
        sdk.list_quotas(models().ListQuotasRequest())
        assert time.monotonic() - started >= 0.1
        first = list_jobs(sdk, project_list=["bench_project"], page_size=100)
        last = list_jobs(sdk, project_list=["bench_project"], page_size=100, page_number=100)
        assert first.total_count == 10_000
        assert len(first.job_info_list) == len(last.job_info_list) == 100
        assert not {j.instance_id for j in first.job_info_list} & {
            j.instance_id for j in last.job_info_list
        }
        one = last.job_info_list[-1].instance_id
        assert sdk.get_job_info(one).body.data.project == "bench_project"
    finally:
        server.shutdown()
        server.server_close()
