"""Durations as people type them: `90s`, `30m`, `2h`, `7d`, `1h30m`, or seconds (`5`, `0.5`)."""

from __future__ import annotations

import math
import re

from maxjob.errors import UsageError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
DURATION_FORMS = "seconds (30, 0.5) or a duration (90s, 30m, 2h, 1h30m, 7d)"


def parse_duration(text: str, *, name: str = "the duration") -> float:
    """Seconds in `text`; a UsageError naming `name` and the accepted forms otherwise."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
        position = 0
        total = 0.0
        for match in _PART.finditer(value):
            if match.start() != position:
                break
            total += float(match.group(1)) * _UNITS[match.group(2)]
            position = match.end()
        else:
            if position == len(value) and position > 0:
                seconds = total
        if seconds < 0:
            raise UsageError(f"{name} {text!r} is not {DURATION_FORMS}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise UsageError(f"{name} {text!r} is not {DURATION_FORMS}")
    return seconds
