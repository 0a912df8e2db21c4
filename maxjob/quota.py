"""A quota as `top` and `why` see it: the newest snapshot of its jobs, its capacity, its queue.

- Snapshots (ListJobSnapshotInfos, OPERATIONS §2) are taken on whole minutes and lag a few
  minutes. `SnapshotReader.read(now)` asks for the minute of `now`, then steps back one minute at
  a time while the answer is empty, at most `MAX_STEPS` times; it remembers the lag it found, so
  that the next read starts one minute newer than that lag instead of at `now`. An empty answer
  is not an idle quota: when every step is empty, the snapshot says so (`at` is None).
- `running_jobs` reads GetRunningJobs instead (§3), for callers without
  `odps:ListJobSnapshotInfos`: the jobs not yet ended, submitted in the last 7 days, with fewer
  fields (no priority, no cores, no memory).
- Capacity: jobs run in level-2 quotas, QueryQuota answers for level-1 ones (§8). `QuotaBook`
  maps a level-2 nickname to its level-1 parent with ListQuotas (every page, once), then asks
  QueryQuota of the parent, caching both for the run. 1 CU = 1 core + 4 GB. Without permission
  for either, the capacity is unknown, and `Capacity.unknown` says why.
- `queue_of` tells which waiting jobs are ahead of one: a higher priority (a lower number) comes
  first when the quota honours priorities; then, under FIFO, the same priority submitted earlier.
  Under Fair scheduling there is no position, only a share among the jobs (§8.5).
No rendering here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from maxjob.api import operations as ops
from maxjob.errors import CredentialsError, MaxjobError, NotFoundError

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient

MB_PER_CU = 4096  # 1 CU = 1 core + 4 GB of memory
SNAPSHOT_STEP = 60
# How many minutes back a read looks for a snapshot that is not empty.
MAX_STEPS = 10
SNAPSHOT_PAGE_SIZE = 100
RUNNING_PAGE_SIZE = 20  # GetRunningJobs' documented maximum
# GetRunningJobs filters on submission time: a window wide enough for any job still running
# [INF: no documented limit on its width].
RUNNING_WINDOW = 7 * 86400
# ListQuotas pages followed at most: a marker that never ends must not loop forever.
MAX_QUOTA_PAGES = 50
PAGE_CONCURRENCY = 4
SNAPSHOTS = "ListJobSnapshotInfos"
RUNNING_JOBS = "GetRunningJobs"
_PERMISSION_CODES = ("NoPermission", "NO_PERMISSION", "Forbidden", "AccessDenied")


def is_denied(error: MaxjobError) -> bool:
    """Whether `error` is a refused permission (a RAM action missing), not bad credentials."""
    if not isinstance(error, CredentialsError):
        return False
    return error.http_status in (401, 403) or (error.code or "").startswith(_PERMISSION_CODES)


def denial(action: str, error: MaxjobError, on: str | None = None) -> str:
    """`no permission for odps:QueryQuota on os_p (NoPermission)`, or `QueryQuota failed: ...`:
    what was refused or failed, in a few words."""
    where = f" on {on}" if on else ""
    if is_denied(error):
        code = f" ({error.code})" if error.code else ""
        return f"no permission for odps:{action}{where}{code}"
    return f"{action}{where} failed: {error.one_line()}"


# No count of cores, MB or seconds comes near this: a larger figure is not one (1e308 CU would
# overflow to infinity as memory), and is read as no figure at all.
MAX_FIGURE = 1e15


def _number(value: Any, most: float = MAX_FIGURE) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and abs(number) <= most else None


def _amount(value: Any) -> float | None:
    """A figure that cannot be below zero (cores, MB, seconds); a negative one is no figure."""
    number = _number(value)
    return number if number is not None and number >= 0 else None


def _time(value: Any) -> float | None:
    number = _number(value)
    return number if number is not None and number > 0 else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class QuotaJob(NamedTuple):
    """One job of a quota at a snapshot (or at a GetRunningJobs read). Times are UNIX seconds,
    cores are cores, memory is MB; None where the source does not say."""

    raw: Mapping[str, Any]
    instance_id: str | None
    owner: str | None
    project: str | None
    priority: int | None
    submitted_at: float | None
    running_at: float | None
    queued: bool
    waited: float | None
    ran: float | None
    cpu_usage: float | None
    cpu_request: float | None
    memory_usage: float | None
    memory_request: float | None
    # GetRunningJobs' `cuSnapshot`: the job's share of the quota [INF: the denominator is not
    # documented]. Snapshots have no such field: callers divide cores by the capacity.
    cu_snapshot: float | None

    @classmethod
    def from_snapshot(cls, item: Mapping[str, Any]) -> QuotaJob:
        """A ListJobSnapshotInfos item: queued when it has no running time (§2.2: "empty if the
        job has not started"); its waiting and running times are the snapshot's own."""
        priority = _number(item.get("priority"))
        running_time = item.get("runningTime")
        return cls(
            raw=item,
            instance_id=_text(item.get("instanceId")),
            owner=_text(item.get("jobOwner")),
            project=_text(item.get("project")),
            priority=int(priority) if priority is not None and priority == int(priority) else None,
            submitted_at=_time(item.get("submittedAtTime")),
            running_at=_time(item.get("runningAtTime")),
            # Queued while it has no running time at all (an absurd one is still one).
            queued=_number(running_time, math.inf) is None,
            waited=_amount(item.get("waitingTime")),
            ran=_amount(running_time),
            cpu_usage=_amount(item.get("cpuUsage")),
            cpu_request=_amount(item.get("cpuRequest")),
            memory_usage=_amount(item.get("memoryUsage")),
            memory_request=_amount(item.get("memoryRequest")),
            cu_snapshot=None,
        )

    @classmethod
    def from_running(cls, item: Mapping[str, Any], now: float) -> QuotaJob:
        """A GetRunningJobs item at `now`: queued while it has no `runningAtTime`; waited and
        ran measured from its times to `now`."""
        submitted, running_at = _time(item.get("submittedAtTime")), _time(item.get("runningAtTime"))
        end_of_wait = running_at if running_at is not None else now
        return cls(
            raw=item,
            instance_id=_text(item.get("instanceId")),
            owner=_text(item.get("jobOwner")),
            project=_text(item.get("project")),
            priority=None,
            submitted_at=submitted,
            running_at=running_at,
            queued=running_at is None,
            waited=max(end_of_wait - submitted, 0.0) if submitted is not None else None,
            ran=max(now - running_at, 0.0) if running_at is not None else None,
            cpu_usage=None,
            cpu_request=None,
            memory_usage=None,
            memory_request=None,
            cu_snapshot=_amount(item.get("cuSnapshot")),
        )


class Snapshot(NamedTuple):
    """The jobs of one quota at one instant, and where they come from."""

    quota: str
    source: str  # SNAPSHOTS or RUNNING_JOBS
    at: int | None  # the snapshot's time (UNIX s); None when no snapshot was found
    read_at: float  # when it was read (UNIX s)
    jobs: tuple[QuotaJob, ...]
    # Without a snapshot: the newest and the oldest minute asked for.
    searched: tuple[int, int] | None = None

    @property
    def running(self) -> list[QuotaJob]:
        return [job for job in self.jobs if not job.queued]

    @property
    def queued(self) -> list[QuotaJob]:
        return [job for job in self.jobs if job.queued]

    @property
    def cores_used(self) -> float | None:
        """The cores the running jobs use (None from GetRunningJobs, which does not say)."""
        if self.source != SNAPSHOTS:
            return None
        return sum(job.cpu_usage or 0.0 for job in self.running)

    @property
    def memory_used(self) -> float | None:
        """MB the running jobs use (None from GetRunningJobs)."""
        if self.source != SNAPSHOTS:
            return None
        return sum(job.memory_usage or 0.0 for job in self.running)

    def age(self, now: float) -> float | None:
        return None if self.at is None else max(now - self.at, 0.0)

    def find(self, instance_id: str) -> QuotaJob | None:
        return next((job for job in self.jobs if job.instance_id == instance_id), None)


def _mine(items: Iterable[Any], quota: str) -> list[dict[str, Any]]:
    """The items that are objects of this quota (an item that names no quota is kept), each id
    once: a page boundary that moves between two pages must not show a job twice."""
    seen: set[str] = set()
    kept = []
    for item in items:
        if not isinstance(item, dict):
            continue
        nickname = item.get("quotaNickname")
        if isinstance(nickname, str) and nickname.strip() != quota:
            continue
        key = item.get("instanceId")
        if isinstance(key, str):
            if key in seen:
                continue
            seen.add(key)
        kept.append(item)
    return kept


class SnapshotReader:
    """The newest snapshot of one quota, stepping back over the data lag (see the module)."""

    def __init__(
        self,
        client: MaxComputeClient,
        quota: str,
        *,
        steps: int = MAX_STEPS,
        concurrency: int = PAGE_CONCURRENCY,
    ) -> None:
        self.client = client
        self.quota = quota
        self.steps = steps
        self.concurrency = concurrency
        # How far behind `now` the last snapshot found was, in whole minutes' seconds.
        self.lag = 0
        self.asked: list[int] = []  # every snapshot time asked for, for tests and --debug

    def read(self, now: float) -> Snapshot:
        """The newest snapshot not empty, at most `steps` minutes back from where the last one
        was found (from `now` the first time). Raises what the API raises (a 403 included)."""
        minute = int(now) // SNAPSHOT_STEP * SNAPSHOT_STEP
        newest = minute - max(self.lag - SNAPSHOT_STEP, 0)
        for step in range(self.steps):
            at = newest - step * SNAPSHOT_STEP
            items = self._items(at)
            if items:
                self.lag = minute - at
                stamps = {int(t) for t in (_time(i.get("snapshotTime")) for i in items) if t}
                shown = stamps.pop() if len(stamps) == 1 else at
                jobs = tuple(QuotaJob.from_snapshot(item) for item in items)
                return Snapshot(self.quota, SNAPSHOTS, shown, now, jobs)
        oldest = newest - (self.steps - 1) * SNAPSHOT_STEP
        return Snapshot(self.quota, SNAPSHOTS, None, now, (), searched=(newest, oldest))

    def _items(self, at: int) -> list[dict[str, Any]]:
        self.asked.append(at)
        body = {"to": at, "quotaNickname": self.quota}

        def page(number: int) -> ops.Operation:
            return ops.list_job_snapshot_infos(
                body, page_number=number, page_size=SNAPSHOT_PAGE_SIZE
            )

        pages = self.client.pages(
            page,
            items="jobInfoList",
            page_size=SNAPSHOT_PAGE_SIZE,
            concurrency=self.concurrency,
        )
        try:
            return _mine((item for items in pages for item in items), self.quota)
        finally:
            pages.close()


def running_jobs_operation(quota: str, since: int, until: int, page: int) -> ops.Operation:
    """One page of GetRunningJobs for one quota, submitted in [since, until] (both required)."""
    operation = ops.get_running_jobs(
        quota_nicknames=[quota], page_number=page, page_size=RUNNING_PAGE_SIZE
    )
    query = (*operation.query, ("from", str(since)), ("to", str(until)))
    return operation._replace(query=query, subject=f"the running jobs of quota {quota}")


def running_jobs(
    client: MaxComputeClient, quota: str, now: float, *, concurrency: int = PAGE_CONCURRENCY
) -> Snapshot:
    """The quota's jobs not yet ended (GetRunningJobs), as of `now`."""
    until = int(now)

    def page(number: int) -> ops.Operation:
        return running_jobs_operation(quota, until - RUNNING_WINDOW, until, number)

    pages = client.pages(
        page, items="runningJobInfoList", page_size=RUNNING_PAGE_SIZE, concurrency=concurrency
    )
    try:
        items = _mine((item for chunk in pages for item in chunk), quota)
    finally:
        pages.close()
    jobs = tuple(QuotaJob.from_running(item, until) for item in items)
    return Snapshot(quota, RUNNING_JOBS, until, until, jobs)


class Capacity(NamedTuple):
    """What QueryQuota says of a level-2 quota; `unknown` says why it could not be read."""

    nickname: str
    level1: str | None = None
    billing: str | None = None  # `billingMethod`: subscription, payasyougo
    max_cu: float | None = None
    min_cu: float | None = None
    scheduler: str | None = None  # `schedulerType`: Fifo or Fair
    priority_enabled: bool | None = None  # `enablePriority`
    job_cu_limit: float | None = None  # `singleJobCULimit`
    unknown: str | None = None
    parameter: Mapping[str, Any] = {}

    @property
    def cores(self) -> float | None:
        return self.max_cu

    @property
    def memory_mb(self) -> float | None:
        return None if self.max_cu is None else self.max_cu * MB_PER_CU

    @property
    def is_subscription(self) -> bool:
        return (self.billing or "").strip().lower() == "subscription"

    @property
    def is_pay_as_you_go(self) -> bool:
        return is_pay_as_you_go(self.billing)

    @property
    def source(self) -> str:
        """Where the figures come from, in words."""
        if self.level1 is None or self.level1 == self.nickname:
            return f"QueryQuota {self.nickname}"
        return f"QueryQuota {self.level1} (the level-1 quota of {self.nickname}, from ListQuotas)"


def is_pay_as_you_go(kind: str | None) -> bool:
    """`payasyougo`, `PayAsYouGo`, `pay-as-you-go`, `postpaid`: the shared pool."""
    folded = "".join(c for c in (kind or "").lower() if c.isalnum())
    return folded in ("payasyougo", "postpaid", "postpay", "payg")


class QuotaBook:
    """Level-1 quotas by level-2 nickname (ListQuotas, read once) and their QueryQuota answers,
    cached for the life of the book (one command run)."""

    def __init__(self, client: MaxComputeClient) -> None:
        self.client = client
        self._parents: dict[str, str] | None = None
        self._list_error: MaxjobError | None = None
        self._queried: dict[str, dict[str, Any] | MaxjobError] = {}
        self._capacities: dict[str, Capacity] = {}

    def parents(self) -> dict[str, str] | MaxjobError:
        """Every quota nickname (both levels) to its level-1 nickname, or why it is unknown."""
        if self._parents is None and self._list_error is None:
            try:
                self._parents = self._list()
            except MaxjobError as exc:
                self._list_error = exc
        return self._parents if self._parents is not None else _known(self._list_error)

    def _list(self) -> dict[str, str]:
        parents: dict[str, str] = {}
        marker: str | None = None
        for _ in range(MAX_QUOTA_PAGES):
            data = self.client.call(ops.list_quotas(marker=marker))
            quotas = data.get("quotaInfoList") if isinstance(data, dict) else None
            for quota in quotas if isinstance(quotas, list) else []:
                if not isinstance(quota, dict) or not isinstance(quota.get("nickName"), str):
                    continue
                level1 = quota["nickName"]
                parents.setdefault(level1, level1)
                subs = quota.get("subQuotaInfoList")
                for sub in subs if isinstance(subs, list) else []:
                    if isinstance(sub, dict) and isinstance(sub.get("nickName"), str):
                        parents.setdefault(sub["nickName"], level1)
            following = data.get("NextToken") or data.get("marker")
            if not isinstance(following, str) or not following or following == marker:
                break
            marker = following
        return parents

    def query(self, level1: str) -> dict[str, Any] | MaxjobError:
        """QueryQuota of a level-1 quota, asked once."""
        if level1 not in self._queried:
            try:
                self._queried[level1] = self.client.query_quota(level1)
            except MaxjobError as exc:
                self._queried[level1] = exc
        return self._queried[level1]

    def exists(self, nickname: str) -> bool | None:
        """Whether ListQuotas knows the nickname (None: ListQuotas could not be read)."""
        parents = self.parents()
        return None if isinstance(parents, MaxjobError) else nickname in parents

    def level2_of(self, nickname: str) -> list[str]:
        """The level-2 quotas of a level-1 one, where its jobs run (none: not a level-1 quota
        with level-2 ones, or ListQuotas could not be read)."""
        parents = self.parents()
        if isinstance(parents, MaxjobError):
            return []
        return sorted(name for name, parent in parents.items() if parent == nickname != name)

    def nicknames(self) -> list[str]:
        parents = self.parents()
        return [] if isinstance(parents, MaxjobError) else sorted(parents)

    def capacity(self, nickname: str) -> Capacity:
        """The quota's capacity and scheduling, or why they are unknown."""
        if nickname not in self._capacities:
            self._capacities[nickname] = self._capacity(nickname)
        return self._capacities[nickname]

    def _capacity(self, nickname: str) -> Capacity:
        parents = self.parents()
        if isinstance(parents, MaxjobError):
            return Capacity(
                nickname,
                unknown=f"{denial('ListQuotas', parents)}, which finds its level-1 quota",
            )
        level1 = parents.get(nickname)
        if level1 is None:
            return Capacity(nickname, unknown=f"ListQuotas does not list quota {nickname}")
        answer = self.query(level1)
        if isinstance(answer, MaxjobError):
            return Capacity(nickname, level1, unknown=denial("QueryQuota", answer, level1))
        document = _sub_quota(answer, nickname)
        if document is None:
            return Capacity(
                nickname, level1, unknown=f"QueryQuota {level1} does not list quota {nickname}"
            )
        return capacity_of(nickname, level1, document, answer)


def _known(error: MaxjobError | None) -> MaxjobError:
    assert error is not None
    return error


def _sub_quota(level1: Mapping[str, Any], nickname: str) -> Mapping[str, Any] | None:
    if level1.get("nickName") == nickname:
        return level1
    subs = level1.get("subQuotaInfoList")
    for sub in subs if isinstance(subs, list) else []:
        if isinstance(sub, dict) and sub.get("nickName") == nickname:
            return sub
    return None


def capacity_of(
    nickname: str, level1: str, quota: Mapping[str, Any], parent: Mapping[str, Any]
) -> Capacity:
    """A quota's document of QueryQuota (`parent` is its level-1 quota's) as a `Capacity`."""
    parameter = quota.get("parameter")
    parameter = parameter if isinstance(parameter, dict) else {}

    def billing(document: Mapping[str, Any]) -> str | None:
        policy = document.get("billingPolicy")
        return _text(policy.get("billingMethod")) if isinstance(policy, dict) else None

    enabled = parameter.get("enablePriority")
    method = billing(quota) or billing(parent)
    max_cu = _number(parameter.get("maxCU"))
    if max_cu is not None and max_cu <= 0:
        max_cu = None  # no capacity to measure use against
    pay_as_you_go = is_pay_as_you_go(method)
    return Capacity(
        nickname,
        level1,
        billing=method,
        max_cu=max_cu if max_cu and not pay_as_you_go else None,
        min_cu=_number(parameter.get("minCU")),
        scheduler=_text(parameter.get("schedulerType")),
        priority_enabled=enabled if isinstance(enabled, bool) else None,
        job_cu_limit=_number(parameter.get("singleJobCULimit")),
        unknown=_why_unknown(pay_as_you_go, max_cu, nickname, level1, parameter.get("maxCU")),
        parameter=parameter,
    )


def _why_unknown(
    pay_as_you_go: bool, max_cu: float | None, nickname: str, level1: str, given: Any = None
) -> str | None:
    if pay_as_you_go:
        return "a pay-as-you-go quota is a shared pool, with no capacity of its own"
    if max_cu:
        return None
    if given is None:
        return f"QueryQuota {level1} gives quota {nickname} no maxCU"
    shown = given if isinstance(given, str) else json.dumps(given)
    return f"QueryQuota {level1} gives quota {nickname} a maxCU of {shown[:40]}, not a capacity"


def not_found(nickname: str, book: QuotaBook) -> NotFoundError:
    """A quota that ListQuotas does not list, with the closest nicknames as a hint."""
    import difflib

    names = book.nicknames()
    close = difflib.get_close_matches(nickname, names, n=3)
    hint = None
    if close:
        hint = f"did you mean {', '.join(close)}?"
    elif names:
        hint = f"quotas of this region: {', '.join(names[:10])}{', ...' if len(names) > 10 else ''}"
    return NotFoundError(
        f"quota {nickname} not found: ListQuotas does not list it, and it has no snapshot",
        hint=hint,
    )


class Ahead(NamedTuple):
    job: QuotaJob
    why: str  # "higher priority", "same priority, submitted earlier", "submitted earlier"


class Queue(NamedTuple):
    """Where a waiting job stands among the quota's waiting jobs."""

    scheduler: str | None  # "Fifo", "Fair", or None when unknown
    priority_honoured: bool | None
    ahead: tuple[Ahead, ...]
    # FIFO: 1 + the jobs ahead. None under Fair scheduling.
    position: int | None
    # Fair: how many jobs share the quota's resources with this one (itself included).
    fair_among: int | None


def queue_of(
    instance_id: str,
    priority: int | None,
    submitted_at: float | None,
    jobs: Iterable[QuotaJob],
    capacity: Capacity,
) -> Queue:
    """The waiting jobs ahead of this one (§8.5): with priorities honoured (`enablePriority`
    not false), a lower number first; then, unless the quota schedules Fair, the same priority
    (any priority when they are not honoured) submitted earlier."""
    everyone = [job for job in jobs if job.instance_id != instance_id]
    waiting = [job for job in everyone if job.queued]
    honoured = capacity.priority_enabled
    by_priority = honoured is not False and priority is not None
    fair = (capacity.scheduler or "").strip().lower() == "fair"
    ahead: list[Ahead] = []
    for job in waiting:
        if by_priority and job.priority is not None and job.priority < (priority or 0):
            ahead.append(Ahead(job, "higher priority"))
        elif fair or submitted_at is None or job.submitted_at is None:
            continue
        elif not by_priority and job.submitted_at < submitted_at:
            ahead.append(Ahead(job, "submitted earlier"))
        elif job.priority == priority and job.submitted_at < submitted_at:
            ahead.append(Ahead(job, "same priority, submitted earlier"))
    ahead.sort(key=_queue_order)
    if fair:
        sharing = [j for j in everyone if not by_priority or j.priority == priority]
        return Queue(capacity.scheduler, honoured, tuple(ahead), None, len(sharing) + 1)
    return Queue(capacity.scheduler, honoured, tuple(ahead), len(ahead) + 1, None)


def _queue_order(entry: Ahead) -> tuple[float, float, str]:
    job = entry.job
    priority = job.priority if job.priority is not None and entry.why != "submitted earlier" else 0
    return (priority, job.submitted_at or 0.0, job.instance_id or "")


def consumers(snapshot: Snapshot, count: int = 3) -> list[QuotaJob]:
    """The running jobs that use the most cores (or, from GetRunningJobs, the largest share)."""

    def weight(job: QuotaJob) -> tuple[float, str]:
        used = job.cpu_usage if job.cpu_usage is not None else job.cu_snapshot
        return (-(used or 0.0), job.instance_id or "")

    return sorted(snapshot.running, key=weight)[:count]


SORT_KEYS: dict[str, Callable[[QuotaJob], tuple[Any, ...]]] = {
    # Most cores first (requested cores break ties, so queued jobs follow by their request).
    "cpu": lambda j: (
        -(j.cpu_usage if j.cpu_usage is not None else (j.cu_snapshot or 0.0)),
        -(j.cpu_request or 0.0),
        j.instance_id or "",
    ),
    # Longest wait first.
    "wait": lambda j: (-(j.waited or 0.0), j.instance_id or ""),
    # Most urgent first (0 before 9), then the earliest submitted.
    "priority": lambda j: (
        j.priority if j.priority is not None else 10,
        j.submitted_at or 0.0,
        j.instance_id or "",
    ),
}


def ordered(jobs: Iterable[QuotaJob], key: str) -> list[QuotaJob]:
    """The jobs in the order of a sort key of `SORT_KEYS`."""
    return sorted(jobs, key=SORT_KEYS[key])
