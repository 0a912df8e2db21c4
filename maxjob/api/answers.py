"""What the service's answer means: the job, or which error (and whether to try again).

Reads both error shapes (the gateway's `{RequestId, Code, Message}` and MaxCompute's
`{requestId, httpCode, errorCode, errorMsg}`), applies the success rule of the API notes (HTTP
2xx, `httpCode` absent or 2xx, `data` an object: the documented sample, with its `errorCode`
filled in, is a success), parses JSON strictly (`strict_json`), and words each error with a
hint. No I/O.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from maxjob.api.operations import Operation
from maxjob.api.strict_json import parse_json
from maxjob.config import Settings
from maxjob.errors import (
    CredentialsError,
    MaxjobError,
    NotFoundError,
    ResponseError,
    ServiceError,
    TransientError,
    UsageError,
)
from maxjob.masking import mask

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRYABLE_CODES = frozenset({"ServiceUnavailable", "InternalError"})
_CREDENTIAL_CODE_PREFIXES = (
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidAccessKeyId",
    "InvalidSecurityToken",
    "InvalidTimeStamp",
    "SignatureNonceUsed",
    "InvalidAuthorization",
    "MissingAuthorization",
)
_PERMISSION_CODE_PREFIXES = ("NoPermission", "NO_PERMISSION", "Forbidden", "AccessDenied")
_NOT_FOUND_CODES = frozenset({"OBJECT_NOT_EXIST", "NoSuchJob", "JobNotFound", "NoSuchInstance"})
_USAGE_CODE_PREFIXES = ("ILLEGAL_ARGUMENT", "InvalidParameter", "MissingParameter")


class Asked(NamedTuple):
    """What was asked, and of whom: the words an error needs."""

    operation: Operation
    settings: Settings
    key_source: str
    # For `--debug` after a SignatureDoesNotMatch: where to write, and what was signed.
    debug: Callable[[str], None] | None = None
    canonical_request: str | None = None
    # Forms of the secret and token (see `maxjob.masking`): masked in messages before any cut.
    hidden: tuple[str, ...] = ()


class Answer(NamedTuple):
    """A successful answer's `data`, and the request id the service gave it (if any)."""

    data: Any
    request_id: str | None


def interpret(status: int, headers: Mapping[str, str], body: bytes, asked: Asked) -> Answer:
    """The `data` (and request id) of a successful answer; otherwise raise the error the answer
    stands for.

    Success: HTTP 2xx, `httpCode` absent or 2xx, and `data` of the operation's type (an object
    for most; KillJobs answers a string).
    """
    host = asked.settings.host
    request_id = headers.get("x-acs-request-id") or None
    if 300 <= status < 400:
        target = urlsplit(headers.get("location", "")).hostname or "an unnamed host"
        raise ServiceError(
            f"{host} answered HTTP {status}, a redirect to {target}; redirects are not followed",
            hint="check --endpoint (or MAXJOB_ENDPOINT): it should be the MaxCompute API host",
            request_id=request_id,
            http_status=status,
        )
    try:
        document = parse_json(body, verbatim=asked.operation.verbatim)
    except ValueError as exc:
        raise unreadable(status, str(exc), host, request_id, headers) from None
    if not isinstance(document, dict):
        raise unreadable(status, "not a JSON object", host, request_id, headers)
    request_id = request_id or _text(document.get("requestId") or document.get("RequestId"))
    said_code = document.get("httpCode")
    http_code = _status_number(said_code)
    body_ok = said_code is None or (http_code is not None and 200 <= http_code < 300)
    data = document.get("data")
    wanted = asked.operation.data_type
    if 200 <= status < 300 and body_ok and data is not None and isinstance(data, wanted):
        return Answer(data, request_id)
    code = _text(document.get("Code")) or _text(document.get("errorCode"))
    message = _text(document.get("Message")) or _text(document.get("errorMsg"))
    if 200 <= status < 300 and body_ok and code is None:
        what = "an object" if wanted is dict else "a value"
        raise ResponseError(
            f"the response to {asked.operation.action} has no data (`data` is not {what})",
            request_id=request_id,
        )
    if 200 <= status < 300 and http_code is None and code is None and not message:
        # (httpCode says neither success nor failure, and nothing else says what went wrong.)
        raise ResponseError(
            f"the response to {asked.operation.action} has an httpCode that is no HTTP status",
            request_id=request_id,
        )
    effective = http_code if http_code is not None and http_code >= 300 else status
    raise classify(code, effective, message, request_id, headers, asked)


def _status_number(value: Any) -> int | None:
    """`httpCode` as a number: `200`, `200.0` or `"200"` are 200 (a service may send any);
    anything that is not an HTTP status (100-599) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip()
        value = int(digits) if len(digits) <= 3 else None  # (int() of 5,000 digits raises)
    return value if isinstance(value, int) and 100 <= value <= 599 else None


def classify(
    code: str | None,
    status: int,
    message: str | None,
    request_id: str | None,
    headers: Mapping[str, str],
    asked: Asked,
) -> MaxjobError:
    """The error an API error code (or, failing that, an HTTP status) stands for."""
    text = mask((message or "").strip(), asked.hidden) if message else ""
    what = (text or f"HTTP {status}").splitlines()[0][:300]
    c = code or ""
    region = asked.settings.region
    common: dict[str, Any] = {"code": code, "request_id": request_id, "http_status": status}
    if c.startswith("Throttling") or c in RETRYABLE_CODES:
        return TransientError(what, retry_after=retry_after(headers), **common)
    if c.startswith(_CREDENTIAL_CODE_PREFIXES):
        return CredentialsError(what, hint=credential_hint(c, headers, asked), **common)
    operation = asked.operation
    if c.startswith(_PERMISSION_CODE_PREFIXES) or status in (401, 403):
        return CredentialsError(what, hint=permission_hint(operation, region), **common)
    if c in _NOT_FOUND_CODES or (status == 404 and not c.startswith("InvalidApi")):
        where = f" in region {region}" if region else ""
        # The service's message, unless it only says again that this very thing does not exist.
        said = "" if _repeats_not_found(what, operation.subject) else f": {what}"
        return NotFoundError(
            f"{operation.subject or operation.action} not found{where}{said}",
            hint="check the id and the region: jobs and quotas are looked up in one region",
            **common,
        )
    if status in RETRYABLE_STATUSES:
        return TransientError(what, retry_after=retry_after(headers), **common)
    if c.startswith(_USAGE_CODE_PREFIXES):
        return UsageError(what, **common)
    if c.startswith("InvalidApi"):
        return ServiceError(
            what, hint="is --endpoint a MaxCompute API endpoint of version 2022-01-04?", **common
        )
    if status >= 500:
        return ServiceError(what, **common)
    return MaxjobError(what, **common)


def _repeats_not_found(message: str, subject: str) -> bool:
    """Whether the service's 404 message only says that the subject asked for (`job j1`,
    `quota q`) does not exist: "Job j1 does not exist.", "This object does not exist.". One that
    names something else ("Project p does not exist.", "Quota q_parent is not found") is kept."""
    kind, _, name = subject.partition(" ")
    if kind not in ("job", "quota") or not name:
        return False
    pattern = (
        rf"(?:(?:this |the )?(?:object|{kind}|instance)(?: {re.escape(name)})?|{re.escape(name)})"
        r" (?:does not exist|is not found|was not found|not found)\.?"
    )
    return re.fullmatch(pattern, message.strip(), re.IGNORECASE) is not None


def permission_hint(operation: Operation, region: str | None) -> str:
    """Which RAM action to grant, on what (and any caveat of that action)."""
    resource = operation.ram_resource
    if resource == "*":
        target = "all resources (*)"
    else:
        target = f"acs:odps:{region or '<region>'}:<account-id>:{resource}"
    note = f"; {operation.ram_note}" if operation.ram_note else ""
    return f"grant the RAM action {operation.ram_action} on {target}{note}"


def credential_hint(code: str, headers: Mapping[str, str], asked: Asked) -> str:
    """What to do about a refused signature, key, token or date."""
    source = asked.key_source
    if code.startswith("InvalidTimeStamp"):
        local = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        server = headers.get("date")
        theirs = ""
        if server:
            from email.utils import parsedate_to_datetime

            try:
                theirs = f", the server's {parsedate_to_datetime(server):%Y-%m-%dT%H:%M:%SZ}"
            except (TypeError, ValueError):
                theirs = ""
        return (
            f"this machine's clock says {local}{theirs}; requests must be signed within "
            "15 minutes of the server's time: synchronise the clock (NTP)"
        )
    if code.startswith("SignatureDoesNotMatch"):
        if asked.debug and asked.canonical_request:
            asked.debug("canonical request signed (compare with the server's):")
            for line in asked.canonical_request.split("\n"):
                if line.startswith("x-acs-security-token:"):
                    line = "x-acs-security-token:<hidden>"
                asked.debug(f"  | {line}")
        extra = "" if asked.settings.debug else "; --debug shows the canonical request signed"
        return f"check the access key secret that goes with key id from {source}{extra}"
    if code.startswith("InvalidAccessKeyId"):
        return f"the access key id from {source} is unknown or disabled"
    if code.startswith("InvalidSecurityToken"):
        return f"the STS security token from {source} is invalid or expired; get a new one"
    return f"credentials from {source}"


def unreadable(
    status: int, why: str, host: str, request_id: str | None, headers: Mapping[str, str]
) -> MaxjobError:
    """An answer that is not the API's: exit 1 for a 2xx, 6 (retried if 5xx/429) otherwise."""
    if 200 <= status < 300:
        return ResponseError(f"unreadable response from {host}: {why}", request_id=request_id)
    message = f"{host} answered HTTP {status} with a body that is not the API's ({why})"
    if status in RETRYABLE_STATUSES:
        return TransientError(
            message, request_id=request_id, http_status=status, retry_after=retry_after(headers)
        )
    return ServiceError(
        message,
        request_id=request_id,
        http_status=status,
        hint="a proxy or load balancer may be in the way; check --endpoint and HTTPS_PROXY",
    )


def retry_after(headers: Mapping[str, str]) -> float | None:
    """`x-acs-retry-after` in milliseconds, else `Retry-After` in seconds or as an HTTP date."""
    acs = _finite(headers.get("x-acs-retry-after", ""))
    if acs is not None:
        return max(acs / 1000.0, 0.0)
    standard = headers.get("retry-after", "").strip()
    if not standard:
        return None
    seconds = _finite(standard)
    if seconds is not None:
        return max(seconds, 0.0)
    if _NUMBER.fullmatch(standard):
        return None  # a number, but not a finite one (nan, inf, 1e400): ignored
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(standard)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


_NUMBER = re.compile(r"[+-]?(?:nan|inf(?:inity)?|[0-9.]+(?:e[+-]?[0-9]+)?)", re.IGNORECASE)


def _finite(text: str) -> float | None:
    """A header's number, or None when it is absent, not a number, or not finite."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
