"""Connection settings: flags, then environment, then the aliyun CLI profile, then defaults.

Pure apart from reading `~/.aliyun/config.json` for the profile's `region_id`, which happens only
when neither `--region` nor `ALIBABA_CLOUD_REGION_ID` names the region. Every problem with local
input (a flag, a variable, that file) is a one-line `UsageError` (exit 2) that names where the bad
value came from and never shows a password: URLs are shown with their user info as `***`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import os
import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from maxjob.errors import UsageError

ENV_REGION = "ALIBABA_CLOUD_REGION_ID"
ENV_ENDPOINT = "MAXJOB_ENDPOINT"
ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"

# One DNS label (it becomes one in maxcompute.<region>.aliyuncs.com), so at most 63 characters.
_REGION_RE = re.compile(r"(?=.{1,63}\Z)[a-z0-9]+(?:-[a-z0-9]+)*")
# Underscores are not valid in host names but resolvers accept them, and so does httpx.
_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
# httpx reads a host of four dotted numbers as an IPv4 address and refuses it when it is not one.
_IPV4_LIKE_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_ATTEMPTS = 3
# A request that needs more than an hour is not coming back; larger values overflow socket timeouts.
MAX_REQUEST_TIMEOUT = 3600.0
# The aliyun CLI's file is a few kilobytes; refuse to read a runaway one into memory.
MAX_CONFIG_BYTES = 1024 * 1024


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
    """True for `localhost` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def hide_user_info(url: str) -> str:
    """`url` with everything between its scheme and the last `@` replaced by `***`.

    Safe on text that does not parse: a password may itself hold `@`, `/` or `#`, so the cut is at
    the last `@` of the whole text (a path holding `@` is hidden too, which is the safe side).
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" not in rest:
        return url
    return f"{scheme}{sep}***@{rest.rpartition('@')[2]}"


def _shown(value: str, limit: int = 80) -> str:
    """A value for an error message: user info hidden, query and fragment (tokens live there)
    left out, control characters escaped, at most `limit` characters, quoted."""
    text = hide_user_info(value)
    cut = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=-1)
    if cut >= 0:
        text = text[:cut] + text[cut] + "…"
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text)


def valid_host(host: str) -> bool:
    """True when `host` (no brackets, no port) is an IPv6 or IPv4 address, or an ASCII host name
    of 1-63 character labels (letters, digits, `-`, `_`) that httpx can connect to."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.replace("%25", "%", 1))
        except ValueError:
            return False
        return True
    if _IPV4_LIKE_RE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    name = host[:-1] if host.endswith(".") else host
    return 0 < len(name) <= 253 and all(_LABEL_RE.fullmatch(label) for label in name.split("."))


def closest_region(text: str) -> str | None:
    """The documented region (maxjob.protocol.REGIONS) that `text` most likely misspells, for a
    "did you mean cn-hangzhou?" hint (`CN-Hangzhou` gives cn-hangzhou); None when `text` is
    documented as it is, or nothing is close.

    Any well-formed region id is accepted: call this only after it failed (e.g. DNS found no
    `maxcompute.<region>.aliyuncs.com`).
    """
    import difflib

    from maxjob.protocol import REGIONS

    if text in REGIONS:
        return None
    wanted = text.strip().lower()
    if wanted in REGIONS:
        return wanted
    matches = difflib.get_close_matches(wanted, REGIONS, n=1, cutoff=0.75) if wanted else []
    return matches[0] if matches else None


# ~/.aliyun/config.json


def aliyun_config_file(home: Path | None = None) -> tuple[Path, str]:
    """The aliyun CLI's file under `home` (default: the user's), and how messages name it."""
    path = (home or Path.home()) / ".aliyun" / "config.json"
    return path, "~/.aliyun/config.json" if home is None else str(path)


# The file as read in the current `one_reading()` block, by path (None outside of one).
_readings: dict[Path, dict[str, object] | None] | None = None


@contextlib.contextmanager
def one_reading() -> Iterator[None]:
    """Inside the block, `load_aliyun_config` reads each file once: a command takes its region and
    its key from the same reading of the file. Outside, every call reads the file afresh."""
    global _readings
    saved, _readings = _readings, {}
    try:
        yield
    finally:
        _readings = saved


def load_aliyun_config(home: Path | None = None) -> dict[str, object] | None:
    """The aliyun CLI's `~/.aliyun/config.json` (under `home`), or None when there is no such file.

    Raises UsageError, naming the file, when it cannot be read, is over 1 MiB, is not UTF-8, is not
    JSON, is nested too deeply to parse, is not an object, or when `current` is not a string or
    `profiles` is not a list of objects with string names. Nothing else in it is checked. The
    document returned is shared inside a `one_reading()` block: do not change it.
    """
    path, shown = aliyun_config_file(home)
    if _readings is not None and path in _readings:
        return _readings[path]
    document = _read_aliyun_config(path, shown)
    if _readings is not None:
        _readings[path] = document
    return document


def _read_aliyun_config(path: Path, shown: str) -> dict[str, object] | None:
    try:
        # Without blocking: a FIFO in its place would otherwise wait for a writer forever.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise UsageError(f"{shown} is a directory, not the aliyun CLI's file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror or type(exc).__name__}") from None
    try:
        with os.fdopen(descriptor, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise UsageError(f"{shown} is a directory, not the aliyun CLI's file")
            if not stat.S_ISREG(mode):
                raise UsageError(f"{shown} is not a regular file")
            data = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror or type(exc).__name__}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(f"{shown} is larger than 1 MiB: is it the aliyun CLI's file?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{shown} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{shown} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise UsageError(f"{shown} is nested too deeply to read") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise UsageError(f"{shown} is not valid JSON: {str(exc).splitlines()[0]}") from None
    if not isinstance(document, dict):
        raise UsageError(f"{shown} must hold a JSON object, not {json_type(document)}")
    current = document.get("current")
    if current is not None and not isinstance(current, str):
        raise UsageError(f'{shown}: "current" must be a profile name, not {json_type(current)}')
    profiles = document.get("profiles")
    if profiles is not None and not isinstance(profiles, list):
        raise UsageError(f'{shown}: "profiles" must be a list, not {json_type(profiles)}')
    for index, entry in enumerate(profiles or []):
        if not isinstance(entry, dict):
            raise UsageError(
                f"{shown}: profiles[{index}] must be an object, not {json_type(entry)}"
            )
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            raise UsageError(f"{shown}: profiles[{index}].name must be a string")
    return document


def json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def aliyun_profile(
    profile: str | None, home: Path | None = None, *, fallback: str | None = "default"
) -> tuple[str, dict[str, object]] | None:
    """The aliyun CLI profile `profile` (else the file's `current`, else `fallback`) as (name,
    entry); None when there is no file, no name or no such profile. Raises UsageError as
    `load_aliyun_config` does."""
    document = load_aliyun_config(home)
    if document is None:
        return None
    current = document.get("current")
    wanted = profile or (current if isinstance(current, str) else None) or fallback
    if not wanted:
        return None
    profiles = document.get("profiles")
    for entry in profiles if isinstance(profiles, list) else []:
        if isinstance(entry, dict) and entry.get("name") == wanted:
            return wanted, entry
    return None


def profile_region(profile: str | None, home: Path | None = None) -> str | None:
    """The `region_id` of the aliyun CLI profile (named, or the file's `current`), if any.

    None when there is no file, no such profile, or no (or an empty) `region_id`; UsageError when
    the file is malformed or `region_id` is not a string.
    """
    found = aliyun_profile(profile, home)
    if found is None:
        return None
    name, entry = found
    region = entry.get("region_id")
    if region is None:
        return None
    if not isinstance(region, str):
        _, shown = aliyun_config_file(home)
        raise UsageError(
            f"{shown}: region_id of profile {_shown(name)} must be a string, "
            f"not {json_type(region)}"
        )
    return region.strip() or None


# The endpoint


# Far above any real endpoint (a host, a port, a short prefix); a URL past 64 KiB is not sent.
MAX_ENDPOINT = 2048


def normalise_endpoint(value: str, *, source: str = "endpoint") -> str:
    """`host[:port]` or a full http(s) URL to `scheme://host[:port][/prefix]` (no trailing `/`).

    Raises UsageError, naming `source` (e.g. `--endpoint`), for anything else: another scheme,
    spaces or control characters, user info, a query or fragment, a missing or invalid host, an
    unbracketed IPv6 address, a port that is not 1-65535. Messages never show a password.
    """
    text = value.strip()
    shown = _shown(text)
    if not text:
        raise UsageError(f"{source} is empty")
    if len(text) > MAX_ENDPOINT:
        raise UsageError(
            f"{source} {shown} is {len(text):,} characters long, over {MAX_ENDPOINT:,}"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise UsageError(f"{source} {shown} contains spaces or control characters")
    if "://" not in text:
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:/", text):
            raise UsageError(f"{source} {shown} is not a URL: write https://host or host[:port]")
        text = "https://" + text
    if text.partition("://")[0].lower() not in ("http", "https"):
        raise UsageError(f"{source} {shown} must be an https:// (or http://) URL")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise UsageError(f"{source} {shown} is not a valid URL (check its [ and ])") from None
    netloc = parts.netloc
    # Anywhere, not just in the netloc: a password holding `/` ends urlsplit's netloc early.
    if "@" in text:
        raise UsageError(
            f"{source} {shown} must not carry a user name or password",
            hint="the access key comes from ALIBABA_CLOUD_ACCESS_KEY_ID or the aliyun CLI profile",
        )
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise UsageError(f"{source} {shown} must not carry a query or a fragment")
    if netloc.startswith("["):
        host_part, _, rest = netloc.partition("]")
        host_part += "]"
        if rest and not rest.startswith(":"):
            raise UsageError(f"{source} {shown} is not a valid URL (text after the ])")
        host, port_text = host_part[1:-1], rest[1:]
    else:
        host_part, _, port_text = netloc.partition(":")
        host = host_part
        if ":" in port_text:
            raise UsageError(
                f"{source} {shown}: write an IPv6 address in brackets, like https://[::1]:8080"
            )
    if not host:
        raise UsageError(f"{source} {shown} has no host")
    if not valid_host(host):
        raise UsageError(f"{source} {shown} has an invalid host name {_shown(host, 40)}")
    if port_text and not (
        port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536
    ):
        raise UsageError(
            f"{source} {shown} has an invalid port {_shown(port_text, 12)}: "
            "a port is a number from 1 to 65535"
        )
    port = f":{int(port_text)}" if port_text else ""
    path = _without_dot_segments(parts.path).rstrip("/")
    return f"{parts.scheme}://{host_part}{port}{path}"


def _without_dot_segments(path: str) -> str:
    """`path` with its `.` and `..` segments resolved, as a URL is read (RFC 3986 5.2.4:
    `/a/../b` is `/b`), so that the path sent and signed is the one a gateway reads."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if path.endswith(("/.", "/..")):
        kept.append("")
    return "/".join(kept)


# Everything together


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
    """Resolve flags > environment > profile file > Logview link > defaults into `Settings`.

    - region: `region`, else `ALIBABA_CLOUD_REGION_ID`, else the profile's `region_id` in
      `~/.aliyun/config.json` (read only then), else `fallback_region` (from a pasted Logview
      link); it must look like a region id (`[a-z0-9-]+`, at most 63 characters).
    - endpoint: `endpoint`, else `MAXJOB_ENDPOINT`, else `https://maxcompute[-vpc].<region>...`;
      with neither an endpoint nor a region, UsageError.
    - profile: `profile`, else `ALIBABA_CLOUD_PROFILE`, else None (the file's `current`).
    - `request_timeout`: seconds, more than 0 and at most 3600 (`nan`/`inf` refused).
    Empty or blank values count as not given. Every refusal is a UsageError naming its source.
    """
    env = os.environ if environ is None else environ
    profile, profile_source = _first((profile, "--profile"), (env.get(ENV_PROFILE), ENV_PROFILE))
    if profile is not None and not profile.isprintable():
        raise UsageError(f"{profile_source} {_shown(profile)} contains control characters")
    region, region_source = _first((region, "--region"), (env.get(ENV_REGION), ENV_REGION))
    if region is None:
        region = profile_region(profile, home)
        region_source = "the profile's region_id in ~/.aliyun/config.json"
    if region is None and fallback_region:
        region, region_source = fallback_region, "the Logview link"
    if region is not None and not _REGION_RE.fullmatch(region):
        suggestion = closest_region(region)
        raise UsageError(
            f"region {_shown(region, 64)} (from {region_source}) is not a region id "
            "(like cn-hangzhou)",
            hint=f"did you mean {suggestion}?" if suggestion else None,
        )
    # --vpc is a flag that names an endpoint: it wins over MAXJOB_ENDPOINT, as flags win over
    # the environment; beside --endpoint it is a contradiction.
    endpoint, endpoint_source = _first(
        (endpoint, "--endpoint"), (None if vpc else env.get(ENV_ENDPOINT), ENV_ENDPOINT)
    )
    if endpoint is not None:
        if vpc:
            raise UsageError(f"--vpc and {endpoint_source} cannot be used together")
        base = normalise_endpoint(endpoint, source=endpoint_source)
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
    read_timeout = _request_timeout(request_timeout)
    if max_attempts is not None and max_attempts < 1:
        raise UsageError("--max-attempts must be at least 1")
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


def _first(*candidates: tuple[str | None, str]) -> tuple[str | None, str]:
    """The first value that is not blank, stripped, and the name of where it came from."""
    for value, source in candidates:
        if value is not None and value.strip():
            return value.strip(), source
    return None, ""


def _request_timeout(value: float | None) -> float:
    if value is None:
        return DEFAULT_READ_TIMEOUT
    if math.isnan(value) or value <= 0:
        raise UsageError(f"--request-timeout must be a number of seconds more than 0, not {value}")
    if value > MAX_REQUEST_TIMEOUT:
        raise UsageError(
            f"--request-timeout must be at most {MAX_REQUEST_TIMEOUT:.0f} seconds (one hour), "
            f"not {value:g}"
        )
    return float(value)


# Proxy variables


def chosen_proxy(endpoint: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy URL (user and password included) that requests to `endpoint` go through, as
    curl chooses it from the environment, or None: `https_proxy` (for an https endpoint) or
    `http_proxy`, else `all_proxy` (`_curl_variable`: either case, the lower-case one first;
    `http_proxy` in lower case only), a value without `://` read as `http://value`; none when
    `no_proxy` covers the endpoint's host (`no_proxy_covers`).

    Raises UsageError, naming the variable and never showing a password, when that proxy cannot
    be used: one httpx cannot parse, of a scheme other than http, https or socks5 (SOCKS only
    with `socksio` installed), with no or an invalid host, or a port outside 1-65535. A proxy
    variable that is not chosen (another scheme's, or one `no_proxy` bypasses) is not read.
    System proxy settings (Windows registry, macOS) are not environment variables: not read.
    """
    env = os.environ if environ is None else environ
    scheme = "https" if endpoint.lower().startswith("https://") else "http"
    picked = _curl_variable(env, f"{scheme}_proxy") or _curl_variable(env, "all_proxy")
    if picked is None:
        return None
    host = urlsplit(endpoint).hostname or ""
    bypass = _curl_variable(env, "no_proxy")
    if bypass is not None and no_proxy_covers(host, bypass[1]):
        return None
    variable, value = picked
    url = value if "://" in value else f"http://{value}"
    _check_proxy(f"{variable} {_shown(value)}", url)
    return url


def no_proxy_covers(host: str, no_proxy: str) -> bool:
    """Whether a `no_proxy` value covers `host`, as curl reads it: `*` covers every host; an
    entry covers a host name equal to it or ending in `.` and it (a leading `.` is dropped:
    `.example.com` and `example.com` both cover `api.example.com`, not `badexample.com`); an
    IP address, or a CIDR range (`10.0.0.0/8`), covers the addresses in it. Case does not
    matter; a port (`example.com:8080`, `[::1]:8080`) or a scheme (`http://host`) in an entry is
    left out of the comparison; an entry that is none of these covers nothing."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for item in no_proxy.split(","):
        entry = item.strip().lower()
        if entry == "*":
            return True
        if "://" in entry:
            entry = entry.partition("://")[2].split("/", 1)[0]
        if entry.startswith("["):
            entry = entry[1:].split("]", 1)[0]
        elif entry.count(":") == 1:
            entry = entry.split(":", 1)[0]
        entry = entry.removeprefix(".").rstrip(".")
        if not entry:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
        elif host == entry or host.endswith("." + entry):
            return True
    return False


def _check_proxy(shown: str, url: str) -> None:
    """Raise UsageError when the proxy `url` cannot be used (see `chosen_proxy`)."""
    import importlib.util

    import httpx

    try:
        proxy = httpx.Proxy(url=url)
    except httpx.InvalidURL:
        raise UsageError(f"{shown} is not a valid proxy URL: {_url_problem(url)}") from None
    except ValueError:
        raise UsageError(f"{shown} must be an http://, https:// or socks5:// proxy URL") from None
    if proxy.url.scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise UsageError(
            f"{shown} is a SOCKS proxy, which needs the socksio package",
            hint="install httpx[socks] beside maxjob, or use an http:// proxy",
        )
    host = proxy.url.raw_host.decode("ascii", "replace")
    if not host or not valid_host(host):
        raise UsageError(f"{shown} has no valid host name")
    if proxy.url.port is not None and not 0 < proxy.url.port < 65536:
        raise UsageError(f"{shown} has an invalid port: a port is a number from 1 to 65535")


def _curl_variable(environ: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """`(variable, value)` of the proxy variable `name` (`https_proxy`) as curl reads it: the
    lower-case one when it is set and not empty, else the upper-case one; `http_proxy` in
    lower case only (curl ignores HTTP_PROXY, which a CGI script's caller can set through a
    `Proxy:` header). None when neither holds anything."""
    names = (name,) if name == "http_proxy" else (name, name.upper())
    for variable in names:
        value = environ.get(variable, "").strip()
        if value:
            return variable, value
    return None


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _url_problem(url: str) -> str:
    """What is most likely wrong with a URL httpx refused, in words that show no user info."""
    authority = hide_user_info(url).partition("://")[2]
    authority = re.split(r"[/?#]", authority.rpartition("@")[2], maxsplit=1)[0]
    if authority.startswith("["):
        address, closed, rest = authority[1:].partition("]")
        if not closed:
            return "the [ of its IPv6 address is not closed"
        if not _is_ipv6(address):
            return "the IPv6 address in [ ] is not valid"
        port = rest[1:] if rest.startswith(":") else rest
    else:
        host, _, port = authority.partition(":")
        if host and _IPV4_LIKE_RE.fullmatch(host) and not _is_ipv4(host):
            return "the IPv4 address is not valid"
    if port and not (port.isascii() and port.isdigit() and int(port) < 65536):
        return "the port must be a number from 1 to 65535"
    return "httpx cannot parse it"
