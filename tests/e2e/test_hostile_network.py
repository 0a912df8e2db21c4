"""Attack tests for the HTTP call path, end to end through the installed `maxjob` command.

Each test starts a raw-socket server on 127.0.0.1 that misbehaves in one way (interim answers,
trickled heads and bodies, dropped keep-alive connections, odd header bytes, absurd Retry-After
values, proxies that record what they are sent, bodies that lie) and checks only what a user and a
script can see: the exit status, one clean error line on stderr, the time it took, that no secret
leaks, and what the server or proxy received. Nothing here knows how the client is built.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pytest

from tests.conftest import KEY_ID, KEY_SECRET, MAXJOB, clean_environ
from tests.e2e.hostile_servers import (
    Conn,
    Handler,
    ProxyScript,
    RawServer,
    Request,
    chunk,
    endless,
    gateway_error,
    hostile_after_request,
    job_body,
    one_byte_at_a_time,
    recording_proxy,
    response,
    serve_jobs,
)

# How long a hostile server keeps a connection going before it gives up by itself: longer than
# every bound asserted below, so a client that waits for the server fails the timing check.
HOSTILE_FOR = 6.5
# No maxjob run may take longer than this, whatever it is up against: past it, the test fails.
RUN_TIMEOUT = 15.0


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float


class Started:
    """A `maxjob` process started in the background; `reap()` kills any left running."""

    running: ClassVar[list[subprocess.Popen[bytes]]] = []

    def __init__(self, args: Sequence[str], env: dict[str, str], stdin: bytes | None) -> None:
        self.args = list(args)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [MAXJOB, *args],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        Started.running.append(self.process)
        self.stdin = stdin

    def result(self, timeout: float = RUN_TIMEOUT) -> Run:
        """Its outcome; a process still running `timeout` seconds after its start fails the test."""
        left = max(0.1, timeout - (time.monotonic() - self.started))
        try:
            out, err = self.process.communicate(self.stdin, timeout=left)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            pytest.fail(f"maxjob {' '.join(self.args)[:200]} still running after {timeout}s")
        return Run(
            self.process.returncode,
            out.decode("utf-8", "backslashreplace"),
            err.decode("utf-8", "backslashreplace"),
            time.monotonic() - self.started,
        )

    @classmethod
    def reap(cls) -> None:
        for process in cls.running:
            if process.poll() is None:
                process.kill()
                process.communicate()
        cls.running.clear()


@pytest.fixture(autouse=True)
def _no_process_outlives_its_test() -> Iterator[None]:
    yield
    Started.reap()


def environ(
    endpoint: str | None = None, extra: dict[str, str] | None = None, *, keys: bool = True
) -> dict[str, str]:
    env = clean_environ(Path(os.environ["HOME"]))
    if keys:
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = KEY_ID
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = KEY_SECRET
    if endpoint:
        env["MAXJOB_ENDPOINT"] = endpoint
    env.update(extra or {})
    return env


def start(
    *args: str,
    endpoint: str | None = None,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
) -> Started:
    return Started(args, environ(endpoint, env), stdin)


def maxjob(
    *args: str,
    endpoint: str | None = None,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = RUN_TIMEOUT,
) -> Run:
    return start(*args, endpoint=endpoint, env=env, stdin=stdin).result(timeout)


def no_crash(run: Run) -> None:
    assert "Traceback" not in run.err, run.err
    assert "this is a bug" not in run.err, run.err


def clean_error(run: Run, *codes: int) -> None:
    """Exit status in `codes`, no traceback, and exactly one `maxjob: error:` line (besides
    retry notices, warnings and at most one hint)."""
    assert run.code in codes, (run.code, run.err)
    no_crash(run)
    lines = run.err.splitlines()
    errors = [line for line in lines if line.startswith("maxjob: error")]
    assert len(errors) == 1, run.err
    hints = [line for line in lines if line.startswith("maxjob: hint")]
    assert len(hints) <= 1, run.err
    known = ("maxjob: error", "maxjob: hint", "maxjob: retrying", "maxjob: warning")
    assert all(line.startswith(known) for line in lines), run.err


Serve = Callable[[Handler], RawServer]


@pytest.fixture
def serve(servers: list[RawServer]) -> Serve:
    def make(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    return make


def proxy(servers: list[RawServer], script: ProxyScript | None = None) -> RawServer:
    server = recording_proxy(script)
    servers.append(server)
    return server


def json_out(run: Run) -> Any:
    try:
        return json.loads(run.out)
    except ValueError:
        pytest.fail(f"stdout is not JSON: {run.out[:300]!r}; stderr: {run.err[:300]!r}")


# 1. Interim answers (103 Early Hints, 100 Continue) before the real one.

EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@pytest.mark.parametrize(
    "interim",
    [[EARLY_HINTS], [CONTINUE], [EARLY_HINTS, CONTINUE, EARLY_HINTS]],
    ids=["103", "100", "103-100-103"],
)
def test_interim_answers_are_skipped_and_each_job_gets_its_own_answer(
    serve: Serve, interim: list[bytes]
) -> None:
    server = serve(serve_jobs(interim=interim))
    one = maxjob("info", "alpha-1", "-o", "json", "--max-attempts", "1", endpoint=server.url)
    assert one.code == 0, one.err
    no_crash(one)
    assert json_out(one)["instanceId"] == "alpha-1"
    two = maxjob(
        "info", "alpha-1", "beta-2", "-o", "json", "--concurrency", "1", endpoint=server.url
    )
    assert two.code == 0, two.err
    no_crash(two)
    shown = json_out(two)
    assert isinstance(shown, list)
    assert [job.get("instanceId") for job in shown] == ["alpha-1", "beta-2"], two.out
    asked = [r.instance_id for r in server.requests]
    assert asked == ["alpha-1", "alpha-1", "beta-2"], asked


# 2. The whole-call deadline holds for the whole exchange (maxjob refuses headers over
# 64 KiB; h11 stops an unfinished block at 100 KiB).

JOB = job_body("j1", "running")


def _trickled_headers() -> RawServer:
    return RawServer(
        hostile_after_request(
            b"HTTP/1.1 200 OK\r\n", one_byte_at_a_time(b"x-trickle: a\r\n"), 0.2, HOSTILE_FOR
        )
    )


def _endless_continue() -> RawServer:
    return RawServer(hostile_after_request(b"", endless(CONTINUE), 0.1, HOSTILE_FOR))


def _trickled_body() -> RawServer:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
    return RawServer(hostile_after_request(head, one_byte_at_a_time(b" "), 0.2, HOSTILE_FOR))


def _endless_trailers() -> RawServer:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        + chunk(JOB)
        + b"0\r\n"
    )
    return RawServer(hostile_after_request(head, endless(b"x-trailer: a\r\n"), 0.1, HOSTILE_FOR))


@pytest.mark.timed
@pytest.mark.parametrize(
    "make",
    [_endless_continue, _trickled_headers, _trickled_body, _endless_trailers],
    ids=["endless-100-continue", "headers-trickled", "body-trickled", "endless-trailers"],
)
def test_the_deadline_holds_for_the_whole_exchange(
    servers: list[RawServer], make: Callable[[], RawServer]
) -> None:
    server = make()
    servers.append(server)
    # Both at once, to keep the wall time of the file down.
    info = start("info", "j1", "--request-timeout", "1", "--max-attempts", "1", endpoint=server.url)
    wait = start(
        "wait",
        "j1",
        "--timeout",
        "2",
        "--interval",
        "0.1",
        "--request-timeout",
        "1",
        endpoint=server.url,
    )
    # A process still running 8 s in has waited for the server to give up (at 6.5 s).
    info_run, wait_run = info.result(8), wait.result(8)
    assert server.requests, "the server saw no request"
    # ~3 s and ~5 s: the deadline, plus start-up, plus a little slack for a loaded machine.
    assert info_run.seconds < 3.5, f"info took {info_run.seconds:.1f}s: {info_run.err}"
    assert wait_run.seconds < 5.5, f"wait took {wait_run.seconds:.1f}s: {wait_run.err}"
    clean_error(info_run, 6)
    assert wait_run.code in (6, 124), (wait_run.code, wait_run.err)
    no_crash(wait_run)


@pytest.mark.parametrize(
    "headers",
    [
        [(f"x-big-{i:02d}", "a" * 2000) for i in range(34)],  # 34 lines of 2 kB: 66 KiB+
        [("x-huge", "a" * (1 << 20))],  # one 1 MiB line
    ],
    ids=["many-lines-66KiB", "one-line-1MiB"],
)
def test_a_header_block_over_64_kib_is_refused(
    serve: Serve, headers: list[tuple[str, str]]
) -> None:
    server = serve(serve_jobs(lambda request, n: response(200, JOB, headers)))
    run = maxjob("info", "j1", "--request-timeout", "2", "--max-attempts", "1", endpoint=server.url)
    clean_error(run, 1, 6)
    assert run.out == ""


# 3. A dropped keep-alive connection is never replayed with the same signature.


def _drop_on(mode: str) -> Handler:
    answered = [0]

    def handle(conn: Conn) -> None:
        for _ in range(10):
            request = conn.read_request()
            if request is None:
                return
            if mode == "on-next-request" and request.index >= 1:
                return  # took the request, closes without a word
            status = "running" if answered[0] < 2 else "success"
            answered[0] += 1
            conn.send(response(200, job_body("j1", status)))
            if mode == "after-answer":
                return  # keep-alive was implied; close silently anyway

    return handle


@pytest.mark.parametrize("mode", ["after-answer", "on-next-request"])
def test_a_dropped_connection_is_never_replayed_with_the_same_signature(
    serve: Serve, mode: str
) -> None:
    server = serve(_drop_on(mode))
    run = maxjob("watch", "j1", "--interval", "0.1", "--request-timeout", "2", endpoint=server.url)
    seen = server.requests
    nonces = [r.headers.get("x-acs-signature-nonce") for r in seen]
    assert None not in nonces
    assert len(set(nonces)) == len(nonces), f"a nonce was sent twice: {nonces}"
    signatures = [r.headers.get("authorization") for r in seen]
    assert len(set(signatures)) == len(signatures), "a signature was sent twice"
    for r in seen:
        sent = calendar.timegm(time.strptime(r.headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ"))
        assert abs(sent - r.wall) < 5, (r.headers["x-acs-date"], r.wall)
    assert run.code == 0, run.err
    no_crash(run)
    assert len(seen) >= 3, len(seen)


# 4. Non-ASCII bytes in a response header value.


@pytest.mark.parametrize("name", [b"x-note", b"x-acs-request-id"])
@pytest.mark.parametrize("value", ["café".encode(), b"a\xff\xfeb"], ids=["utf8", "fffe"])
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_non_ascii_header_values_do_not_break_a_good_answer(
    serve: Serve, name: bytes, value: bytes, debug: bool
) -> None:
    server = serve(serve_jobs(lambda request, n: response(200, job_body("j1"), [(name, value)])))
    args = ["info", "j1", "-o", "json", "--max-attempts", "1"] + (["--debug"] if debug else [])
    run = maxjob(*args, endpoint=server.url)
    assert run.code == 0, run.err
    no_crash(run)
    assert json_out(run)["instanceId"] == "j1"


# 6. Absurd Retry-After values on a 503, then a 200.


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-acs-retry-after", "nan"),
        ("x-acs-retry-after", "inf"),
        ("x-acs-retry-after", "-1"),
        ("x-acs-retry-after", "1e400"),
        ("retry-after", "nan"),
        ("retry-after", "inf"),
    ],
)
def test_absurd_retry_after_values_mean_a_short_wait(serve: Serve, header: str, value: str) -> None:
    def answer(request: Request, n: int) -> bytes:
        if n == 0:
            body = gateway_error("ServiceUnavailable", "busy")
            return response(503, body, [(header, value)], reason="Service Unavailable")
        return response(200, job_body("j1"))

    server = serve(serve_jobs(answer))
    run = maxjob("info", "j1", "-o", "json", endpoint=server.url, timeout=6)
    assert run.code == 0, run.err
    no_crash(run)
    assert len(server.requests) == 2
    gap = server.requests[1].at - server.requests[0].at
    assert gap < 5, f"waited {gap:.1f}s for Retry-After {value}"


# 8. A loopback http:// endpoint behind http_proxy: the token stays home, or a warning says not.

TOKEN = hashlib.sha256(b"sts-token-canary").hexdigest() * 3  # 192 characters
assert len(TOKEN) > 150


def test_plain_http_through_a_proxy_keeps_the_token_home_or_warns(
    serve: Serve, servers: list[RawServer]
) -> None:
    server = serve(serve_jobs())
    relay = proxy(servers)
    env = {
        "http_proxy": f"http://127.0.0.1:{relay.port}",
        "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN,
    }
    run = maxjob("info", "j1", "-o", "json", "--max-attempts", "1", endpoint=server.url, env=env)
    assert run.code == 0, run.err
    no_crash(run)
    leaked = [r for r in relay.requests if TOKEN.encode() in r.raw]
    if leaked:
        warnings = [
            line
            for line in run.err.splitlines()
            if line.startswith("maxjob: warning") and "http" in line.lower()
        ]
        assert warnings, "the STS token went to the proxy over plain http with no warning"
    assert TOKEN not in run.out + run.err


# 9. Proxy credentials from the URL, percent-decoded, for http:// and for CONNECT.

PROXY_LOGIN = "Basic " + base64.b64encode(b"user:pa@ss").decode()


def test_http_proxy_credentials_are_sent_decoded(servers: list[RawServer]) -> None:
    relay = proxy(servers)
    env = {"http_proxy": f"http://user:pa%40ss@127.0.0.1:{relay.port}"}
    # .invalid never resolves; only the proxy (on loopback) is ever connected to.
    run = maxjob(
        "info",
        "j1",
        "-o",
        "json",
        "--max-attempts",
        "1",
        "--request-timeout",
        "2",
        endpoint="http://maxcompute.invalid:80",
        env=env,
    )
    no_crash(run)
    assert relay.requests, (run.code, run.err)
    got = relay.requests[0]
    assert got.target.startswith("http://maxcompute.invalid"), got.target
    assert got.headers.get("proxy-authorization") == PROXY_LOGIN, got.headers
    assert run.code == 0, run.err


def test_https_proxy_credentials_are_sent_with_connect(servers: list[RawServer]) -> None:
    relay = proxy(servers)
    env = {"HTTPS_PROXY": f"http://user:pa%40ss@127.0.0.1:{relay.port}"}
    run = maxjob(
        "info",
        "j1",
        "--max-attempts",
        "1",
        "--request-timeout",
        "2",
        endpoint="https://maxcompute.invalid",
        env=env,
    )
    assert relay.requests, (run.code, run.err)
    got = relay.requests[0]
    assert got.method == "CONNECT" and got.target == "maxcompute.invalid:443", got.target
    assert got.headers.get("proxy-authorization") == PROXY_LOGIN, got.headers
    clean_error(run, 4, 6)


# 10. Numbers that overflow a float, lone surrogates: unreadable, exit 1.


@pytest.mark.parametrize(
    "body",
    [
        b'{"requestId": "r", "data": {"instanceId": "j1", "status": "running", '
        b'"inputBytes": 1e400}}',
        b'{"requestId": "r", "data": {"instanceId": "j1", "status": "running", '
        b'"jobOwner": "\\ud800"}}',
    ],
    ids=["1e400", "lone-surrogate"],
)
@pytest.mark.parametrize("output", [["-o", "json"], ["--jq", ".status"]], ids=["json", "jq"])
def test_bodies_json_cannot_carry_are_unreadable(
    serve: Serve, body: bytes, output: list[str]
) -> None:
    server = serve(serve_jobs(lambda request, n: response(200, body)))
    run = maxjob("info", "j1", *output, "--max-attempts", "1", endpoint=server.url)
    clean_error(run, 1)
    assert run.out == ""


# 11. One bad ID among several on stdin: an error in its place, the others fetched.


def _by_name(request: Request, n: int) -> bytes:
    instance_id = request.instance_id or "?"
    if len(request.target) > 8192:
        page = b"<html><body>414 Request-URI Too Large</body></html>"
        return response(414, page, [("content-type", "text/html")], reason="URI Too Long")
    status = "failed" if instance_id == "failed" else "success"
    return response(200, job_body(instance_id, status))


@pytest.mark.parametrize(
    "bad",
    [b"\xff\xfe", b"a" * 65000],
    ids=["invalid-utf8", "65KB"],
)
def test_one_bad_id_on_stdin_is_an_error_in_its_place(serve: Serve, bad: bytes) -> None:
    server = serve(serve_jobs(_by_name))
    run = maxjob(
        "info",
        "-",
        "-o",
        "jsonl",
        "--max-attempts",
        "1",
        endpoint=server.url,
        stdin=b"finished\n" + bad + b"\nfailed\n",
    )
    no_crash(run)
    lines = [json.loads(line) for line in run.out.splitlines() if line.strip()]
    assert len(lines) == 3, (run.out[:500], run.err[:500])
    assert lines[0].get("instanceId") == "finished" and "error" not in lines[0]
    assert "error" in lines[1], lines[1]
    assert lines[2].get("instanceId") == "failed" and "error" not in lines[2]
    asked = {r.instance_id for r in server.requests}
    assert {"finished", "failed"} <= asked
    if bad == b"\xff\xfe":
        assert asked == {"finished", "failed"}, asked
    assert run.code != 0 and run.code in (1, 2, 5, 6), (run.code, run.err)


# 12. `.` and `..` are not instance ids.


@pytest.mark.parametrize("instance_id", [".", ".."])
def test_dot_ids_are_usage_errors_and_send_nothing(serve: Serve, instance_id: str) -> None:
    server = serve(serve_jobs())
    run = maxjob("info", instance_id, endpoint=server.url)
    clean_error(run, 2)
    assert server.requests == [], [r.target for r in server.requests]


# 13. A server error echoing the STS token.


def _token_fragments(output: str) -> list[str]:
    """The token, or any 16-character piece of it, or its URL or base64 form, found in `output`."""
    found = [
        form
        for form in (quote(TOKEN, safe=""), base64.b64encode(TOKEN.encode()).decode())
        if form in output
    ]
    found += [TOKEN[i : i + 16] for i in range(len(TOKEN) - 15) if TOKEN[i : i + 16] in output]
    return found


def _echo_message(kind: str) -> str:
    if kind == "whole":
        return f"The specified security token {TOKEN} is malformed."
    # A 400-character message holding the token's first 100 characters.
    message = "The security token is malformed: " + TOKEN[:100] + " "
    return message + "." * (400 - len(message))


@pytest.mark.parametrize("kind", ["whole", "cut-at-100-in-400"])
@pytest.mark.parametrize(
    "args",
    [["info", "alpha-1", "beta-2", "-o", "json"], ["info", "alpha-1"]],
    ids=["json-two-ids", "default"],
)
def test_an_echoed_token_never_reaches_the_output(serve: Serve, kind: str, args: list[str]) -> None:
    message = _echo_message(kind)
    body = gateway_error("InvalidSecurityToken.Malformed", message)
    server = serve(serve_jobs(lambda request, n: response(400, body, [("x-note", message)])))
    env = {"ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN}
    run = maxjob(*args, "--max-attempts", "1", endpoint=server.url, env=env)
    no_crash(run)
    assert server.requests, run.err
    assert run.code == 4, (run.code, run.err)
    assert _token_fragments(run.out + run.err) == [], run.out + run.err
    if "json" in args:
        shown = json_out(run)
        assert isinstance(shown, list) and len(shown) == 2
        assert all("error" in job for job in shown), shown


# 14. Credentials in the endpoint's userinfo never reach any output.


@pytest.mark.parametrize("where", ["flag", "environment"])
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_endpoint_userinfo_never_reaches_the_output(where: str, debug: bool) -> None:
    endpoint = "https://user:secretpw@127.0.0.1:1"
    args = ["info", "j1", "--max-attempts", "1", "--request-timeout", "1"]
    args += ["--debug"] if debug else []
    if where == "flag":
        run = maxjob(*args, "--endpoint", endpoint)
    else:
        run = maxjob(*args, env={"MAXJOB_ENDPOINT": endpoint})
    clean_error(run, 2, 6)
    assert "secretpw" not in run.out + run.err, run.err


# 16. Broken proxy settings and absurd timeouts: a clean usage error.


@pytest.mark.parametrize(
    ("extra", "args"),
    [
        ({"HTTPS_PROXY": "http://127.0.0.1:99999"}, []),
        ({"HTTPS_PROXY": "http://[bad"}, []),
        ({}, ["--request-timeout", "1e10"]),
    ],
    ids=["proxy-port-99999", "proxy-bad-ipv6", "request-timeout-1e10"],
)
def test_broken_settings_are_a_clean_usage_error(
    serve: Serve, extra: dict[str, str], args: list[str]
) -> None:
    server = serve(serve_jobs())
    endpoint = f"https://127.0.0.1:{server.port}" if extra else server.url
    run = maxjob("info", "j1", "--max-attempts", "1", *args, endpoint=endpoint, env=extra)
    clean_error(run, 2)
    assert server.connections == 0


def test_a_no_proxy_entry_httpx_could_not_read_is_read_as_curl_does(
    serve: Serve, servers: list[RawServer]
) -> None:
    # httpx failed on `[::1]:8080` while it built its proxy table (a usage error then); maxjob
    # reads NO_PROXY itself now: the entry covers ::1 (the port left out), and nothing else.
    server = serve(serve_jobs())
    relay = proxy(servers)
    env = {"http_proxy": f"http://127.0.0.1:{relay.port}", "NO_PROXY": "[::1]:8080"}
    run = maxjob("info", "j1", "-o", "json", "--max-attempts", "1", endpoint=server.url, env=env)
    no_crash(run)
    assert len(relay.requests) == 1  # 127.0.0.1 is not ::1: through the proxy


# 17. NO_PROXY entries read as curl reads them.


@pytest.mark.parametrize(
    ("host", "no_proxy"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "http://127.0.0.1"),
        ("localhost", "localhost:{port}"),
    ],
    ids=["ip", "scheme", "name-with-port"],
)
def test_no_proxy_bypasses_the_proxy(
    serve: Serve, servers: list[RawServer], host: str, no_proxy: str
) -> None:
    server = serve(serve_jobs())
    relay = proxy(servers)
    env = {
        "http_proxy": f"http://127.0.0.1:{relay.port}",
        "NO_PROXY": no_proxy.format(port=server.port),
    }
    endpoint = f"http://{host}:{server.port}"
    run = maxjob("info", "j1", "-o", "json", "--max-attempts", "1", endpoint=endpoint, env=env)
    assert run.code == 0, run.err
    no_crash(run)
    assert relay.requests == [], [r.target for r in relay.requests]
    assert len(server.requests) == 1


# 28. Network errors that say what to do.


def _plain_http_only(conn: Conn) -> None:
    try:
        conn.sock.recv(4096)  # a TLS ClientHello, most likely
    except OSError:
        return
    conn.send(response(400, b"plain http only", reason="Bad Request"))


def test_tls_spoken_to_a_plain_http_server_says_so_and_hints_http(serve: Serve) -> None:
    server = serve(_plain_http_only)
    run = maxjob(
        "info",
        "j1",
        "--max-attempts",
        "1",
        "--request-timeout",
        "2",
        endpoint=f"https://127.0.0.1:{server.port}",
    )
    clean_error(run, 6)
    assert "TLS" in run.err or "HTTPS" in run.err.upper()
    assert "http://" in run.err, run.err


def test_a_name_that_does_not_resolve_is_a_clean_dns_error() -> None:
    # .invalid is reserved: it never resolves, and no proxy variable is set.
    run = maxjob(
        "info",
        "j1",
        "--max-attempts",
        "1",
        "--request-timeout",
        "2",
        endpoint="https://nonexistent.invalid",
    )
    clean_error(run, 6)
    assert "nonexistent.invalid" in run.err
    lower = run.err.lower()
    assert "dns" in lower or "resolve" in lower, run.err
    assert "errno" not in lower, run.err


# Bodies that lie about their length, or are cut by a reset.


def _short_body(conn: Conn) -> None:
    if conn.read_request() is None:
        return
    conn.send(response(200, JOB[:10], length=100))
    time.sleep(0.1)


def _reset_mid_body(conn: Conn) -> None:
    if conn.read_request() is None:
        return
    conn.send(response(200, JOB[:10], length=len(JOB)))
    time.sleep(0.1)
    conn.reset()


@pytest.mark.timed
@pytest.mark.parametrize(
    "handler", [_short_body, _reset_mid_body], ids=["short-body-then-close", "reset-mid-body"]
)
def test_a_cut_body_is_a_clean_network_error(serve: Serve, handler: Handler) -> None:
    server = serve(handler)
    run = maxjob("info", "j1", "--max-attempts", "1", "--request-timeout", "2", endpoint=server.url)
    clean_error(run, 6)
    assert run.out == ""
    assert run.seconds < 5
