"""The emulator's HTTP side: a threading server on loopback that passes each request through the
gateway's checks, then to the operation's handler, after the configured latency."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from maxjob.emulator import seed
from maxjob.emulator.errors import GatewayError
from maxjob.emulator.gateway import Credential, verify_request
from maxjob.emulator.handlers import Answer, Request, error_answer, handle
from maxjob.emulator.store import Store

DEFAULT_KEY_ID = "emulator-key-id"
DEFAULT_KEY_SECRET = "emulator-key-secret"  # noqa: S105 - a throwaway credential for local use
DEFAULT_STS_KEY_ID = "STS.emulator-key-id"
DEFAULT_STS_SECRET = "emulator-sts-secret"  # noqa: S105
DEFAULT_STS_TOKEN = "emulator-sts-token"  # noqa: S105
MAX_BODY_BYTES = 1 << 20
# Answers are compact JSON, as a Java service writes them [INF: the API reference shows only
# pretty-printed samples]; maxjob reads any spacing.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


class EmulatorState:
    """What the handler threads share: the store, the accepted credentials, the latency."""

    def __init__(self, store: Store, credentials: list[Credential], latency: float) -> None:
        self.store = store
        self.credentials = {c.key_id: c for c in credentials}
        self.latency = latency
        self.lock = threading.Lock()
        self.requests = 0

    def next_request_id(self) -> str:
        with self.lock:
            self.requests += 1
            return f"emu-{self.requests:08d}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "maxjob-emulator"
    # The head and the body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds
    # the body until the client's delayed ACK (~40 ms a request on Linux), which no real gateway
    # adds and which would hide the client's own cost in the tests and the benchmark.
    disable_nagle_algorithm = True
    state: EmulatorState  # set on the subclass made by `make_server`

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator's console output is its banner."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.state
        request_id = state.next_request_id()
        host = self.headers.get("host", "")
        length_header = self.headers.get("content-length") or "0"
        if not length_header.isdigit() or int(length_header) > MAX_BODY_BYTES:
            error = GatewayError(400, "InvalidParameter", "Bad content-length.")
            self._send(error_answer(error, request_id, host), request_id)
            return
        length = int(length_header)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        if state.latency:
            time.sleep(state.latency)
        store = state.store
        try:
            verified = verify_request(
                state.credentials,
                store.now(),
                store.use_nonce,
                self.command,
                self.path,
                headers,
                body,
            )
        except GatewayError as exc:
            self._send(error_answer(exc, request_id, host), request_id)
            return
        request = Request(
            request_id, host, verified.action, verified.path_params, verified.query, body
        )
        self._send(handle(store, request), request_id)

    def _send(self, answer: Answer, request_id: str) -> None:
        if answer.delay:
            time.sleep(answer.delay)
        if answer.reset:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = answer.raw if answer.raw is not None else _COMPACT.encode(answer.document).encode()
        self.send_response(answer.status)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-acs-request-id", request_id)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class EmulatorServer(ThreadingHTTPServer):
    # A deep accept queue: clients open many connections at once (the stdlib default is 5).
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is not the emulator's error: no traceback."""


# Far above any story of jobs written by hand or by a test.
MAX_JOBS_FILE = 64 * 2**20


def load_jobs(path: Path | None) -> list[dict[str, Any]]:
    """The jobs of `path` (a JSON list, or an object with a `jobs` list), then the built-in
    jobs; a job of the file wins over a built-in one of the same id."""
    jobs = [dict(job) for job in seed.BUILTIN_JOBS]
    if path is None:
        return jobs
    import stat

    # A pipe or a device would be read without end (/dev/zero filled 2 GB in 10 s).
    if not stat.S_ISREG(path.stat().st_mode):
        raise ValueError("not a regular file")
    if path.stat().st_size > MAX_JOBS_FILE:
        raise ValueError(f"larger than {MAX_JOBS_FILE // 2**20} MiB")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    extra = document.get("jobs") if isinstance(document, dict) else document
    if not isinstance(extra, list) or not all(isinstance(j, dict) for j in extra):
        raise ValueError('the jobs file must hold a list of job objects (or {"jobs": [...]})')
    return extra + jobs


def default_credentials() -> list[Credential]:
    """An access key and STS credentials, both printed by the banner."""
    return [
        Credential(DEFAULT_KEY_ID, DEFAULT_KEY_SECRET),
        Credential(DEFAULT_STS_KEY_ID, DEFAULT_STS_SECRET, DEFAULT_STS_TOKEN),
    ]


def make_server(
    *,
    port: int = 0,
    jobs: list[dict[str, Any]] | None = None,
    credentials: list[Credential] | None = None,
    latency: float = 0.0,
    quotas: list[Mapping[str, Any]] | None = None,
    synthetic_jobs: int = 0,
    kill_delay: float = 1.5,
    snapshot_lag: float = 120.0,
) -> EmulatorServer:
    """A server bound to 127.0.0.1 (`port` 0 picks a free one); call `serve_forever()`.

    `jobs` defaults to `load_jobs(None)` (the built-ins), `quotas` to the seed's, `credentials`
    to `default_credentials()`. `latency` seconds are slept before every answer, of every
    operation (a page's round trip). `synthetic_jobs=N` adds N finished jobs `synth-…` for
    benchmarks (what a `--synthetic N` flag passes on). A kill takes effect `kill_delay` seconds
    later; snapshots of the last `snapshot_lag` seconds are empty.
    """
    store = Store(
        jobs if jobs is not None else load_jobs(None),
        quotas,
        kill_delay=kill_delay,
        snapshot_lag=snapshot_lag,
        synthetic_jobs=synthetic_jobs,
    )
    state = EmulatorState(store, credentials or default_credentials(), latency)
    handler = type("BoundHandler", (Handler,), {"state": state})
    return EmulatorServer(("127.0.0.1", port), handler)


def state_of(server: ThreadingHTTPServer) -> EmulatorState:
    """The shared state of a server made by `make_server`."""
    state: EmulatorState = server.RequestHandlerClass.state  # type: ignore[attr-defined]
    return state


def banner(server: ThreadingHTTPServer) -> str:
    """What `maxjob emulator` prints: where it listens, the credentials it accepts, its quotas
    and jobs. The first line holds the URL; the last line starts with `Jobs:`."""
    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}"
    state = state_of(server)
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
    quotas = state.store.quotas
    lines.append(
        "Quotas: "
        + ", ".join(
            f"{q} ({', '.join(s['nickName'] for s in doc.get('subQuotaInfoList', []))})"
            for q, doc in quotas.level1.items()
        )
    )
    named, prefixes, unnamed = state.store.shown_ids()
    ids = sorted(named) + [f"{p}<anything>" for p in prefixes]
    more = f"; {unnamed} more (earlier runs, synthetic jobs)" if unnamed else ""
    lines.append("Jobs: " + ", ".join(ids) + more + "; any other id is not found.")
    return "\n".join(lines)


def start_in_thread(**kwargs: Any) -> tuple[EmulatorServer, threading.Thread]:
    """Serve in a daemon thread (for `maxjob demo` and tests); stop with `server.shutdown()`.
    Takes the keywords of `make_server`."""
    server = make_server(**kwargs)
    thread = threading.Thread(target=server.serve_forever, name="maxjob-emulator", daemon=True)
    thread.start()
    return server, thread
