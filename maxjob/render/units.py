"""How quantities read: durations, bytes, compute and memory usage, times."""

from __future__ import annotations

import math
from datetime import UTC, datetime

_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


# Durations from 100,000 days up read `99999d+` (no `>`, which Markdown would read), figures
# from a million million up in exponent notation: a service's absurd number (1e308) would
# otherwise fill a screen with digits.
LONGEST = 100_000 * 86400
HUGE = 1e12


def duration(seconds: float | None) -> str:
    """`1h 02m 05s`, `3m 07s`, `45s`, `2d 03h 04m`; sub-second values as `0.4s`."""
    if seconds is None:
        return ""
    if seconds < 0:
        shown = duration(-seconds)
        return shown if shown == "0s" else "-" + shown
    if not seconds < LONGEST:  # (infinity, NaN) no job runs for years: a figure gone wrong
        return f"{LONGEST // 86400 - 1}d+"
    if 0.05 <= round(seconds, 1) < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def binary_bytes(count: float | None) -> str:
    """`5.0 TiB`, `1.2 KiB`, `512 B`."""
    if count is None:
        return ""
    value = float(count)
    for unit in _BINARY_UNITS:
        if abs(value) < 1024 or unit == _BINARY_UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if abs(value) < HUGE else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def core_hours(cu_usage: float) -> float:
    """`cuUsage` is in units of 100 core-seconds."""
    return cu_usage * 100 / 3600


def gb_hours(memory_usage: float) -> float:
    """`memoryUsage` is in MB-seconds."""
    return memory_usage / 1024 / 3600


def amount(value: float) -> str:
    """A usage figure with enough digits to mean something, and no more."""
    if value == 0:
        return "0"
    if not abs(value) < HUGE:
        return f"{value:.3g}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    # Two significant digits, never in exponent notation: 0.28, 0.018, 0.000011.
    digits = 1 - math.floor(math.log10(abs(value)))
    return f"{value:.{min(digits, 12)}f}"


def decimal(value: float | None, places: int = 4) -> str:
    """A figure for machines (`plain`, `csv`): at most `places` decimals, no grouping commas,
    no trailing zeros; empty when unknown."""
    if value is None:
        return ""
    if not abs(value) < HUGE:
        return f"{value:.6g}"
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def rfc3339(moment: datetime) -> str:
    """UTC, second precision unless the moment has a fraction: `2022-12-27T03:33:33Z`."""
    utc = moment.astimezone(UTC)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def human_time(moment: datetime, *, utc: bool) -> str:
    """`2022-12-27 11:33:33 +08:00` in local time, or `2022-12-27 03:33:33 UTC`."""
    if utc:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    local = moment.astimezone()
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M:%S ") + f"{offset[:3]}:{offset[3:]}"


PAY_AS_YOU_GO = "pay-as-you-go"


def quota_kind(kind: str | None) -> str | None:
    """A quota's type as people read it: `payasyougo` (and its other spellings) as
    `pay-as-you-go`; anything else as the service sent it (JSON keeps the service's value)."""
    from maxjob.quota import is_pay_as_you_go

    return PAY_AS_YOU_GO if is_pay_as_you_go(kind) else kind
