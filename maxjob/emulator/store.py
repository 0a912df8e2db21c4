"""The emulator's one store of jobs and quotas, and the queries every operation makes of it.

No sockets here: the store takes specs and a clock, and answers in the API's own field names, so
that its stories can be tested on their own. Listing answers are kept for a second from when they
are ready (until a kill or a new job changes the store), so that the pages of one listing are cut
from one answer, and paging through 10,000 jobs costs one scan, not one a page, even when many
pages are asked for at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from maxjob.emulator import seed
from maxjob.emulator.errors import ServiceError, illegal_argument
from maxjob.emulator.jobs import Job, is_final
from maxjob.emulator.quotas import Quotas
from maxjob.protocol import DATE_WINDOW_SECONDS

# Inferred from the console, not documented for the API (OPERATIONS §1.3): at most 7 days a query,
# and nothing older than 45 days.
MAX_RANGE_SECONDS = 7 * 86400
RETENTION_SECONDS = 45 * 86400
LIST_SORT_FIELDS = frozenset(
    {
        "submittedAtTime",
        "waitingTime",
        "runningAtTime",
        "runningTime",
        "endAtTime",
        "totalTime",
        "cuUsage",
        "memoryUsage",
        "inputBytes",
        "priority",
        "cuSnapshot",
        "memorySnapshot",
    }
)
SNAPSHOT_SORT_FIELDS = frozenset(
    {
        "submittedAtTime",
        "waitingTime",
        "runningAtTime",
        "runningTime",
        "snapshotTime",
        "totalTime",
        "cpuUsage",
        "memoryUsage",
        "minCpuPct",
        "minMemoryPct",
        "priority",
        "cpuRequest",
        "memoryRequest",
        "cpuUsageToRequestRatio",
        "memoryUsageToRequestRatio",
    }
)
CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class Filters:
    """The body filters shared by ListJobInfos and ListJobSnapshotInfos (a None filter is off)."""

    statuses: frozenset[str] | None = None
    types: frozenset[str] | None = None
    projects: frozenset[str] | None = None
    owners: frozenset[str] | None = None
    signatures: frozenset[str] | None = None
    instance_ids: frozenset[str] | None = None
    priorities: frozenset[int] | None = None
    quota: str | None = None
    ext_node_ids: frozenset[str] | None = None
    ext_node_names: frozenset[str] | None = None
    task_names: frozenset[str] | None = None
    scene_tags: frozenset[str] | None = None

    @cached_property
    def _checks(self) -> list[tuple[str, frozenset[Any], Callable[[Any], Any]]]:
        """The filters that are on: (field, wanted values, how a value is compared)."""
        fields: list[tuple[str, frozenset[Any] | None, Callable[[Any], Any]]] = [
            ("status", self.statuses, _folded),
            ("jobType", self.types, _folded),
            ("project", self.projects, _same),
            ("jobOwner", self.owners, _trimmed),
            ("signature", self.signatures, _same),
            ("instanceId", self.instance_ids, _same),
            ("priority", self.priorities, _same),
            ("extNodeId", self.ext_node_ids, _same),
            ("extNodeName", self.ext_node_names, _same),
            ("taskName", self.task_names, _same),
            ("quotaNickname", None if self.quota is None else frozenset({self.quota}), _same),
        ]
        return [(name, wanted, fold) for name, wanted, fold in fields if wanted is not None]

    def match(self, item: Mapping[str, Any]) -> bool:
        """Whether a job's item passes every filter; text compares trimmed, status and type
        also case-insensitively."""
        for name, wanted, fold in self._checks:
            if fold(item.get(name)) not in wanted:
                return False
        if self.scene_tags is not None:
            tags = {
                s.get("sceneTag") for s in item.get("sceneResults") or [] if isinstance(s, dict)
            }
            if not tags & self.scene_tags:
                return False
        return True


@dataclass(frozen=True)
class Listing:
    """One ListJobInfos or ListJobSnapshotInfos request, decoded."""

    filters: Filters
    # (field, descending) pairs, most significant first.
    sort: tuple[tuple[str, bool], ...] = (("submittedAtTime", True),)
    page_number: int = 1
    page_size: int = 10
    start: int = 0  # ListJobInfos: `from`
    end: int = 0  # ListJobInfos: `to`; ListJobSnapshotInfos: the snapshot time asked for

    def key(self) -> tuple[Any, ...]:
        return (self.filters, self.sort, self.start, self.end)


@dataclass
class Page:
    total: int
    items: list[dict[str, Any]] = field(default_factory=list)


class Store:
    """Jobs (by id, or made on first reference from a prefix) and quotas, on one clock.

    `clock` gives UNIX seconds; the stories count from its value at construction. A kill takes
    effect `kill_delay` seconds later (a job's `killDelay` wins); snapshots of the last
    `snapshot_lag` seconds are empty, like the service's data lag.
    """

    def __init__(
        self,
        specs: Iterable[Mapping[str, Any]],
        quotas: Iterable[Mapping[str, Any]] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        kill_delay: float = 1.5,
        snapshot_lag: float = 120.0,
        synthetic_jobs: int = 0,
    ) -> None:
        self.clock = clock
        self.started_at = clock()
        self.kill_delay = kill_delay
        self.snapshot_lag = snapshot_lag
        self.quotas = Quotas(seed.SEED_QUOTAS if quotas is None else quotas)
        self.lock = threading.RLock()
        self.exact: dict[str, Mapping[str, Any]] = {}
        self.prefixed: list[tuple[str, Mapping[str, Any]]] = []
        self.jobs: dict[str, Job] = {}
        self.version = 0
        self._cache: dict[tuple[Any, ...], tuple[float, int, list[dict[str, Any]]]] = {}
        # One listing is made at a time: pages asked for at once wait for it, not redo it.
        self._making = threading.Lock()
        self._nonces: dict[str, float] = {}
        all_specs = [*specs, *seed.synthetic_jobs(synthetic_jobs, self.started_at)]
        for spec in all_specs:
            if "idPrefix" in spec:
                self.prefixed.append((str(spec["idPrefix"]), spec))
                continue
            instance_id = str(spec.get("instanceId"))
            if instance_id in self.exact:
                continue  # the first spec of an id wins: a jobs file before the built-ins
            self.exact[instance_id] = spec
            if "data" in spec or spec.get("anchor") == "start":
                self.jobs[instance_id] = Job(instance_id, spec, self.started_at)
        self.prefixed.sort(key=lambda pair: -len(pair[0]))
        for job in self.jobs.values():
            if not job.scripted:
                # Finished jobs keep their ListJobInfos item: the first listing costs no more.
                job.lifetime(self.started_at)
                job.list_item(self.started_at, self.quotas.capacity)

    def now(self) -> float:
        return self.clock()

    def shown_ids(self) -> tuple[list[str], list[str], int]:
        """For the banner: ids worth naming, the prefixes, and how many jobs go unnamed."""
        named = [i for i, s in self.exact.items() if s.get("banner", True) is not False]
        return named, [p for p, _ in self.prefixed], len(self.exact) - len(named)

    def find(self, instance_id: str, action: str | None = None) -> Job | None:
        """The job of this id, made from its spec on first reference (the anchor of a script
        that is not anchored at the start); `action` counts a call of that operation on it."""
        with self.lock:
            job = self.jobs.get(instance_id)
            if job is None:
                spec = self.exact.get(instance_id)
                if spec is None:
                    spec = next((s for p, s in self.prefixed if instance_id.startswith(p)), None)
                if spec is None:
                    return None
                job = self.jobs[instance_id] = Job(instance_id, spec, self.now())
                self.version += 1
            if action is not None:
                job.calls[action] += 1
            return job

    def use_nonce(self, nonce: str, now: float) -> bool:
        """False when the nonce was seen within the date window."""
        with self.lock:
            if len(self._nonces) > 100_000:
                cutoff = now - 2 * DATE_WINDOW_SECONDS
                self._nonces = {n: t for n, t in self._nonces.items() if t > cutoff}
            if nonce in self._nonces:
                return False
            self._nonces[nonce] = now
            return True

    # -- ListJobInfos ----------------------------------------------------------------------------

    def list_jobs(self, listing: Listing) -> Page:
        """Jobs whose lifetime [submitted, end or now] overlaps [from, to] and pass the filters.

        The limits of 7 days a query and 45 days back are inferred from the console (OPERATIONS
        §1.3), not documented for the API; they answer ILLEGAL_ARGUMENT like other bad input.
        """
        now = self.now()
        if listing.start > listing.end:
            raise illegal_argument("from must not be after to.")
        if listing.end - listing.start > MAX_RANGE_SECONDS:
            raise illegal_argument("The time range from..to cannot exceed 7 days.")
        if listing.start < now - RETENTION_SECONDS:
            raise illegal_argument("Only jobs of the last 45 days can be listed: from is older.")
        rows = self._cached(("list", *listing.key()), lambda: self._list_rows(listing, now))
        return _page(rows, listing)

    def _list_rows(self, listing: Listing, now: float) -> list[dict[str, Any]]:
        rows = []
        for job in self._jobs():
            lifetime = job.lifetime(now)
            if lifetime is None or lifetime[0] > listing.end or lifetime[1] < listing.start:
                continue
            item = job.list_item(now, self.quotas.capacity)
            if listing.filters.match(item):
                rows.append(item)
        return _sorted(rows, listing.sort)

    # -- ListJobSnapshotInfos --------------------------------------------------------------------

    def snapshot_time(self, asked: int) -> int:
        """Snapshots are taken on whole minutes: the one at or before `asked`."""
        return asked - asked % 60

    def snapshot(self, listing: Listing) -> Page:
        """What was on the quotas at the snapshot at or before `listing.end`; empty when that
        snapshot is within the data lag, or older than the retention."""
        if listing.filters.quota is not None:
            self.quotas.check("ListJobSnapshotInfos", listing.filters.quota)
        now = self.now()
        at = self.snapshot_time(listing.end)
        if at > now - self.snapshot_lag or at < now - RETENTION_SECONDS:
            return Page(0)
        rows = self._cached(("snapshot", *listing.key()), lambda: self._snapshot_rows(listing, at))
        return _page(rows, listing)

    def _snapshot_rows(self, listing: Listing, at: int) -> list[dict[str, Any]]:
        now = self.now()
        rows = []
        for job in self._jobs():
            if not job.alive_at(at, now):
                continue
            nickname = str(job.info(now).get("quotaNickname", ""))
            if self.quotas.denies("ListJobSnapshotInfos", nickname):
                continue
            item = job.snapshot_item(at, now, self.quotas.sub_quota(nickname))
            if listing.filters.match(item):
                rows.append(item)
        return _sorted(rows, listing.sort)

    # -- GetRunningJobs --------------------------------------------------------------------------

    def running_jobs(
        self,
        start: int,
        end: int,
        owners: frozenset[str] | None,
        quotas: frozenset[str] | None,
        page_number: int,
        page_size: int,
    ) -> Page:
        """Jobs not yet ended, submitted within [start, end] (closed), newest first."""
        if start > end:
            raise illegal_argument("from must not be after to.")
        now = self.now()
        rows = []
        for job in self._jobs():
            info = job.info(now)
            submitted = info.get("submittedAtTime")
            if is_final(info.get("status")) or not isinstance(submitted, int | float):
                continue
            if not start <= submitted <= end or start == end:
                continue
            if owners is not None and _trimmed(info.get("jobOwner")) not in owners:
                continue
            if quotas is not None and info.get("quotaNickname") not in quotas:
                continue
            rows.append(job.running_item(now, self.quotas.capacity))
        rows = _sorted(rows, (("submittedAtTime", True),))
        first = (page_number - 1) * page_size
        return Page(len(rows), rows[first : first + page_size])

    # -- KillJobs --------------------------------------------------------------------------------

    def kill(self, targets: Sequence[tuple[Job, str]]) -> None:
        """Cancel each (job, project) after its kill delay; nothing is killed unless every one can
        be: a job of another project is not found, and one that ended cannot be killed."""
        now = self.now()
        for job, project in targets:
            info = job.info(now)
            if str(info.get("project", "")).strip() != project.strip():
                raise ServiceError(
                    404,
                    "OBJECT_NOT_EXIST",
                    f"Job {job.instance_id} does not exist in project {project}.",
                )
            if is_final(info.get("status")):
                raise illegal_argument(
                    "Only an instance in the Running state can be specified: "
                    f"{job.instance_id} is {info.get('status')}."
                )
        with self.lock:
            for job, _ in targets:
                job.kill(now + float(job.spec.get("killDelay", self.kill_delay)))
            self.version += 1

    # -- helpers ---------------------------------------------------------------------------------

    def _jobs(self) -> list[Job]:
        with self.lock:
            return list(self.jobs.values())

    def _cached(
        self, key: tuple[Any, ...], make: Callable[[], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """The rows of a listing, made once however many pages ask for them at once (the
        others wait for them), and kept for `CACHE_SECONDS` from when they are ready, or for
        four times as long as they took to make when that is longer."""

        def hit() -> list[dict[str, Any]] | None:
            with self.lock:
                cached = self._cache.get(key)
                fresh = cached is not None and cached[1] == self.version
                if cached is not None and fresh and self.now() - cached[0] < CACHE_SECONDS:
                    return cached[2]
                return None

        rows = hit()
        if rows is not None:
            return rows
        with self._making:
            rows = hit()
            if rows is not None:
                return rows
            version = self.version
            started = self.now()
            rows = make()
            ready = self.now()
            # A listing slow to make (100,000 jobs) is kept longer, so that paging through it
            # is not mostly making it again: it counts as made that much later.
            kept_from = ready + max(0.0, 4 * (ready - started) - CACHE_SECONDS)
            with self.lock:
                # Listings no longer fresh go as a new one comes: kept, every window a client
                # asks for (each `list` run's is new) piled up, 10,000 rows each, and the
                # collector's passes over them grew into pauses of a busy emulator.
                for old in [
                    k for k, kept in self._cache.items() if ready - kept[0] >= CACHE_SECONDS
                ]:
                    del self._cache[old]
                if len(self._cache) > 256:
                    self._cache.clear()
                self._cache[key] = (kept_from, version, rows)
        return rows


def _page(rows: list[dict[str, Any]], listing: Listing) -> Page:
    first = (listing.page_number - 1) * listing.page_size
    return Page(len(rows), rows[first : first + listing.page_size])


def _sorted(rows: list[dict[str, Any]], sort: Sequence[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Sorted by each (field, descending) in turn, then by id; jobs without a value go last.

    One stable sort per field, the least significant first (by id, then the last field, ...),
    each on a plain key: a tenth of the time of one sort on a composite key, for 10,000 jobs."""
    result = sorted(rows, key=lambda row: str(row.get("instanceId", "")))
    for name, descending in reversed(sort):
        valued = [row for row in result if _is_number(row.get(name))]
        if len(valued) < len(result):
            rest = [row for row in result if not _is_number(row.get(name))]
        else:
            rest = []
        # reverse=True keeps equal values in their order, as a stable sort must.
        valued.sort(key=lambda row: row[name], reverse=descending)
        result = valued + rest
    return result


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(value: Any) -> Any:
    return value


def _trimmed(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _folded(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value
