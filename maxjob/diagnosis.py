"""Why a job is where it is: its stage, and the reasons for it, with evidence (`maxjob why`).

GetJobInfo first: the stage comes from the last substatus (the codes are indicative, from public
samples, not an official table: api/NOTES.md), always shown beside the API's own description,
and since when. Then, by stage:
- waiting for resources on a subscription quota: the quota's newest snapshot
  (ListJobSnapshotInfos, stepping back over the data lag) and its capacity (ListQuotas, then
  QueryQuota): the cores in use against `maxCU`, the waiting jobs ahead of this one (a higher
  priority, or under FIFO the same priority submitted earlier; under Fair, a share among N jobs,
  no position), the largest consumers, and a priority the quota does not honour or the lowest;
- on pay-as-you-go: the shared pool, no position;
- finished: the longest phase, the diagnostics (`sceneResults`), and one line from its history
  (the earlier successful runs of the same SQL, `maxjob.history_stats`).
Whatever could not be read (a permission, no snapshot yet) is a reason of its own, and what is
maxjob's reading rather than the API's word is marked `inferred`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from maxjob.errors import MaxjobError
from maxjob.models import JobInfo, SubStatus, outcome_from_substatus
from maxjob.quota import (
    RUNNING_JOBS,
    SNAPSHOTS,
    Capacity,
    QuotaBook,
    QuotaJob,
    Snapshot,
    SnapshotReader,
    consumers,
    denial,
    is_denied,
    is_pay_as_you_go,
    queue_of,
    running_jobs,
)
from maxjob.render.phases import job_figures
from maxjob.render.sanitize import FIELD_LIMIT, display
from maxjob.render.units import duration, human_time, rfc3339

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient

CONTROL_PLANE = "control plane"
COMPILING = "compiling"
WAITING = "waiting for resources"
RUNNING = "running"
FINISHED = "finished"
UNKNOWN = "unknown"
STAGES = (CONTROL_PLANE, COMPILING, WAITING, RUNNING, FINISHED, UNKNOWN)
# Indicative substatus codes (api/NOTES.md; OPERATIONS §12.5): not an official table.
CODE_STAGES: dict[int, str] = {
    **dict.fromkeys((1010, 1012, 1013, 1014, 1015, 1020, 1030, 1040), CONTROL_PLANE),
    **dict.fromkeys((1210, 1220, 1230, 1235, 1240), COMPILING),
    **dict.fromkeys((1011, 1041, 1051, 1250), WAITING),
    **dict.fromkeys((1032, 1042, 1052, 1050, 1060, 1062), RUNNING),
}
# maxjob's reading of each stage, beside the API's own description.
READINGS = {
    CONTROL_PLANE: "usually waiting in the control plane (scheduling, preparing), not for its "
    "quota's resources",
    COMPILING: "usually compiling and planning the SQL; it has not asked its quota for "
    "resources yet",
    WAITING: "usually waiting for compute resources of its quota",
    RUNNING: "usually running on compute resources",
    FINISHED: "the job has ended",
    UNKNOWN: "a code maxjob does not know",
}
LOWEST_PRIORITY = 9
HISTORY_DAYS = 14
HISTORY_RUNS = 20
DAY = 86400


class Stage(NamedTuple):
    """Where the job is: the stage, since when, and the substatus it was read from."""

    name: str
    since: datetime | None
    sub: SubStatus | None
    # Read from an indicative code (or from the status alone), not stated by the API.
    inferred: bool


class Reason(NamedTuple):
    """One sentence of the explanation, with what it rests on."""

    kind: (
        str  # stage, capacity, queue, priority, consumers, pool, phase, diagnosis, history, unseen
    )
    text: str
    evidence: dict[str, Any]
    source: str = ""  # the operations and fields it comes from, in words
    inferred: bool = False  # maxjob's reading, not the API's word

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "inferred": self.inferred,
            "source": self.source,
            "evidence": self.evidence,
        }


class Explanation(NamedTuple):
    job: JobInfo
    stage: Stage
    reasons: tuple[Reason, ...]
    quota: dict[str, Any] | None
    ahead: list[dict[str, Any]] | None
    consumers: list[dict[str, Any]] | None

    def as_json(self) -> dict[str, Any]:
        sub = self.stage.sub
        since = self.stage.since
        value = {
            "instanceId": self.job.instance_id,
            "status": self.job.status,
            "outcome": None if self.job.outcome is None else self.job.outcome.value,
            "stage": self.stage.name,
            "since": None if since is None else rfc3339(since.replace(microsecond=0)),
            "substatus": None
            if sub is None
            else {
                "code": sub.code,
                "description": sub.description,
                "startTime": sub.start_time_raw,
            },
            "reasons": [reason.as_json() for reason in self.reasons],
            "quota": self.quota,
            "ahead": self.ahead,
            "consumers": self.consumers,
        }
        tidied: dict[str, Any] = _tidy(value)
        return tidied


def _tidy(value: Any) -> Any:
    """maxjob's own JSON: a whole float (cores parsed as numbers) as an integer, `196` not
    `196.0`; everything else unchanged (server text included)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: _tidy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tidy(item) for item in value]
    return value


# -- the stage ----------------------------------------------------------------------------------


def stage_of(job: JobInfo) -> Stage:
    """The stage from the last substatus (its code), since the first of the substatuses in a row
    that read as the same stage; from the status when no code says more."""
    ordered = job.sub_statuses_in_order
    current = ordered[-1] if ordered else None
    if job.is_finished or (current and outcome_from_substatus(current.code) is not None):
        end = job.end_at or (current.start_time if current else None)
        return Stage(FINISHED, end, current, inferred=not job.is_finished)
    name = _code_stage(current)
    if name is None:
        status = job.normalised_status
        return Stage(RUNNING if status == "running" else UNKNOWN, _start(current), current, True)
    since = current.start_time if current else None
    for sub in reversed(ordered[:-1]):
        if _code_stage(sub) != name:
            break
        since = sub.start_time or since
    return Stage(name, since, current, inferred=True)


def _code_stage(sub: SubStatus | None) -> str | None:
    return None if sub is None or sub.code is None else CODE_STAGES.get(sub.code)


def _start(sub: SubStatus | None) -> datetime | None:
    return sub.start_time if sub else None


# -- gathering the evidence ---------------------------------------------------------------------


# The longest sentence `why` says: a few fields' worth.
REASON_LIMIT = 2 * FIELD_LIMIT


class Gatherer:
    """Builds the explanation of one job from the API, one reason at a time."""

    def __init__(self, client: MaxComputeClient, job: JobInfo, *, now: float, utc: bool) -> None:
        self.client = client
        self.job = job
        self.now = now
        self.utc = utc
        self.reasons: list[Reason] = []
        self.quota: dict[str, Any] | None = None
        self.ahead: list[dict[str, Any]] | None = None
        self.consumers: list[dict[str, Any]] | None = None

    def add(self, kind: str, text: str, evidence: dict[str, Any], **extra: Any) -> None:
        if len(text) > REASON_LIMIT:
            # A sentence holding a huge server string (a 200,000-character project name) is cut
            # as any field is, masked before it is cut.
            text = display(text, limit=REASON_LIMIT)
        self.reasons.append(Reason(kind, text, evidence, **extra))

    def unseen(self, what: str, why: str, **evidence: Any) -> None:
        self.add("unseen", f"Could not see {what}: {why}.", {"what": what, "why": why, **evidence})

    def when(self, moment: datetime | float) -> str:
        if isinstance(moment, int | float):
            moment = datetime.fromtimestamp(moment, UTC)
        return human_time(moment, utc=self.utc)

    def explain(self) -> Explanation:
        stage = stage_of(self.job)
        kind, text, evidence = _stage_reason(self.job, stage, self.when, self.now)
        self.add(kind, text, evidence, source="GetJobInfo", inferred=stage.inferred)
        if stage.name == WAITING:
            self.waiting()
        elif stage.name == CONTROL_PLANE:
            self.add(
                "stage",
                "Usually a short step; a long wait here points at the service (scheduling, "
                "preparing), not at the quota's resources.",
                {"stage": stage.name},
                inferred=True,
            )
        elif stage.name == FINISHED:
            self.finished()
        elif stage.name == RUNNING:
            self.running()
        return Explanation(
            self.job, stage, tuple(self.reasons), self.quota, self.ahead, self.consumers
        )

    # -- waiting for resources ------------------------------------------------------------------

    def waiting(self) -> None:
        job = self.job
        nickname = (job.quota_nickname or "").strip()
        if not nickname:
            self.unseen("the quota", "the job names none (quotaNickname is empty)")
            return
        book = QuotaBook(self.client)
        capacity = book.capacity(nickname)
        kind = job.quota_type or capacity.billing
        self.quota = {
            "nickname": nickname,
            "type": kind,
            "level1": capacity.level1,
            "schedulerType": capacity.scheduler,
            "enablePriority": capacity.priority_enabled,
            "maxCU": capacity.max_cu,
            "minCU": capacity.min_cu,
            "singleJobCULimit": capacity.job_cu_limit,
            "capacityUnknown": capacity.unknown,
        }
        if is_pay_as_you_go(kind):
            self.pool(nickname, "GetJobInfo quotaType" if job.quota_type else capacity.source)
            return
        if capacity.unknown:
            self.unseen(f"the capacity of quota {nickname}", capacity.unknown)
        if kind is None:
            self.unseen(
                f"the type of quota {nickname}",
                "GetJobInfo gives no quotaType and QueryQuota could not be read",
            )
        snapshot = self.snapshot(nickname)
        if snapshot is None:
            return
        self.use(nickname, snapshot, capacity)
        self.queue(nickname, snapshot, capacity)
        self.priority(nickname, capacity)
        self.largest(snapshot)
        mine = snapshot.find(job.instance_id or "")
        limit = capacity.job_cu_limit
        if mine and mine.cpu_request and limit and mine.cpu_request > limit:
            self.add(
                "capacity",
                f"It asks for {mine.cpu_request:g} cores, more than the quota's limit of "
                f"{limit:g} CU for one job (singleJobCULimit): usually it cannot get all of "
                "them at once.",
                {"cpuRequest": mine.cpu_request, "singleJobCULimit": limit},
                source=f"{SNAPSHOTS}, {capacity.source}",
                inferred=True,
            )

    def pool(self, nickname: str, source: str) -> None:
        self.add(
            "pool",
            f"Quota {nickname} is pay-as-you-go: a shared pool of the region, where jobs take "
            "resources on demand and none can reserve any, so there is no position in line.",
            {"quotaNickname": nickname, "quotaType": self.quota and self.quota.get("type")},
            source=source,
        )
        self.add(
            "pool",
            "Usually a wait here means the region's shared pool is busy; priorities apply "
            "only to subscription quotas.",
            {},
            inferred=True,
        )

    def snapshot(self, nickname: str) -> Snapshot | None:
        """The quota's newest snapshot; from GetRunningJobs when snapshots are refused (then
        only counts); None when neither can be read."""
        try:
            snapshot = SnapshotReader(self.client, nickname).read(self.now)
        except MaxjobError as exc:
            reason = denial(SNAPSHOTS, exc, f"quota {nickname}")
            self.unseen(f"the jobs of quota {nickname}", reason)
            if not is_denied(exc):
                return None
            try:
                snapshot = running_jobs(self.client, nickname, self.now)
            except MaxjobError as again:
                self.unseen(
                    "the running jobs either",
                    denial(RUNNING_JOBS, again, f"quota {nickname}"),
                )
                return None
            self.running_counts(nickname, snapshot)
            return None
        if snapshot.at is None:
            newest, oldest = snapshot.searched or (0, 0)
            self.unseen(
                f"the jobs of quota {nickname}",
                f"no snapshot between {self.when(oldest)} and {self.when(newest)} (snapshots "
                "lag a few minutes)",
                searched={"from": oldest, "to": newest},
            )
            return None
        return snapshot

    def running_counts(self, nickname: str, snapshot: Snapshot) -> None:
        """What GetRunningJobs tells without priorities: how many run and wait, and how many
        of those waiting were submitted before this job."""
        submitted = self.job.submitted_at.timestamp() if self.job.submitted_at else None
        waiting = [j for j in snapshot.queued if j.instance_id != self.job.instance_id]
        earlier = [
            j for j in waiting if submitted and j.submitted_at and j.submitted_at < submitted
        ]
        if not waiting:
            queue = "no other job waiting"
        elif len(waiting) == 1:
            queue = f"1 other job waiting, submitted {'before' if earlier else 'after'} this one"
        else:
            some = len(earlier) if 0 < len(earlier) < len(waiting) else "all" if earlier else "none"
            queue = f"{len(waiting)} other jobs waiting, {some} of them submitted before this one"
        self.add(
            "queue",
            f"On quota {nickname}, {_count(len(snapshot.running), 'job')} running and {queue}; "
            "GetRunningJobs gives no priorities, so its position is unknown.",
            {
                "running": len(snapshot.running),
                "waiting": len(waiting),
                "waitingSubmittedEarlier": [j.instance_id for j in earlier],
            },
            source=f"{RUNNING_JOBS} at {self.when(snapshot.read_at)}",
        )

    def _snapshot_source(self, snapshot: Snapshot) -> str:
        age = duration(round(snapshot.age(self.now) or 0))
        assert snapshot.at is not None
        return f"{SNAPSHOTS} at {self.when(snapshot.at)} ({age} old)"

    def use(self, nickname: str, snapshot: Snapshot, capacity: Capacity) -> None:
        used = snapshot.cores_used or 0.0
        memory = snapshot.memory_used or 0.0
        mine = snapshot.find(self.job.instance_id or "")
        evidence: dict[str, Any] = {
            "snapshotTime": snapshot.at,
            "runningJobs": len(snapshot.running),
            "queuedJobs": len(snapshot.queued),
            "cpuUsage": used,
            "memoryUsage": memory,
            "maxCU": capacity.max_cu,
        }
        assert self.quota is not None
        self.quota.update(
            {
                "snapshotTime": snapshot.at,
                "runningJobs": len(snapshot.running),
                "queuedJobs": len(snapshot.queued),
                "cpuUsage": used,
                "memoryUsage": memory,
                "capacityCores": capacity.cores,
                "capacityMemory": capacity.memory_mb,
            }
        )
        source = self._snapshot_source(snapshot)
        if capacity.cores:
            free = max(capacity.cores - used, 0.0)
            text = (
                f"Quota {nickname} has {used:g} of its {capacity.cores:g} cores in use "
                f"({used / capacity.cores:.0%}) by {_count(len(snapshot.running), 'running job')}"
            )
            if capacity.memory_mb:
                text += f", and {memory / 1024:g} of {capacity.memory_mb / 1024:g} GB of memory"
            if mine is not None and mine.cpu_request is not None:
                evidence["cpuRequest"] = mine.cpu_request
                more = "more than" if mine.cpu_request > free else "within"
                text += f"; this job asks for {mine.cpu_request:g} cores, {more} the {free:g} free"
            source += f"; {capacity.source}"
        else:
            text = (
                f"Quota {nickname} has {used:g} cores in use by "
                f"{_count(len(snapshot.running), 'running job')}; its capacity is unknown"
            )
        self.add("capacity", text + ".", evidence, source=source)
        if mine is None:
            submitted = self.job.submitted_at
            after = (
                submitted is not None
                and snapshot.at is not None
                and (submitted.timestamp() > snapshot.at)
            )
            self.add(
                "queue",
                "This job is not in that snapshot"
                + (" (it was submitted after it)" if after else "")
                + ": the jobs ahead are counted from the snapshot, and jobs submitted since are "
                "not seen.",
                {"snapshotTime": snapshot.at, "inSnapshot": False},
                source=source,
                inferred=True,
            )

    def queue(self, nickname: str, snapshot: Snapshot, capacity: Capacity) -> None:
        job = self.job
        submitted = job.submitted_at.timestamp() if job.submitted_at else None
        mine = snapshot.find(job.instance_id or "")
        priority = job.priority if job.priority is not None else (mine.priority if mine else None)
        queue = queue_of(job.instance_id or "", priority, submitted, snapshot.jobs, capacity)
        self.ahead = [_ahead_json(entry.job, entry.why) for entry in queue.ahead]
        higher = [a for a in queue.ahead if a.why == "higher priority"]
        same = [a for a in queue.ahead if a.why != "higher priority"]
        waiting = [j for j in snapshot.queued if j.instance_id != job.instance_id]
        policy = capacity.scheduler or "unknown"
        evidence = {
            "schedulerType": capacity.scheduler,
            "enablePriority": capacity.priority_enabled,
            "priority": priority,
            "position": queue.position,
            "fairAmong": queue.fair_among,
            "waiting": len(waiting),
            "ahead": [a.job.instance_id for a in queue.ahead],
        }
        source = f"{self._snapshot_source(snapshot)}; {capacity.source}"
        parts = []
        if higher:
            parts.append(f"{len(higher)} with a higher priority ({_names(higher)})")
        if same:
            kind = (
                "submitted earlier"
                if same[0].why == "submitted earlier"
                else (f"of the same priority {priority} submitted earlier")
            )
            parts.append(f"{len(same)} {kind} ({_names(same, priorities=False)})")
        if queue.fair_among is not None:
            among = f"the {queue.fair_among} jobs"
            if capacity.priority_enabled is not False and priority is not None:
                among += f" of priority {priority}"
            text = (
                f"Quota {nickname} schedules Fair: its resources are shared among {among}, "
                "so there is no position in line"
            )
            if higher:
                text += f"; waiting jobs of a higher priority come first: {parts[0]}"
            self.add("queue", text + ".", evidence, source=source)
            return
        if queue.ahead:
            are = "job is" if len(queue.ahead) == 1 else "jobs are"
            text = f"{len(queue.ahead)} waiting {are} ahead of it: " + " and ".join(parts)
        else:
            text = "No waiting job is ahead of it"
        behind = len(waiting) - len(queue.ahead)
        text += f"; it is #{queue.position} in line" + (
            f", {behind} more {'waits' if behind == 1 else 'wait'} behind it" if behind > 0 else ""
        )
        if capacity.scheduler is None:
            text += (
                " (the quota's policy is unknown: this counts a higher priority first, then "
                "FIFO, as most subscription quotas schedule)"
            )
            self.add("queue", text + ".", evidence, source=source, inferred=True)
            return
        text += f" (quota {nickname} schedules {policy}"
        text += ", priority first)" if capacity.priority_enabled is not False else ")"
        self.add("queue", text + ".", evidence, source=source)

    def priority(self, nickname: str, capacity: Capacity) -> None:
        priority = self.job.priority
        if priority is None:
            return
        if capacity.priority_enabled is False:
            self.add(
                "priority",
                f"Quota {nickname} does not honour priorities (enablePriority is false): this "
                f"job's priority {priority} changes nothing.",
                {"priority": priority, "enablePriority": False},
                source=capacity.source,
            )
        elif priority >= LOWEST_PRIORITY:
            self.add(
                "priority",
                f"Its priority {priority} is the lowest (0 is the most urgent; 9 is also what "
                "every job gets when its project has not turned priorities on).",
                {"priority": priority},
                source="GetJobInfo priority",
            )

    def largest(self, snapshot: Snapshot) -> None:
        top = consumers(snapshot)
        self.consumers = [_consumer_json(job) for job in top]
        if not top:
            return
        described = []
        for job in top:
            cores = f"{job.cpu_usage:g} cores" if job.cpu_usage is not None else "cores unknown"
            ran = f", running {duration(job.ran)}" if job.ran is not None else ""
            described.append(f"{_short(job.instance_id)} ({_short(job.owner)}, {cores}{ran})")
        self.add(
            "consumers",
            "The largest consumers: " + "; ".join(described) + ".",
            {"consumers": [job.instance_id for job in top]},
            source=self._snapshot_source(snapshot),
        )

    # -- running and finished -------------------------------------------------------------------

    def running(self) -> None:
        # The API's own figures: the evidence carries them under the API's field names.
        figures = job_figures(self.job, datetime.fromtimestamp(self.now, UTC), precise=False)
        if figures.waited is None:
            return
        self.add(
            "phase",
            f"It waited {duration(figures.waited)} before it started running.",
            {"waitingTime": figures.waited, "runningTime": figures.ran},
            source="GetJobInfo waitingTime, runningAtTime",
        )

    # -- finished -------------------------------------------------------------------------------

    def finished(self) -> None:
        job = self.job
        figures = job_figures(job, datetime.fromtimestamp(self.now, UTC), precise=False)
        phases = [
            (name, value)
            for name, value in (("waiting", figures.waited), ("running", figures.ran))
            if value is not None
        ]
        if phases:
            name, longest = max(phases, key=lambda pair: pair[1])
            share = f" ({longest / figures.total:.0%})" if figures.total else ""
            of = f" of {duration(figures.total)}" if figures.total else ""
            text = f"The longest phase was {name}: {duration(longest)}{of}{share}"
            spans = [(sub, span) for sub, span in figures.sub_statuses if span.seconds is not None]
            evidence: dict[str, Any] = {
                "waitingTime": figures.waited,
                "runningTime": figures.ran,
                "totalTime": figures.total,
            }
            if spans:
                sub, span = max(spans, key=lambda pair: pair[1].seconds or 0.0)
                code = "" if sub.code is None else f"{sub.code} "
                text += (
                    f"; the longest substatus was {code}{_short(sub.description)!s} "
                    f"({duration(span.seconds)})"
                )
                evidence["longestSubstatus"] = {
                    "code": sub.code,
                    "description": sub.description,
                    "seconds": span.seconds,
                }
            self.add("phase", text + ".", evidence, source="GetJobInfo times and substatuses")
        from maxjob.render.phases import shown_diagnostics

        scenes, left_out = shown_diagnostics(job)
        raw = job.raw.get("sceneResults")
        for index, scene in enumerate(scenes):
            label = " / ".join(x for x in (scene.scene, scene.scene_tag) if x)
            words = scene.summary or scene.description or "(no summary)"
            self.add(
                "diagnosis",
                f"Diagnosis ({scene.type or 'note'}{', ' + label if label else ''}): "
                f"{_short(words, 400)}",
                # (`scene_results` holds one per item of the list, in its order.)
                {"sceneResult": raw[index] if isinstance(raw, list) else None},
                source="GetJobInfo sceneResults",
            )
        if left_out is not None:
            # Thousands of them made a sentence each, found one by one: minutes of work.
            self.add(
                "diagnosis",
                left_out.replace("-o json has them all", "maxjob info -o json has them all"),
                {"sceneResults": len(job.scene_results)},
                source="GetJobInfo sceneResults",
            )
        if not job.scene_results:
            self.add(
                "diagnosis",
                "No diagnostics: sceneResults is empty (the service makes them the day after a "
                "run, for SQL jobs, and not in every region).",
                {"sceneResults": []},
                source="GetJobInfo sceneResults",
            )
        self.history()

    def history(self) -> None:
        """One line against the earlier successful runs of the same SQL (`history_stats`)."""
        from maxjob import listing
        from maxjob.commands import history
        from maxjob.history_stats import Run, summarize

        job = self.job
        by, key, why = history.key_of(job, "signature")
        submitted = job.raw.get("submittedAtTime")
        if key is None or not isinstance(submitted, int | float) or isinstance(submitted, bool):
            self.unseen("its history", why or "the job has no submission time")
            return
        until = int(submitted)
        project = job.raw.get("project")
        projects = (project,) if isinstance(project, str) and project else None
        filters = history.body_filters(by, key, projects)
        window = listing.listable(until - HISTORY_DAYS * DAY, until, self.now)
        if window is None:
            self.unseen("its history", history.PAST_LISTING)
            return
        try:
            items = list(
                history.earlier_items(
                    self.client, job.instance_id or "", filters, window, HISTORY_RUNS
                )
            )
        except MaxjobError as exc:
            self.unseen("its history", denial("ListJobInfos", exc))
            return
        moment = datetime.fromtimestamp(self.now, UTC)
        earlier = [Run.from_item(item, moment) for item in items]
        where = f" in {project}" if projects else ""
        summary = summarize(Run.of(job, moment), earlier, why=why)
        run = summary.measures["run"]
        line = summary.verdict or f"{summary.reason}."
        self.add(
            "history",
            line[:1].upper() + line[1:],
            {
                "by": by,
                "key": key,
                "earlierRuns": summary.earlier,
                "successfulRuns": summary.successful,
                "runningTime": run.this,
                "medianRunningTime": run.median,
                "ratio": run.ratio,
            },
            source=(
                f"ListJobInfos: the same {'SQL signature' if by == 'signature' else 'node'}"
                f"{where}, {HISTORY_DAYS} days before it (as maxjob history {job.instance_id})"
            ),
        )


def _stage_reason(
    job: JobInfo, stage: Stage, when: Callable[[datetime], str], now: float
) -> tuple[str, str, dict[str, Any]]:
    sub = stage.sub
    says = ""
    if sub is not None:
        code = "" if sub.code is None else f"{sub.code} "
        says = f'; the API says {code}"{_short(sub.description)}"'
    since = ""
    if stage.since is not None:
        lasted = max(now - stage.since.timestamp(), 0.0)
        since = f" since {when(stage.since)}"
        if stage.name != FINISHED:
            since += f" (for {duration(round(lasted))})"
    if stage.name == FINISHED:
        outcome = job.outcome.value if job.outcome else "ended"
        ended = f" at {when(stage.since)}" if stage.since else ""
        total = job_figures(job, precise=False).total
        after = f", after {duration(total)} in all" if total is not None else ""
        text = f"Finished: {outcome}{ended}{after}{says}."
    else:
        reading = READINGS[stage.name]
        text = f"Stage: {stage.name}{since}{says}, which maxjob reads as {reading}."
    evidence = {
        "status": job.status,
        "substatus": None
        if sub is None
        else {"code": sub.code, "description": sub.description, "startTime": sub.start_time_raw},
        "reading": READINGS[stage.name],
    }
    return "stage", text, evidence


def _short(text: str | None, limit: int = 120) -> str:
    """Server text trimmed and cut for a sentence (sanitised where it is shown)."""
    value = (text or "").strip()
    return value if len(value) <= limit else value[:limit] + "…"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _names(entries: list[Any], most: int = 3, *, priorities: bool = True) -> str:
    shown = []
    for entry in entries[:most]:
        job = entry.job
        detail = f"priority {job.priority}" if job.priority is not None and priorities else ""
        shown.append(f"{_short(job.instance_id)}" + (f", {detail}" if detail else ""))
    more = f", and {len(entries) - most} more" if len(entries) > most else ""
    return "; ".join(shown) + more


def _ahead_json(job: QuotaJob, why: str) -> dict[str, Any]:
    return {
        "instanceId": job.instance_id,
        "priority": job.priority,
        "submittedAtTime": job.raw.get("submittedAtTime"),
        "jobOwner": job.owner,
        "cpuRequest": job.cpu_request,
        "why": why,
    }


def _consumer_json(job: QuotaJob) -> dict[str, Any]:
    return {
        "instanceId": job.instance_id,
        "jobOwner": job.owner,
        "project": job.project,
        "cpuUsage": job.cpu_usage,
        "memoryUsage": job.memory_usage,
        "runningTime": job.ran,
        "cuSnapshot": job.cu_snapshot,
    }


def explain(client: MaxComputeClient, job: JobInfo, *, now: float, utc: bool = True) -> Explanation:
    """Why `job` is where it is, asking the API for what each stage needs."""
    return Gatherer(client, job, now=now, utc=utc).explain()
