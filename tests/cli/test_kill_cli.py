"""`maxjob kill` through the Typer app and the real client, over httpx's MockTransport: the exact
request, how many KillJobs requests go out after each kind of failure, and what is said."""

from __future__ import annotations

import json
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

RUNNING = {"status": "running", "project": "p1", "jobOwner": "RAM$ann"}
KillAnswer = Callable[[int], httpx.Response | None]


class FakeService:
    """A job service: GetJobInfo from `states` (a job is cancelled once killed), KillJobs
    answered by `kill_answer(n)` for the n-th KillJobs request (1-based)."""

    def __init__(self, kill_answer: KillAnswer | None = None, *, cancels: bool = True) -> None:
        self.requests: list[httpx.Request] = []
        self.kill_answer = kill_answer
        self.cancels = cancels
        self.killed: set[str] = set()

    @property
    def kills(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.headers.get("x-acs-action") == "KillJobs"]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers["x-acs-action"] == "KillJobs":
            answer = self.kill_answer(len(self.kills)) if self.kill_answer else None
            if answer is not None:
                return answer
            for entry in json.loads(request.content):
                if self.cancels:
                    self.killed.add(entry["instanceId"])
            return httpx.Response(200, json={"requestId": "k1", "httpCode": 200, "data": "success"})
        job_id = request.url.path.split("/")[4]
        if job_id == "done":
            return httpx.Response(200, json={"data": {"instanceId": job_id, "status": "failed"}})
        status = "cancelled" if job_id in self.killed else "running"
        return httpx.Response(
            200, json={"data": {**RUNNING, "instanceId": job_id, "status": status}}
        )

    def invoke(self, *args: str, input: str | None = None) -> Any:
        def open_client(options: Any, streams: Any, **kwargs: Any) -> MaxComputeClient:
            settings = session.resolve_settings(options, streams)
            return MaxComputeClient(
                settings,
                Credentials("id", "the-secret"),
                transport=httpx.MockTransport(self.handler),
                sleep=lambda seconds: None,  # retries without real sleeps
            )

        deps = Dependencies(client_factory=open_client)
        return CliRunner().invoke(build_app(), [*args, "-r", "cn-beijing"], obj=deps, input=input)


def test_without_yes_in_a_pipe_nothing_is_sent_and_it_exits_2() -> None:
    service = FakeService()
    result = service.invoke("kill", "a")
    assert result.exit_code == 2
    assert service.requests == []
    assert "kill needs --yes" in result.stderr


def test_the_one_request_is_exactly_as_documented() -> None:
    service = FakeService()
    result = service.invoke("kill", "a", "--yes", "--wait-timeout", "30s")
    assert result.exit_code == 0, result.stderr
    (kill,) = service.kills
    assert kill.method == "POST" and kill.url.path == "/api/v1/jobs/kill"
    assert kill.content == b'[{"instanceId":"a","projectName":"p1"}]'
    assert kill.headers["content-type"] == "application/json; charset=utf-8"
    assert "authorization" in kill.headers  # signed like every request
    assert result.stdout.startswith("a\tcancelled\t")


def test_a_503_is_not_sent_again_the_job_is_read_instead() -> None:
    unavailable = httpx.Response(
        503,
        json={"RequestId": "req-503", "Code": "ServiceUnavailable", "Message": "try later"},
    )
    service = FakeService(lambda n: unavailable)
    result = service.invoke("kill", "a", "--yes", "--wait-timeout", "0", "--max-attempts", "5")
    assert len(service.kills) == 1
    assert result.exit_code == 6
    line = result.stdout.strip().split("\t")
    assert line[:2] == ["a", "error"]
    assert "request id req-503" in line[2] and "still running" in line[2]
    # A 503 is an answer, but not whether the kill was done; --wait-timeout 0: one read.
    assert "the kill got an error answer and may or may not have been done" in result.stderr
    assert "reading the job's status instead" in result.stderr
    reads = [r for r in service.requests if r.headers["x-acs-action"] == "GetJobInfo"]
    assert len(reads) == 3  # the first read, the read after the lost answer, one poll


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("Server disconnected")],
    ids=["timeout", "reset"],
)
def test_after_a_timeout_or_a_reset_the_kill_is_not_sent_again(failure: Exception) -> None:
    def answer(n: int) -> httpx.Response:
        service.killed.add("a")  # it arrived: the job is cancelled when read again
        raise failure

    service = FakeService(answer)
    result = service.invoke("kill", "a", "--yes", "-o", "json")
    assert len(service.kills) == 1
    assert result.exit_code == 0, result.stderr
    (value,) = json.loads(result.stdout)
    assert value["result"] == "cancelled"
    assert value["kill"]["accepted"] is None  # the answer was lost
    assert value["kill"]["error"]["message"]


def test_a_refused_connection_is_the_one_case_tried_again() -> None:
    def answer(n: int) -> httpx.Response | None:
        if n == 1:
            raise httpx.ConnectError("[Errno 111] Connection refused")
        return None

    service = FakeService(answer)
    result = service.invoke("kill", "a", "--yes")
    assert result.exit_code == 0, result.stderr
    assert len(service.kills) == 2  # the first never reached the server


def test_permission_denied_names_the_action_and_its_reach() -> None:
    denied = httpx.Response(
        403,
        json={"RequestId": "req-403", "Code": "NoPermission", "Message": "You are not authorized"},
    )
    service = FakeService(lambda n: denied)
    result = service.invoke("kill", "a", "--yes")
    assert result.exit_code == 4
    assert len(service.kills) == 1
    assert "request id req-403" in result.stdout
    assert (
        "maxjob: hint: grant the RAM action odps:KillJobs on all resources (*); it applies to "
        "every project of the account" in result.stderr
    )


def test_dry_run_sends_no_kill_and_shows_no_credential() -> None:
    service = FakeService()
    result = service.invoke("kill", "a", "done", "--dry-run")
    assert result.exit_code == 0
    assert service.kills == []
    assert result.stdout.startswith(
        "POST https://maxcompute.cn-beijing.aliyuncs.com/api/v1/jobs/kill\n"
    )
    assert '[{"instanceId":"a","projectName":"p1"}]' in result.stdout
    assert "the-secret" not in result.stdout + result.stderr
    assert "done: already ended, failed; not killed" in result.stderr


def test_ids_from_stdin_and_the_wait_timeout_as_a_duration() -> None:
    service = FakeService(cancels=False)
    result = service.invoke(
        "kill", "-", "--yes", "--wait-timeout", "0s", "-o", "jsonl", input="a\n# note\nb\na\n"
    )
    assert result.exit_code == 8  # still running when the wait ends
    assert [json.loads(line)["instanceId"] for line in result.stdout.splitlines()] == ["a", "b"]
    assert len(service.kills) == 2
    bad = service.invoke("kill", "a", "--yes", "--wait-timeout", "soon")
    assert bad.exit_code == 2 and "--wait-timeout" in bad.stderr


def test_no_wait_returns_once_the_kill_is_accepted() -> None:
    service = FakeService(cancels=False)
    result = service.invoke("kill", "a", "--yes", "--no-wait")
    assert result.exit_code == 0
    assert result.stdout == "a\tkill sent\taccepted; still running\n"
