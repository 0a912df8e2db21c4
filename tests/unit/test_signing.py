"""Signature V3, stage by stage, against the golden vectors of api/NOTES.md."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from maxjob import config
from maxjob.api import operations, signing
from maxjob.api.client import MaxComputeClient
from maxjob.credentials import Credentials
from maxjob.protocol import EMPTY_BODY_SHA256

SIGNED_A = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
SIGNED_C = (
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;"
    "x-acs-signature-nonce;x-acs-version"
)

VECTOR_A = {
    "key_id": "YourAccessKeyId",
    "secret": "YourAccessKeySecret",
    "method": "POST",
    "path": "/",
    "query": [
        ("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
        ("RegionId", "cn-shanghai"),
    ],
    "headers": {
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "x-acs-action": "RunInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2023-10-26T10:22:32Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
        "x-acs-content-sha256": EMPTY_BODY_SHA256,
    },
    "signed": SIGNED_A,
    "hash": "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
    "signature": "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
}
_B_HEADERS = {
    "host": "maxcompute.cn-hangzhou.aliyuncs.com",
    "x-acs-action": "GetJobInfo",
    "x-acs-version": "2022-01-04",
    "x-acs-date": "2026-11-30T15:51:10Z",
    "x-acs-signature-nonce": "970a5d60d040fa5525d3ba1976652e58",
    "x-acs-content-sha256": EMPTY_BODY_SHA256,
}
VECTOR_B = {
    "key_id": "testid",
    "secret": "testsecret",
    "method": "GET",
    "path": "/api/v1/jobs/20230410071055424gqt9ulc2yuo/info",
    "query": [],
    "headers": _B_HEADERS,
    "signed": SIGNED_A,
    "hash": "feaea9453c5609e3b29276ac19fc1021433b91000074a91786dd84fb96e1d10f",
    "signature": "a6b7c7636abfce3305dca239023125f37ab240bf38336d603d2cb600797730de",
}
VECTOR_C = {
    **VECTOR_B,
    "headers": {**_B_HEADERS, "x-acs-security-token": "testststoken"},
    "signed": SIGNED_C,
    "hash": "df476db2e6d13d7356a3e434564872fe7a9cf2311a2661e76c1861f5dc1ea4e3",
    "signature": "8f89d3b3821a4540a5db33d2b13f41922bfba6d4d446f4ec4b31d14af5fda200",
}
VECTORS = pytest.mark.parametrize("v", [VECTOR_A, VECTOR_B, VECTOR_C], ids=["A", "B", "C"])


@VECTORS
def test_canonical_request_hash_and_signed_headers(v: dict) -> None:
    request, signed = signing.canonical_request(
        v["method"], v["path"], v["query"], v["headers"], EMPTY_BODY_SHA256
    )
    assert signed == v["signed"]
    assert signing.hashed_canonical_request(request) == v["hash"]
    # The blank line before SignedHeaders: CanonicalHeaders already ends in a newline.
    assert f"\n\n{v['signed']}\n" in request


@VECTORS
def test_string_to_sign_signature_and_authorization(v: dict) -> None:
    request, signed = signing.canonical_request(
        v["method"], v["path"], v["query"], v["headers"], EMPTY_BODY_SHA256
    )
    to_sign = signing.string_to_sign(request)
    assert to_sign == f"ACS3-HMAC-SHA256\n{v['hash']}"
    sig = signing.signature(v["secret"], to_sign)
    assert sig == v["signature"]
    assert signing.authorization(v["key_id"], signed, sig) == (
        f"ACS3-HMAC-SHA256 Credential={v['key_id']},SignedHeaders={v['signed']},"
        f"Signature={v['signature']}"
    )


def test_query_string_is_sorted_and_encoded() -> None:
    query = signing.canonical_query_string([("b", "x y"), ("a", "*~"), ("A", "é")])
    assert query == "A=%C3%A9&a=%2A~&b=x%20y"
    assert signing.canonical_query_string([]) == ""


def test_path_segment_encoding_matches_the_notes() -> None:
    assert signing.percent_encode("a b/c~*+é%:") == "a%20b%2Fc~%2A%2B%C3%A9%25%3A"


def _sign_b(token: str | None) -> dict[str, str]:
    creds = Credentials("testid", "testsecret", token)
    nonce = iter(["970a5d60d040fa5525d3ba1976652e58"])
    signer = signing.Signer(
        creds,
        clock=lambda: datetime(2026, 11, 30, 15, 51, 10, tzinfo=UTC),
        nonce=lambda: next(nonce),
    )
    added, _ = signer.sign(
        "GET",
        "/api/v1/jobs/20230410071055424gqt9ulc2yuo/info",
        [],
        {
            "host": "maxcompute.cn-hangzhou.aliyuncs.com",
            "x-acs-action": "GetJobInfo",
            "x-acs-version": "2022-01-04",
            "accept": "application/json",
            "user-agent": "maxjob/test",
        },
        b"",
    )
    return added


@pytest.mark.parametrize(("token", "vector"), [(None, VECTOR_B), ("testststoken", VECTOR_C)])
def test_the_signer_reproduces_vectors_b_and_c(token: str | None, vector: dict) -> None:
    signed = _sign_b(token)
    assert signed["authorization"] == (
        f"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={vector['signed']},"
        f"Signature={vector['signature']}"
    )
    assert signed["x-acs-date"] == "2026-11-30T15:51:10Z"
    assert signed["x-acs-content-sha256"] == EMPTY_BODY_SHA256
    if token:
        assert signed["x-acs-security-token"] == token


def test_every_attempt_gets_a_new_nonce_and_date() -> None:
    signer = signing.Signer(Credentials("id", "secret"))
    seen = set()
    for _ in range(3):
        added, _ = signer.sign("GET", "/api/v1/jobs/x/info", [], {"host": "127.0.0.1"}, b"")
        seen.add(added["x-acs-signature-nonce"])
    assert len(seen) == 3


def test_encoded_path_is_signed_as_sent() -> None:
    """The client signs the path exactly as it sends it, percent-encoding and all."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"requestId": "r", "data": {"instanceId": "x"}})

    settings = config.resolve(endpoint="http://127.0.0.1:9", region="cn-hangzhou", environ={})
    with MaxComputeClient(
        settings, Credentials("id", "secret"), transport=httpx.MockTransport(handler), environ={}
    ) as client:
        client.call(operations.get_job_info("a b/c~*+\u00e9%:"))
    canonical = seen[0].extensions[signing.CANONICAL_REQUEST]
    assert canonical.split("\n")[1] == "/api/v1/jobs/a%20b%2Fc~%2A%2B%C3%A9%25%3A/info"
    assert seen[0].url.raw_path == b"/api/v1/jobs/a%20b%2Fc~%2A%2B%C3%A9%25%3A/info"


def test_credentials_repr_hides_the_secret_and_token() -> None:
    creds = Credentials("AKID", "s3cr3t-value", "t0ken-value")
    assert "s3cr3t" not in repr(creds) and "t0ken" not in repr(creds)
