"""`maxjob history` through the Typer app and the real client, over httpx's MockTransport: the
exact ListJobInfos body each mode sends (key, projects, windows), which runs count as earlier,
every format, and the exit statuses (0, 9, and errors)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from maxjob import session
from maxjob.api.client import MaxComputeClient
from maxjob.cli import build_app
from maxjob.cli.app import Dependencies
from maxjob.credentials import Credentials

DAY = 86400
SUBMITTED = 1796000000
SIGNATURE = "i094KijGrN3kOXZ74kbexB77XQY= /+é"  # opaque: sent back byte for byte
NODE = "700000000102"
GIB = 1024**3


def run_item(
    instance_id: str,
    days_before: float,
    *,
    run: float = 720,
    wait: float = 30,
    status: str = "success",
    project: str = "sales_dw",
    **extra: Any,
) -> dict[str, Any]:
    submitted = int(SUBMITTED - days_before * DAY)
    return {
        "instanceId": instance_id,
        "project": project,
        "status": status,
        "signature": SIGNATURE,
        "extNodeId": NODE,
        "quotaNickname": "os_bigdata",
        "priority": 3,
        "submittedAtTime": submitted,
        "runningAtTime": submitted + int(wait),
        "endAtTime": submitted + int(wait + run),
        "waitingTime": wait,
        "runningTime": run,
        "totalTime": wait + run,
        "cuUsage": 32 * run / 100,
        "inputBytes": 40 * GIB,
        **extra,
    }


THIS = run_item("this-run", 0, run=41 * 60, wait=35, inputBytes=44 * GIB)


class FakeService:
    """GetJobInfo of `jobs`, ListJobInfos over `items` (overlap with [from, to], the body's
    filters, newest first, paged); every request kept."""

    def __init__(self, items: list[dict[str, Any]], this: dict[str, Any] | None = None) -> None:
        self.items = items
        self.jobs = {"this-run": dict(this or THIS)}
        self.requests: list[httpx.Request] = []
        self.list_answer: httpx.Response | None = None

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.headers["x-acs-action"] == "ListJobInfos"
        ]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers["x-acs-action"] == "GetJobInfo":
            job_id = request.url.path.split("/")[4]
            if job_id not in self.jobs:
                return httpx.Response(
                    404,
                    json={"requestId": "r1", "errorCode": "OBJECT_NOT_EXIST", "errorMsg": "no"},
                )
            return httpx.Response(200, json={"requestId": "r2", "data": self.jobs[job_id]})
        if self.list_answer is not None:
            return self.list_answer
        body = json.loads(request.content)
        keys = {
            "signatureList": "signature",
            "extNodeIdList": "extNodeId",
            "projectList": "project",
        }
        found = [
            item
            for item in self.items
            if item["submittedAtTime"] <= body["to"]
            and item["endAtTime"] >= body["from"]
            and all(item.get(field) in body[name] for name, field in keys.items() if name in body)
        ]
        found.sort(key=lambda item: -item["submittedAtTime"])
        number, size = int(request.url.params["pageNumber"]), int(request.url.params["pageSize"])
        page = found[(number - 1) * size : number * size]
        data = {"totalCount": len(found), "pageNumber": number, "pageSize": size}
        return httpx.Response(200, json={"requestId": "r3", "data": {**data, "jobInfoList": page}})

    def invoke(self, *args: str) -> Any:
        def open_client(options: Any, streams: Any, **kwargs: Any) -> MaxComputeClient:
            settings = session.resolve_settings(options, streams)
            return MaxComputeClient(
                settings,
                Credentials("id", "the-secret"),
                transport=httpx.MockTransport(self.handler),
                sleep=lambda seconds: None,
            )

        deps = Dependencies(client_factory=open_client)
        return CliRunner().invoke(build_app(), ["history", *args, "-r", "cn-beijing"], obj=deps)


def usual(count: int = 9, **extra: Any) -> list[dict[str, Any]]:
    """`count` earlier runs a day apart of about 12 minutes, newest first."""
    return [
        run_item(f"r{n:02d}", n, run=720 + (n % 3 - 1) * 45, wait=30 + n, **extra)
        for n in range(1, count + 1)
    ]


def body(since: int, until: int, key: dict[str, Any], projects: bool = True) -> dict[str, Any]:
    expected: dict[str, Any] = {"from": since, "to": until, **key}
    if projects:
        expected["projectList"] = ["sales_dw"]
    expected["sortByList"] = ["submittedAtTime"]
    expected["sortOrderList"] = ["desc"]
    return expected


# -- the requests --------------------------------------------------------------------------------


def test_by_signature_in_the_project_over_two_windows_of_seven_days() -> None:
    service = FakeService(usual())
    result = service.invoke("this-run", "-o", "json")
    assert result.exit_code == 0, result.output
    key = {"signatureList": [SIGNATURE]}
    assert service.bodies == [
        body(SUBMITTED - 7 * DAY, SUBMITTED, key),
        body(SUBMITTED - 14 * DAY, SUBMITTED - 7 * DAY, key),
    ]
    # The signature went out exactly as it came, UTF-8 and all.
    assert SIGNATURE.encode() in service.requests[1].content
    first = service.requests[1]
    assert (first.method, first.url.path) == ("POST", "/api/v1/jobs")
    assert dict(first.url.params) == {"pageNumber": "1", "pageSize": "100"}


def test_runs_of_another_sql_or_project_are_left_out_if_the_service_ignores_a_filter() -> None:
    service = FakeService(
        [
            *usual(3),
            run_item("other-sql", 1.5, signature="another"),
            run_item("other-project", 2.5, project="elsewhere"),
        ]
    )
    service.handler = _ignoring_filters(service)  # type: ignore[method-assign]
    result = service.invoke("this-run", "-o", "json")
    assert result.exit_code == 0, result.output
    runs = [run["instanceId"] for run in json.loads(result.output)["runs"]]
    assert runs == ["r01", "r02", "r03"]


def _ignoring_filters(service: FakeService) -> Any:
    real = service.handler

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["x-acs-action"] != "ListJobInfos":
            return real(request)
        body = json.loads(request.content)
        kept = {k: v for k, v in body.items() if not k.endswith("List") or k.startswith("sort")}
        return real(
            request.__class__(
                request.method, request.url, headers=request.headers, content=json.dumps(kept)
            )
        )

    return handler


def test_by_node_all_projects_and_other_days() -> None:
    service = FakeService(usual())
    assert (
        service.invoke("this-run", "--by", "node", "--all-projects", "--days", "10").exit_code == 0
    )
    key = {"extNodeIdList": [NODE]}
    assert service.bodies == [
        body(SUBMITTED - 7 * DAY, SUBMITTED, key, projects=False),
        body(SUBMITTED - 10 * DAY, SUBMITTED - 7 * DAY, key, projects=False),
    ]
    service = FakeService(usual())
    assert service.invoke("this-run", "--days", "3").exit_code == 0
    assert service.bodies == [body(SUBMITTED - 3 * DAY, SUBMITTED, {"signatureList": [SIGNATURE]})]


def test_a_job_without_a_signature_is_compared_by_its_node() -> None:
    service = FakeService(usual(), {**THIS, "signature": ""})
    result = service.invoke("this-run", "--days", "7", "-o", "json")
    assert result.exit_code == 0, result.output
    assert service.bodies == [body(SUBMITTED - 7 * DAY, SUBMITTED, {"extNodeIdList": [NODE]})]
    assert json.loads(result.stdout)["summary"]["by"] == "node"


def test_a_job_with_neither_key_sends_no_listing_and_says_why() -> None:
    service = FakeService(usual(), {**THIS, "signature": None, "extNodeId": None})
    result = service.invoke("this-run", "--fail-over", "2")
    assert result.exit_code == 0
    assert service.bodies == []
    assert "no SQL signature and no scheduler node id" in result.stderr
    assert "--fail-over 2 not checked" in result.stderr
    # The view does not speak of "0 earlier runs" found where none was looked for.
    shown = service.invoke("this-run", "-o", "table").stdout
    assert "Earlier runs with this SQL signature in sales_dw: not looked up" in shown, shown
    assert "0 earlier runs" not in shown


def test_by_node_without_a_node_id_is_a_usage_error_and_sends_no_listing() -> None:
    service = FakeService(usual(), {**THIS, "extNodeId": ""})
    result = service.invoke("this-run", "--by", "node")
    assert result.exit_code == 2
    assert service.bodies == []
    assert "has no scheduler node id (extNodeId)" in result.stderr


def test_earlier_runs_exclude_this_run_later_runs_and_stop_at_runs() -> None:
    items = [
        {**THIS},  # this run itself, as ListJobInfos lists it
        run_item("later", -0.5),  # submitted after this run: overlaps the window, not earlier
        run_item("older-than-the-window", 14.2, run=DAY),  # ended inside it: still not in it
        *usual(12),
    ]
    service = FakeService(items)
    result = service.invoke("this-run", "--runs", "5", "-o", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert [run["instanceId"] for run in shown["runs"]] == ["r01", "r02", "r03", "r04", "r05"]
    # Five runs were found in the newest window: the older one was never asked for.
    assert len(service.bodies) == 1
    service = FakeService(items)
    shown = json.loads(service.invoke("this-run", "-o", "json").stdout)
    assert [run["instanceId"] for run in shown["runs"]] == [f"r{n:02d}" for n in range(1, 13)]


# -- the formats ---------------------------------------------------------------------------------


def test_json_has_the_job_the_runs_as_returned_and_the_numbers() -> None:
    extra = {"unknownField": {"kept": True}}
    service = FakeService([*usual(8, **extra), run_item("r09", 9, status="failed")])
    result = service.invoke("this-run", "-o", "json", "--fail-over", "2")
    assert result.exit_code == 9
    shown = json.loads(result.stdout)
    assert list(shown) == ["job", "runs", "summary"]
    assert shown["job"] == THIS
    assert shown["runs"][0] == usual(8, **extra)[0]
    summary = shown["summary"]
    assert summary["verdict"].startswith("Ran 41m 00s, 3.4x the median 12m 00s")
    assert summary["reason"] is None
    assert summary["earlierRuns"] == 9 and summary["successfulRuns"] == 8
    assert summary["outcomes"] == {"succeeded": 8, "failed": 1}
    run = summary["metrics"]["run"]
    assert run["median"] == 720 and run["p90"] == 765 and run["this"] == 2460
    assert run["ratio"] == pytest.approx(2460 / 720)
    assert summary["metrics"]["input"]["ratio"] == pytest.approx(1.1)
    units = {name: metric["unit"] for name, metric in summary["metrics"].items()}
    assert units == {
        "wait": "seconds",
        "run": "seconds",
        "total": "seconds",
        "cu": "CU-hours",
        "input": "bytes",
    }
    assert summary["failOver"] == {
        "metric": "run",
        "ratio": 2.0,
        "limit": 1440.0,
        "exceeded": True,
        "checked": True,
    }
    assert (summary["from"], summary["to"], summary["days"]) == (
        SUBMITTED - 14 * DAY,
        SUBMITTED,
        14,
    )


def test_jsonl_is_one_item_a_line_and_the_verdict_goes_to_stderr() -> None:
    service = FakeService(usual(4))
    result = service.invoke("this-run", "-o", "jsonl")
    assert result.exit_code == 0
    assert [json.loads(line) for line in result.stdout.splitlines()] == usual(4)
    assert result.stderr.startswith("maxjob: ran 41m 00s, 3.4x the median")
    filtered = service.invoke("this-run", "-o", "jsonl", "--jq", ".instanceId")
    assert filtered.stdout.splitlines() == ["r01", "r02", "r03", "r04"]


def test_jq_filters_the_whole_object() -> None:
    result = FakeService(usual()).invoke("this-run", "--jq", ".summary.metrics.run.median")
    assert result.exit_code == 0
    assert result.stdout == "720\n"


def test_plain_is_tab_separated_this_run_first() -> None:
    result = FakeService(usual(3)).invoke("this-run")
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [row[:2] for row in rows] == [["this-run", "this"]] + [
        [f"r{n:02d}", "earlier"] for n in (1, 2, 3)
    ]
    assert rows[0][4:7] == ["35", "2460", "2495"]
    assert "maxjob: ran 41m 00s" in result.stderr


def test_csv_parses_with_a_header() -> None:
    result = FakeService(usual(3)).invoke("this-run", "-o", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [(r["instanceId"], r["run"], r["outcome"]) for r in rows] == [
        ("this-run", "this", "succeeded"),
        ("r01", "earlier", "succeeded"),
        ("r02", "earlier", "succeeded"),
        ("r03", "earlier", "succeeded"),
    ]
    assert rows[1]["runningTime"] == "720" and rows[1]["quotaNickname"] == "os_bigdata"


def test_markdown_has_the_verdict_and_a_row_per_run() -> None:
    result = FakeService(usual(3)).invoke("this-run", "-o", "markdown")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "### maxjob history this\\-run"
    assert lines[2].startswith("**Ran 41m 00s, 3.4x the median 12m 00s")
    rows = [line for line in lines if line.startswith("| ")]
    assert len(rows) == 2 + 4
    assert rows[2].startswith("| **this run** |")
    assert result.stderr == ""


def test_the_table_view_in_a_pipe() -> None:
    result = FakeService(usual(3)).invoke("this-run", "-o", "table")
    assert result.exit_code == 0
    assert "Ran 41m 00s, 3.4x the median 12m 00s" in result.stdout
    assert "total time  " in result.stdout and "◂ this run 41m 35s" in result.stdout


def test_formats_not_for_history_are_refused() -> None:
    result = FakeService(usual()).invoke("this-run", "-o", "timeline")
    assert result.exit_code == 2


# -- the exit statuses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--fail-over", "2"], 9, "over --fail-over 2 (limit 24m 00s)"),
        (["--fail-over", "3.5"], 0, "within --fail-over 3.5"),
        (["--fail-over", "2", "--metric", "wait"], 0, "waiting time 35s is 1.0x the median"),
        (["--fail-over", "2", "--metric", "total"], 9, "total time 41m 35s"),
        (["--fail-over", "3", "--metric", "cu"], 9, "CU usage 21.87 CU-hours is 3.4x"),
        ([], 0, "maxjob: ran 41m 00s"),
    ],
)
def test_fail_over_exits_9_only_when_over(args: list[str], code: int, said: str) -> None:
    result = FakeService(usual()).invoke("this-run", *args)
    assert result.exit_code == code, result.output
    assert said in result.stderr


def test_too_few_runs_exit_0_and_say_why_on_stderr() -> None:
    service = FakeService([run_item("r01", 1), run_item("r02", 2, status="cancelled")])
    result = service.invoke("this-run", "--fail-over", "1.1", "-o", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["verdict"] is None
    assert result.stderr == (
        "maxjob: --fail-over 1.1 not checked: only 1 earlier successful run of 2: too few to "
        "compare (at least 3 needed)\n"
    )


def test_errors_exit_with_their_status() -> None:
    service = FakeService(usual())
    missing = service.invoke("nope")
    assert missing.exit_code == 5 and "job nope not found" in missing.stderr
    service.list_answer = httpx.Response(
        403, json={"requestId": "r9", "errorCode": "NoPermission", "errorMsg": "denied"}
    )
    denied = service.invoke("this-run")
    assert denied.exit_code == 4
    assert "odps:ListJobInfos" in denied.stderr
    service.list_answer = httpx.Response(200, content=b"<html>")
    assert service.invoke("this-run").exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--fail-over", "0"],
        ["--fail-over", "-1"],
        ["--fail-over", "nan"],
        ["--metric", "input"],
        ["--by", "owner"],
        ["--days", "0"],
        ["--days", "46"],
        ["--runs", "0"],
    ],
)
def test_bad_flags_exit_2_before_any_request(args: list[str]) -> None:
    service = FakeService(usual())
    result = service.invoke("this-run", *args)
    assert result.exit_code == 2, result.output
    assert service.requests == []


def test_export_with_the_gate_saves_the_view_and_a_failed_write_keeps_the_gates_9(
    tmp_path: Path,
) -> None:
    from tests.unit.test_export import assert_safe_picture, picture_text

    service = FakeService([THIS, *usual()])
    picture = tmp_path / "history.svg"
    saved = service.invoke("this-run", "--fail-over", "2", "-o", "csv", "--export", str(picture))
    assert saved.exit_code == 9, saved.stderr
    shown = picture_text(assert_safe_picture(picture.read_text(encoding="utf-8")))
    assert "Ran 41m 00s, 3.4x the median" in shown and "maxjob history this-run" in shown
    assert saved.stdout.startswith("instanceId,run,")  # stdout holds what -o asked for

    directory = tmp_path / "gone"
    directory.mkdir()

    class Vanishing(FakeService):
        def handler(self, request: httpx.Request) -> httpx.Response:
            if directory.exists():
                directory.rmdir()  # gone between the check and the write
            return super().handler(request)

    service = Vanishing([THIS, *usual()])
    failed = service.invoke("this-run", "--fail-over", "2", "--export", str(directory / "h.svg"))
    assert failed.exit_code == 9  # the gate's verdict is what CI branches on; the error is said
    assert "over --fail-over 2" in failed.stderr
    assert "maxjob: error: cannot write the export to" in failed.stderr
