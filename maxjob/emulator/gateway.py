"""The emulator's gateway: signature V3 over the headers a request says it signed, the 15-minute
date window, nonce reuse, the STS token, the JSON content type of a body, and which operation the
request names, each refused with the gateway's own error code.

Written apart from `maxjob.signing` (they share only the spec's constants of `maxjob.protocol`),
so that a bug in one is caught by the other; the golden vectors and the official SDK keep both
honest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote

from maxjob.emulator.errors import GatewayError
from maxjob.protocol import (
    ACTION_GET_JOB_INFO,
    ALGORITHM,
    API_VERSION,
    DATE_FORMAT,
    DATE_WINDOW_SECONDS,
    UNRESERVED,
)

ACTION_LIST_JOB_INFOS = "ListJobInfos"
ACTION_LIST_JOB_SNAPSHOT_INFOS = "ListJobSnapshotInfos"
ACTION_GET_RUNNING_JOBS = "GetRunningJobs"
ACTION_KILL_JOBS = "KillJobs"
ACTION_QUERY_QUOTA = "QueryQuota"
ACTION_LIST_QUOTAS = "ListQuotas"


@dataclass(frozen=True)
class Credential:
    """A key the emulator accepts; `token` set means STS credentials, whose token must be sent."""

    key_id: str
    secret: str
    token: str | None = None


@dataclass(frozen=True)
class Route:
    """Where an operation lives: its method and its path, path parameters as groups."""

    action: str
    method: str
    path: re.Pattern[str]


ROUTES: tuple[Route, ...] = (
    Route(ACTION_GET_JOB_INFO, "GET", re.compile(r"/api/v1/jobs/([^/]+)/info")),
    Route(ACTION_LIST_JOB_INFOS, "POST", re.compile(r"/api/v1/jobs")),
    Route(ACTION_LIST_JOB_SNAPSHOT_INFOS, "POST", re.compile(r"/api/v1/jobs/snapshot")),
    Route(ACTION_GET_RUNNING_JOBS, "GET", re.compile(r"/api/v1/jobs/runningJobs")),
    Route(ACTION_KILL_JOBS, "POST", re.compile(r"/api/v1/jobs/kill")),
    Route(ACTION_QUERY_QUOTA, "GET", re.compile(r"/api/v1/quotas/([^/]+)/query")),
    Route(ACTION_LIST_QUOTAS, "GET", re.compile(r"/api/v1/quotas")),
)
_ROUTES_BY_ACTION = {route.action: route for route in ROUTES}


@dataclass(frozen=True)
class Verified:
    """A request the gateway let through: who sent it, the operation, its decoded path values."""

    credential: Credential
    action: str
    path_params: tuple[str, ...]
    query: dict[str, str]


def _encode(value: str) -> str:
    return quote(value, safe=UNRESERVED)


def verify_request(
    credentials: Mapping[str, Credential],
    now: float,
    use_nonce: Callable[[str, float], bool],
    method: str,
    raw_target: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Verified:
    """Check a request as the gateway does; raise GatewayError when it would refuse it.

    `headers` have lower-case names; `body` is exactly the bytes received.
    """
    credential = _check_signature(credentials, method, raw_target, headers, body)
    _check_freshness(credential, now, use_nonce, headers)
    if body:
        _check_content_type(headers.get("content-type", ""))
    path, _, query = raw_target.partition("?")
    route = _ROUTES_BY_ACTION.get(headers.get("x-acs-action", ""))
    match = route.path.fullmatch(path) if route is not None else None
    if (
        route is None
        or match is None
        or method != route.method
        or headers.get("x-acs-version") != API_VERSION
    ):
        raise GatewayError(404, "InvalidApi.NotFound", "Specified api is not found.")
    return Verified(
        credential,
        route.action,
        tuple(unquote(group) for group in match.groups()),
        dict(parse_qsl(query, keep_blank_values=True)),
    )


def _check_signature(
    credentials: Mapping[str, Credential],
    method: str,
    raw_target: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Credential:
    auth = headers.get("authorization", "")
    if not auth.startswith(ALGORITHM + " "):
        raise GatewayError(
            400, "IncompleteSignature", "The request signature is missing or malformed."
        )
    fields = dict(
        part.split("=", 1) for part in auth[len(ALGORITHM) + 1 :].split(",") if "=" in part
    )
    key_id, signed, given = (
        fields.get(k, "").strip() for k in ("Credential", "SignedHeaders", "Signature")
    )
    if not key_id or not signed or not given:
        raise GatewayError(400, "IncompleteSignature", "The Authorization header is incomplete.")
    credential = credentials.get(key_id)
    if credential is None:
        raise GatewayError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    signed_names = signed.split(";")
    required = {"host"} | {n for n in headers if n.startswith("x-acs-")}
    if body:
        required.add("content-type")
    if signed_names != sorted(signed_names) or not required <= set(signed_names):
        missing = ", ".join(sorted(required - set(signed_names))) or "order"
        raise GatewayError(400, "IncompleteSignature", f"Signed headers are incomplete: {missing}.")
    payload_hash = hashlib.sha256(body).hexdigest()
    if headers.get("x-acs-content-sha256", "") != payload_hash:
        raise GatewayError(
            400, "IncompleteSignature", "x-acs-content-sha256 does not match the body."
        )
    path, _, query = raw_target.partition("?")
    pairs = sorted((_encode(k), _encode(v)) for k, v in parse_qsl(query, keep_blank_values=True))
    canonical = "\n".join(
        [
            method,
            path,
            "&".join(f"{k}={v}" for k, v in pairs),
            "".join(f"{n}:{headers.get(n, '').strip()}\n" for n in signed_names),
            signed,
            payload_hash,
        ]
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    expected = hmac.new(
        credential.secret.encode(), f"{ALGORITHM}\n{digest}".encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise GatewayError(
            400,
            "SignatureDoesNotMatch",
            "Specified signature does not match our calculation. "
            f"Server string to sign is: {ALGORITHM}\\n{digest}",
        )
    return credential


def _check_freshness(
    credential: Credential,
    now: float,
    use_nonce: Callable[[str, float], bool],
    headers: Mapping[str, str],
) -> None:
    try:
        stamp = datetime.strptime(headers.get("x-acs-date", ""), DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise GatewayError(400, "MissingTimestamp", "x-acs-date is missing or malformed.") from None
    if abs(now - stamp.timestamp()) > DATE_WINDOW_SECONDS:
        raise GatewayError(
            400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        )
    nonce = headers.get("x-acs-signature-nonce", "")
    if not nonce:
        raise GatewayError(400, "MissingSignatureNonce", "x-acs-signature-nonce is missing.")
    if not use_nonce(nonce, now):
        raise GatewayError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    token = headers.get("x-acs-security-token")
    if credential.token is not None and token != credential.token:
        code = "InvalidSecurityToken.Missing" if token is None else "InvalidSecurityToken.Mismatch"
        raise GatewayError(400, code, "The security token is missing or does not match.")


def _check_content_type(value: str) -> None:
    """A body must be JSON: `application/json`, with at most a UTF-8 charset parameter."""
    media, *parameters = (part.strip().lower() for part in value.split(";"))
    charset_ok = all(p.replace(" ", "") in ("charset=utf-8", "charset=utf8") for p in parameters)
    if media != "application/json" or not charset_ok:
        raise GatewayError(
            415,
            "UnsupportedMediaType",
            f"A request body must be sent as application/json, not {value or 'no content-type'}.",
        )
