"""One job of the emulator's store, and how each operation sees it at a given time.

A job comes from a spec in the jobs-file format: `{"instanceId", "data"}` is served as it is;
`{"instanceId" or "idPrefix", "script", "base", "final", ...}` is a script of events replayed from
an anchor (the job's first reference, or the server's start with `"anchor": "start"`). Event times
`at` are seconds from the anchor and may be negative (a job submitted before the server started).
A kill takes effect `killDelay` seconds after KillJobs, like the engine's next checkpoint: the job
then ends with status `cancelled` and a last substatus 1056 Cancelled.

GetJobInfo's `data` is `info()`; ListJobInfos, ListJobSnapshotInfos and GetRunningJobs project it
(`list_item`, `snapshot_item`, `running_item`) with their own fields and units (OPERATIONS §1-3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

FINAL_STATUSES = frozenset({"terminated", "success", "failed", "cancelled"})
CHINA = timezone(timedelta(hours=8))
# What a job asks for and uses while it runs when its spec does not say (cores and MB, as in a
# snapshot); `progress` is GetRunningJobs' undocumented 0-1 figure.
DEFAULT_RESOURCES: dict[str, float] = {
    "cpuRequest": 20,
    "cpuUsage": 16,
    "memoryRequest": 81920,
    "memoryUsage": 65536,
    "progress": 0.5,
}
# Fields only ListJobInfos has (OPERATIONS §1.2): a spec keeps them in `listFields`.
LIST_DEFAULTS: dict[str, Any] = {"cluster": "AT-EMU01", "tags": "[]"}
# A kill ends a job `cancelled` with the matching last substatus, so that ListJobInfos, which has
# no substatuses, tells the outcome as GetJobInfo does.
CANCELLED_EVENT = {"status": "cancelled", "code": 1056, "description": "Cancelled"}


def substatus_time(at: float) -> str:
    """A substatus `startTime` as the API writes it: `2025-03-05 00:04:15.717364 +0800`."""
    return datetime.fromtimestamp(at, CHINA).strftime("%Y-%m-%d %H:%M:%S.%f %z")


def is_final(status: object) -> bool:
    return str(status).lower() in FINAL_STATUSES


class Job:
    """A job: its spec, the anchor its script counts from, the calls made on it, its kill.

    `capacity` arguments give a quota's capacity in CU by nickname (None: unknown)."""

    def __init__(self, instance_id: str, spec: Mapping[str, Any], anchor: float) -> None:
        self.instance_id = instance_id
        self.spec = spec
        self.anchor = anchor
        self.calls: Counter[str] = Counter()
        self.kill_at: float | None = None
        self._static: dict[str, Any] | None = None
        self._item: dict[str, Any] | None = None
        self._lifetime: tuple[int, float] | None = None

    @property
    def scripted(self) -> bool:
        return "data" not in self.spec

    @property
    def resources(self) -> dict[str, float]:
        return {**DEFAULT_RESOURCES, **self.spec.get("resources", {})}

    def kill(self, effective_at: float) -> None:
        """Cancel at `effective_at` unless already asked to (a repeated kill changes nothing)."""
        if self.kill_at is None:
            self.kill_at = effective_at
            self._static = self._item = self._lifetime = None

    def info(self, now: float) -> dict[str, Any]:
        """GetJobInfo's `data` at `now` (shared: callers must not change it)."""
        if self.scripted:
            return self._replay(now)
        if self.kill_at is not None and now >= self.kill_at:
            return self._cancelled_static()
        if self._static is None:
            self._static = dict(self.spec["data"])
            self._static.setdefault("instanceId", self.instance_id)
        return self._static

    def _replay(self, now: float) -> dict[str, Any]:
        spec, anchor = self.spec, self.anchor
        script: list[Mapping[str, Any]] = list(spec.get("script", []))
        cutoff = now if self.kill_at is None else min(now, self.kill_at)
        events = [e for e in script if anchor + float(e.get("at", 0)) <= cutoff] or script[:1]
        final = spec.get("final", {})
        killed = (
            self.kill_at is not None
            and now >= self.kill_at
            and not (events and is_final(events[-1].get("status")))
        )
        if killed:
            assert self.kill_at is not None
            events = [*events, {**CANCELLED_EVENT, "at": self.kill_at - anchor}]
        start = anchor + min(0.0, float(script[0].get("at", 0))) if script else anchor
        data: dict[str, Any] = {"instanceId": self.instance_id}
        data.update(spec.get("base", {}))
        status = events[-1].get("status", "waiting") if events else "waiting"
        data["status"] = status
        data["submittedAtTime"] = int(start)
        subs = []
        running_at: float | None = None
        for event in events:
            at = anchor + float(event.get("at", 0))
            if event.get("status") == "running" and running_at is None:
                running_at = at
            if "code" in event:
                subs.append(
                    {
                        "code": event["code"],
                        "startTime": substatus_time(at),
                        "description": event.get("description", ""),
                    }
                )
            if event.get("sceneResults"):
                data["sceneResults"] = event["sceneResults"]
        data["jobSubStatusList"] = subs
        end = anchor + float(events[-1].get("at", 0)) if is_final(status) else None
        if running_at is not None:
            data["runningAtTime"] = int(running_at)
            data["waitingTime"] = int(running_at - start)
            data["runningTime"] = int((end or now) - running_at)
        else:
            data["waitingTime"] = int((end or now) - start)
        if end is not None:
            data["endAtTime"] = int(end)
            data["totalTime"] = int(end - start)
            data.update(self._usage(data) if killed else final)
        return data

    def _usage(self, data: Mapping[str, Any]) -> dict[str, int]:
        """What a cancelled job used: its cores and memory over the time it ran."""
        ran = data.get("runningTime") or 0
        resources = self.resources
        return {
            "cuUsage": round(resources["cpuUsage"] * ran / 100),
            "memoryUsage": int(resources["memoryUsage"] * ran),
        }

    def _cancelled_static(self) -> dict[str, Any]:
        assert self.kill_at is not None
        data = dict(self.spec["data"])
        data.setdefault("instanceId", self.instance_id)
        if is_final(data.get("status")):
            return data
        end = int(self.kill_at)
        data["status"] = CANCELLED_EVENT["status"]
        subs = list(data.get("jobSubStatusList") or [])
        data["jobSubStatusList"] = [
            *subs,
            {
                "code": CANCELLED_EVENT["code"],
                "startTime": substatus_time(self.kill_at),
                "description": CANCELLED_EVENT["description"],
            },
        ]
        data["endAtTime"] = end
        if isinstance(data.get("submittedAtTime"), int):
            data["totalTime"] = end - data["submittedAtTime"]
        if isinstance(data.get("runningAtTime"), int):
            data["runningTime"] = end - data["runningAtTime"]
        data.update(self._usage(data))
        return data

    def list_item(self, now: float, capacity: Callable[[str], float | None]) -> dict[str, Any]:
        """A ListJobInfos item: GetJobInfo's fields but the substatuses, and the list's own."""
        if not self.scripted and self._item is not None:
            return self._item
        info = self.info(now)
        item = {k: v for k, v in info.items() if k != "jobSubStatusList"}
        item.update({**LIST_DEFAULTS, **self.spec.get("listFields", {})})
        submitted = info.get("submittedAtTime")
        if isinstance(submitted, int):
            item.setdefault("taskName", f"console_query_task_{submitted}")
        item["statusSnapshot"] = info.get("status")
        running = not is_final(info.get("status")) and info.get("runningAtTime")
        used = self.resources
        quota = str(info.get("quotaNickname", ""))
        item["cuSnapshot"] = _ratio(used["cpuUsage"], capacity(quota)) if running else 0.0
        item["memorySnapshot"] = (
            _ratio(used["memoryUsage"], used["memoryRequest"]) if running else 0.0
        )
        if not is_final(info.get("status")):
            # A job still running has `endAtTime: 0` here, and a total time so far.
            item["endAtTime"] = 0
            if isinstance(submitted, int):
                item["totalTime"] = int(now) - submitted
        if not self.scripted and self.kill_at is None and is_final(info.get("status")):
            self._item = item  # a finished job's item never changes
        return item

    def lifetime(self, now: float) -> tuple[int, float] | None:
        """[submitted, end or now] for ListJobInfos' overlap; None when it has no times."""
        if self._lifetime is not None:
            return self._lifetime
        info = self.info(now)
        submitted = info.get("submittedAtTime")
        if not isinstance(submitted, int | float) or isinstance(submitted, bool):
            return None
        end = info.get("endAtTime")
        ended = end if isinstance(end, int | float) and end else None
        lifetime = int(submitted), float(ended if ended is not None else now)
        if not self.scripted and ended is not None and is_final(info.get("status")):
            self._lifetime = lifetime  # a finished job's lifetime never changes
        return lifetime

    def alive_at(self, at: float, now: float) -> bool:
        """Whether the job was submitted and not yet ended at `at` (for a snapshot)."""
        info = self.info(now)
        submitted, end = info.get("submittedAtTime"), info.get("endAtTime")
        if not isinstance(submitted, int | float) or submitted > at:
            return False
        if isinstance(end, int | float) and end:
            return at < end
        return not is_final(info.get("status"))

    def snapshot_item(self, at: int, now: float, quota: Mapping[str, Any] | None) -> dict[str, Any]:
        """A ListJobSnapshotInfos item at snapshot time `at` (cores and MB; OPERATIONS §2.2)."""
        info = self.info(now)
        submitted = int(info["submittedAtTime"])
        running_at = _seconds(info.get("runningAtTime"))
        started = running_at is not None and running_at <= at
        used = self.resources
        item: dict[str, Any] = {
            k: info[k]
            for k in (
                "tenantId",
                "region",
                "instanceId",
                "project",
                "jobOwner",
                "jobType",
                "priority",
                "quotaNickname",
                "quotaType",
                "signature",
                "extPlantFrom",
                "extNodeId",
                "extNodeOnDuty",
            )
            if k in info
        }
        if "extPlatformId" in self.spec.get("listFields", {}):
            item["extPlatformId"] = self.spec["listFields"]["extPlatformId"]
        cpu_request, memory_request = int(used["cpuRequest"]), int(used["memoryRequest"])
        cpu_usage = int(used["cpuUsage"]) if started else 0
        memory_usage = int(used["memoryUsage"]) if started else 0
        item.update(
            {
                "status": "running",
                "snapshotTime": at,
                "submittedAtTime": submitted,
                "waitingTime": int(running_at if started and running_at else at) - submitted,
                "totalTime": at - submitted,
                "cpuRequest": cpu_request,
                "cpuUsage": cpu_usage,
                "cpuUsageToRequestRatio": _ratio(cpu_usage, cpu_request),
                "memoryRequest": memory_request,
                "memoryUsage": memory_usage,
                "memoryUsageToRequestRatio": _ratio(memory_usage, memory_request),
                "maxCpuPct": -1,
                "maxMemoryPct": -1,
            }
        )
        if started and running_at is not None:
            item["runningAtTime"] = int(running_at)
            item["runningTime"] = at - int(running_at)
        if quota is not None and str(info.get("quotaType", "")).lower() == "subscription":
            parameter = quota.get("parameter", {})
            reserved = float(parameter.get("minCU", 0)) + float(
                parameter.get("elasticReservedCU", 0)
            )
            item["minCpuPct"] = _ratio(cpu_usage, reserved)
            item["minMemoryPct"] = _ratio(memory_usage, reserved * 4096)
        return item

    def running_item(self, now: float, capacity: Callable[[str], float | None]) -> dict[str, Any]:
        """A GetRunningJobs item (OPERATIONS §3.2): few fields, `progress` from 0 to 1."""
        info = self.info(now)
        started = bool(info.get("runningAtTime"))
        used = self.resources
        item: dict[str, Any] = {
            k: info[k] for k in ("instanceId", "jobOwner", "project", "quotaNickname") if k in info
        }
        quota = str(info.get("quotaNickname", ""))
        item["cuSnapshot"] = _ratio(used["cpuUsage"], capacity(quota)) if started else 0.0
        item["memorySnapshot"] = (
            _ratio(used["memoryUsage"], used["memoryRequest"]) if started else 0.0
        )
        item["progress"] = float(used["progress"]) if started else 0.0
        item["submittedAtTime"] = info.get("submittedAtTime")
        if started:
            item["runningAtTime"] = info["runningAtTime"]
        return item


def _seconds(value: Any) -> float | None:
    """A time field as a number; None when it is missing, zero or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value:
        return None
    return float(value)


def _ratio(part: float, whole: float | None) -> float:
    return round(part / whole, 4) if whole else 0.0
