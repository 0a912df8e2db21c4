"""Each MaxCompute OpenAPI operation maxjob calls, as a value.

An `Operation` says everything the call path needs and nothing about how it is sent: the action
and version headers, method, path (already percent-encoded), query, JSON body bytes, the RAM action
that permits it, how to name its subject in messages, and whether it is safe to send twice.
`MaxComputeClient.call` takes it from there. Requests are as `api/OPERATIONS.md` describes them;
what rests on inference there is marked [INF] beside it here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote

from maxjob.errors import UsageError
from maxjob.protocol import UNRESERVED

PAGE_SIZE = 100
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class Operation(NamedTuple):
    """One request of the MaxCompute OpenAPI (version 2022-01-04), ready to sign and send."""

    action: str
    method: str
    path: str  # percent-encoded, exactly as sent and signed
    ram_action: str
    # The RAM resource the action applies to, for the permission hint ("*": all resources).
    ram_resource: str = "*"
    # How messages name what was asked for: "job 2023...", "quota os_bigdata".
    subject: str = ""
    query: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    # False for an operation that changes something (KillJobs): it is sent again only when the
    # connection was refused, never once the request may have reached the server.
    idempotent: bool = True
    # What `data` must be for the answer to count as a success.
    data_type: type = dict
    # A note for the permission hint (KillJobs: it cannot be scoped to a project).
    ram_note: str = ""
    # The keys to a list of objects in the answer to keep with the text they were sent as
    # (`strict_json.Verbatim`), for `-o jsonl` to write through.
    verbatim: tuple[str, ...] = ()

    @property
    def content_type(self) -> str | None:
        return JSON_CONTENT_TYPE if self.body else None


def segment(value: str) -> str:
    """Percent-encode one path segment: only `A-Z a-z 0-9 - _ . ~` stay literal. `.` and `..`
    are refused (UsageError): a URL reads them as "here" and "up", and the request would go to
    another path than the one named (`quotas/../query` is `/api/v1/query`)."""
    if value in (".", ".."):
        raise UsageError(f"{value!r} cannot be a name in a request path")
    return quote(value, safe=UNRESERVED)


def json_body(value: Any) -> bytes:
    """Compact JSON as the official SDK sends it (no spaces, UTF-8 text not escaped)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def get_job_info(instance_id: str) -> Operation:
    return Operation(
        action="GetJobInfo",
        method="GET",
        path=f"/api/v1/jobs/{segment(instance_id)}/info",
        ram_action="odps:GetJobInfo",
        ram_resource=f"job/{instance_id} (or job/*)",
        subject=f"job {instance_id}",
    )


def list_job_infos(
    filters: Mapping[str, Any],
    *,
    page_number: int,
    page_size: int = PAGE_SIZE,
    verbatim: bool = False,
) -> Operation:
    """One page of ListJobInfos. `filters` is the JSON body (`from` and `to` required);
    `verbatim`: the jobs keep the text they were sent as."""
    return Operation(
        action="ListJobInfos",
        method="POST",
        path="/api/v1/jobs",
        ram_action="odps:ListJobInfos",
        subject="the job list",
        query=(("pageNumber", str(page_number)), ("pageSize", str(page_size))),
        body=json_body(dict(filters)),
        verbatim=("data", "jobInfoList") if verbatim else (),
    )


def list_job_snapshot_infos(
    filters: Mapping[str, Any], *, page_number: int, page_size: int = PAGE_SIZE
) -> Operation:
    """One page of ListJobSnapshotInfos. `filters["to"]` is the snapshot time."""
    quota = filters.get("quotaNickname")
    return Operation(
        action="ListJobSnapshotInfos",
        method="POST",
        path="/api/v1/jobs/snapshot",
        ram_action="odps:ListJobSnapshotInfos",
        subject=f"the snapshot of quota {quota}" if quota else "the job snapshot",
        query=(("pageNumber", str(page_number)), ("pageSize", str(page_size))),
        body=json_body(dict(filters)),
    )


def get_running_jobs(
    *,
    quota_nicknames: Sequence[str] = (),
    job_owners: Sequence[str] = (),
    page_number: int = 1,
    page_size: int = PAGE_SIZE,
) -> Operation:
    """One page of GetRunningJobs. List parameters go comma-joined in one query value [SDK]."""
    query = [("pageNumber", str(page_number)), ("pageSize", str(page_size))]
    if quota_nicknames:
        query.append(("quotaNicknameList", ",".join(quota_nicknames)))
    if job_owners:
        query.append(("jobOwnerList", ",".join(job_owners)))
    return Operation(
        action="GetRunningJobs",
        method="GET",
        path="/api/v1/jobs/runningJobs",
        ram_action="odps:GetRunningJobs",
        subject="the running jobs",
        query=tuple(query),
    )


def kill_jobs(instance_id: str, project: str) -> Operation:
    """KillJobs for one job: the body is exactly `[{"instanceId": ..., "projectName": ...}]`."""
    return Operation(
        action="KillJobs",
        method="POST",
        path="/api/v1/jobs/kill",
        ram_action="odps:KillJobs",
        subject=f"job {instance_id}",
        body=json_body([{"instanceId": instance_id, "projectName": project}]),
        idempotent=False,
        data_type=object,
        ram_note="it applies to every project of the account (RAM cannot scope it to one)",
    )


def query_quota(nickname: str) -> Operation:
    """QueryQuota of a level-1 quota (its sub-quotas included)."""
    return Operation(
        action="QueryQuota",
        method="GET",
        path=f"/api/v1/quotas/{segment(nickname)}/query",
        ram_action="odps:QueryQuota",
        ram_resource=f"quotas/{nickname}",
        subject=f"quota {nickname}",
    )


def list_quotas(*, marker: str | None = None, max_item: int = PAGE_SIZE) -> Operation:
    """One page of ListQuotas; the next page starts at the answer's `marker`/`NextToken`."""
    query = [("maxItem", str(max_item))]
    if marker:
        query.append(("marker", marker))
    return Operation(
        action="ListQuotas",
        method="GET",
        path="/api/v1/quotas",
        ram_action="odps:ListQuotas",
        ram_resource="quotas/*",
        subject="the quota list",
        query=tuple(query),
    )
