"""The emulator's gateway checks, on requests signed by the official SDK's own signing code."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from maxjob.emulator.errors import GatewayError
from maxjob.emulator.gateway import Credential, Verified, verify_request

KEY = Credential("key-id", "key-secret")
STS = Credential("STS.key-id", "sts-secret", "sts-token")
JSON = "application/json; charset=utf-8"


def sdk_signed(
    method: str,
    path: str,
    action: str,
    *,
    query: dict[str, str] | None = None,
    body: bytes = b"",
    credential: Credential = KEY,
    host: str = "127.0.0.1:8765",
    content_type: str | None = JSON,
    now: datetime | None = None,
    nonce: str = "",
) -> tuple[str, dict[str, str]]:
    """The target and headers of a request signed by the official SDK's signing function."""
    from alibabacloud_tea_openapi.utils import Utils

    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": "2022-01-04",
        "x-acs-date": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or Utils.get_nonce(),
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    if body and content_type:
        headers["content-type"] = content_type
    if credential.token:
        headers["x-acs-accesskey-id"] = credential.key_id
        headers["x-acs-security-token"] = credential.token
    request = SimpleNamespace(pathname=path, method=method, query=query or {}, headers=headers)
    headers["authorization"] = Utils.get_authorization(
        request,
        "ACS3-HMAC-SHA256",
        headers["x-acs-content-sha256"],
        credential.key_id,
        credential.secret,
    )
    encoded = "&".join(
        f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in (query or {}).items()
    )
    return path + (f"?{encoded}" if encoded else ""), headers


def verify(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Verified:
    credentials = {KEY.key_id: KEY, STS.key_id: STS}
    now = datetime.now(UTC).timestamp()
    return verify_request(credentials, now, lambda nonce, at: True, method, target, headers, body)


def refused(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        verify(method, target, headers, body)
    return caught.value


OPERATIONS = [
    ("GET", "/api/v1/jobs/a%20b%2Fc/info", "GetJobInfo", ("a b/c",)),
    ("POST", "/api/v1/jobs", "ListJobInfos", ()),
    ("POST", "/api/v1/jobs/snapshot", "ListJobSnapshotInfos", ()),
    ("GET", "/api/v1/jobs/runningJobs", "GetRunningJobs", ()),
    ("POST", "/api/v1/jobs/kill", "KillJobs", ()),
    ("GET", "/api/v1/quotas/%E9%BB%98%E8%AE%A4Quota_p/query", "QueryQuota", ("默认Quota_p",)),
    ("GET", "/api/v1/quotas", "ListQuotas", ()),
]


@pytest.mark.parametrize(("method", "path", "action", "params"), OPERATIONS)
@pytest.mark.parametrize("credential", [KEY, STS], ids=["ak", "sts"])
def test_each_operation_passes_with_its_own_action(
    method: str, path: str, action: str, params: tuple[str, ...], credential: Credential
) -> None:
    body = b'{"from":1,"to":2}' if method == "POST" else b""
    query = {"pageSize": "10", "jobOwnerList": "a@b,c d"}
    target, headers = sdk_signed(
        method, path, action, query=query, body=body, credential=credential
    )
    verified = verify(method, target, headers, body)
    assert verified.action == action and verified.path_params == params
    assert verified.query == query and verified.credential == credential


@pytest.mark.parametrize(("method", "path", "action", "params"), OPERATIONS)
def test_an_action_that_does_not_match_the_method_and_path_is_not_found(
    method: str, path: str, action: str, params: tuple[str, ...]
) -> None:
    others = [a for _, _, a, _ in OPERATIONS if a != action]
    body = b"[]" if method == "POST" else b""
    for other in [*others, "GetJobResourceUsage"]:
        target, headers = sdk_signed(method, path, other, body=body)
        error = refused(method, target, headers, body)
        assert (error.status, error.code) == (404, "InvalidApi.NotFound"), other
    flipped = "GET" if method == "POST" else "POST"
    target, headers = sdk_signed(flipped, path, action, body=body)
    assert refused(flipped, target, headers, body).code == "InvalidApi.NotFound"


def test_a_body_changed_after_signing_is_refused() -> None:
    body = b'{"from":1700000000,"to":1700086400}'
    target, headers = sdk_signed("POST", "/api/v1/jobs", "ListJobInfos", body=body)
    changed = body.replace(b"1700086400", b"1700086401")
    error = refused("POST", target, headers, changed)
    assert (error.status, error.code) == (400, "IncompleteSignature")
    assert "x-acs-content-sha256" in error.message
    # A hash recomputed for the new body no longer matches the signature.
    headers["x-acs-content-sha256"] = hashlib.sha256(changed).hexdigest()
    assert refused("POST", target, headers, changed).code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json;charset=UTF-8", "Application/JSON; charset=utf-8"],
)
def test_json_with_or_without_a_charset_is_accepted(content_type: str) -> None:
    body = b"[]"
    target, headers = sdk_signed(
        "POST", "/api/v1/jobs/kill", "KillJobs", body=body, content_type=content_type
    )
    assert verify("POST", target, headers, body).action == "KillJobs"


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "application/json; charset=latin-1"],
)
def test_a_body_that_is_not_json_is_refused(content_type: str) -> None:
    body = b"[]"
    target, headers = sdk_signed(
        "POST", "/api/v1/jobs/kill", "KillJobs", body=body, content_type=content_type
    )
    error = refused("POST", target, headers, body)
    assert (error.status, error.code) == (415, "UnsupportedMediaType")


def test_a_body_without_a_signed_content_type_is_refused() -> None:
    body = b"[]"
    target, headers = sdk_signed(
        "POST", "/api/v1/jobs/kill", "KillJobs", body=body, content_type=None
    )
    assert refused("POST", target, headers, body).code == "IncompleteSignature"


def test_sts_needs_its_token_and_the_date_window_holds() -> None:
    no_token = Credential(STS.key_id, STS.secret)
    target, headers = sdk_signed("GET", "/api/v1/quotas", "ListQuotas", credential=no_token)
    assert refused("GET", target, headers).code == "InvalidSecurityToken.Missing"
    stale = datetime.now(UTC) - timedelta(minutes=16)
    target, headers = sdk_signed("GET", "/api/v1/quotas", "ListQuotas", now=stale)
    assert refused("GET", target, headers).code == "InvalidTimeStamp.Expired"
