"""The machine-readable outputs: `json`, `jsonl` and `plain`.

`json`/`jsonl` write the API's `data` object exactly as returned, through `json.dumps` with ASCII
escapes. `plain` writes one `key<TAB>value` line per field, keyed by the API's own field names
(dotted for lists), times in RFC 3339 UTC, server text sanitised and trimmed, and never cut (the
SPEC's "no truncation": the body's 10 MiB cap bounds it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from maxjob.errors import MaxjobError
from maxjob.models import JobInfo, epoch_to_datetime, parse_substatus_time
from maxjob.render.sanitize import sanitize, whole
from maxjob.render.units import amount, core_hours, gb_hours, rfc3339

EPOCH_FIELDS = frozenset({"submittedAtTime", "runningAtTime", "endAtTime"})
USAGE_FIELDS = {"cuUsage": (core_hours, "core-hours"), "memoryUsage": (gb_hours, "GB-hours")}

Result = JobInfo | MaxjobError


def error_object(instance_id: str, error: MaxjobError) -> dict[str, Any]:
    """How a failed ID stands in its place in JSON output."""
    return {"instanceId": instance_id, "error": error.as_dict()}


def json_value(instance_id: str, result: Result) -> Any:
    return result.raw if isinstance(result, JobInfo) else error_object(instance_id, result)


def to_json(value: Any, *, compact: bool = False) -> str:
    """JSON text with ASCII escapes (so no raw control or bidi character reaches a terminal)."""
    return (_COMPACT if compact else _INDENTED).encode(value)


# Made once: `json.dumps` with any option builds a new encoder per call (a page of jobs is
# a hundred calls). What is written is parsed JSON or built from it, never cyclic: the check
# for cycles is skipped.
_COMPACT = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False)
_INDENTED = json.JSONEncoder(ensure_ascii=True, indent=2, check_circular=False)


def scalar_text(value: Any) -> str | None:
    """A scalar as `plain` writes it (strings sanitised and trimmed, whole); None for null, an
    object or a list."""
    if value is None:
        return None
    if isinstance(value, str):
        return whole(value)
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def flattened(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """`(dotted.key, scalar)` for every leaf of `value` (`reasons.0.text`), keys sanitised."""
    if isinstance(value, dict):
        for name, item in value.items():
            part = sanitize(str(name))
            yield from flattened(item, f"{key}.{part}" if key else part)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from flattened(item, f"{key}.{index}" if key else str(index))
    else:
        yield key, value


def plain_lines(job: JobInfo) -> Iterator[str]:
    """`key<TAB>value` lines for one job, in the API's own field order."""
    for key, value in flattened(dict(job.raw)):
        text = scalar_text(value)
        if text is None:
            continue
        if key in EPOCH_FIELDS:
            moment = epoch_to_datetime(value)
            text = rfc3339(moment) if moment else text
        elif key.startswith("jobSubStatusList.") and key.endswith(".startTime"):
            parsed = parse_substatus_time(value) if isinstance(value, str) else None
            text = rfc3339(parsed) if parsed else text
        elif key in USAGE_FIELDS and isinstance(value, int | float) and not isinstance(value, bool):
            convert, unit = USAGE_FIELDS[key]
            text = f"{text}\t{amount(convert(float(value)))} {unit}"
        if key.startswith("::"):
            # A CI runner reads a line that starts with `::` as a workflow command.
            key = "\\x3a" + key[1:]
        yield f"{key}\t{text}"


def plain_error_lines(instance_id: str, error: MaxjobError) -> Iterator[str]:
    yield f"instanceId\t{sanitize(instance_id)}"
    for name, value in error.as_dict().items():
        if value:
            yield f"error.{name}\t{sanitize(value)}"


def plain(instance_id: str, result: Result) -> str:
    lines = (
        plain_lines(result)
        if isinstance(result, JobInfo)
        else plain_error_lines(instance_id, result)
    )
    return "\n".join(lines) + "\n"
