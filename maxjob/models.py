"""The job as maxjob understands it, parsed tolerantly from GetJobInfo's `data` object.

The value types are NamedTuples rather than frozen dataclasses: as immutable and as typed, but
a frozen dataclass costs about 1.4 ms to define on this class of machine, and start-up is what
scripts calling maxjob in a loop pay every time.

Any field may be missing, null or of another type; such a field reads as None. The object as
returned is kept in `raw`, so that `-o json` is lossless. Times are parsed once, here.
No I/O and no rich in this module.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

# Statuses that end a job. `terminated` needs its last substatus to tell the outcome.
_SUCCEEDED = frozenset({"success", "succeeded", "successful", "finished", "done"})
_FAILED = frozenset({"failed", "failure", "error"})
_CANCELLED = frozenset({"cancelled", "canceled", "killed", "stopped"})
_TERMINATED = frozenset({"terminated"})
KNOWN_STATUSES = frozenset(
    {"submitted", "waiting", "running", "queued", "pending"}
    | _SUCCEEDED
    | _FAILED
    | _CANCELLED
    | _TERMINATED
)


class Outcome(enum.Enum):
    """How a finished job ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Terminated, and nothing says how: no substatus, or the last one names no outcome. Never
    # taken for a success (exit 1, `exits.BY_OUTCOME`).
    ENDED = "ended"


def outcome_from_substatus(code: int | None) -> Outcome | None:
    """Substatus codes 10x4/10x5/10x6 say failed, succeeded, cancelled (1044, 1055, ...)."""
    if code is None or not 1000 <= code <= 9999:
        return None
    return {4: Outcome.FAILED, 5: Outcome.SUCCEEDED, 6: Outcome.CANCELLED}.get(code % 10)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return float(value) if abs(value) < 2**63 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _figure(value: Any) -> float | None:
    """A duration or an amount of the API (seconds, 100 core-seconds, bytes): a number, not
    negative (`took -3s`, `used 5.0x the usual CU-hours` of a negative usage: no figure)."""
    number = _number(value)
    return number if number is not None and number >= 0 else None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number == int(number) else None


def epoch_to_datetime(value: Any) -> datetime | None:
    """UNIX seconds to an aware UTC datetime; None for anything not a plausible time."""
    seconds = _number(value)
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


_SUBSTATUS_TIME = re.compile(
    r"\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,6})?\d*\s*"
    r"(Z|[+-]\d{2}:?\d{2})?\s*"
)


def parse_substatus_time(value: str) -> datetime | None:
    """`2025-03-05 00:04:15.717364 +0800` (and near variants) to an aware datetime, or None."""
    match = _SUBSTATUS_TIME.fullmatch(value)
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    text = f"{day}T{clock}{fraction or ''}"
    if zone is None or zone == "Z":
        text += "+00:00"
    else:
        text += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        moment = datetime.fromisoformat(text)
        # A time whose UTC form is past the calendar (9999-12-31 23:59 -2359) is no time to show.
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment


class SubStatus(NamedTuple):
    """One step of the job's lifecycle (`jobSubStatusList[]`)."""

    code: int | None
    start_time_raw: str | None
    start_time: datetime | None
    description: str | None

    @classmethod
    def from_api(cls, item: Any) -> SubStatus:
        data = item if isinstance(item, dict) else {}
        raw_time = _text(data.get("startTime"))
        return cls(
            code=_integer(data.get("code")),
            start_time_raw=raw_time,
            start_time=parse_substatus_time(raw_time) if raw_time else None,
            description=_text(data.get("description")),
        )


class SceneResult(NamedTuple):
    """One intelligent-diagnostics finding (`sceneResults[]`)."""

    scene_tag: str | None
    scene: str | None
    type: str | None
    summary: str | None
    description: str | None
    params: tuple[tuple[str, str], ...]

    @classmethod
    def from_api(cls, item: Any) -> SceneResult:
        data = item if isinstance(item, dict) else {}
        params = data.get("params")
        pairs: tuple[tuple[str, str], ...] = ()
        if isinstance(params, dict):
            pairs = tuple(
                (str(key), value if isinstance(value, str) else _compact(value))
                for key, value in params.items()
            )
        return cls(
            scene_tag=_text(data.get("sceneTag")),
            scene=_text(data.get("scene")),
            type=_text(data.get("type")),
            summary=_text(data.get("summary")),
            description=_text(data.get("description")),
            params=pairs,
        )


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class JobInfo(NamedTuple):
    """A MaxCompute job as GetJobInfo describes it."""

    raw: Mapping[str, Any]
    instance_id: str | None
    status: str | None
    project: str | None
    job_owner: str | None
    job_type: str | None
    priority: int | None
    quota_nickname: str | None
    quota_type: str | None
    tenant_id: str | None
    region: str | None
    signature: str | None
    cu_usage: float | None
    memory_usage: float | None
    input_bytes: float | None
    submitted_at: datetime | None
    running_at: datetime | None
    end_at: datetime | None
    waiting_time: float | None
    running_time: float | None
    total_time: float | None
    ext_plant_from: str | None
    ext_node_id: str | None
    ext_node_on_duty: str | None
    scene_results: tuple[SceneResult, ...]
    sub_statuses: tuple[SubStatus, ...]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> JobInfo:
        """Parse GetJobInfo's `data` object; never raises for any JSON object."""
        get = data.get
        return cls(
            raw=data,
            instance_id=_text(get("instanceId")),
            status=_text(get("status")),
            project=_text(get("project")),
            job_owner=_text(get("jobOwner")),
            job_type=_text(get("jobType")),
            priority=_integer(get("priority")),
            quota_nickname=_text(get("quotaNickname")),
            quota_type=_text(get("quotaType")),
            tenant_id=_text(get("tenantId")),
            region=_text(get("region")),
            signature=_text(get("signature")),
            cu_usage=_figure(get("cuUsage")),
            memory_usage=_figure(get("memoryUsage")),
            input_bytes=_figure(get("inputBytes")),
            submitted_at=epoch_to_datetime(get("submittedAtTime")),
            running_at=epoch_to_datetime(get("runningAtTime")),
            end_at=epoch_to_datetime(get("endAtTime")),
            waiting_time=_figure(get("waitingTime")),
            running_time=_figure(get("runningTime")),
            total_time=_figure(get("totalTime")),
            ext_plant_from=_text(get("extPlantFrom")),
            ext_node_id=_text(get("extNodeId")),
            ext_node_on_duty=_text(get("extNodeOnDuty")),
            scene_results=tuple(SceneResult.from_api(x) for x in _list(get("sceneResults"))),
            sub_statuses=tuple(
                SubStatus.from_api(x) for x in _list(get("jobSubStatusList")) if isinstance(x, dict)
            ),
        )

    @property
    def normalised_status(self) -> str:
        # No status is longer than this; cut first so that a hostile 9 MB status costs nothing.
        return (self.status or "")[:64].strip().lower()

    @property
    def sub_statuses_in_order(self) -> tuple[SubStatus, ...]:
        """Substatuses by start time (the API does not promise an order); one whose time cannot
        be read stays right after the item it followed in the list."""
        earliest = datetime.min.replace(tzinfo=UTC)
        keyed = []
        last = earliest
        for index, sub in enumerate(self.sub_statuses):
            if sub.start_time is not None:
                last = sub.start_time
            keyed.append(((sub.start_time or last, sub.start_time is None, index), sub))
        keyed.sort(key=lambda pair: pair[0])
        return tuple(sub for _, sub in keyed)

    @property
    def current_sub_status(self) -> SubStatus | None:
        ordered = self.sub_statuses_in_order
        return ordered[-1] if ordered else None

    @property
    def is_finished(self) -> bool:
        """Finished statuses stop a wait; unknown statuses count as not finished."""
        return self.normalised_status in (_SUCCEEDED | _FAILED | _CANCELLED | _TERMINATED)

    @property
    def is_status_known(self) -> bool:
        return self.normalised_status in KNOWN_STATUSES

    @property
    def outcome(self) -> Outcome | None:
        """How the job ended, or None while it has not."""
        status = self.normalised_status
        if status in _SUCCEEDED:
            return Outcome.SUCCEEDED
        if status in _FAILED:
            return Outcome.FAILED
        if status in _CANCELLED:
            return Outcome.CANCELLED
        if status in _TERMINATED:
            return self._terminated_outcome()
        return None

    def _terminated_outcome(self) -> Outcome:
        """A `terminated` job's outcome: its last substatus's (x4 failed, x5 succeeded, x6
        cancelled). When that names none, an earlier failure or cancellation still counts (the
        most recent); a success is taken from the last substatus only; else `ENDED`."""
        ordered = self.sub_statuses_in_order
        last = outcome_from_substatus(ordered[-1].code) if ordered else None
        if last is not None:
            return last
        for sub in reversed(ordered):
            found = outcome_from_substatus(sub.code)
            if found in (Outcome.FAILED, Outcome.CANCELLED):
                return found
        return Outcome.ENDED
