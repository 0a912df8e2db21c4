"""`maxjob list` through the Typer app with a recording MockTransport: the exact JSON body and
query of every request, the window, paging in order, each format, no match, and the errors."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from maxjob import session
from maxjob.api.client import MaxComputeClient
from maxjob.cli import build_app
from maxjob.cli.app import Dependencies
from maxjob.credentials import Credentials
from maxjob.render.job_list import CSV_FIELDS

NOW = int(time.time())


def job(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "instanceId": f"job-{n:04d}",
        "status": "success",
        "project": "sales_dw",
        "jobOwner": "ALIYUN$etl@example.com",
        "submittedAtTime": NOW - 60 - n,
        "waitingTime": 3,
        "runningTime": 60,
        "cuUsage": 36,
        "inputBytes": 1024,
        "quotaNickname": "etl_payg",
        "tags": "[]",
        "unknownField": {"kept": [1, 2.5, None]},
        **fields,
    }


class Api:
    """A fake ListJobInfos over a MockTransport: `answer(body, page, size)` makes each answer;
    every request is recorded (its query and its exact body)."""

    def __init__(self, answer: Callable[[dict[str, Any], int, int], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

        def handler(request: httpx.Request) -> httpx.Response:
            with self.lock:
                self.requests.append(request)
            body = json.loads(request.content)
            page = int(request.url.params["pageNumber"])
            return self.answer(body, page, int(request.url.params["pageSize"]))

        def open_client(options: Any, streams: Any, **kwargs: Any) -> MaxComputeClient:
            settings = session.resolve_settings(options, streams)
            return MaxComputeClient(
                settings,
                Credentials("id", "secret"),
                transport=httpx.MockTransport(handler),
                pool_size=kwargs.get("pool_size", 8),
            )

        self.deps = Dependencies(client_factory=open_client)

    def invoke(self, *args: str) -> Any:
        return CliRunner().invoke(build_app(), ["list", "-r", "cn-hangzhou", *args], obj=self.deps)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def pages_of(items: list[dict[str, Any]]) -> Callable[[dict[str, Any], int, int], httpx.Response]:
    def answer(body: dict[str, Any], page: int, size: int) -> httpx.Response:
        chosen = items[(page - 1) * size : page * size]
        data = {"totalCount": len(items), "pageNumber": page, "pageSize": size}
        return httpx.Response(200, json={"requestId": "r", "data": {**data, "jobInfoList": chosen}})

    return answer


@pytest.fixture
def api() -> Api:
    return Api(pages_of([job(n) for n in range(3)]))


def test_the_default_request(api: Api) -> None:
    result = api.invoke()
    assert result.exit_code == 0, result.output
    (request,) = api.requests
    assert request.method == "POST" and request.url.path == "/api/v1/jobs"
    assert request.url.query == b"pageNumber=1&pageSize=100"
    assert request.headers["x-acs-action"] == "ListJobInfos"
    body = json.loads(request.content)
    assert list(body) == ["from", "to", "sortByList", "sortOrderList"]
    assert body["to"] - body["from"] == 3600 and abs(body["to"] - time.time()) < 60
    assert (body["sortByList"], body["sortOrderList"]) == (["submittedAtTime"], ["desc"])
    assert request.content == json.dumps(body, separators=(",", ":")).encode()


def test_every_filter_in_the_exact_body(api: Api) -> None:
    result = api.invoke(
        *("--since", "2026-11-29T18:00:00+08:00", "--until", "2026-11-30T08:00:00+08:00"),
        *("--status", "failed", "--status", "cancelled", "-p", "sales_dw", "--project", "x y"),
        *("--owner", "RAM$etl@example.com", "--quota", "默认预付费Quota_p", "--type", "SQL"),
        *("--priority", "0", "--priority", "9", "--signature", "i094KijGrN3kOXZ74kbexB77XQY="),
        *("--node", "76358164", "--id", "2023x", "--diag", "DataSkew"),
        *("--sort", "cuUsage", "--sort", "submittedAtTime:asc"),
    )
    assert result.exit_code == 0, result.output
    assert api.requests[0].content.decode() == (
        '{"from":1795946400,"to":1795996800,"statusList":["failed","cancelled"],'
        '"projectList":["sales_dw","x y"],"jobOwnerList":["RAM$etl@example.com"],'
        '"typeList":["SQL"],"priorityList":[0,9],'
        '"signatureList":["i094KijGrN3kOXZ74kbexB77XQY="],"extNodeIdList":["76358164"],'
        '"instanceIdList":["2023x"],"sceneTagList":["DataSkew"],'
        '"quotaNickname":"默认预付费Quota_p","sortByList":["cuUsage","submittedAtTime"],'
        '"sortOrderList":["desc","asc"]}'
    )


def test_a_long_window_is_asked_for_week_by_week_newest_first() -> None:
    def answer(body: dict[str, Any], page: int, size: int) -> httpx.Response:
        # The same job in every window, and one of the window's own, submitted at its end.
        own = job(2, instanceId=f"end-{body['to']}", submittedAtTime=body["to"])
        return pages_of([own, job(1, submittedAtTime=1793491200)])(body, page, size)

    api = Api(answer)
    result = api.invoke("--since", "2026-11-01T00:00:00Z", "--until", "2026-11-20T00:00:00Z")
    assert result.exit_code == 0, result.output
    windows = sorted(((b["from"], b["to"]) for b in api.bodies), reverse=True)
    until, week = 1795132800, 7 * 86400  # 2026-11-20T00:00:00Z
    assert windows == [
        (until - week, until),
        (until - 2 * week, until - week),
        (1793491200, until - 2 * week),  # from 2026-11-01T00:00:00Z
    ]
    # Newest first, and the job seen in every window shown once.
    shown = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert shown == [f"end-{to}" for _, to in windows] + ["job-0001"]


def test_pages_print_in_order_when_a_later_one_answers_first() -> None:
    items = [job(n) for n in range(450)]
    third_answered = threading.Event()
    plain = pages_of(items)

    def answer(body: dict[str, Any], page: int, size: int) -> httpx.Response:
        if page == 2:
            assert third_answered.wait(5)
        response = plain(body, page, size)
        if page == 3:
            third_answered.set()
        return response

    api = Api(answer)
    result = api.invoke("--limit", "0", "-o", "jsonl", "--concurrency", "4")
    assert result.exit_code == 0, result.output
    shown = [json.loads(line)["instanceId"] for line in result.stdout.splitlines()]
    assert shown == [i["instanceId"] for i in items]
    numbers = [int(r.url.params["pageNumber"]) for r in api.requests]
    assert sorted(numbers) == [1, 2, 3, 4, 5] and numbers[0] == 1


def test_the_limit_stops_the_pages() -> None:
    api = Api(pages_of([job(n) for n in range(1000)]))
    result = api.invoke("--limit", "120", "-o", "jsonl")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 120
    assert sorted(int(r.url.params["pageNumber"]) for r in api.requests) == [1, 2]


def test_json_is_the_api_items_exactly() -> None:
    items = [job(n) for n in range(3)]
    items[1]["project"] = "evil\x1b[31m\u202e"
    api = Api(pages_of(items))
    result = api.invoke("-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == items
    assert [list(i) for i in json.loads(result.stdout)] == [list(i) for i in items]
    assert "\x1b" not in result.stdout  # ASCII escapes
    lines = api.invoke("-o", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == items


def test_jq_over_the_array_and_over_each_line(api: Api) -> None:
    assert api.invoke("--jq", "length").stdout == "3\n"
    assert api.invoke("-o", "jsonl", "--jq", ".instanceId").stdout.splitlines() == [
        "job-0000",
        "job-0001",
        "job-0002",
    ]


def test_plain_is_one_documented_line_per_job(api: Api) -> None:
    result = api.invoke()
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    cells = lines[0].split("\t")
    assert cells[:4] == ["job-0000", "succeeded", "sales_dw", "ALIYUN$etl@example.com"]
    assert cells[5:] == ["3", "60", "1", "1024", "etl_payg"]
    assert cells[4].endswith("Z")


def test_csv_parses_with_the_csv_module() -> None:
    items = [job(0), job(1, project='a,"b"\r\nc', jobOwner="@SUM(1)", status="terminated")]
    api = Api(pages_of(items))
    result = api.invoke("-o", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.count(b"\r\n") == 3
    table = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode(), newline="")))
    assert list(table[0]) == list(CSV_FIELDS)
    assert [r["instanceId"] for r in table] == ["job-0000", "job-0001"]
    assert table[1]["project"] == 'a,"b"\\x0d\\nc'
    assert table[1]["jobOwner"] == "'@SUM(1)"
    assert table[1]["status"] == "terminated"
    assert table[0]["cuUsage"] == "36" and table[0]["submittedAtTime"] == str(NOW - 60)


def test_the_table_through_the_app(api: Api) -> None:
    result = api.invoke("-o", "table")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "OUTCOME"]
    assert lines[-1] == "3 jobs"


@pytest.mark.parametrize(
    ("output", "stdout"), [(None, ""), ("json", "[]\n"), ("jsonl", ""), ("csv", "")]
)
def test_no_match_is_one_line_on_stderr_and_exit_0(output: str | None, stdout: str) -> None:
    api = Api(pages_of([]))
    args = ["--status", "FAILED"] + (["-o", output] if output else [])
    result = api.invoke(*args)
    assert result.exit_code == 0
    assert result.stdout == stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("maxjob: no jobs matched from ")
    assert "--status FAILED" in line and "success, failed, cancelled, terminated" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "is not a duration back from now"),
        (["--since", "1h", "--until", "2h"], "is after --until"),
        (["--until", "2026-13-01"], "RFC 3339"),
        (["--sort", "cuUsage:up"], "FIELD[:asc|desc]"),
        (["--quota", "a", "--quota", "b"], "one quota"),
        (["--limit", "-1"], "-1"),
        (["--priority", "high"], "high"),
        (["-o", "timeline"], "timeline"),
    ],
)
def test_usage_errors_exit_2_and_send_nothing(api: Api, args: list[str], message: str) -> None:
    result = api.invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert api.requests == []


def test_permission_denied_names_the_ram_action() -> None:
    def refuse(body: dict[str, Any], page: int, size: int) -> httpx.Response:
        return httpx.Response(
            403,
            json={"RequestId": "r-403", "Code": "NoPermission", "Message": "You are not allowed."},
        )

    result = Api(refuse).invoke()
    assert result.exit_code == 4
    error, hint = result.stderr.splitlines()
    assert error == "maxjob: error: You are not allowed. (NoPermission, request id r-403)"
    assert "odps:ListJobInfos" in hint


def test_an_argument_the_service_refuses_is_one_line_and_a_hint() -> None:
    def refuse(body: dict[str, Any], page: int, size: int) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "requestId": "r-400",
                "httpCode": 400,
                "errorCode": "ILLEGAL_ARGUMENT",
                "errorMsg": "Only jobs of the last 45 days can be listed: from is older.",
            },
        )

    result = Api(refuse).invoke("--since", "60d")
    assert result.exit_code == 2
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error == (
        "maxjob: error: Only jobs of the last 45 days can be listed: from is older. "
        "(ILLEGAL_ARGUMENT, request id r-400)"
    )
    assert hint.startswith("maxjob: hint: jobs can be listed about 45 days back")


# -- --export ---------------------------------------------------------------------------------


def exported_lines(path: Any) -> list[str]:
    """The text lines of an exported page, as drawn."""
    import html
    import re

    from tests.unit.test_export import assert_safe_page

    page = path.read_text(encoding="utf-8")
    assert_safe_page(page)
    code = re.search(r"<code[^>]*>(.*)</code>", page, re.S)
    assert code is not None
    return html.unescape(re.sub(r"<[^>]+>", "", code.group(1))).splitlines()


def test_export_draws_what_the_table_shows_whatever_o_prints(tmp_path: Any) -> None:
    api = Api(pages_of([job(n) for n in range(150)]))
    page = tmp_path / "jobs.html"
    result = api.invoke("--limit", "120", "-o", "jsonl", "--export", str(page), "--width", "120")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 120
    lines = exported_lines(page)
    assert lines[0].split()[:2] == ["ID", "OUTCOME"] and "SUBMITTED (UTC)" in lines[0]
    assert [line.split()[0] for line in lines[1:-1]] == [f"job-{n:04d}" for n in range(120)]
    assert max(len(line) for line in lines) <= 120
    assert lines[-1] == "120 of 150 jobs (--limit N for more, 0 for all)"


def test_export_of_limit_0_draws_at_most_1000_rows_and_says_so(tmp_path: Any) -> None:
    from maxjob.commands.list import EXPORT_ROWS

    api = Api(pages_of([job(n) for n in range(EXPORT_ROWS + 234)]))
    page = tmp_path / "all.html"
    result = api.invoke("--limit", "0", "-o", "jsonl", "--export", str(page))
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == EXPORT_ROWS + 234  # stdout has every job
    lines = exported_lines(page)
    rows = [line.split()[0] for line in lines if line.startswith("job-")]
    assert rows == [f"job-{n:04d}" for n in range(EXPORT_ROWS)]  # the first ones, in order
    assert " ".join(lines[EXPORT_ROWS + 1 :]) == (
        "1,234 jobs · the first 1,000 drawn here (a picture holds at most 1,000 rows)"
    )


def test_export_of_no_match_says_why_nothing_is_shown(tmp_path: Any) -> None:
    api = Api(pages_of([]))
    page = tmp_path / "none.html"
    result = api.invoke("--status", "nope", "-o", "csv", "--export", str(page))
    assert (result.exit_code, result.stdout) == (0, "")
    said = " ".join(exported_lines(page))  # the line on stderr, wrapped
    assert said.startswith("no jobs matched from ") and "--status nope" in said


def test_an_export_that_cannot_be_written_after_listing_is_exit_1(tmp_path: Any) -> None:
    directory = tmp_path / "out"
    directory.mkdir()

    def answer(body: dict[str, Any], page: int, size: int) -> httpx.Response:
        if directory.exists():
            directory.rmdir()  # gone between the check and the write
        return pages_of([job(n) for n in range(3)])(body, page, size)

    result = Api(answer).invoke("-o", "plain", "--export", str(directory / "jobs.svg"))
    assert result.exit_code == 1
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == [
        "job-0000",
        "job-0001",
        "job-0002",
    ]  # the jobs were shown first
    assert "maxjob: error: cannot write the export to" in result.stderr
