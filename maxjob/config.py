"""Connection settings: flags, then environment, then the aliyun CLI profile, then defaults.

Pure apart from reading `~/.aliyun/config.json` for the profile's `region_id`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from maxjob.errors import UsageError

ENV_REGION = "ALIBABA_CLOUD_REGION_ID"
ENV_ENDPOINT = "MAXJOB_ENDPOINT"
ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"

_REGION_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HOST_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_ATTEMPTS = 3


class Settings(NamedTuple):
    """Everything the client needs to know to reach the service."""

    endpoint: str  # scheme://host[:port][/prefix], no trailing slash
    region: str | None
    profile: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    debug: bool = False
    ca_bundle: str | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.endpoint).hostname or "")


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _valid_host(host: str) -> bool:
    if _HOST_RE.fullmatch(host):
        return True
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def profile_region(profile: str | None, home: Path | None = None) -> str | None:
    """The `region_id` of the aliyun CLI profile (named, or the file's `current`), if any."""
    path = (home or Path.home()) / ".aliyun" / "config.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    wanted = profile or document.get("current") or "default"
    for entry in document.get("profiles") or []:
        if isinstance(entry, dict) and entry.get("name") == wanted:
            region = entry.get("region_id")
            return region if isinstance(region, str) and region else None
    return None


def normalise_endpoint(value: str) -> str:
    """`host[:port]` or a full http(s) URL to `scheme://host[:port][/prefix]`."""
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"endpoint {value!r} must be http:// or https://")
    if not _valid_host(parts.hostname or ""):
        raise UsageError(f"endpoint {value!r} has no valid host")
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise UsageError(f"endpoint {value!r} must not carry user info, a query or a fragment")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise UsageError(f"endpoint {value!r} has an invalid port") from None
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def resolve(
    *,
    region: str | None = None,
    endpoint: str | None = None,
    vpc: bool = False,
    profile: str | None = None,
    request_timeout: float | None = None,
    max_attempts: int | None = None,
    debug: bool = False,
    ca_bundle: str | None = None,
    fallback_region: str | None = None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Settings:
    """Resolve flags > environment > profile file > defaults into `Settings`.

    `fallback_region` (from a pasted Logview link) is used only when nothing else names one.
    """
    env = os.environ if environ is None else environ
    profile = profile or env.get(ENV_PROFILE) or None
    region = (
        (region or env.get(ENV_REGION) or "").strip()
        or profile_region(profile, home)
        or fallback_region
    )
    if region is not None and not _REGION_RE.fullmatch(region):
        raise UsageError(f"region {region!r} is not a region id (like cn-hangzhou)")
    endpoint = endpoint or env.get(ENV_ENDPOINT) or None
    if endpoint:
        if vpc:
            raise UsageError("--vpc and --endpoint cannot be used together")
        base = normalise_endpoint(endpoint)
    elif region:
        host = (
            f"maxcompute-vpc.{region}.aliyuncs.com" if vpc else f"maxcompute.{region}.aliyuncs.com"
        )
        base = f"https://{host}"
    else:
        raise UsageError(
            "no region: pass --region, set ALIBABA_CLOUD_REGION_ID, "
            "or set region_id in the aliyun CLI profile (~/.aliyun/config.json)"
        )
    if request_timeout is not None and not request_timeout > 0:
        raise UsageError("--request-timeout must be more than 0 seconds")
    if max_attempts is not None and max_attempts < 1:
        raise UsageError("--max-attempts must be at least 1")
    read_timeout = request_timeout if request_timeout is not None else DEFAULT_READ_TIMEOUT
    return Settings(
        endpoint=base,
        region=region,
        profile=profile,
        connect_timeout=min(DEFAULT_CONNECT_TIMEOUT, read_timeout),
        read_timeout=read_timeout,
        max_attempts=max_attempts if max_attempts is not None else DEFAULT_MAX_ATTEMPTS,
        debug=debug,
        ca_bundle=ca_bundle,
    )
