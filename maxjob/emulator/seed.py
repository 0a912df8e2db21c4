"""The emulator's seed: built-in jobs and quotas, in the jobs-file format (see `maxjob.emulator`).

Three kinds of jobs: the documented sample and two finished jobs with fixed times (tests pin them);
scripted jobs whose id starts with a prefix (`progress-`, `kill-`, ...), replayed from their first
reference; and the stories, anchored at the server's start (`"anchor": "start"`, event times in
seconds before it), so that `maxjob list --since 1h` finds them whenever the server started.
The stories share quotas, projects and signatures, and every operation sees the same jobs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from maxjob.emulator.jobs import substatus_time

# The documented sample response's `data`, as the API reference prints it (trailing newlines and
# a leading tab included: they are part of what clients must cope with).
SAMPLE_DATA: dict[str, Any] = {
    "tenantId": "4784****5249",
    "region": "cn-shanghai",
    "instanceId": "20230410****60gg",
    "jobOwner": "ALIYUN$7632***@aliyun.com\n",
    "project": "dp_cdm_prod",
    "jobType": "SQL\n",
    "priority": 1,
    "status": "running",
    "quotaNickname": "os_bigdata",
    "quotaType": "subscription",
    "cuUsage": 10,
    "memoryUsage": 40,
    "submittedAtTime": 1672112013,
    "waitingTime": 100,
    "runningAtTime": 1672112113,
    "runningTime": 800,
    "endAtTime": 1672112913,
    "totalTime": 900,
    "signature": "20c1efb4a7caca1865f4aa784bb500efae74af04",
    "extPlantFrom": "platform_3",
    "extNodeId": "node_4",
    "extNodeOnDuty": "duty_2",
    "inputBytes": 1234,
    "sceneResults": [
        {
            "sceneTag": "SubscriptionLackResource",
            "scene": "LackResource",
            "type": "warning",
            "summary": "\t\nInsufficient computing resources available for the job. "
            "Click to view details.",
            "description": "This job uses annual and monthly computing resources. It may be that "
            "the job is waiting for resources due to the large amount of overall job running "
            "data, many resources requested, and low job priority. Please go to Resource "
            "Consumption to view the specific situation. You can also go to Cost Optimization "
            "to see if you need to adjust resource configuration.",
            "params": {"key": '"jobinsight_data_skew_node": "Worker M1#10000_0"\n'},
        }
    ],
    "jobSubStatusList": [
        {
            "code": 1010,
            "startTime": "2025-03-05 00:04:15.717364 +0800",
            "description": "Waiting for scheduling",
        }
    ],
}

FINISHED_DATA: dict[str, Any] = {
    "tenantId": "4784****5249",
    "region": "cn-hangzhou",
    "instanceId": "finished",
    "jobOwner": "ALIYUN$etl-bot@example.com",
    "project": "sales_dw",
    "jobType": "SQL",
    "priority": 3,
    "status": "terminated",
    "quotaNickname": "etl_payg",
    "quotaType": "payasyougo",
    "cuUsage": 864,
    "memoryUsage": 7372800,
    "submittedAtTime": 1764460800,
    "waitingTime": 42,
    "runningAtTime": 1764460842,
    "runningTime": 3683,
    "endAtTime": 1764464525,
    "totalTime": 3725,
    "signature": "7c4a8d09ca3762af61e59520943dc26494f8941b",
    "extPlantFrom": "DataWorks",
    "extNodeId": "700012345678",
    "extNodeOnDuty": "1234567890123456",
    "inputBytes": 5497558138880,
    "sceneResults": [],
    "jobSubStatusList": [
        {
            "code": 1010,
            "startTime": "2025-11-30 08:00:00.120000 +0800",
            "description": "Waiting for scheduling",
        },
        {"code": 1220, "startTime": "2025-11-30 08:00:03.500000 +0800", "description": "Compiling"},
        {
            "code": 1230,
            "startTime": "2025-11-30 08:00:05.000000 +0800",
            "description": "Optimizing",
        },
        {
            "code": 1011,
            "startTime": "2025-11-30 08:00:09.250000 +0800",
            "description": "Waiting for cluster resource",
        },
        {
            "code": 1032,
            "startTime": "2025-11-30 08:00:42.000000 +0800",
            "description": "Task executing",
        },
        {"code": 1055, "startTime": "2025-11-30 09:02:05.000000 +0800", "description": "Succeeded"},
    ],
}

FAILED_DATA: dict[str, Any] = {
    "tenantId": "4784****5249",
    "region": "cn-hangzhou",
    "instanceId": "failed",
    "jobOwner": "RAM$analyst@example.com",
    "project": "sales_dw",
    "jobType": "SQL",
    "priority": 9,
    "status": "failed",
    "quotaNickname": "adhoc",
    "quotaType": "subscription",
    "cuUsage": 36,
    "memoryUsage": 921600,
    "submittedAtTime": 1764468000,
    "waitingTime": 1260,
    "runningAtTime": 1764469260,
    "runningTime": 311,
    "endAtTime": 1764469571,
    "totalTime": 1571,
    "signature": "0b3f5d6a1e7c9b2d4f6a8c0e1b3d5f7a9c1e3b5d",
    "inputBytes": 1288490188.8,
    "sceneResults": [
        {
            "sceneTag": "SubscriptionLackResource",
            "scene": "LackResource",
            "type": "warning",
            "summary": "Insufficient computing resources available for the job.",
            "description": "The job waited 21 minutes for quota adhoc: raise its priority or "
            "move it to a quota with spare resources.",
        },
        {
            "sceneTag": "DataSkew",
            "scene": "DataSkew",
            "type": "critical",
            "summary": "Data skew detected in the join stage.",
            "description": "One worker read 40 times the median input.",
            "params": {"jobinsight_data_skew_node": "Worker J3_1_2#17_0"},
        },
    ],
    "jobSubStatusList": [
        {
            "code": 1010,
            "startTime": "2025-11-30 10:00:00.000000 +0800",
            "description": "Waiting for scheduling",
        },
        {
            "code": 1011,
            "startTime": "2025-11-30 10:00:04.000000 +0800",
            "description": "Waiting for cluster resource",
        },
        {
            "code": 1032,
            "startTime": "2025-11-30 10:21:00.000000 +0800",
            "description": "Task executing",
        },
        {"code": 1054, "startTime": "2025-11-30 10:26:11.000000 +0800", "description": "Failed"},
    ],
}

_RUNNING_BASE: dict[str, Any] = {
    "project": "demo_project",
    "jobOwner": "ALIYUN$demo@example.com",
    "jobType": "SQL",
    "priority": 3,
    "quotaNickname": "demo_quota",
    "quotaType": "subscription",
    "region": "cn-hangzhou",
    "tenantId": "emulator",
    "signature": "5d41402abc4b2a76b9719d911017c592ae3b1a2c",
}
_FINAL_USAGE: dict[str, Any] = {"cuUsage": 12, "memoryUsage": 65536, "inputBytes": 3221225472}


def progression(prefix: str, outcome: str, *, scale: float = 1.0) -> dict[str, Any]:
    """A job that waits, runs, and ends with `outcome` (succeeded, failed or cancelled)."""
    end_code, end_text, status = {
        "succeeded": (1055, "Succeeded", "terminated"),
        "failed": (1054, "Failed", "terminated"),
        "cancelled": (1056, "Cancelled", "terminated"),
    }[outcome]
    steps = [
        (0.0, "waiting", 1010, "Waiting for scheduling"),
        (1.0, "waiting", 1011, "Waiting for cluster resource"),
        (2.0, "running", 1220, "Compiling"),
        (2.5, "running", 1032, "Task executing"),
        (4.0, status, end_code, end_text),
    ]
    script: list[dict[str, Any]] = [
        {"at": at * scale, "status": s, "code": c, "description": d} for at, s, c, d in steps
    ]
    if outcome == "failed":
        script[-1]["sceneResults"] = [
            {
                "sceneTag": "TaskFailed",
                "scene": "JobFailed",
                "type": "critical",
                "summary": "The job failed in stage M1.",
                "description": "ODPS-0123131: User defined function exception.",
            }
        ]
    return {"idPrefix": prefix, "script": script, "base": _RUNNING_BASE, "final": _FINAL_USAGE}


def demo_job() -> dict[str, Any]:
    """The job `maxjob demo` watches: about ten seconds from submission to success."""
    script = [
        {"at": 0.0, "status": "waiting", "code": 1010, "description": "Waiting for scheduling"},
        {"at": 1.2, "status": "waiting", "code": 1220, "description": "Compiling"},
        {"at": 2.0, "status": "waiting", "code": 1230, "description": "Optimizing"},
        {
            "at": 2.8,
            "status": "waiting",
            "code": 1011,
            "description": "Waiting for cluster resource",
            "sceneResults": [
                {
                    "sceneTag": "SubscriptionLackResource",
                    "scene": "LackResource",
                    "type": "warning",
                    "summary": "Insufficient computing resources available for the job.",
                    "description": "Quota demo_quota is busy; the job waits for free resources.",
                }
            ],
        },
        {"at": 5.0, "status": "running", "code": 1032, "description": "Task executing"},
        {"at": 9.5, "status": "terminated", "code": 1055, "description": "Succeeded"},
    ]
    return {"idPrefix": "demo-", "script": script, "base": _RUNNING_BASE, "final": _FINAL_USAGE}


TENANT = "4784****5249"
GIB = 1 << 30
HOUR, DAY = 3600, 86400
# Substatuses of a finished run, by outcome: the status and the last substatus agree, so that
# ListJobInfos (which has no substatuses) tells the outcome too.
OUTCOMES: dict[str, tuple[str, int, str]] = {
    "success": ("success", 1055, "Succeeded"),
    "failed": ("failed", 1054, "Failed"),
    "cancelled": ("cancelled", 1056, "Cancelled"),
}

BIGDATA: dict[str, Any] = {
    "tenantId": TENANT,
    "region": "cn-hangzhou",
    "project": "dp_cdm_prod",
    "jobType": "SQL",
    "quotaNickname": "os_bigdata",
    "quotaType": "subscription",
    "sceneResults": [],
}
PAYG: dict[str, Any] = {
    **BIGDATA,
    "project": "sales_dw",
    "quotaNickname": "etl_payg",
    "quotaType": "payasyougo",
}
RESTRICTED: dict[str, Any] = {**BIGDATA, "project": "finance_dw", "quotaNickname": "os_restricted"}
DEMO: dict[str, Any] = {**_RUNNING_BASE, "tenantId": TENANT, "sceneResults": []}


def story(
    instance_id: str,
    base: dict[str, Any],
    *,
    submitted: float,
    wait: float | None,
    run: float | None = None,
    outcome: str = "success",
    resources: dict[str, float] | None = None,
    list_fields: dict[str, Any] | None = None,
    banner: bool = True,
) -> dict[str, Any]:
    """A job anchored at the server's start, submitted `submitted` seconds before it.

    It waits `wait` seconds (None: it is still waiting for resources), then runs `run` seconds
    (None: it is still running) and ends with `outcome`. Its usage is what its resources used
    over its running time (cuUsage in 100 core-seconds, memoryUsage in MB-seconds).
    """
    at = -submitted
    events: list[dict[str, Any]] = [
        {"at": at, "status": "waiting", "code": 1010, "description": "Waiting for scheduling"},
        {"at": at + 1, "status": "waiting", "code": 1220, "description": "Compiling"},
        {"at": at + 3, "status": "waiting", "code": 1230, "description": "Optimizing"},
    ]
    if wait is None or wait > 6:
        events.append(
            {
                "at": at + 5,
                "status": "waiting",
                "code": 1011,
                "description": "Waiting for cluster resource",
            }
        )
    spec: dict[str, Any] = {
        "instanceId": instance_id,
        "anchor": "start",
        "base": base,
        "script": events,
        "resources": {
            "cpuRequest": 20,
            "cpuUsage": 16,
            "memoryRequest": 81920,
            "memoryUsage": 65536,
            "progress": 0.5,
            **(resources or {}),
        },
        "listFields": list_fields or {},
    }
    if not banner:
        spec["banner"] = False
    if wait is None:
        return spec
    events.append(
        {"at": at + wait, "status": "running", "code": 1032, "description": "Task executing"}
    )
    if run is None:
        return spec
    status, code, text = OUTCOMES[outcome]
    events.append({"at": at + wait + run, "status": status, "code": code, "description": text})
    used = spec["resources"]
    spec["final"] = {
        "cuUsage": round(used["cpuUsage"] * run / 100),
        "memoryUsage": int(used["memoryUsage"] * run),
    }
    return spec


def _bigdata(owner: str, priority: int, signature: str) -> dict[str, Any]:
    return {
        **BIGDATA,
        "jobOwner": owner,
        "priority": priority,
        "signature": signature,
        "inputBytes": 64 * GIB,
    }


def _quota_story() -> list[dict[str, Any]]:
    """os_bigdata (Fifo, maxCU 200): four running jobs use 196 cores; five wait, `queued` third."""
    etl, ml, bi = "ALIYUN$etl-bot@example.com", "RAM$ml-team@example.com", "RAM$bi@example.com"
    analyst = "RAM$analyst@example.com"

    def cores(used: float, asked: float) -> dict[str, float]:
        return {
            "cpuUsage": used,
            "cpuRequest": asked,
            "memoryUsage": used * 4096,
            "memoryRequest": asked * 4096,
        }

    running_base = {
        **_bigdata("ALIYUN$7632***@aliyun.com", 1, SAMPLE_DATA["signature"]),
        "extPlantFrom": "platform_3",
        "extNodeId": "node_4",
        "extNodeOnDuty": "duty_2",
    }
    return [
        story(
            "bd-etl-nightly",
            _bigdata(etl, 1, "9f2c" * 10),
            submitted=2 * HOUR + 600,
            wait=300,
            resources={**cores(90, 100), "progress": 0.8},
        ),
        story(
            "bd-feature-backfill",
            _bigdata(ml, 3, "3b7a" * 10),
            submitted=55 * 60,
            wait=280,
            resources={**cores(60, 64), "progress": 0.4},
        ),
        story(
            "running",
            running_base,
            submitted=25 * 60,
            wait=300,
            resources={**cores(30, 40), "progress": 0.3},
        ),
        story(
            "bd-report-daily",
            _bigdata(bi, 5, "77e1" * 10),
            submitted=13 * 60,
            wait=60,
            resources={**cores(16, 16), "progress": 0.2},
        ),
        story(
            "bd-urgent-fix",
            _bigdata(etl, 0, "0c0c" * 10),
            submitted=3 * 60,
            wait=None,
            resources=cores(0, 32),
        ),
        story(
            "bd-early-batch",
            _bigdata(bi, 3, "e4a1" * 10),
            submitted=12 * 60,
            wait=None,
            resources=cores(0, 24),
        ),
        story(
            "queued",
            _bigdata(analyst, 3, "51de" * 10),
            submitted=7 * 60,
            wait=None,
            resources=cores(0, 48),
        ),
        story(
            "bd-late-adhoc",
            _bigdata(analyst, 3, "a9d0" * 10),
            submitted=2 * 60 - 30,
            wait=None,
            resources=cores(0, 8),
        ),
        story(
            "bd-low-prio",
            _bigdata(ml, 7, "d3f7" * 10),
            submitted=20 * 60,
            wait=None,
            resources=cores(0, 64),
        ),
    ]


def _other_quota_stories() -> list[dict[str, Any]]:
    """Pay-as-you-go etl_payg, snapshot-refused os_restricted, the killable jobs, `cancelled`."""
    etl, fin = "ALIYUN$etl-bot@example.com", "RAM$finance@example.com"
    payg = {**PAYG, "jobOwner": etl, "priority": 3, "inputBytes": 200 * GIB}
    restricted = {**RESTRICTED, "jobOwner": fin, "priority": 2, "inputBytes": 8 * GIB}
    return [
        story(
            "payg-running",
            {**payg, "signature": "6b1e" * 10},
            submitted=30 * 60,
            wait=20,
            resources={"cpuUsage": 40, "cpuRequest": 50},
        ),
        story("payg-waiting", {**payg, "signature": "2f9d" * 10}, submitted=4 * 60, wait=None),
        story(
            "payg-done", {**payg, "signature": "c5a2" * 10}, submitted=50 * 60, wait=15, run=25 * 60
        ),
        story(
            "restricted-running",
            {**restricted, "signature": "8e8e" * 10},
            submitted=40 * 60,
            wait=30,
            resources={"cpuUsage": 24, "cpuRequest": 24},
        ),
        story(
            "restricted-queued",
            {**restricted, "signature": "4d4d" * 10},
            submitted=6 * 60,
            wait=None,
        ),
        story(
            "killable", {**DEMO, "jobOwner": "ALIYUN$demo@example.com"}, submitted=10 * 60, wait=40
        ),
        story(
            "cancelled",
            {
                **PAYG,
                "quotaNickname": "adhoc",
                "quotaType": "subscription",
                "jobOwner": "RAM$analyst@example.com",
                "priority": 9,
                "signature": "0b3f5d6a1e7c9b2d4f6a8c0e1b3d5f7a9c1e3b5d",
                "inputBytes": 3 * GIB,
            },
            submitted=3 * HOUR,
            wait=20,
            run=6 * 60,
            outcome="cancelled",
        ),
    ]


SKEW_DIAGNOSIS: list[dict[str, Any]] = [
    {
        "sceneTag": "DataSkew",
        "scene": "DataSkew",
        "type": "critical",
        "summary": "Data skew detected in the join stage.",
        "description": "One worker read 40 times the median input.",
        "params": {"jobinsight_data_skew_node": "Worker J2_1#3_0"},
    }
]


def _runs(
    name: str,
    signature: str,
    node: str,
    newest: tuple[float, float, float],
    earlier: Sequence[tuple[float, float, float, str]],
    *,
    project: str = "sales_dw",
    days_ago: int = 0,
) -> list[dict[str, Any]]:
    """A recurring job: its newest run `name`, finished 40 minutes (and `days_ago`) before the
    start, and earlier runs `name-rNN` a day apart before it.

    A run is (wait s, run s, input GiB[, outcome])."""
    base = {
        **BIGDATA,
        "project": project,
        "jobOwner": "ALIYUN$etl-bot@example.com",
        "priority": 3,
        "signature": signature,
        "extPlantFrom": "DataWorks",
        "extNodeId": node,
        "extNodeOnDuty": "1234567890123456",
    }
    fields = {"extPlatformId": "dataworks", "extNodeName": f"{name.replace('-', '_')}_di"}
    wait, run, gib = newest
    submitted = 40 * 60 + wait + run + days_ago * DAY
    jobs = [
        story(
            name,
            {**base, "inputBytes": round(gib * GIB)},
            submitted=submitted,
            wait=wait,
            run=run,
            resources={"cpuUsage": 32, "cpuRequest": 32},
            list_fields=fields,
        )
    ]
    for day, (wait, run, gib, outcome) in enumerate(earlier, start=1):
        run_spec = story(
            f"{name}-r{day:02d}",
            {**base, "inputBytes": round(gib * GIB)},
            submitted=submitted + day * DAY,
            wait=wait,
            run=run,
            outcome=outcome,
            resources={"cpuUsage": 32, "cpuRequest": 32},
            list_fields=fields,
            banner=False,
        )
        if outcome == "failed":
            # A diagnosis, made the day after the run (OPERATIONS §8.5), for `list --diag`.
            run_spec["script"][-1]["sceneResults"] = SKEW_DIAGNOSIS
        jobs.append(run_spec)
    return jobs


def _history_stories() -> list[dict[str, Any]]:
    """hist-steady, hist-regressed, hist-grew, hist-few: see the package docstring."""
    ok = "success"
    steady_runs = [
        (35 + 3 * i, (11 + (i * 7) % 3) * 60 + 10 * i, 20 + (i % 3) * 0.3, ok) for i in range(12)
    ]
    steady_runs[3] = (40, 5 * 60, 20.1, "failed")
    steady_runs[6] = (30, 3 * 60, 20.0, "cancelled")
    regressed_runs = [
        (30 + 2 * i, (12 * 60) + (i % 3 - 1) * 45, 40 + (i % 2), ok) for i in range(9)
    ]
    grew_runs = [(25, (28 - 2 * i) * 60, 28 - 2 * i, ok) for i in range(8)]
    return [
        *_runs(
            "hist-steady",
            "f1e2d3c4b5a6978812345678abcdef0123456789",
            "700000000101",
            (40, 12 * 60 + 10, 20.2),
            steady_runs,
        ),
        *_runs(
            "hist-regressed",
            "a5b4c3d2e1f00918273645546372819aabbccdde",
            "700000000102",
            (35, 41 * 60, 44.0),
            regressed_runs,
        ),
        *_runs(
            "hist-grew",
            "i094KijGrN3kOXZ74kbexB77XQY=",
            "700000000103",
            (25, 30 * 60, 30.0),
            grew_runs,
        ),
        *_runs(
            "hist-few",
            "0d1e2f3a4b5c6d7e8f9001122334455667788990",
            "700000000104",
            (20, 8 * 60, 5.0),
            [(20, 7 * 60, 5.0, ok)],
        ),
        # The same SQL in a development project: found only when history widens to all projects.
        *_runs(
            "hist-steady-dev",
            "f1e2d3c4b5a6978812345678abcdef0123456789",
            "700000000901",
            (30, 11 * 60, 19.8),
            [],
            project="sales_dw_dev",
            days_ago=2,
        ),
    ]


def _prefixed_running(prefix: str, **extra: Any) -> dict[str, Any]:
    """A job that has been running for a minute when first referenced, until it is killed."""
    script = [
        {"at": -60, "status": "waiting", "code": 1010, "description": "Waiting for scheduling"},
        {"at": -58, "status": "waiting", "code": 1220, "description": "Compiling"},
        {"at": -50, "status": "running", "code": 1032, "description": "Task executing"},
    ]
    return {"idPrefix": prefix, "script": script, "base": DEMO, **extra}


BUILTIN_JOBS: list[dict[str, Any]] = [
    {
        "instanceId": "20230410****60gg",
        "data": SAMPLE_DATA,
        # The documented sample fills errorCode/errorMsg on a success; clients must not mind.
        "errorCode": "OBJECT_NOT_EXIST",
        "errorMsg": "This object does not exist.",
    },
    {"instanceId": "sample", "data": {**SAMPLE_DATA, "instanceId": "sample"}},
    {"instanceId": "finished", "data": FINISHED_DATA},
    {"instanceId": "failed", "data": FAILED_DATA},
    *_quota_story(),
    *_other_quota_stories(),
    *_history_stories(),
    progression("progress-", "succeeded"),
    progression("progress-fail-", "failed"),
    progression("progress-cancel-", "cancelled"),
    demo_job(),
    {
        **progression("flaky-", "succeeded"),
        "faults": [{"polls": [2, 3], "status": 503, "code": "ServiceUnavailable"}],
    },
    {
        **progression("throttled-", "succeeded"),
        "faults": [
            {
                "first": 1,
                "status": 429,
                "code": "Throttling.User",
                "message": "Request was denied due to user flow control.",
                "headers": {"x-acs-retry-after": "300"},
            }
        ],
    },
    _prefixed_running("kill-"),
    _prefixed_running(
        "kill503-",
        faults=[{"operation": "KillJobs", "first": 1, "status": 503, "code": "ServiceUnavailable"}],
    ),
    _prefixed_running("killslow-", killDelay=30),
]


def _quota(
    nickname: str,
    quota_id: str,
    billing: str,
    parameter: dict[str, Any],
    subs: Sequence[tuple[str, str, dict[str, Any]]],
    *,
    denied: Sequence[str] = (),
) -> dict[str, Any]:
    """A level-1 quota as QueryQuota shows it, with its level-2 quotas (nickname, id, parameter)."""
    common = {
        "tenantId": TENANT,
        "regionId": "cn-hangzhou",
        "cluster": "AT-EMU01",
        "version": "1",
        "status": "ON",
        "tag": "",
        "groupName": "",
        "creatorId": "1248953767546358",
        "createTime": 1714356241163,
        "billingPolicy": {
            "billingMethod": billing,
            "odpsSpecCode": "OdpsStandard",
            "orderId": f"order-{quota_id}",
            "instanceId": f"order-{quota_id}",
        },
        "saleTag": {"resourceIds": [], "resourceType": "quota"},
        "scheduleInfo": {
            "currPlan": "Default",
            "currTime": "0000",
            "operatorName": "admin",
            "timezone": "UTC+8",
        },
    }
    spec: dict[str, Any] = {
        **common,
        "id": quota_id,
        "name": f"quota-{quota_id}",
        "nickName": nickname,
        "type": "FUXI_OFFLINE",
        "parentId": "0",
        "parameter": parameter,
        "subQuotaInfoList": [
            {
                **common,
                "id": sub_id,
                "name": f"quota-{sub_id}",
                "nickName": sub,
                "type": "FUXI_OFFLINE",
                "parentId": quota_id,
                "parameter": sub_parameter,
                "createTime": 1688653978768,
            }
            for sub, sub_id, sub_parameter in subs
        ],
    }
    if denied:
        spec["denied"] = list(denied)
    return spec


def _sub(min_cu: int, max_cu: int, scheduler: str, priority: bool = True) -> dict[str, Any]:
    return {
        "minCU": min_cu,
        "maxCU": max_cu,
        "elasticReservedCU": 0,
        "enablePriority": priority,
        "forceReservedMin": False,
        "schedulerType": scheduler,
        "singleJobCULimit": max_cu,
    }


SEED_QUOTAS: list[dict[str, Any]] = [
    _quota(
        "os_bigdata_p",
        "2523",
        "subscription",
        {"minCU": 300, "maxCU": 300, "adhocCU": 0, "schedulerType": "Fair"},
        [
            ("os_bigdata", "1000048", _sub(100, 200, "Fifo")),
            ("adhoc", "1000049", _sub(20, 50, "Fair", priority=False)),
            ("demo_quota", "1000050", _sub(30, 100, "Fifo")),
        ],
    ),
    _quota("etl_payg_p", "2524", "payasyougo", {}, [("etl_payg", "1000051", {})]),
    _quota(
        "os_restricted_p",
        "2525",
        "subscription",
        {"minCU": 40, "maxCU": 40, "adhocCU": 0, "schedulerType": "Fair"},
        [("os_restricted", "1000052", _sub(20, 40, "Fair"))],
        denied=["ListJobSnapshotInfos", "QueryQuota"],
    ),
]


def synthetic_jobs(count: int, start: float) -> list[dict[str, Any]]:
    """`count` finished jobs `synth-N` in project bench_project on etl_payg, for benchmarks:
    each submitted and ended between 59 and 10 minutes before `start` (so `list --since 1h` at
    the start finds them all, and no snapshot of the last minutes shows them), mostly succeeded."""
    draw = random.Random(count)
    width = len(str(count))
    owners = [f"RAM$bench-{i}@example.com" for i in range(5)]
    jobs = []
    for n in range(1, count + 1):
        submitted = int(start) - draw.randint(20 * 60, 59 * 60)
        wait = draw.randint(1, 60)
        run = draw.randint(30, max(31, int(start) - 10 * 60 - submitted - wait))
        status, code, text = OUTCOMES[draw.choices(list(OUTCOMES), (90, 7, 3))[0]]
        cores = draw.choice((4, 8, 16, 32))
        instance_id = f"synth-{n:0{width}d}"
        jobs.append(
            {
                "instanceId": instance_id,
                "banner": False,
                "resources": {"cpuUsage": cores, "cpuRequest": cores},
                "data": {
                    **PAYG,
                    "project": "bench_project",
                    "instanceId": instance_id,
                    "jobOwner": owners[n % len(owners)],
                    "priority": n % 10,
                    "status": status,
                    "signature": f"{n % 97:040x}",
                    "inputBytes": draw.randint(1, 500) * GIB // 10,
                    "cuUsage": cores * run // 100,
                    "memoryUsage": cores * 4096 * run,
                    "submittedAtTime": submitted,
                    "waitingTime": wait,
                    "runningAtTime": submitted + wait,
                    "runningTime": run,
                    "endAtTime": submitted + wait + run,
                    "totalTime": wait + run,
                    "jobSubStatusList": [
                        {
                            "code": 1010,
                            "startTime": _when(submitted),
                            "description": "Waiting for scheduling",
                        },
                        {
                            "code": 1032,
                            "startTime": _when(submitted + wait),
                            "description": "Task executing",
                        },
                        {
                            "code": code,
                            "startTime": _when(submitted + wait + run),
                            "description": text,
                        },
                    ],
                },
            }
        )
    return jobs


def _when(at: float) -> str:
    return substatus_time(at)
