"""KillJobs answered 503 over a real loopback socket: sent exactly once, with exactly the body and
content type the API expects. A kill must never be repeated once it may have reached the server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from maxjob import config
from maxjob.api import operations
from maxjob.api.client import MaxComputeClient
from maxjob.credentials import Credentials
from maxjob.errors import ServiceError

UNAVAILABLE = json.dumps(
    {"RequestId": "kill-503", "Code": "ServiceUnavailable", "Message": "The service is busy."}
).encode()


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Unavailable:
    """A threaded HTTP server on 127.0.0.1 that answers 503 to POST /api/v1/jobs/kill (404 to
    anything else) and records every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with outer.lock:
                    outer.received.append(Received(self.command, self.path, headers, body))
                killing = self.command == "POST" and self.path == "/api/v1/jobs/kill"
                self.send_response(503 if killing else 404)
                self.send_header("content-type", "application/json")
                self.send_header("x-acs-request-id", "kill-503")
                self.send_header("content-length", str(len(UNAVAILABLE)))
                self.end_headers()
                self.wfile.write(UNAVAILABLE)

            def do_POST(self) -> None:
                self._answer()

            def do_GET(self) -> None:
                self._answer()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[Unavailable]:
    srv = Unavailable()
    yield srv
    srv.close()


def test_kill_jobs_answered_503_is_sent_exactly_once(server: Unavailable) -> None:
    slept: list[float] = []
    settings = config.resolve(endpoint=server.endpoint, max_attempts=3, environ={})
    assert settings.is_loopback
    client = MaxComputeClient(
        settings,
        Credentials("kill-once-id", "kill-once-secret"),
        trust_env=False,  # no proxy of the environment between us and the loopback server
        environ={},
        sleep=slept.append,
    )
    with client, pytest.raises(ServiceError) as caught:
        client.call(operations.kill_jobs("j1", "p1"))

    assert len(server.received) == 1
    seen = server.received[0]
    assert (seen.method, seen.path) == ("POST", "/api/v1/jobs/kill")
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
