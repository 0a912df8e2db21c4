"""KillJobs answered 503 over a real loopback socket: sent exactly once, with exactly the body and
content type the API expects. A kill must never be repeated once it may have reached the server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from maxjob import config
from maxjob.api import operations
from maxjob.api.client import MaxComputeClient
from maxjob.credentials import Credentials
from maxjob.errors import ServiceError
from tests.e2e.servers import Received, RecordingServer, Reply

UNAVAILABLE = json.dumps(
    {"RequestId": "kill-503", "Code": "ServiceUnavailable", "Message": "The service is busy."}
).encode()


def unavailable(request: Received) -> Reply:
    """503 to POST /api/v1/jobs/kill, 404 to anything else."""
    killing = request.method == "POST" and request.target == "/api/v1/jobs/kill"
    headers = {"content-type": "application/json", "x-acs-request-id": "kill-503"}
    return (503 if killing else 404), headers, UNAVAILABLE


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    srv = RecordingServer(unavailable)
    yield srv
    srv.close()


def test_kill_jobs_answered_503_is_sent_exactly_once(server: RecordingServer) -> None:
    slept: list[float] = []
    settings = config.resolve(endpoint=server.url, max_attempts=3, environ={})
    assert settings.is_loopback
    client = MaxComputeClient(
        settings,
        Credentials("kill-once-id", "kill-once-secret"),
        # (no proxy: none is passed, and httpx reads no proxy variable)
        environ={},
        sleep=slept.append,
    )
    with client, pytest.raises(ServiceError) as caught:
        client.call(operations.kill_jobs("j1", "p1"))

    assert len(server.received) == 1
    seen = server.received[0]
    assert (seen.method, seen.target) == ("POST", "/api/v1/jobs/kill")
    assert seen.body == b'[{"instanceId":"j1","projectName":"p1"}]'
    assert seen.headers["content-type"] == "application/json; charset=utf-8"
    assert seen.headers["content-length"] == str(len(seen.body))
    assert seen.headers["x-acs-action"] == "KillJobs"
    assert seen.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=kill-once-id,")
    assert slept == []

    error = caught.value
    assert error.exit_code == 6
    assert (error.code, error.http_status, error.request_id) == (
        "ServiceUnavailable",
        503,
        "kill-503",
    )
    assert "not sent again, as it may have reached the server" in error.message
