"""The emulator's gateway checks: signature V3 over the headers a request says it signed, the
15-minute date window, nonce reuse and the STS token, with the gateway's error codes.

Written apart from `maxjob.signing` (they share only the spec's constants), so that a bug in one is
caught by the other; the golden vectors and the official SDK keep both honest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from maxjob.protocol import (
    ACTION_GET_JOB_INFO,
    ALGORITHM,
    API_VERSION,
    DATE_FORMAT,
    DATE_WINDOW_SECONDS,
    UNRESERVED,
)


@dataclass(frozen=True)
class Credential:
    key_id: str
    secret: str
    token: str | None = None


class GatewayError(Exception):
    """An answer in the gateway's shape: `{RequestId, HostId, Code, Message, Recommend}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


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
) -> Credential:
    """Check a request as the gateway does; raise GatewayError when it would refuse it."""
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
    if (
        headers.get("x-acs-action") != ACTION_GET_JOB_INFO
        or headers.get("x-acs-version") != API_VERSION
    ):
        raise GatewayError(404, "InvalidApi.NotFound", "Specified api is not found.")
    return credential
