"""The emulator's built-in jobs: the documented sample, finished, failed and scripted ones.

A job is `{"instanceId": ..., "data": {...}}` (served as it is) or a script replayed from the
job's first poll: `{"idPrefix": ..., "script": [{"at": seconds, "status", "code", "description"}],
"base": {...}, "final": {...}, "faults": [...]}`. `faults` entries apply to the polls they name
(`"polls": [2, 3]` or `"first": 2`) and give a `status` and `code` (gateway shape, or
`"shape": "service"`), `headers`, a raw `body`, a `delay` in seconds, or `"reset": true`.
"""

from __future__ import annotations

from typing import Any

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
    {
        "instanceId": "cancelled",
        "data": {**FINISHED_DATA, "instanceId": "cancelled", "status": "cancelled"},
    },
    {
        "instanceId": "running",
        "data": {
            **SAMPLE_DATA,
            "instanceId": "running",
            "endAtTime": None,
            "totalTime": None,
            "cuUsage": None,
            "memoryUsage": None,
        },
    },
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
]
