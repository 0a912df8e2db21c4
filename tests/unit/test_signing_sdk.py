"""Signature V3, stage by stage, against the bytes the OFFICIAL SDK sends for the same inputs.

The SDK (`alibabacloud_maxcompute20220104` 7.2.0 on `alibabacloud_tea_openapi` 0.4.6) is pointed at
the real regional host name through an HTTP proxy that is a small recording server on 127.0.0.1,
so the `host` it signs is the one of vector B (NOTES.md) while nothing leaves loopback (name
lookups of anything but 127.0.0.1 are refused during the SDK's call). Its date and nonce
(`Utils.get_timestamp`, `Utils.get_nonce`) are patched to fixed values. maxjob sends the same
operation through `MaxComputeClient` over an `httpx.MockTransport`, signed by its `Signer` with the
same fixed clock and nonce.

From the SDK's wire bytes the canonical request is rebuilt the way the gateway does (from the
`SignedHeaders` list of its `Authorization`) with the SDK's own functions, and proven faithful
by reproducing the signature the SDK sent. The stages are then compared with maxjob's.

Differences by design, each asserted explicitly below:
- the SDK signs every header it sets (`accept`, `user-agent`, `x-acs-credentials-provider` too);
  maxjob signs what the spec requires (`host`, `x-acs-*`, `content-type`). The same SDK signing
  code over maxjob's header set gives maxjob's signature exactly (and vector B for GetJobInfo).
- a space in a query value: the SDK's transport puts `+` on the wire and signs `%20`; maxjob
  sends `%20`, as it signs (OPERATIONS.md §0.1).
"""

from __future__ import annotations

import functools
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from maxjob import config
from maxjob.api import client as client_module
from maxjob.api import operations, signing
from maxjob.api.client import MaxComputeClient
from maxjob.api.operations import Operation
from maxjob.credentials import Credentials
from maxjob.protocol import EMPTY_BODY_SHA256
from tests.e2e.servers import Received, RecordingServer, Reply

HOST = "maxcompute.cn-hangzhou.aliyuncs.com"
KEY_ID = "testid"
SECRET = "testsecret"
DATE = "2026-11-30T15:51:10Z"
NONCE = "970a5d60d040fa5525d3ba1976652e58"
ALGORITHM = "ACS3-HMAC-SHA256"
JSON_TYPE = "application/json; charset=utf-8"
# Vector B of NOTES.md (GetJobInfo, testid/testsecret, the date and nonce above).
VECTOR_B_HASH = "feaea9453c5609e3b29276ac19fc1021433b91000074a91786dd84fb96e1d10f"
VECTOR_B_SIGNATURE = "a6b7c7636abfce3305dca239023125f37ab240bf38336d603d2cb600797730de"
MAXJOB_SIGNED = (
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
)
MAXJOB_SIGNED_WITH_BODY = (
    "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
    "x-acs-version"
)
# What the SDK signs beyond maxjob's set: headers it sets itself (user agent, telemetry).
SDK_ONLY_SIGNED = {"accept", "user-agent", "x-acs-credentials-provider"}

# ListJobInfos filters, non-ASCII and a space and `@` included. The SDK writes the body's keys in
# its generated (alphabetical) order, maxjob in the caller's: given in that order, the bytes agree.
LIST_FILTERS: dict[str, Any] = {
    "from": 1764460800,
    "jobOwnerList": ["ALIYUN$dev ops@example.com", "RAM$a@b"],
    "projectList": ["项目_é", "sales_dw"],
    "statusList": ["running"],
    "to": 1764517870,
}
KILL_ID, KILL_PROJECT = "20230410071055424gqt9ulc2yuo", "项目_é"


# -- the SDK's side -------------------------------------------------------------------------------


class Wire(Received):
    """One request of the SDK as it arrived at the recording proxy (its target in absolute form)."""

    def header(self, name: str) -> str:
        values = [v for k, v in self.items if k.lower() == name.lower()]
        assert len(values) == 1, (name, values)
        return values[0]

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query


def success(request: Received) -> Reply:
    """What the recording proxy answers, forwarding nothing: the operation's success."""
    data: Any = "success" if request.headers.get("x-acs-action") == "KillJobs" else {}
    out = json.dumps({"requestId": "rec-1", "httpCode": 200, "data": data}).encode()
    return 200, {"content-type": "application/json"}, out


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[Any, Any], Any]], Wire]]:
    """`sdk(lambda client, models: client.xxx(...))` runs one SDK call; the request it sent."""
    from alibabacloud_maxcompute20220104 import models
    from alibabacloud_maxcompute20220104.client import Client
    from alibabacloud_tea_openapi import utils_models
    from alibabacloud_tea_openapi.utils import Utils

    # The SDK's clock and nonce, as `do_request` reads them for x-acs-date / x-acs-signature-nonce.
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: DATE))
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: NONCE))
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    proxy = RecordingServer(success)
    cfg = utils_models.Config(
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        endpoint=HOST,
        protocol="http",
        region_id="cn-hangzhou",
        http_proxy=proxy.url,
    )
    sdk_client = Client(cfg)
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", b"127.0.0.1"):
            raise OSError(f"test refuses to resolve {host!r}: loopback only")
        return real_getaddrinfo(host, *args, **kwargs)

    def call(action: Callable[[Any, Any], Any]) -> Wire:
        before = len(proxy.received)
        with monkeypatch.context() as patch:
            patch.setattr(socket, "getaddrinfo", loopback_only)
            action(sdk_client, models)
        assert len(proxy.received) == before + 1
        wire = Wire(**vars(proxy.received[-1]))
        # Proof that it went through the loopback proxy, to the host vector B signs.
        assert wire.target.startswith(f"http://{HOST}/")
        return wire

    yield call
    proxy.close()


@dataclass
class Stages:
    method: str
    uri: str
    query: str
    headers: str  # CanonicalHeaders, ending in a newline
    signed: str
    payload: str

    @property
    def canonical(self) -> str:
        # The layout of `alibabacloud_tea_openapi.utils.Utils.get_authorization`.
        head = f"{self.method}\n{self.uri}\n{self.query}\n"
        return f"{head}{self.headers}\n{self.signed}\n{self.payload}"


def auth_parts(authorization: str) -> dict[str, str]:
    algorithm, _, rest = authorization.partition(" ")
    assert algorithm == ALGORITHM
    return dict(part.split("=", 1) for part in rest.split(","))


def sdk_stages(wire: Wire, names: list[str]) -> Stages:
    """The SDK's canonical request over the headers `names`, by the SDK's own functions.

    The query is read as a server reads the wire (`+` is a space)."""
    from alibabacloud_tea_openapi import utils as sdk_utils

    query = dict(parse_qsl(wire.raw_query, keep_blank_values=True))
    headers = {name: wire.header(name) for name in names}
    canonical_headers, signed = sdk_utils.get_canonicalized_headers(headers)
    return Stages(
        wire.method,
        wire.path or "/",
        sdk_utils.get_canonical_query_string(query),
        canonical_headers,
        signed,
        wire.header("x-acs-content-sha256"),
    )


def sdk_sign(stages: Stages) -> tuple[str, str]:
    """(StringToSign, signature) by the SDK's own hash and HMAC."""
    from alibabacloud_tea_openapi import utils as sdk_utils

    hashed = sdk_utils.Utils.hex_encode(sdk_utils.Utils.hash(stages.canonical.encode(), ALGORITHM))
    to_sign = f"{ALGORITHM}\n{hashed}"
    sig = sdk_utils.Utils.hex_encode(sdk_utils.signature_method(SECRET, to_sign, ALGORITHM))
    return to_sign, sig


def sdk_authorization(wire: Wire, names: list[str]) -> str:
    """`Utils.get_authorization` itself, over the wire's values of the headers `names`."""
    from alibabacloud_tea_openapi.utils import Utils
    from darabonba.request import DaraRequest

    request = DaraRequest()
    request.method = wire.method
    request.pathname = wire.path
    request.query = dict(parse_qsl(wire.raw_query, keep_blank_values=True))
    request.headers = {name: wire.header(name) for name in names}
    payload = wire.header("x-acs-content-sha256")
    return str(Utils.get_authorization(request, ALGORITHM, payload, KEY_ID, SECRET))


# -- maxjob's side --------------------------------------------------------------------------------


def maxjob_send(operation: Operation, monkeypatch: pytest.MonkeyPatch) -> httpx.Request:
    """`operation` through `MaxComputeClient.call`, signed with the fixed date and nonce."""
    # The client builds its own `Signer(credentials)`; give it the fixed clock and nonce.
    fixed = functools.partial(
        signing.Signer,
        clock=lambda: datetime(2026, 11, 30, 15, 51, 10, tzinfo=UTC),
        nonce=lambda: NONCE,
    )
    monkeypatch.setattr(client_module, "Signer", fixed)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        data: Any = "success" if operation.action == "KillJobs" else {}
        return httpx.Response(200, json={"requestId": "mx-1", "httpCode": 200, "data": data})

    settings = config.resolve(endpoint=f"https://{HOST}", region="cn-hangzhou", environ={})
    with MaxComputeClient(
        settings,
        Credentials(KEY_ID, SECRET),
        transport=httpx.MockTransport(handler),
        environ={},
    ) as client:
        client.call(operation)
    assert len(seen) == 1
    return seen[0]


def maxjob_stages(request: httpx.Request) -> Stages:
    canonical = request.extensions[signing.CANONICAL_REQUEST]
    lines = canonical.split("\n")
    # CanonicalHeaders ends in a newline: a blank line precedes SignedHeaders.
    assert lines[-3] == ""
    return Stages(
        lines[0],
        lines[1],
        lines[2],
        "".join(f"{line}\n" for line in lines[3:-3]),
        lines[-2],
        lines[-1],
    )


# -- the comparison, stage by stage ---------------------------------------------------------------


def compare(wire: Wire, request: httpx.Request, *, body: bytes | None) -> Stages:
    """Assert every stage of maxjob's request equals the SDK's; the SDK's stages, restricted to
    the headers maxjob signs."""
    sent = auth_parts(wire.header("authorization"))
    sdk_names = sent["SignedHeaders"].split(";")

    # 0. The reconstruction of the SDK's canonical request is exact: it gives the signature the
    #    SDK sent, by the SDK's code and by maxjob's pure functions alike.
    full = sdk_stages(wire, sdk_names)
    assert sdk_sign(full)[1] == sent["Signature"]
    assert sent["Credential"] == KEY_ID
    mx_headers, mx_signed = signing.canonical_headers({n: wire.header(n) for n in sdk_names})
    assert (mx_headers, mx_signed) == (full.headers, full.signed)
    mx_query = signing.canonical_query_string(parse_qsl(wire.raw_query, keep_blank_values=True))
    assert mx_query == full.query
    to_sign = signing.string_to_sign(full.canonical)
    assert to_sign == sdk_sign(full)[0]
    assert signing.signature(SECRET, to_sign) == sent["Signature"]

    # By design the SDK signs every header it sets; maxjob the ones the spec requires.
    mine = maxjob_stages(request)
    maxjob_names = mine.signed.split(";")
    assert set(sdk_names) - set(maxjob_names) == SDK_ONLY_SIGNED
    assert set(maxjob_names) <= set(sdk_names)
    assert mine.signed == (MAXJOB_SIGNED_WITH_BODY if body else MAXJOB_SIGNED)
    sdk = sdk_stages(wire, maxjob_names)

    # 1. Body bytes, content type and payload hash.
    if body is None:
        assert wire.body == request.content == b""
        assert "content-type" not in {k.lower() for k, _ in wire.items}
        assert "content-type" not in request.headers
    else:
        assert wire.body == request.content == body
        assert wire.header("content-type") == request.headers["content-type"] == JSON_TYPE
    assert wire.header("x-acs-content-sha256") == request.headers["x-acs-content-sha256"]
    assert mine.payload == sdk.payload == request.headers["x-acs-content-sha256"]

    # 2. The canonical request, part by part, then whole.
    assert mine.method == sdk.method == request.method
    assert mine.uri == sdk.uri == wire.path == request.url.raw_path.split(b"?")[0].decode()
    assert mine.query == sdk.query
    assert mine.headers.splitlines() == sdk.headers.splitlines()
    assert mine.headers == sdk.headers
    assert mine.signed == sdk.signed
    assert request.extensions[signing.CANONICAL_REQUEST] == sdk.canonical

    # 3. StringToSign and signature; the SDK's `get_authorization` over maxjob's header set gives
    #    maxjob's Authorization header exactly.
    sdk_to_sign, sdk_signature = sdk_sign(sdk)
    assert signing.string_to_sign(mine.canonical) == sdk_to_sign
    assert auth_parts(request.headers["authorization"])["Signature"] == sdk_signature
    assert request.headers["authorization"] == sdk_authorization(wire, maxjob_names)

    # The stamped values are the fixed ones on both sides.
    for name, value in (("x-acs-date", DATE), ("x-acs-signature-nonce", NONCE)):
        assert wire.header(name) == request.headers[name] == value
    for name in ("host", "x-acs-action", "x-acs-version"):
        assert wire.header(name) == request.headers[name]
    return sdk


# -- the cases ------------------------------------------------------------------------------------


def test_get_job_info_matches_the_sdk_and_vector_b(
    sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance_id = "20230410071055424gqt9ulc2yuo"
    wire = sdk(lambda client, models: client.get_job_info(instance_id))
    request = maxjob_send(operations.get_job_info(instance_id), monkeypatch)
    stages = compare(wire, request, body=None)
    assert wire.method == "GET" and wire.raw_query == ""
    assert stages.query == "" and stages.payload == EMPTY_BODY_SHA256
    # Vector B of NOTES.md is this request: the SDK's signing over maxjob's header set.
    assert signing.hashed_canonical_request(stages.canonical) == VECTOR_B_HASH
    assert auth_parts(request.headers["authorization"])["Signature"] == VECTOR_B_SIGNATURE


def test_get_job_info_of_an_odd_id_encodes_the_path_like_the_sdk(
    sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = "a b/c~*+é%:"
    wire = sdk(lambda client, models: client.get_job_info(odd))
    request = maxjob_send(operations.get_job_info(odd), monkeypatch)
    stages = compare(wire, request, body=None)
    assert stages.uri == "/api/v1/jobs/a%20b%2Fc~%2A%2B%C3%A9%25%3A/info"


def test_list_job_infos_with_non_ascii_filters_matches_the_sdk(
    sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def call(client: Any, models: Any) -> Any:
        request = models.ListJobInfosRequest(
            from_=LIST_FILTERS["from"],
            to=LIST_FILTERS["to"],
            project_list=LIST_FILTERS["projectList"],
            job_owner_list=LIST_FILTERS["jobOwnerList"],
            status_list=LIST_FILTERS["statusList"],
            page_number=2,
            page_size=50,
        )
        return client.list_job_infos(request)

    wire = sdk(call)
    body = operations.json_body(LIST_FILTERS)
    request = maxjob_send(
        operations.list_job_infos(LIST_FILTERS, page_number=2, page_size=50), monkeypatch
    )
    stages = compare(wire, request, body=body)
    assert wire.method == "POST" and wire.path == "/api/v1/jobs"
    assert stages.query == "pageNumber=2&pageSize=50"
    assert wire.raw_query == request.url.query.decode() == "pageNumber=2&pageSize=50"
    # Compact, UTF-8 text as it is (not \\u escapes), the space and `@` untouched.
    assert "项目_é".encode() in wire.body and b"\\u" not in wire.body
    assert b'"ALIYUN$dev ops@example.com"' in wire.body and b", " not in wire.body
    assert json.loads(wire.body) == LIST_FILTERS


def test_kill_jobs_array_body_matches_the_sdk(sdk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK's KillJobs `body` is a string it sends verbatim: give it what maxjob sends.
    text = json.dumps(
        [{"instanceId": KILL_ID, "projectName": KILL_PROJECT}],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    wire = sdk(lambda client, models: client.kill_jobs(models.KillJobsRequest(body=text)))
    request = maxjob_send(operations.kill_jobs(KILL_ID, KILL_PROJECT), monkeypatch)
    body = operations.json_body([{"instanceId": KILL_ID, "projectName": KILL_PROJECT}])
    stages = compare(wire, request, body=body)
    assert wire.body == text.encode("utf-8")
    assert wire.method == "POST" and stages.uri == "/api/v1/jobs/kill" and stages.query == ""


def test_a_space_in_a_query_value_is_plus_on_the_sdks_wire_but_signed_as_percent_20(
    sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owners = ["a@b", "c d"]

    def call(client: Any, models: Any) -> Any:
        request = models.GetRunningJobsRequest(job_owner_list=owners, page_number=1, page_size=100)
        return client.get_running_jobs(request)

    wire = sdk(call)
    request = maxjob_send(
        operations.get_running_jobs(job_owners=owners, page_number=1, page_size=100), monkeypatch
    )
    stages = compare(wire, request, body=None)
    signed_query = "jobOwnerList=a%40b%2Cc%20d&pageNumber=1&pageSize=100"
    # Both sign %20 (the SDK's own signature, reproduced in `compare`, proves it for the SDK).
    assert stages.query == signed_query
    # Documented difference (OPERATIONS.md §0.1): the SDK's transport form-encodes the space as
    # `+` on the wire while it signs `%20`; maxjob sends exactly what it signs.
    assert wire.raw_query == "jobOwnerList=a%40b%2Cc+d&pageNumber=1&pageSize=100"
    assert request.url.query.decode() == signed_query
    assert wire.raw_query.replace("+", "%20") == request.url.query.decode()
