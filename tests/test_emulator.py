"""The emulator checks requests like the gateway; the official SDK's requests pass its checks."""

from __future__ import annotations

import http.client
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from maxjob import signing
from maxjob.credentials import Credentials
from tests.conftest import KEY_ID, KEY_SECRET, STS_KEY_ID, STS_SECRET, STS_TOKEN, Emulator

ODD_ID = "a b/c~*+é%:"


def sdk_client(
    emulator: Emulator, key_id: str = KEY_ID, secret: str = KEY_SECRET, token: str | None = None
) -> Any:
    from alibabacloud_maxcompute20220104.client import Client
    from alibabacloud_tea_openapi import utils_models

    config = utils_models.Config(
        access_key_id=key_id,
        access_key_secret=secret,
        security_token=token,
        endpoint=f"127.0.0.1:{emulator.port}",
        protocol="http",
        region_id="cn-hangzhou",
    )
    return Client(config)


def test_official_sdk_get_job_info_passes_the_emulator(emulator: Emulator) -> None:
    response = sdk_client(emulator).get_job_info("finished")
    assert response.status_code == 200
    body = response.body.to_map()
    assert body["data"]["instanceId"] == "finished"
    assert body["data"]["status"] == "terminated"


def test_official_sdk_with_sts_token_passes(emulator: Emulator) -> None:
    client = sdk_client(emulator, STS_KEY_ID, STS_SECRET, STS_TOKEN)
    assert client.get_job_info("failed").body.to_map()["data"]["status"] == "failed"


def test_official_sdk_odd_instance_id_reaches_the_job_lookup(emulator: Emulator) -> None:
    from alibabacloud_tea_openapi.exceptions import ClientException

    with pytest.raises(ClientException) as caught:
        sdk_client(emulator).get_job_info(ODD_ID)
    # Signed correctly: it got past the gateway's checks to the job lookup.
    assert "OBJECT_NOT_EXIST" in str(caught.value)
    assert ODD_ID in str(caught.value)


def test_official_sdk_with_a_wrong_secret_is_refused(emulator: Emulator) -> None:
    from alibabacloud_tea_openapi.exceptions import ClientException

    with pytest.raises(ClientException) as caught:
        sdk_client(emulator, secret="not-the-secret").get_job_info("finished")
    assert "SignatureDoesNotMatch" in str(caught.value)


def _signed(
    path: str,
    *,
    key_id: str = KEY_ID,
    secret: str = KEY_SECRET,
    token: str | None = None,
    now: datetime | None = None,
    nonce: str | None = None,
    port: int,
) -> dict[str, str]:
    headers = {
        "host": f"127.0.0.1:{port}",
        "x-acs-action": "GetJobInfo",
        "x-acs-version": "2022-01-04",
    }
    added, _ = signing.sign_headers(
        method="GET",
        canonical_uri=path,
        query=[],
        headers=headers,
        body=b"",
        credentials=Credentials(key_id, secret, token),
        now=now or datetime.now(UTC),
        nonce=nonce or signing.new_nonce(),
    )
    return {**headers, **added}


def _get(emulator: Emulator, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    return response.status, body


PATH = "/api/v1/jobs/finished/info"


def test_maxjob_signed_request_is_accepted(emulator: Emulator) -> None:
    status, body = _get(emulator, PATH, _signed(PATH, port=emulator.port))
    assert status == 200 and body["data"]["instanceId"] == "finished"


def test_one_changed_byte_of_signature_is_refused(emulator: Emulator) -> None:
    headers = _signed(PATH, port=emulator.port)
    auth = headers["authorization"]
    last = auth[-1]
    headers["authorization"] = auth[:-1] + ("0" if last != "0" else "1")
    status, body = _get(emulator, PATH, headers)
    assert status == 400 and body["Code"] == "SignatureDoesNotMatch"
    assert set(body) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}


def test_a_date_outside_the_15_minute_window_is_refused(emulator: Emulator) -> None:
    stale = datetime.now(UTC) - timedelta(minutes=16)
    status, body = _get(emulator, PATH, _signed(PATH, port=emulator.port, now=stale))
    assert body["Code"] == "InvalidTimeStamp.Expired"
    ok = datetime.now(UTC) - timedelta(minutes=14)
    status, body = _get(emulator, PATH, _signed(PATH, port=emulator.port, now=ok))
    assert status == 200


def test_a_reused_nonce_is_refused(emulator: Emulator) -> None:
    nonce = "0123456789abcdef0123456789abcdef"
    assert _get(emulator, PATH, _signed(PATH, port=emulator.port, nonce=nonce))[0] == 200
    _, body = _get(emulator, PATH, _signed(PATH, port=emulator.port, nonce=nonce))
    assert body["Code"] == "SignatureNonceUsed"


def test_sts_key_without_or_with_a_wrong_token_is_refused(emulator: Emulator) -> None:
    sts = {"key_id": STS_KEY_ID, "secret": STS_SECRET, "port": emulator.port}
    assert _get(emulator, PATH, _signed(PATH, **sts))[1]["Code"].startswith("InvalidSecurityToken")
    assert _get(emulator, PATH, _signed(PATH, token="wrong", **sts))[1]["Code"] == (
        "InvalidSecurityToken.Mismatch"
    )
    assert _get(emulator, PATH, _signed(PATH, token=STS_TOKEN, **sts))[0] == 200


def test_unknown_key_and_unsigned_x_acs_header(emulator: Emulator) -> None:
    _, body = _get(emulator, PATH, _signed(PATH, key_id="nobody", port=emulator.port))
    assert body["Code"] == "InvalidAccessKeyId.NotFound"
    headers = _signed(PATH, port=emulator.port)
    headers["x-acs-extra"] = "smuggled"
    assert _get(emulator, PATH, headers)[1]["Code"] == "IncompleteSignature"


def test_unknown_job_uses_the_service_error_shape(emulator: Emulator) -> None:
    path = "/api/v1/jobs/nope/info"
    status, body = _get(emulator, path, _signed(path, port=emulator.port))
    assert status == 404
    assert body["errorCode"] == "OBJECT_NOT_EXIST" and body["httpCode"] == 404


def test_documented_sample_is_served_as_documented(emulator: Emulator) -> None:
    path = "/api/v1/jobs/" + signing.percent_encode("20230410****60gg") + "/info"
    status, body = _get(emulator, path, _signed(path, port=emulator.port))
    assert status == 200 and body["httpCode"] == 200
    assert body["errorCode"] == "OBJECT_NOT_EXIST"  # as in the documented sample
    assert body["data"]["jobOwner"].endswith("\n")


def test_banner_names_port_and_credentials(emulator: Emulator) -> None:
    assert emulator.banner.startswith(
        f"maxjob emulator listening on http://127.0.0.1:{emulator.port}"
    )
    assert f"ALIBABA_CLOUD_ACCESS_KEY_ID={KEY_ID}" in emulator.banner
    assert f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={KEY_SECRET}" in emulator.banner
    assert STS_TOKEN in emulator.banner
