"""The emulator's gateway over a real loopback socket: the official SDK's call of each of the seven
operations passes its checks with an access key and with STS credentials, and is parsed into the
SDK's model; tampered, stale, replayed or misrouted requests are refused in the gateway's shape."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from maxjob import emulator
from maxjob.emulator.gateway import Credential
from tests.conftest import (
    KEY_ID,
    KEY_SECRET,
    STS_KEY_ID,
    STS_SECRET,
    STS_TOKEN,
    Emulator,
    run_maxjob,
)
from tests.unit.test_emulator_gateway import sdk_signed

ODD_ID = "a b/c~*+é%:"
AK = Credential(KEY_ID, KEY_SECRET)
STS = Credential(STS_KEY_ID, STS_SECRET, STS_TOKEN)


@dataclass
class Served:
    port: int

    def sdk(self, credential: Credential = AK) -> Any:
        return sdk_client(self.port, credential)

    def send(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, target, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def call(
        self, method: str, path: str, action: str, body: bytes = b"", **options: Any
    ) -> tuple[int, dict[str, Any]]:
        return self.send(method, *self.signed(method, path, action, body, **options), body)

    def signed(
        self, method: str, path: str, action: str, body: bytes = b"", **options: Any
    ) -> tuple[str, dict[str, str]]:
        """The target and headers of a request signed by the official SDK's signing code."""
        options.setdefault("credential", AK)
        return sdk_signed(method, path, action, body=body, host=f"127.0.0.1:{self.port}", **options)


@pytest.fixture
def served() -> Iterator[Served]:
    server, _ = emulator.start_in_thread(kill_delay=0.3)
    yield Served(server.server_address[1])
    server.shutdown()
    server.server_close()


def sdk_client(port: int, credential: Credential = AK) -> Any:
    from alibabacloud_maxcompute20220104.client import Client
    from alibabacloud_tea_openapi import utils_models

    config = utils_models.Config(
        access_key_id=credential.key_id,
        access_key_secret=credential.secret,
        security_token=credential.token,
        endpoint=f"127.0.0.1:{port}",
        protocol="http",
        region_id="cn-hangzhou",
    )
    return Client(config)


def _now() -> int:
    return int(time.time())


def _get_job_info(client: Any) -> None:
    data = client.get_job_info("queued").body.data
    assert data.status == "waiting" and data.job_sub_status_list[-1].code == 1011


def _list_job_infos(client: Any) -> None:
    from alibabacloud_maxcompute20220104 import models

    request = models.ListJobInfosRequest(
        from_=_now() - 3600, to=_now(), quota_nickname="os_bigdata", page_size=3
    )
    data = client.list_job_infos(request).body.data
    assert data.total_count >= 8 and len(data.job_info_list) == 3
    assert data.job_info_list[0].cu_snapshot is not None
    assert "jobSubStatusList" not in data.job_info_list[0].to_map()


def _list_job_snapshot_infos(client: Any) -> None:
    from alibabacloud_maxcompute20220104 import models

    request = models.ListJobSnapshotInfosRequest(
        to=_now() - 180, quota_nickname="os_bigdata", page_size=50
    )
    data = client.list_job_snapshot_infos(request).body.data
    assert data.total_count >= 7
    assert all(j.snapshot_time % 60 == 0 and j.cpu_request > 0 for j in data.job_info_list)


def _get_running_jobs(client: Any) -> None:
    from alibabacloud_maxcompute20220104 import models

    request = models.GetRunningJobsRequest(
        from_=_now() - 86400,
        to=_now(),
        quota_nickname_list=["os_restricted", "etl_payg"],
        job_owner_list=["RAM$finance@example.com", "ALIYUN$etl-bot@example.com"],
        page_size=20,
    )
    data = client.get_running_jobs(request).body.data
    found = {j.instance_id for j in data.running_job_info_list}
    assert found == {"restricted-running", "restricted-queued", "payg-running", "payg-waiting"}


def _kill_jobs(client: Any) -> None:
    from alibabacloud_maxcompute20220104 import models

    body = json.dumps(
        [{"instanceId": f"kill-{time.monotonic_ns()}", "projectName": "demo_project"}]
    )
    response = client.kill_jobs(models.KillJobsRequest(body=body)).body
    assert (response.http_code, response.data) == (200, "success")


def _query_quota(client: Any) -> None:
    from alibabacloud_maxcompute20220104 import models

    data = client.query_quota("os_bigdata_p", models.QueryQuotaRequest(mock=True)).body.data
    assert data.parameter["maxCU"] == 300
    assert [s.nick_name for s in data.sub_quota_info_list] == ["os_bigdata", "adhoc", "demo_quota"]


def _list_quotas(client: Any) -> None:
    from alibabacloud_maxcompute20220104 import models

    body = client.list_quotas(models.ListQuotasRequest(max_item=100)).body
    assert [q.nick_name for q in body.quota_info_list] == [
        q.nick_name for q in body.data.quota_info_list
    ]
    sub = body.quota_info_list[0].sub_quota_info_list[0]
    assert (sub.nick_name, sub.parameter.max_cu, sub.parameter.scheduler_type) == (
        "os_bigdata",
        200,
        "Fifo",
    )


OPERATIONS: dict[str, Callable[[Any], None]] = {
    "GetJobInfo": _get_job_info,
    "ListJobInfos": _list_job_infos,
    "ListJobSnapshotInfos": _list_job_snapshot_infos,
    "GetRunningJobs": _get_running_jobs,
    "KillJobs": _kill_jobs,
    "QueryQuota": _query_quota,
    "ListQuotas": _list_quotas,
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("credential", [AK, STS], ids=["ak", "sts"])
def test_official_sdk_call_of_each_operation_passes(
    served: Served, operation: str, credential: Credential
) -> None:
    OPERATIONS[operation](served.sdk(credential))


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_official_sdk_with_a_wrong_secret_is_refused(served: Served, operation: str) -> None:
    from alibabacloud_tea_openapi.exceptions import ClientException

    with pytest.raises(ClientException) as caught:
        OPERATIONS[operation](served.sdk(Credential(KEY_ID, "not-the-secret")))
    assert caught.value.code == "SignatureDoesNotMatch"


def test_official_sdk_odd_instance_id_reaches_the_job_lookup(served: Served) -> None:
    from alibabacloud_tea_openapi.exceptions import ClientException

    with pytest.raises(ClientException) as caught:
        served.sdk().get_job_info(ODD_ID)
    # Signed correctly: it got past the gateway's checks to the job lookup.
    assert caught.value.data["errorCode"] == "OBJECT_NOT_EXIST"
    assert ODD_ID in caught.value.data["errorMsg"]


def test_official_sdk_odd_quota_nickname_reaches_the_quota_lookup(served: Served) -> None:
    from alibabacloud_maxcompute20220104 import models
    from alibabacloud_tea_openapi.exceptions import ClientException

    with pytest.raises(ClientException) as caught:
        served.sdk().query_quota("默认预付费Quota_p", models.QueryQuotaRequest())
    assert caught.value.data["errorCode"] == "QUOTA_UNKNOWN_NICKNAME"
    assert "默认预付费Quota_p" in caught.value.data["errorMsg"]


# -- requests sent by hand: the body, the content type, the route ---------------------------------

LIST_BODY = json.dumps({"from": _now() - 3600, "to": _now()}, separators=(",", ":")).encode()
KILL_BODY = b'[{"instanceId":"kill-byte","projectName":"demo_project"}]'


@pytest.mark.parametrize(
    ("path", "action", "body"),
    [("/api/v1/jobs", "ListJobInfos", LIST_BODY), ("/api/v1/jobs/kill", "KillJobs", KILL_BODY)],
    ids=["ListJobInfos", "KillJobs"],  # the same on every collection (xdist's workers compare)
)
def test_a_body_changed_by_one_byte_after_signing_is_refused(
    served: Served, path: str, action: str, body: bytes
) -> None:
    target, headers = served.signed("POST", path, action, body)
    changed = body[:-2] + bytes([body[-2] ^ 1]) + body[-1:]
    status, answer = served.send("POST", target, headers, changed)
    assert (status, answer["Code"]) == (400, "IncompleteSignature")
    assert set(answer) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}
    # The same request, unchanged, is accepted (and not replayed: a new nonce).
    target, headers = served.signed("POST", path, action, body)
    assert served.send("POST", target, headers, body)[0] == 200


def test_a_body_that_is_not_json_is_refused(served: Served) -> None:
    status, answer = served.call(
        "POST", "/api/v1/jobs/kill", "KillJobs", KILL_BODY, content_type="text/plain"
    )
    assert (status, answer["Code"]) == (415, "UnsupportedMediaType")


@pytest.mark.parametrize(
    ("method", "path", "action"),
    [
        ("GET", "/api/v1/jobs/finished/info", "ListJobInfos"),
        ("POST", "/api/v1/jobs", "GetJobInfo"),
        ("GET", "/api/v1/jobs", "ListJobInfos"),
        ("GET", "/api/v1/quotas/os_bigdata_p", "QueryQuota"),
        ("GET", "/api/v1/quotas", "GetQuota"),
    ],
)
def test_an_action_that_does_not_match_method_and_path_is_not_found(
    served: Served, method: str, path: str, action: str
) -> None:
    body = b"{}" if method == "POST" else b""
    status, answer = served.call(method, path, action, body)
    assert (status, answer["Code"]) == (404, "InvalidApi.NotFound")


PATH = "/api/v1/jobs/finished/info"


def test_one_changed_byte_of_signature_is_refused(served: Served) -> None:
    target, headers = served.signed("GET", PATH, "GetJobInfo")
    auth = headers["authorization"]
    headers["authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    status, body = served.send("GET", target, headers)
    assert status == 400 and body["Code"] == "SignatureDoesNotMatch"


def test_a_date_outside_the_15_minute_window_is_refused(served: Served) -> None:
    stale = datetime.now(UTC) - timedelta(minutes=16)
    assert served.call("GET", PATH, "GetJobInfo", now=stale)[1]["Code"] == (
        "InvalidTimeStamp.Expired"
    )
    ok = datetime.now(UTC) - timedelta(minutes=14)
    assert served.call("GET", PATH, "GetJobInfo", now=ok)[0] == 200


def test_a_reused_nonce_is_refused(served: Served) -> None:
    nonce = "0123456789abcdef0123456789abcdef"
    assert served.call("GET", PATH, "GetJobInfo", nonce=nonce)[0] == 200
    assert served.call("GET", PATH, "GetJobInfo", nonce=nonce)[1]["Code"] == "SignatureNonceUsed"


def test_sts_key_without_or_with_a_wrong_token_is_refused(served: Served) -> None:
    no_token = Credential(STS_KEY_ID, STS_SECRET)
    code = served.call("GET", PATH, "GetJobInfo", credential=no_token)[1]["Code"]
    assert code == "InvalidSecurityToken.Missing"
    wrong = Credential(STS_KEY_ID, STS_SECRET, "wrong")
    code = served.call("GET", PATH, "GetJobInfo", credential=wrong)[1]["Code"]
    assert code == "InvalidSecurityToken.Mismatch"
    assert served.call("GET", PATH, "GetJobInfo", credential=STS)[0] == 200


def test_unknown_key_and_unsigned_x_acs_header(served: Served) -> None:
    nobody = Credential("nobody", "secret")
    assert served.call("GET", PATH, "GetJobInfo", credential=nobody)[1]["Code"] == (
        "InvalidAccessKeyId.NotFound"
    )
    target, headers = served.signed("GET", PATH, "GetJobInfo")
    headers["x-acs-extra"] = "smuggled"
    assert served.send("GET", target, headers)[1]["Code"] == "IncompleteSignature"


def test_unknown_job_uses_the_service_error_shape(served: Served) -> None:
    status, body = served.call("GET", "/api/v1/jobs/nope/info", "GetJobInfo")
    assert status == 404
    assert body["errorCode"] == "OBJECT_NOT_EXIST" and body["httpCode"] == 404


def test_documented_sample_is_served_as_documented(served: Served) -> None:
    status, body = served.call("GET", "/api/v1/jobs/20230410%2A%2A%2A%2A60gg/info", "GetJobInfo")
    assert status == 200 and body["httpCode"] == 200
    assert body["errorCode"] == "OBJECT_NOT_EXIST"  # as in the documented sample
    assert body["data"]["jobOwner"].endswith("\n")


def test_the_emulator_command_serves_and_names_its_port_credentials_and_jobs(
    emulator: Emulator,
) -> None:
    lines = emulator.banner.splitlines()
    assert lines[0] == f"maxjob emulator listening on http://127.0.0.1:{emulator.port}"
    assert f"ALIBABA_CLOUD_ACCESS_KEY_ID={KEY_ID}" in emulator.banner
    assert f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={KEY_SECRET}" in emulator.banner
    assert STS_TOKEN in emulator.banner
    assert (
        lines[-1].startswith("Jobs: ") and "queued" in lines[-1] and "kill-<anything>" in lines[-1]
    )
    assert "os_bigdata_p (os_bigdata" in emulator.banner
    assert sdk_client(emulator.port).get_job_info("finished").body.data.status == "terminated"


def test_a_port_in_use_is_one_line_and_a_hint(emulator: Emulator) -> None:
    result = run_maxjob("emulator", "--port", str(emulator.port))
    assert result.code == 2
    assert result.err.splitlines() == [
        f"maxjob: error: cannot listen on 127.0.0.1:{emulator.port}: Address already in use",
        "maxjob: hint: another program holds that port: pick another, or --port 0 for a free one",
    ]
