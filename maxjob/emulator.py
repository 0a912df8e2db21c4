"""A local MaxCompute OpenAPI emulator: GetJobInfo on loopback, checked like the real gateway.

Requests pass the gateway's checks of `emulator_gateway` (signature V3 written apart from the
client's signer, the date window, nonce reuse, the STS token) before any job is looked up. It
answers in both error shapes, and serves scripted jobs that move through their states over time,
with faults (throttling, 5xx, slow or broken answers) scripted per job.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from maxjob.emulator_gateway import Credential, GatewayError, verify_request
from maxjob.emulator_jobs import BUILTIN_JOBS
from maxjob.protocol import (
    DATE_WINDOW_SECONDS,
)

DEFAULT_KEY_ID = "emulator-key-id"
DEFAULT_KEY_SECRET = "emulator-key-secret"  # noqa: S105 - a throwaway credential for local use
DEFAULT_STS_KEY_ID = "STS.emulator-key-id"
DEFAULT_STS_SECRET = "emulator-sts-secret"  # noqa: S105
DEFAULT_STS_TOKEN = "emulator-sts-token"  # noqa: S105
_PATH = re.compile(r"/api/v1/jobs/([^/]+)/info")
_CHINA = timezone(timedelta(hours=8))
FINAL_STATUSES = frozenset({"terminated", "success", "failed", "cancelled"})


@dataclass
class JobScript:
    """One job: static `data`, or a `script` of events replayed from its first poll."""

    spec: dict[str, Any]
    first_poll: float | None = None
    first_poll_wall: float = 0.0
    polls: int = 0

    def snapshot(self, instance_id: str, now: float, wall: float) -> dict[str, Any]:
        if "data" in self.spec:
            data = dict(self.spec["data"])
            data.setdefault("instanceId", instance_id)
            return data
        return _replay(self.spec, instance_id, now - (self.first_poll or now), self.first_poll_wall)


def _replay(
    spec: Mapping[str, Any], instance_id: str, elapsed: float, start: float
) -> dict[str, Any]:
    events = [e for e in spec.get("script", []) if float(e.get("at", 0)) <= elapsed]
    events = events or spec.get("script", [])[:1]
    data: dict[str, Any] = {"instanceId": instance_id}
    data.update(spec.get("base", {}))
    status = events[-1].get("status", "waiting") if events else "waiting"
    data["status"] = status
    data["submittedAtTime"] = int(start)
    subs = []
    running_at: float | None = None
    for event in events:
        at = start + float(event.get("at", 0))
        if event.get("status") == "running" and running_at is None:
            running_at = at
        if "code" in event:
            subs.append(
                {
                    "code": event["code"],
                    "startTime": datetime.fromtimestamp(at, _CHINA).strftime(
                        "%Y-%m-%d %H:%M:%S.%f %z"
                    ),
                    "description": event.get("description", ""),
                }
            )
        if event.get("sceneResults"):
            data["sceneResults"] = event["sceneResults"]
    data["jobSubStatusList"] = subs
    finished = str(status).lower() in FINAL_STATUSES
    now = start + elapsed
    end = start + float(events[-1].get("at", 0)) if finished else None
    if running_at is not None:
        data["runningAtTime"] = int(running_at)
        data["waitingTime"] = int(running_at - start)
        data["runningTime"] = int((end or now) - running_at)
    else:
        data["waitingTime"] = int((end or now) - start)
    if end is not None:
        data["endAtTime"] = int(end)
        data["totalTime"] = int(end - start)
        data.update(spec.get("final", {}))
    return data


class EmulatorState:
    """The jobs, the accepted credentials and the nonces seen; shared by the handler threads."""

    def __init__(
        self,
        jobs: list[dict[str, Any]],
        credentials: list[Credential],
        *,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = {c.key_id: c for c in credentials}
        self.latency = latency
        self.clock = clock
        self.exact: dict[str, dict[str, Any]] = {}
        self.prefixed: list[tuple[str, dict[str, Any]]] = []
        for job in jobs:
            if "idPrefix" in job:
                self.prefixed.append((str(job["idPrefix"]), job))
            else:
                self.exact[str(job.get("instanceId"))] = job
        self.prefixed.sort(key=lambda pair: -len(pair[0]))
        self.scripts: dict[str, JobScript] = {}
        self.nonces: dict[str, float] = {}
        self.lock = threading.Lock()
        self.requests = 0

    def find(self, instance_id: str) -> JobScript | None:
        with self.lock:
            script = self.scripts.get(instance_id)
            if script is None:
                spec = self.exact.get(instance_id)
                if spec is None:
                    spec = next((s for p, s in self.prefixed if instance_id.startswith(p)), None)
                if spec is None:
                    return None
                script = self.scripts[instance_id] = JobScript(spec)
            if script.first_poll is None:
                script.first_poll, script.first_poll_wall = time.monotonic(), self.clock()
            script.polls += 1
            return script

    def use_nonce(self, nonce: str, now: float) -> bool:
        """False when the nonce was seen within the date window."""
        with self.lock:
            if len(self.nonces) > 100_000:
                cutoff = now - 2 * DATE_WINDOW_SECONDS
                self.nonces = {n: t for n, t in self.nonces.items() if t > cutoff}
            if nonce in self.nonces:
                return False
            self.nonces[nonce] = now
            return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "maxjob-emulator"
    state: EmulatorState  # set on the subclass made by `make_server`

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator's console output is its banner."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.state
        with state.lock:
            state.requests += 1
            request_id = f"emu-{state.requests:08d}"
        length_header = self.headers.get("content-length") or "0"
        if not length_header.isdigit() or int(length_header) > 1 << 20:
            error = GatewayError(400, "InvalidParameter", "Bad content-length.")
            self._gateway_error(error, request_id)
            return
        length = int(length_header)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        if state.latency:
            time.sleep(state.latency)
        try:
            verify_request(
                state.credentials,
                state.clock(),
                state.use_nonce,
                self.command,
                self.path,
                headers,
                body,
            )
        except GatewayError as exc:
            self._gateway_error(exc, request_id)
            return
        match = _PATH.fullmatch(urlsplit(self.path).path)
        if self.command != "GET" or not match:
            self._gateway_error(
                GatewayError(404, "InvalidApi.NotFound", "Specified api is not found."), request_id
            )
            return
        instance_id = unquote(match.group(1))
        script = state.find(instance_id)
        if script is None:
            self._service_error(
                404, "OBJECT_NOT_EXIST", f"Job {instance_id} does not exist.", request_id
            )
            return
        if self._fault(script, request_id):
            return
        data = script.snapshot(instance_id, time.monotonic(), state.clock())
        document = {
            "requestId": request_id,
            "httpCode": 200,
            "errorCode": script.spec.get("errorCode"),
            "errorMsg": script.spec.get("errorMsg"),
            "data": data,
        }
        if document["errorCode"] is None:
            del document["errorCode"], document["errorMsg"]
        self._send(200, json.dumps(document).encode(), request_id)

    def _fault(self, script: JobScript, request_id: str) -> bool:
        """Play the job's scripted fault for this poll, if any; True when it answered."""
        for fault in script.spec.get("faults", []):
            polls = fault.get("polls")
            first = fault.get("first")
            hit = (polls is not None and script.polls in polls) or (
                first is not None and script.polls <= first
            )
            if not hit:
                continue
            if fault.get("delay"):
                time.sleep(float(fault["delay"]))
            if fault.get("reset"):
                self.close_connection = True
                self.connection.shutdown(2)
                return True
            headers = {k: str(v) for k, v in fault.get("headers", {}).items()}
            if "body" in fault:
                self._send(
                    int(fault.get("status", 200)), str(fault["body"]).encode(), request_id, headers
                )
                return True
            if "status" not in fault:
                return False
            status, code = int(fault["status"]), str(fault.get("code", "ServiceUnavailable"))
            message = str(
                fault.get("message", "The request has failed due to a temporary failure.")
            )
            if fault.get("shape") == "service":
                self._service_error(status, code, message, request_id, headers)
            else:
                self._gateway_error(GatewayError(status, code, message), request_id, headers)
            return True
        return False

    def _gateway_error(
        self, exc: GatewayError, request_id: str, headers: dict[str, str] | None = None
    ) -> None:
        document = {
            "RequestId": request_id,
            "HostId": self.headers.get("host", ""),
            "Code": exc.code,
            "Message": exc.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={exc.code}",
        }
        self._send(exc.status, json.dumps(document).encode(), request_id, headers)

    def _service_error(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        document = {
            "requestId": request_id,
            "httpCode": status,
            "errorCode": code,
            "errorMsg": message,
        }
        self._send(status, json.dumps(document).encode(), request_id, headers)

    def _send(
        self, status: int, body: bytes, request_id: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-acs-request-id", request_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class EmulatorServer(ThreadingHTTPServer):
    # A deep accept queue: clients open many connections at once (the stdlib default is 5).
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is not the emulator's error: no traceback."""


def load_jobs(path: Path | None) -> list[dict[str, Any]]:
    """The built-in jobs, then those of `path` (a JSON list, or an object with a `jobs` list)."""
    jobs = [dict(job) for job in BUILTIN_JOBS]
    if path is None:
        return jobs
    document = json.loads(path.read_text(encoding="utf-8"))
    extra = document.get("jobs") if isinstance(document, dict) else document
    if not isinstance(extra, list) or not all(isinstance(j, dict) for j in extra):
        raise ValueError('the jobs file must hold a list of job objects (or {"jobs": [...]})')
    return extra + jobs


def make_server(
    *,
    port: int = 0,
    jobs: list[dict[str, Any]] | None = None,
    credentials: list[Credential] | None = None,
    latency: float = 0.0,
) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1 (`port` 0 picks a free one); call `serve_forever()`."""
    state = EmulatorState(
        jobs if jobs is not None else load_jobs(None),
        credentials or default_credentials(),
        latency=latency,
    )
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = EmulatorServer(("127.0.0.1", port), handler)
    return server


def default_credentials() -> list[Credential]:
    return [
        Credential(DEFAULT_KEY_ID, DEFAULT_KEY_SECRET),
        Credential(DEFAULT_STS_KEY_ID, DEFAULT_STS_SECRET, DEFAULT_STS_TOKEN),
    ]


def banner(server: ThreadingHTTPServer) -> str:
    """What `maxjob emulator` prints: where it listens and the credentials it accepts."""
    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}"
    state: EmulatorState = server.RequestHandlerClass.state  # type: ignore[attr-defined]
    lines = [f"maxjob emulator listening on {url}", "", "Use it from another shell:"]
    plain = [c for c in state.credentials.values() if c.token is None]
    sts = [c for c in state.credentials.values() if c.token is not None]
    if plain:
        lines += [
            f"  export MAXJOB_ENDPOINT={url}",
            f"  export ALIBABA_CLOUD_ACCESS_KEY_ID={plain[0].key_id}",
            f"  export ALIBABA_CLOUD_ACCESS_KEY_SECRET={plain[0].secret}",
            "  maxjob info finished",
        ]
    for c in sts:
        lines.append(f"STS credentials: key id {c.key_id}, secret {c.secret}, token {c.token}")
    ids = sorted(state.exact) + [f"{p}<anything>" for p, _ in state.prefixed]
    lines.append("Jobs: " + ", ".join(ids) + "; any other id is not found.")
    return "\n".join(lines)


def start_in_thread(**kwargs: Any) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Serve in a daemon thread (for `maxjob demo` and tests); stop with `server.shutdown()`."""
    server = make_server(**kwargs)
    thread = threading.Thread(target=server.serve_forever, name="maxjob-emulator", daemon=True)
    thread.start()
    return server, thread
