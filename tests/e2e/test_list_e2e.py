"""The installed `maxjob list` against `maxjob emulator` on loopback: the jobs `info` answers
for, with the same figures; the alias; a window the service refuses; the table in a real
terminal at 60, 80 and 160 columns, with and without colour; synthetic jobs paged in full."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MAXJOB, Emulator, into_closed_pipe, keyed_environ, run_maxjob
from tests.e2e.pty_run import PtyProcess
from tests.e2e.servers import Received, RecordingServer, Reply
from tests.e2e.test_imports import HEAVY_FOR_DATA, imported, offenders

SHARED = (
    "instanceId",
    "status",
    "project",
    "jobOwner",
    "jobType",
    "priority",
    "quotaNickname",
    "quotaType",
    "signature",
    "submittedAtTime",
    "runningAtTime",
    "inputBytes",
    "extNodeId",
    "sceneResults",
)
FINISHED = ("endAtTime", "runningTime", "totalTime", "cuUsage", "memoryUsage")


def listed(emulator: Emulator, *args: str) -> Any:
    result = run_maxjob("list", *args, endpoint=emulator.url)
    assert result.code == 0, result.err
    return result


def test_list_finds_the_jobs_info_answers_for_with_the_same_figures(emulator: Emulator) -> None:
    items = json.loads(listed(emulator, "--since", "30d", "--limit", "0", "-o", "json").out)
    ids = [i["instanceId"] for i in items]
    assert len(ids) == len(set(ids)) > 40
    assert {"running", "queued", "hist-steady", "hist-steady-r12", "cancelled"} <= set(ids)
    submitted = [i["submittedAtTime"] for i in items]
    assert submitted == sorted(submitted, reverse=True)
    info = run_maxjob("info", *ids, "-o", "json", endpoint=emulator.url)
    assert info.code == 0, info.err
    for item, job in zip(items, json.loads(info.out), strict=True):
        for name in SHARED:
            assert item.get(name) == job.get(name), (item["instanceId"], name)
        if "runningAtTime" in job:  # a job still waiting waits longer by the second
            assert item["waitingTime"] == job["waitingTime"], item["instanceId"]
        if job["status"] in ("success", "failed", "cancelled"):
            for name in FINISHED:
                assert item.get(name) == job.get(name), (item["instanceId"], name)
        else:
            assert item["endAtTime"] == 0
    # The plain line shows info's figures: seconds, core-hours, bytes.
    plain = listed(emulator, "--since", "30d", "--id", "hist-steady-r04").out
    cells = plain.rstrip("\n").split("\t")
    job = next(j for j in json.loads(info.out) if j["instanceId"] == "hist-steady-r04")
    assert cells[0:3] == ["hist-steady-r04", "failed", job["project"]]
    assert cells[5:7] == [str(job["waitingTime"]), str(job["runningTime"])]
    assert float(cells[7]) == pytest.approx(job["cuUsage"] * 100 / 3600, abs=1e-4)
    assert cells[8] == str(job["inputBytes"])


def test_filters_reach_the_emulator(emulator: Emulator) -> None:
    out = listed(
        emulator, "--quota", "os_bigdata", "--status", "waiting", "--sort", "priority:asc"
    ).out
    assert [line.split("\t")[0] for line in out.splitlines()][:2] == [
        "bd-urgent-fix",
        "bd-early-batch",
    ]
    skew = listed(emulator, "--since", "30d", "--diag", "DataSkew", "-p", "sales_dw").out
    assert [line.split("\t")[0] for line in skew.splitlines()] == ["hist-steady-r04"]


def test_ls_is_list_and_no_match_says_so(emulator: Emulator) -> None:
    result = run_maxjob("ls", "--status", "nope", endpoint=emulator.url)
    assert (result.code, result.out) == (0, "")
    assert result.err.startswith("maxjob: no jobs matched from ")


def test_a_window_the_service_refuses_is_one_line_and_a_hint(emulator: Emulator) -> None:
    # (All windows are needed for all jobs; with a limit, the newest week may be enough.)
    result = run_maxjob("list", "--since", "60d", "--limit", "0", endpoint=emulator.url)
    assert result.code == 2 and result.out == ""
    error, hint = result.err.splitlines()
    assert error.startswith("maxjob: error: Only jobs of the last 45 days can be listed")
    assert "(ILLEGAL_ARGUMENT, request id emu-" in error
    assert hint.startswith("maxjob: hint: jobs can be listed about 45 days back")


@pytest.mark.parametrize(("columns", "color"), [(60, True), (80, False), (160, True)])
def test_the_table_at_a_terminal(
    emulator: Emulator, tmp_path: Path, columns: int, color: bool
) -> None:
    env = keyed_environ(tmp_path, emulator.url)
    env["TZ"] = "Asia/Shanghai"
    if not color:
        env["NO_COLOR"] = "1"
    process = PtyProcess.start([MAXJOB, "list", "--limit", "12"], env, columns=columns)
    try:
        assert process.wait(15) == 0, process.text
        assert ("\x1b[" in process.text) is color
        rows = [row for row in process.screen() if row]
    finally:
        process.close()
    assert all(len(row) <= columns for row in rows)
    assert rows[0].split()[:3] == ["ID", "OUTCOME", "PROJECT"]
    assert "(UTC)" not in rows[0]  # local time on a terminal
    assert rows[-1].startswith("12 of ") and rows[-1].endswith("(--limit N for more, 0 for all)")
    assert len(rows) == 14
    assert all(not row.startswith(" ") for row in rows[1:-1])  # IDs whole, at the left
    if columns == 160:
        assert rows[0].split()[-1] == "QUOTA"


def test_synthetic_jobs_page_in_full_without_rich(emulator_with: Any, tmp_path: Path) -> None:
    emulator = emulator_with(None, "--synthetic", "250")
    out = listed(emulator, "-p", "bench_project", "--limit", "0", "-o", "jsonl").out
    ids = [json.loads(line)["instanceId"] for line in out.splitlines()]
    assert len(ids) == len(set(ids)) == 250
    # Written through as sent or encoded again, each line is the item -o json gives, compact.
    items = json.loads(listed(emulator, "-p", "bench_project", "--limit", "0", "-o", "json").out)
    assert out.splitlines() == [json.dumps(item, separators=(",", ":")) for item in items]
    env = keyed_environ(tmp_path, emulator.url)
    names = imported(["list", "-p", "bench_project", "-o", "jsonl"], env)
    assert "maxjob.listing" in names and offenders(names, HEAVY_FOR_DATA) == []


def test_jsonl_written_through_still_masks_an_echoed_secret_and_escapes(tmp_path: Path) -> None:
    secret = "hostile-echo-secret-7f3a"
    jobs = [
        {"instanceId": "j1", "status": "success", "taskName": secret},
        {"instanceId": "j2", "status": "success", "taskName": "caf\u00e9 \u202e"},
        {"instanceId": "j3", "status": "success", "taskName": "plain"},
    ]
    body = {"requestId": "r", "data": {"totalCount": 3, "jobInfoList": jobs}}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def reply(request: Received) -> Reply:
        return 200, {"content-type": "application/json"}, text

    server = RecordingServer(reply)
    try:
        result = run_maxjob(
            "list",
            "-o",
            "jsonl",
            endpoint=server.url,
            env={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret},
        )
    finally:
        server.close()
    assert result.code == 0, result.err
    assert secret not in result.out + result.err
    lines = result.out.splitlines()
    assert json.loads(lines[0])["taskName"] != secret
    # Non-ASCII text is escaped, as maxjob's own encoder writes it: no raw bidi control.
    assert "\\u202e" in lines[1] and "\u202e" not in lines[1]
    assert lines[2] == json.dumps(jobs[2], separators=(",", ":"))


@pytest.mark.parametrize("output", ["plain", "csv", "jsonl", "json", "table"])
def test_in_github_actions_server_text_forms_no_workflow_command(output: str) -> None:
    jobs = [
        {"instanceId": "::add-mask::leak", "status": "success", "project": "p"},
        {"instanceId": "j2", "status": "failed", "taskName": "##[error]fake", "project": "::x"},
    ]
    body = {"requestId": "r", "data": {"totalCount": 2, "jobInfoList": jobs}}
    text = json.dumps(body, separators=(",", ":")).encode()
    server = RecordingServer(lambda request: (200, {"content-type": "application/json"}, text))
    try:
        result = run_maxjob(
            "list", "-o", output, endpoint=server.url, env={"GITHUB_ACTIONS": "true"}
        )
    finally:
        server.close()
    assert result.code == 0, result.err
    for line in (result.out + result.err).splitlines():
        assert not line.lstrip().startswith("::") and "##[" not in line, line
    if output in ("json", "jsonl"):  # the same JSON, read back
        assert "add-mask" in result.out and "\\u0023[error]fake" in result.out
        read = [json.loads(x) for x in result.out.splitlines()] if output == "jsonl" else None
        assert read is None or [r["instanceId"] for r in read] == ["::add-mask::leak", "j2"]


def test_a_table_into_a_closed_pipe_exits_141_like_the_other_formats(
    emulator: Emulator, tmp_path: Path
) -> None:
    done = into_closed_pipe(
        "ls", "--since", "30d", "-o", "table", endpoint=emulator.url, home=tmp_path
    )
    assert (done.code, done.err) == (141, "")


def test_the_first_pages_rows_are_out_while_the_later_pages_are_still_on_their_way(
    servers: list[Any], tmp_path: Path
) -> None:
    """The first row waits for one page's round trip, never for another page: the server holds
    every page but the first until the first row has been read (or 5 s have passed)."""
    import subprocess
    import threading
    import time
    from urllib.parse import parse_qs, urlsplit

    from tests.e2e.hostile_servers import Conn, RawServer, response

    first_row_read = threading.Event()

    def page(number: int) -> bytes:
        jobs = [
            {"instanceId": f"p{number}-{i}", "status": "terminated", "submittedAtTime": 1_000 - i}
            for i in range(100 if number < 3 else 50)
        ]
        data = {"totalCount": 250, "jobInfoList": jobs}
        return json.dumps({"requestId": "r", "httpCode": 200, "data": data}).encode()

    def pages(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            number = int(parse_qs(urlsplit(request.target).query)["pageNumber"][0])
            if number > 1:
                first_row_read.wait(5)
            if not conn.send(response(200, page(number))):
                return

    server = RawServer(pages)
    servers.append(server)
    env = keyed_environ(tmp_path, server.url)
    started = time.monotonic()
    process = subprocess.Popen(
        [MAXJOB, "list", "--since", "2h", "--limit", "0", "-o", "jsonl"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())
    waited = time.monotonic() - started
    first_row_read.set()
    rest = process.stdout.read().splitlines()
    process.wait(timeout=10)
    assert first["instanceId"] == "p1-0"
    assert waited < 4  # not held back by pages 2 and 3, which the server held for 5 s
    assert len(rest) == 249 and json.loads(rest[-1])["instanceId"] == "p3-49"
    assert process.returncode == 0
