"""One handler per operation: decode the request as the official SDK sends it, ask the store,
and answer in the operation's own envelope (OPERATIONS §1-4, §8).

Bad input answers ILLEGAL_ARGUMENT (400) in the service's shape. Scripted faults of a job
(`faults`, see `maxjob.emulator`) are played by GetJobInfo and KillJobs, the operations that name
a job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from maxjob.emulator.errors import EmulatorError, GatewayError, ServiceError, illegal_argument
from maxjob.emulator.gateway import (
    ACTION_GET_RUNNING_JOBS,
    ACTION_KILL_JOBS,
    ACTION_LIST_JOB_INFOS,
    ACTION_LIST_JOB_SNAPSHOT_INFOS,
    ACTION_LIST_QUOTAS,
    ACTION_QUERY_QUOTA,
)
from maxjob.emulator.jobs import Job
from maxjob.emulator.store import (
    LIST_SORT_FIELDS,
    SNAPSHOT_SORT_FIELDS,
    Filters,
    Listing,
    Page,
    Store,
)
from maxjob.protocol import ACTION_GET_JOB_INFO

MAX_LIST_PAGE_SIZE = 1000  # none is documented; this one catches a runaway client
MAX_RUNNING_PAGE_SIZE = 20  # documented for GetRunningJobs
MAX_QUOTA_ITEMS = 1000


@dataclass(frozen=True)
class Request:
    """A request the gateway let through."""

    request_id: str
    host: str
    action: str
    path_params: tuple[str, ...]
    query: Mapping[str, str]
    body: bytes


@dataclass
class Answer:
    """What to send: a JSON `document` (or `raw` bytes) after `delay` seconds, or a reset."""

    status: int = 200
    document: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False


def error_answer(
    exc: EmulatorError, request_id: str, host: str, headers: Mapping[str, str] | None = None
) -> Answer:
    """A refusal in the gateway's or the service's shape, as `exc` says."""
    document: dict[str, Any]
    if isinstance(exc, GatewayError):
        document = {
            "RequestId": request_id,
            "HostId": host,
            "Code": exc.code,
            "Message": exc.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={exc.code}",
        }
    else:
        document = {
            "requestId": request_id,
            "httpCode": exc.status,
            "errorCode": exc.code,
            "errorMsg": exc.message,
        }
    return Answer(exc.status, document, headers=dict(headers or {}))


def handle(store: Store, request: Request) -> Answer:
    """Answer a verified request; refusals come back as error answers, never exceptions."""
    try:
        return HANDLERS[request.action](store, request)
    except EmulatorError as exc:
        return error_answer(exc, request.request_id, request.host)


def _ok(request: Request, data: Any, **extra: Any) -> Answer:
    return Answer(200, {"requestId": request.request_id, "httpCode": 200, "data": data, **extra})


# -- faults -------------------------------------------------------------------------------------


def _fault(job: Job, action: str, request: Request) -> tuple[Answer | None, float]:
    """The job's scripted fault for this call of `action`, if one applies: an answer to send
    instead, or only a delay before the real answer."""
    count = job.calls[action]
    for fault in job.spec.get("faults", []):
        if fault.get("operation", ACTION_GET_JOB_INFO) != action:
            continue
        polls, first = fault.get("polls"), fault.get("first")
        if not ((polls is not None and count in polls) or (first is not None and count <= first)):
            continue
        delay = float(fault.get("delay") or 0)
        if fault.get("reset"):
            return Answer(reset=True, delay=delay), delay
        headers = {str(k): str(v) for k, v in fault.get("headers", {}).items()}
        if "body" in fault:
            status = int(fault.get("status", 200))
            raw = str(fault["body"]).encode()
            return Answer(status, raw=raw, headers=headers, delay=delay), delay
        if "status" not in fault:
            return None, delay
        status, code = int(fault["status"]), str(fault.get("code", "ServiceUnavailable"))
        message = str(fault.get("message", "The request has failed due to a temporary failure."))
        exc: EmulatorError = (
            ServiceError(status, code, message)
            if fault.get("shape") == "service"
            else GatewayError(status, code, message)
        )
        answer = error_answer(exc, request.request_id, request.host, headers)
        answer.delay = delay
        return answer, delay
    return None, 0.0


# -- decoding -----------------------------------------------------------------------------------


def _body_json(request: Request) -> Any:
    try:
        return json.loads(request.body.decode("utf-8")) if request.body else None
    except (UnicodeDecodeError, ValueError):
        raise illegal_argument("The request body is not valid JSON.") from None


def _body_object(request: Request) -> dict[str, Any]:
    body = _body_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise illegal_argument("The request body must be a JSON object.")
    return body


def _integer(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise illegal_argument(f"{name} must be an integer, not {value!r}.")


def _required_int(source: Mapping[str, Any], name: str) -> int:
    if source.get(name) in (None, ""):
        raise illegal_argument(f"{name} is required.")
    return _integer(source[name], name)


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    value = default if raw in (None, "") else _integer(raw, name)
    if not low <= value <= high:
        raise illegal_argument(f"{name} must be between {low} and {high}, not {value}.")
    return value


def _texts(
    body: Mapping[str, Any], name: str, fold: Callable[[str], str] = str.strip
) -> frozenset[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise illegal_argument(f"{name} must be a list of strings.")
    return frozenset(fold(v) for v in value)


def _filters(body: Mapping[str, Any]) -> Filters:
    priorities = body.get("priorityList")
    if priorities is not None and not isinstance(priorities, list):
        raise illegal_argument("priorityList must be a list of integers.")
    quota = body.get("quotaNickname")
    if quota is not None and not isinstance(quota, str):
        raise illegal_argument("quotaNickname must be one string.")
    return Filters(
        statuses=_texts(body, "statusList", lambda v: v.strip().lower()),
        types=_texts(body, "typeList", lambda v: v.strip().lower()),
        projects=_texts(body, "projectList"),
        owners=_texts(body, "jobOwnerList"),
        signatures=_texts(body, "signatureList"),
        instance_ids=_texts(body, "instanceIdList", lambda v: v),
        priorities=(
            None
            if priorities is None
            else frozenset(_integer(p, "priorityList") for p in priorities)
        ),
        quota=quota or None,
        ext_node_ids=_texts(body, "extNodeIdList"),
        ext_node_names=_texts(body, "extNodeNameList"),
        task_names=_texts(body, "taskNameList"),
        scene_tags=_texts(body, "sceneTagList"),
    )


def _sort(
    request: Request, body: Mapping[str, Any], allowed: frozenset[str]
) -> tuple[tuple[str, bool], ...]:
    """`sortByList`/`sortOrderList` of the body, else `orderColumn`/`ascOrder` of the query
    (precedence undocumented); an order left out is `desc`."""
    names = body.get("sortByList")
    orders = body.get("sortOrderList") or []
    if names is None and request.query.get("orderColumn"):
        names = [request.query["orderColumn"]]
        asc = request.query.get("ascOrder", "false").strip().lower()
        if asc not in ("true", "false"):
            raise illegal_argument("ascOrder must be true or false.")
        orders = ["asc" if asc == "true" else "desc"]
    if names is None:
        return (("submittedAtTime", True),)
    if not isinstance(names, list) or not isinstance(orders, list):
        raise illegal_argument("sortByList and sortOrderList must be lists.")
    sort = []
    for index, name in enumerate(names):
        order = str(orders[index]).lower() if index < len(orders) else "desc"
        if name not in allowed:
            raise illegal_argument(
                f"Cannot sort by {name!r}; one of: {', '.join(sorted(allowed))}."
            )
        if order not in ("asc", "desc"):
            raise illegal_argument(f"A sort order is asc or desc, not {order!r}.")
        sort.append((str(name), order == "desc"))
    return tuple(sort)


def _page_data(page: Page, number: int, size: int, key: str) -> dict[str, Any]:
    return {"totalCount": page.total, "pageNumber": number, "pageSize": size, key: page.items}


# -- the operations -----------------------------------------------------------------------------


def get_job_info(store: Store, request: Request) -> Answer:
    """GetJobInfo: the job's `data`, with the spec's `errorCode`/`errorMsg` when it sets them."""
    (instance_id,) = request.path_params
    job = store.find(instance_id, ACTION_GET_JOB_INFO)
    if job is None:
        raise ServiceError(404, "OBJECT_NOT_EXIST", f"Job {instance_id} does not exist.")
    fault, delay = _fault(job, ACTION_GET_JOB_INFO, request)
    if fault is not None:
        return fault
    extra = {k: job.spec[k] for k in ("errorCode", "errorMsg") if job.spec.get(k) is not None}
    answer = _ok(request, job.info(store.now()), **extra)
    answer.delay = delay
    return answer


def list_job_infos(store: Store, request: Request) -> Answer:
    """ListJobInfos: jobs whose lifetime overlaps [from, to], filtered, sorted and paged."""
    body = _body_object(request)
    number = _query_int(request, "pageNumber", 1, 1, 1 << 31)
    size = _query_int(request, "pageSize", 10, 1, MAX_LIST_PAGE_SIZE)
    listing = Listing(
        filters=_filters(body),
        sort=_sort(request, body, LIST_SORT_FIELDS),
        page_number=number,
        page_size=size,
        start=_required_int(body, "from"),
        end=_required_int(body, "to"),
    )
    page = store.list_jobs(listing)
    return _ok(request, _page_data(page, number, size, "jobInfoList"))


def list_job_snapshot_infos(store: Store, request: Request) -> Answer:
    """ListJobSnapshotInfos: the jobs at the snapshot at or before `to` (`from` is ignored)."""
    body = _body_object(request)
    number = _query_int(request, "pageNumber", 1, 1, 1 << 31)
    size = _query_int(request, "pageSize", 10, 1, MAX_LIST_PAGE_SIZE)
    listing = Listing(
        filters=_filters(body),
        sort=_sort(request, body, SNAPSHOT_SORT_FIELDS),
        page_number=number,
        page_size=size,
        end=_required_int(body, "to"),
    )
    page = store.snapshot(listing)
    return _ok(request, _page_data(page, number, size, "jobInfoList"))


def get_running_jobs(store: Store, request: Request) -> Answer:
    """GetRunningJobs: jobs not ended, submitted in [from, to]; list filters comma-joined."""
    number = _query_int(request, "pageNumber", 1, 1, 1 << 31)
    size = _query_int(request, "pageSize", 10, 1, MAX_RUNNING_PAGE_SIZE)

    def joined(name: str) -> frozenset[str] | None:
        value = request.query.get(name)
        return None if not value else frozenset(v.strip() for v in value.split(","))

    page = store.running_jobs(
        _required_int(request.query, "from"),
        _required_int(request.query, "to"),
        joined("jobOwnerList"),
        joined("quotaNicknameList"),
        number,
        size,
    )
    return _ok(request, _page_data(page, number, size, "runningJobInfoList"))


def kill_jobs(store: Store, request: Request) -> Answer:
    """KillJobs: the body is a JSON array of `{instanceId, projectName}`; all or nothing."""
    body = _body_json(request)
    if not isinstance(body, list) or not body:
        raise illegal_argument('The body must be a JSON array of {"instanceId", "projectName"}.')
    targets: list[tuple[Job, str]] = []
    for entry in body:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("instanceId"), str)
            and isinstance(entry.get("projectName"), str)
        ):
            raise illegal_argument('Each entry must be {"instanceId": ..., "projectName": ...}.')
        job = store.find(entry["instanceId"], ACTION_KILL_JOBS)
        if job is None:
            raise ServiceError(
                404, "OBJECT_NOT_EXIST", f"Job {entry['instanceId']} does not exist."
            )
        targets.append((job, entry["projectName"]))
    delay = 0.0
    for job, _ in targets:
        fault, more = _fault(job, ACTION_KILL_JOBS, request)
        if fault is not None:
            return fault
        delay += more
    store.kill(targets)
    answer = Answer(200, {"requestId": request.request_id, "httpCode": 200, "data": "success"})
    answer.delay = delay
    return answer


def query_quota(store: Store, request: Request) -> Answer:
    """QueryQuota: a level-1 quota with its `subQuotaInfoList` (`mock` changes nothing)."""
    (nickname,) = request.path_params
    return _ok(request, store.quotas.query(nickname))


def list_quotas(store: Store, request: Request) -> Answer:
    """ListQuotas: level-1 quotas from `marker`, `maxItem` at a time; `quotaInfoList` both at
    the top and under `data` (§8.2). `marker` and `NextToken` both give the next page's marker,
    absent (`NextToken`) or empty (`marker`) after the last page."""
    marker = request.query.get("marker", "")
    if marker and not marker.isdigit():
        raise illegal_argument(f"Unknown marker {marker!r}.")
    max_item = _query_int(request, "maxItem", 100, 1, MAX_QUOTA_ITEMS)
    quotas, following = store.quotas.page(marker, max_item, request.query.get("billingType"))
    paging: dict[str, Any] = {"marker": following, "maxItem": max_item}
    if following:
        paging["NextToken"] = following
    data = {"quotaInfoList": quotas, **paging}
    return Answer(
        200,
        {"requestId": request.request_id, "httpCode": 200, "data": data, **data},
    )


HANDLERS: dict[str, Callable[[Store, Request], Answer]] = {
    ACTION_GET_JOB_INFO: get_job_info,
    ACTION_LIST_JOB_INFOS: list_job_infos,
    ACTION_LIST_JOB_SNAPSHOT_INFOS: list_job_snapshot_infos,
    ACTION_GET_RUNNING_JOBS: get_running_jobs,
    ACTION_KILL_JOBS: kill_jobs,
    ACTION_QUERY_QUOTA: query_quota,
    ACTION_LIST_QUOTAS: list_quotas,
}
