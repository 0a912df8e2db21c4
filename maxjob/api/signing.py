"""Signature V3 (ACS3-HMAC-SHA256) for the Alibaba Cloud OpenAPI, step by step.

The pure functions follow the spec's steps and are tested against its vectors; `Signer` stamps a
fresh date, nonce and signature on every request the client sends, so a retry is signed anew.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from maxjob.protocol import ALGORITHM, DATE_FORMAT, EMPTY_BODY_SHA256, UNRESERVED

if TYPE_CHECKING:
    from maxjob.credentials import Credentials


def percent_encode(value: str) -> str:
    """Percent-encode: only `A-Z a-z 0-9 - _ . ~` stay literal; UTF-8 bytes as upper-case `%XX`."""
    return quote(value, safe=UNRESERVED)


def canonical_query_string(params: Iterable[tuple[str, str]]) -> str:
    """Parameters sorted by name, names and values encoded, `name=value` joined by `&`."""
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in encoded)


def headers_to_sign(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers the signature covers: `host`, every `x-acs-*`, and `content-type` if present."""
    chosen: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in ("host", "content-type") or lower.startswith("x-acs-"):
            chosen[lower] = value.strip()
    return chosen


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """(CanonicalHeaders, SignedHeaders) for headers already chosen by `headers_to_sign`."""
    names = sorted(headers)
    canonical = "".join(f"{name}:{headers[name]}\n" for name in names)
    return canonical, ";".join(names)


def canonical_request(
    method: str,
    canonical_uri: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    hashed_payload: str,
) -> tuple[str, str]:
    """(CanonicalRequest, SignedHeaders). `canonical_uri` is the path exactly as it is sent."""
    canonical_hdrs, signed = canonical_headers(headers_to_sign(headers))
    parts = [
        method.upper(),
        canonical_uri or "/",
        canonical_query_string(query),
        canonical_hdrs,
        signed,
        hashed_payload,
    ]
    return "\n".join(parts), signed


def hashed_canonical_request(request: str) -> str:
    return hashlib.sha256(request.encode("utf-8")).hexdigest()


def string_to_sign(request: str) -> str:
    """`ACS3-HMAC-SHA256\\n` + hex(SHA-256(CanonicalRequest))."""
    return f"{ALGORITHM}\n{hashed_canonical_request(request)}"


def signature(access_key_secret: str, to_sign: str) -> str:
    """hex(HMAC-SHA256(key=secret, msg=StringToSign))."""
    key = access_key_secret.encode("utf-8")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key_id: str, signed_headers: str, signature_hex: str) -> str:
    """The `Authorization` header value (no spaces after the commas)."""
    return (
        f"{ALGORITHM} Credential={access_key_id},"
        f"SignedHeaders={signed_headers},Signature={signature_hex}"
    )


def new_nonce() -> str:
    return secrets.token_hex(16)


def utc_now() -> datetime:
    return datetime.now(UTC)


def sign_headers(
    *,
    method: str,
    canonical_uri: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    now: datetime,
    nonce: str,
) -> tuple[dict[str, str], str]:
    """The headers to add to a request to sign it, and the canonical request that was signed."""
    payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256
    added = {
        "x-acs-date": now.astimezone(UTC).strftime(DATE_FORMAT),
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": payload_hash,
    }
    if credentials.security_token:
        added["x-acs-security-token"] = credentials.security_token
    request, signed = canonical_request(
        method, canonical_uri, query, {**headers, **added}, payload_hash
    )
    sig = signature(credentials.access_key_secret, string_to_sign(request))
    added["authorization"] = authorization(credentials.access_key_id, signed, sig)
    return added, request


# The extension of a request that carries the canonical request it was signed with.
CANONICAL_REQUEST = "maxjob.canonical_request"


class Signer:
    """Signs each request with signature V3, with a fresh date and nonce every time (so a retried
    request is never refused for a reused nonce or a stale date). `clock` and `nonce` are
    parameters so that tests are exact; the signer holds no per-request state."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        clock: Callable[[], datetime] = utc_now,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        self.credentials = credentials
        self.clock = clock
        self.nonce = nonce

    def sign(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[dict[str, str], str]:
        """The headers that sign a request (`path` exactly as sent, `headers` all it carries,
        `host` included), and the canonical request signed (for `--debug`)."""
        return sign_headers(
            method=method,
            canonical_uri=path,
            query=query,
            headers=headers,
            body=body,
            credentials=self.credentials,
            now=self.clock(),
            nonce=self.nonce(),
        )
