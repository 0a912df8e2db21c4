"""Retries, deadlines, hostile responses, helpful errors, secrets, proxies and TLS, over real
loopback sockets against the installed `maxjob`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from maxjob import emulator as emu
from tests.conftest import MAXJOB, Emulator, keyed_environ, run_maxjob
from tests.e2e.servers import OK_BODY, Answer, ConnectProxy, ScriptedServer

RUNNING = json.dumps({"data": {"instanceId": "j1", "status": "running"}}).encode()
DONE = json.dumps({"data": {"instanceId": "j1", "status": "success"}}).encode()


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ScriptedServer] = []

    def start(script: Any, **kwargs: Any) -> ScriptedServer:
        server = ScriptedServer(script, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def gateway(code: str, status: int, message: str = "nope", **headers: str) -> Answer:
    body = json.dumps(
        {"RequestId": "req-9", "HostId": "h", "Code": code, "Message": message, "Recommend": "r"}
    ).encode()
    return Answer(status, body, dict(headers))


def test_503_twice_then_200_succeeds_on_the_third_attempt_with_fresh_nonces(serve: Any) -> None:
    server = serve(lambda n: Answer(503, b"<html>busy</html>") if n < 2 else Answer())
    result = run_maxjob("info", "j1", "-o", "json", endpoint=server.url)
    assert result.code == 0, result.err
    assert len(server.seen) == 3
    assert len({s.headers["x-acs-signature-nonce"] for s in server.seen}) == 3
    assert len({s.headers["authorization"] for s in server.seen}) == 3
    assert result.err.count("maxjob: retrying job j1") == 2
    assert "(attempt 2 of 3)" in result.err and "(attempt 3 of 3)" in result.err


def test_throttling_waits_for_x_acs_retry_after(serve: Any) -> None:
    server = serve(
        lambda n: (
            gateway("Throttling.User", 400, **{"x-acs-retry-after": "600"}) if n == 0 else Answer()
        )
    )
    result = run_maxjob("info", "j1", endpoint=server.url)
    assert result.code == 0, result.err
    gap = server.seen[1].at - server.seen[0].at
    assert 0.55 <= gap < 3, gap
    assert "in 0.6s" in result.err and "Throttling.User" in result.err


def test_retry_after_seconds_and_http_date_are_honoured(serve: Any) -> None:
    server = serve(lambda n: Answer(429, b"", {"retry-after": "1"}) if n == 0 else Answer())
    assert run_maxjob("info", "j1", endpoint=server.url).code == 0
    assert server.seen[1].at - server.seen[0].at >= 0.95
    # Far enough ahead that a slow start of the process still leaves a wait to honour.
    when = formatdate(time.time() + 4, usegmt=True)
    dated = serve(lambda n: Answer(503, b"", {"retry-after": when}) if n == 0 else Answer())
    assert run_maxjob("info", "j1", endpoint=dated.url).code == 0
    assert dated.seen[1].at - dated.seen[0].at >= 0.5


def test_persistent_500_stops_after_max_attempts_with_exit_6(serve: Any) -> None:
    body = json.dumps(
        {
            "requestId": "r5",
            "httpCode": 500,
            "errorCode": "INTERNAL_SERVER_ERROR",
            "errorMsg": "boom",
        }
    ).encode()
    server = serve(lambda n: Answer(500, body))
    result = run_maxjob("info", "j1", "--max-attempts", "4", endpoint=server.url)
    assert result.code == 6
    assert len(server.seen) == 4
    assert "after 4 attempts" in result.err and "request id r5" in result.err


def test_max_attempts_1_disables_retries(serve: Any) -> None:
    server = serve(lambda n: Answer(503, b""))
    assert run_maxjob("info", "j1", "--max-attempts", "1", endpoint=server.url).code == 6
    assert len(server.seen) == 1


@pytest.mark.parametrize(
    ("code", "status", "exit_code"),
    [
        ("NoPermission", 403, 4),
        ("Forbidden.RAM", 403, 4),
        ("SignatureDoesNotMatch", 400, 4),
        ("InvalidAccessKeyId.NotFound", 404, 4),
        ("ILLEGAL_ARGUMENT", 400, 2),
        ("OBJECT_NOT_EXIST", 404, 5),
    ],
)
def test_non_retryable_errors_are_requested_once(
    serve: Any, code: str, status: int, exit_code: int
) -> None:
    server = serve(lambda n: gateway(code, status))
    result = run_maxjob("info", "j1", endpoint=server.url)
    assert result.code == exit_code, result.err
    assert len(server.seen) == 1
    assert code in result.err and "Traceback" not in result.err


def test_a_2xx_whose_http_code_says_failure_is_a_failure(serve: Any) -> None:
    body = json.dumps(
        {
            "requestId": "x",
            "httpCode": 403,
            "errorCode": "NO_PERMISSION",
            "errorMsg": "denied",
            "data": {"status": "running"},
        }
    ).encode()
    server = serve(lambda n: Answer(200, body))
    result = run_maxjob("info", "j1", endpoint=server.url)
    assert result.code == 4 and "NO_PERMISSION" in result.err


@pytest.mark.timed
def test_a_server_that_never_answers_ends_within_the_deadline(serve: Any) -> None:
    server = serve(lambda n: Answer(hang=30))
    started = time.monotonic()
    result = run_maxjob(
        "info",
        "j1",
        "--request-timeout",
        "1",
        "--max-attempts",
        "2",
        endpoint=server.url,
        timeout=40,
    )
    elapsed = time.monotonic() - started
    assert result.code == 6
    assert elapsed < 6, elapsed
    assert "did not answer in time" in result.err


@pytest.mark.timed
def test_a_slow_trickle_cannot_outlive_the_deadline(serve: Any) -> None:
    def trickle() -> Iterator[bytes]:
        for _ in range(100):
            time.sleep(0.5)
            yield b" "

    server = serve(lambda n: Answer(200, trickle()))
    started = time.monotonic()
    result = run_maxjob(
        "info",
        "j1",
        "--request-timeout",
        "1",
        "--max-attempts",
        "1",
        endpoint=server.url,
        timeout=60,
    )
    assert result.code == 6
    assert time.monotonic() - started < 10
    assert "too slowly" in result.err or "did not answer in time" in result.err


def test_a_reset_connection_is_retried(serve: Any) -> None:
    server = serve(lambda n: Answer(reset=True) if n == 0 else Answer())
    result = run_maxjob("info", "j1", "-o", "json", endpoint=server.url)
    assert result.code == 0, result.err
    assert len(server.seen) == 2
    assert "reset or closed" in result.err


def _peak_rss_kb(args: list[str], env: dict[str, str]) -> tuple[int, str, float]:
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        " time.monotonic() - t)\n"
        "print(done.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, check=True
    )
    first, _, err = done.stdout.partition("\n")
    code, rss, seconds = first.split()
    return int(code) * 1000 + int(rss) // 10**9, f"{rss}\n{err}", float(seconds)


@pytest.mark.timed
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mib_body_fails_fast_with_bounded_memory(
    serve: Any, tmp_path: Path, chunked: bool
) -> None:
    chunk = b"x" * (1 << 20)

    def body() -> Iterator[bytes]:
        for _ in range(50):
            yield chunk

    def answer(n: int) -> Answer:
        if chunked:
            return Answer(200, body(), chunked=True)
        return Answer(200, b"x" * (50 << 20))

    server = serve(answer)
    env = keyed_environ(tmp_path, server.url)
    packed, detail, seconds = _peak_rss_kb([MAXJOB, "info", "j1"], env)
    rss_kb, err = int(detail.split("\n", 1)[0]), detail.split("\n", 1)[1]
    assert packed // 1000 == 1, err
    assert "10 MiB" in err
    assert rss_kb < 90 * 1024, rss_kb
    assert seconds < 10


def test_a_redirect_is_not_followed(serve: Any) -> None:
    target = serve(lambda n: Answer())
    server = serve(lambda n: Answer(302, b"", {"location": f"http://localhost:{target.port}/x"}))
    result = run_maxjob("info", "j1", endpoint=server.url)
    assert result.code == 6
    assert "redirect to localhost" in result.err
    assert target.seen == []
    assert len(server.seen) == 1


@pytest.mark.parametrize(
    ("status", "body", "exit_code", "words"),
    [
        (502, b"<html><body>Bad Gateway</body></html>", 6, "HTML page"),
        (200, b"", 1, "empty body"),
        (200, OK_BODY[:-9], 1, "truncated"),
        (200, b"[1, 2]", 1, "not a JSON object"),
        (200, b'{"data": {"status": "\xff\xfe"}}', 1, "not valid UTF-8"),
        (200, b'{"data": {"cuUsage": NaN}}', 1, "NaN"),
        (200, b'{"data": {"status": "a"}, "data": {"status": "b"}}', 1, "repeats the key"),
        (200, b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}", 1, "nested"),
        (200, b'{"requestId": "x", "httpCode": 200}', 1, "has no data"),
        (200, b"<html>captive portal</html>", 1, "HTML page"),
    ],
    ids=[
        "html-502",
        "empty",
        "truncated",
        "array",
        "utf8",
        "nan",
        "duplicate",
        "deep",
        "no-data",
        "html-200",
    ],
)
def test_malformed_bodies_end_cleanly(
    serve: Any, status: int, body: bytes, exit_code: int, words: str
) -> None:
    server = serve(lambda n: Answer(status, body))
    result = run_maxjob("info", "j1", "--max-attempts", "2", endpoint=server.url)
    assert result.code == exit_code, result.err
    assert words in result.err
    assert result.err.startswith("maxjob: ") and "Traceback" not in result.err
    assert result.out == ""


def test_clock_skew_shows_both_clocks(serve: Any) -> None:
    server_date = formatdate(time.time() + 3600, usegmt=True)
    server = serve(lambda n: gateway("InvalidTimeStamp.Expired", 400, "expired", date=server_date))
    result = run_maxjob("info", "j1", endpoint=server.url)
    assert result.code == 4
    assert "this machine's clock says" in result.err and "the server's" in result.err
    assert "NTP" in result.err


def test_permission_error_names_the_ram_action_and_resource(serve: Any) -> None:
    server = serve(lambda n: gateway("Forbidden.RAM", 403, "not authorized"))
    result = run_maxjob("info", "j1", "--region", "cn-hangzhou", endpoint=server.url)
    assert result.code == 4
    assert "odps:GetJobInfo" in result.err
    assert "acs:odps:cn-hangzhou:<account-id>:job/j1" in result.err


def test_invalid_access_key_names_where_the_key_came_from(serve: Any) -> None:
    server = serve(lambda n: gateway("InvalidAccessKeyId.Inactive", 400, "inactive"))
    result = run_maxjob("info", "j1", endpoint=server.url)
    assert result.code == 4 and "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)" in result.err


def test_signature_mismatch_debug_shows_the_canonical_request(emulator: Emulator) -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong"}
    plain = run_maxjob("info", "finished", endpoint=emulator.url, env=env)
    assert "--debug shows the canonical request" in plain.err
    assert "| GET" not in plain.err
    debug = run_maxjob("info", "finished", "--debug", endpoint=emulator.url, env=env)
    assert "| GET" in debug.err and "| /api/v1/jobs/finished/info" in debug.err


SECRET = "canary-secret-5f1d9c"
TOKEN = "canary-token-8e2a7b"


def _canary_forms() -> list[str]:
    import base64
    from urllib.parse import quote

    forms = []
    for value in (SECRET, TOKEN):
        forms += [value, quote(value, safe=""), base64.b64encode(value.encode()).decode()]
    return forms


def test_secrets_never_appear_in_any_output(emulator: Emulator, serve: Any, tmp_path: Path) -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET, "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN}
    hostile = serve(
        lambda n: Answer(200, json.dumps({"data": {"status": "running", "note": "echo"}}).encode())
    )
    failing = serve(lambda n: Answer(503, b"<html/>"))
    runs = [
        ("info", "finished", "--debug", "-o", "json"),
        ("info", "finished", "nope", "--debug"),
        ("info", "finished", "--debug", "-o", "table"),
        ("watch", "failed", "--debug"),
        ("wait", "failed", "finished", "--debug"),
        ("info", "finished", "--debug", "--endpoint", failing.url, "--max-attempts", "2"),
        ("info", "finished", "--debug", "--endpoint", hostile.url),
        ("info", "finished", "--debug", "--endpoint", "http://127.0.0.1:9"),
        ("info", "finished", "--debug", "--jq", ".["),
        ("info", "finished", "--debug", "--region", "Not Valid"),
    ]
    combined = ""
    for args in runs:
        result = run_maxjob(*args, endpoint=emulator.url, env=env)
        combined += result.out + result.err
    assert "x-acs-security-token: <hidden>" in combined
    assert "Signature=<hidden>" in combined
    for form in _canary_forms():
        assert form not in combined, form
    # The same, with the debug variables of other libraries set.
    noisy = run_maxjob(
        "info",
        "finished",
        "--debug",
        endpoint=emulator.url,
        env={**env, "DEBUG": "sdk", "HTTPX_LOG_LEVEL": "trace"},
    )
    for form in _canary_forms():
        assert form not in noisy.out + noisy.err


def test_debug_shows_the_exchange(emulator: Emulator) -> None:
    result = run_maxjob("info", "finished", "--debug", endpoint=emulator.url)
    assert result.code == 0
    assert f"> GET {emulator.url}/api/v1/jobs/finished/info" in result.err
    assert "< HTTP 200 in " in result.err and "x-acs-request-id: emu-" in result.err
    assert "Credential=emulator-key-id" in result.err


def _tls_emulator(ca: Any, tmp_path: Path) -> tuple[Any, int]:
    import ssl

    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server = emu.make_server(port=0)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def test_tls_verification_with_a_throwaway_ca(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    server, port = _tls_emulator(ca, tmp_path)
    try:
        url = f"https://127.0.0.1:{port}"
        refused = run_maxjob("info", "finished", endpoint=url, env={"SSL_CERT_FILE": ""})
        assert refused.code == 6
        assert "TLS certificate verification failed" in refused.err
        assert "--ca-bundle" in refused.err
        flag = run_maxjob(
            "info", "finished", "--ca-bundle", str(bundle), "-o", "json", endpoint=url
        )
        assert flag.code == 0, flag.err
        env = run_maxjob(
            "info", "finished", "-o", "json", endpoint=url, env={"SSL_CERT_FILE": str(bundle)}
        )
        assert env.code == 0, env.err
        assert json.loads(env.out)["instanceId"] == "finished"
        # SSL_CERT_DIR counts beside SSL_CERT_FILE, as in curl (it was ignored then).
        openssl = shutil.which("openssl")
        if openssl is not None:
            certs = tmp_path / "certs"
            certs.mkdir()
            subject = subprocess.run(
                [openssl, "x509", "-hash", "-noout", "-in", str(bundle)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            shutil.copy(bundle, certs / f"{subject}.0")
            other = tmp_path / "other.pem"
            trustme.CA().cert_pem.write_to_path(str(other))
            both = {"SSL_CERT_FILE": str(other), "SSL_CERT_DIR": str(certs)}
            via_dir = run_maxjob("info", "finished", "-o", "json", endpoint=url, env=both)
            assert via_dir.code == 0, via_dir.err
        # A bundle that is a pipe would hang the load: refused at once.
        fifo = tmp_path / "bundle.fifo"
        os.mkfifo(fifo)
        piped = run_maxjob("info", "finished", "--ca-bundle", str(fifo), endpoint=url, timeout=20)
        assert piped.code == 2 and "not a regular file" in piped.err, piped.err
    finally:
        server.shutdown()
        server.server_close()


def test_https_proxy_is_used_and_no_proxy_bypasses_it(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    server, port = _tls_emulator(ca, tmp_path)
    proxy = ConnectProxy()
    try:
        url = f"https://127.0.0.1:{port}"
        via = {"HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}", "SSL_CERT_FILE": str(bundle)}
        result = run_maxjob("info", "finished", "-o", "json", endpoint=url, env=via)
        assert result.code == 0, result.err
        assert proxy.targets == [f"CONNECT 127.0.0.1:{port}"]
        bypass = run_maxjob(
            "info", "finished", "-o", "json", endpoint=url, env={**via, "NO_PROXY": "127.0.0.1"}
        )
        assert bypass.code == 0, bypass.err
        assert len(proxy.targets) == 1
    finally:
        proxy.close()
        server.shutdown()
        server.server_close()


def test_one_connection_serves_every_poll(serve: Any) -> None:
    server = serve(lambda n: Answer(200, RUNNING if n < 4 else DONE))
    result = run_maxjob("watch", "j1", "--interval", "0.1", endpoint=server.url)
    assert result.code == 0, result.err
    assert len(server.seen) == 5
    assert len({s.client_port for s in server.seen}) == 1


def test_a_cookie_the_server_sets_is_never_sent_back(serve: Any) -> None:
    cookie = {"set-cookie": "track=me; Path=/"}
    server = serve(lambda n: Answer(200, RUNNING if n < 2 else DONE, cookie))
    result = run_maxjob("watch", "j1", "--interval", "0.1", endpoint=server.url)
    assert result.code == 0, result.err
    assert len(server.seen) == 3
    assert all("cookie" not in s.headers for s in server.seen)


def test_a_connection_the_server_dropped_is_replaced_without_a_retry(serve: Any) -> None:
    server = serve(lambda n: Answer(200, RUNNING if n < 2 else DONE, close_after=True))
    result = run_maxjob("watch", "j1", "--interval", "0.2", endpoint=server.url)
    assert result.code == 0, result.err
    assert "retrying" not in result.err
    assert len({s.client_port for s in server.seen}) == 3


def test_http_proxy_gets_the_absolute_url_and_no_proxy_bypasses_it(serve: Any) -> None:
    server = serve(lambda n: Answer())
    proxy = ConnectProxy()
    try:
        via = {"http_proxy": f"http://127.0.0.1:{proxy.port}"}
        result = run_maxjob("info", "j1", "-o", "json", endpoint=server.url, env=via)
        assert result.code == 0, result.err
        assert proxy.targets == [f"GET {server.url}/api/v1/jobs/j1/info"]
        assert server.seen == []
        bypass = run_maxjob(
            "info",
            "j1",
            "-o",
            "json",
            endpoint=server.url,
            env={**via, "NO_PROXY": "localhost,127.0.0.1"},
        )
        assert bypass.code == 0 and len(server.seen) == 1 and len(proxy.targets) == 1
        every = run_maxjob(
            "info", "j1", endpoint=server.url, env={"ALL_PROXY": f"http://127.0.0.1:{proxy.port}"}
        )
        assert every.code == 0 and len(proxy.targets) == 2
    finally:
        proxy.close()


def test_a_proxy_maxjob_cannot_use_is_a_clean_usage_error(serve: Any) -> None:
    server = serve(lambda n: Answer())
    result = run_maxjob(
        "info", "j1", endpoint=server.url, env={"ALL_PROXY": "socks5://127.0.0.1:1"}
    )
    assert result.code == 2 and "proxy" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [
        ("127.0.0.0/8", True),  # a CIDR range, as curl reads it (httpx went through the proxy)
        ("localhost, 127.0.0.1:9999", True),  # the port is left out of the comparison
        (".0.0.1", False),  # no host name, address or range (httpx bypassed, maxjob warned)
        ("example.com", False),
    ],
)
def test_no_proxy_is_read_as_curl_reads_it_end_to_end(
    serve: Any, no_proxy: str, bypassed: bool
) -> None:
    server = serve(lambda n: Answer())
    proxy = ConnectProxy()
    try:
        env = {"http_proxy": f"http://127.0.0.1:{proxy.port}", "NO_PROXY": no_proxy}
        result = run_maxjob("info", "j1", "-o", "json", endpoint=server.url, env=env)
        assert result.code == 0, result.err
        assert (len(server.seen), len(proxy.targets)) == ((1, 0) if bypassed else (0, 1))
        # The warning about plain http through a proxy is said exactly when it is so.
        assert ("goes through the HTTP proxy" in result.err) is not bypassed, result.err
    finally:
        proxy.close()


WRAPPED_SECRET = "wrapped-canary-secret-0123456789abcdef"


def wrapped_at_40(serve: Any, job: dict[str, Any], *command: str, picture: Path) -> str:
    """Everything `command` shows of a job that echoes `WRAPPED_SECRET`, at 40 columns and in
    its `--export` of 40 columns; after asserting that no 8-character piece of it shows, on any
    line, not even the halves of a wrapped one."""
    hostile = serve(lambda n: Answer(200, json.dumps({"data": job}).encode()))
    result = run_maxjob(
        *command,
        *("-o", "table", "--export", str(picture), "--width", "40"),
        endpoint=hostile.url,
        env={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": WRAPPED_SECRET, "COLUMNS": "40"},
    )
    assert result.code == 0, result.err
    shown = result.out + result.err + picture.read_text(encoding="utf-8")
    pieces = {WRAPPED_SECRET[i : i + 8] for i in range(len(WRAPPED_SECRET) - 7)}
    assert not [piece for piece in pieces if piece in shown]
    return shown


def test_a_secret_the_server_echoes_is_masked_before_a_table_wraps_it(
    serve: Any, tmp_path: Path
) -> None:
    secret = WRAPPED_SECRET
    job = {
        "instanceId": "j1",
        "status": "running",
        "project": secret,
        "jobOwner": f"RAM${secret}@example.com",
        "taskName": f"x{secret}",
    }
    wrapped_at_40(serve, job, "info", "j1", picture=tmp_path / "job.svg")


def test_an_unreachable_proxy_is_named_without_its_password(emulator: Emulator) -> None:
    result = run_maxjob(
        *("info", "finished", "--max-attempts", "1"),
        endpoint=emulator.url,
        env={"http_proxy": "http://someone:pr0xy-pass@127.0.0.1:9"},
    )
    assert result.code == 6
    assert "through the proxy http://127.0.0.1:9: connection refused" in result.err
    assert "NO_PROXY" in result.err and "pr0xy-pass" not in result.err


def test_why_masks_an_echoed_secret_before_its_layout_wraps_it(serve: Any, tmp_path: Path) -> None:
    secret = WRAPPED_SECRET
    now = int(time.time())
    job = {
        "instanceId": "j1",
        "project": f"p{secret}",
        "status": "Failed",
        "submittedAtTime": now - 900,
        "endAtTime": now - 60,
        "sceneResults": [
            {"sceneTag": "DataSkew", "scene": "s", "type": "error", "summary": "x" * 30 + secret}
        ],
    }
    wrapped_at_40(serve, job, "why", "j1", picture=tmp_path / "why.html")


# -- the way out: signals, a full disk, an unbuffered stdout --------------------------------------


@pytest.mark.timed
def test_sigterm_ends_at_once_with_requests_in_flight(emulator_with: Any, tmp_path: Path) -> None:
    slow = emulator_with(None, "--latency", "5")
    process = subprocess.Popen(
        [MAXJOB, "info", "running", "finished", "failed", "-o", "json"],
        env=keyed_environ(tmp_path, slow.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # the three requests are on the wire
    sent = time.monotonic()
    process.terminate()
    assert process.wait(timeout=10) == 143
    # Not after the 3 s the watchdog allows: nothing waits for the threads on the network.
    assert time.monotonic() - sent < 2.0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["--version"], ["--help"], ["info", "finished", "-o", "json"]])
def test_a_full_disk_under_stdout_is_exit_1_and_one_line(
    emulator: Emulator, tmp_path: Path, args: list[str]
) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [MAXJOB, *args],
            env=keyed_environ(tmp_path, emulator.url),
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1
    assert done.stderr == ("maxjob: error: cannot write standard output: No space left on device\n")


# A Ctrl-C while maxjob starts (its imports), and one that typer turns into Exit(130) itself,
# silently (outside a command's work).
INTERRUPTED_WHILE_STARTING = (
    "import maxjob.cli as cli\n"
    "def _main():\n"
    "    raise KeyboardInterrupt\n"
    "cli._main = _main\n"
    "cli.main()\n"
)
INTERRUPTED_IN_TYPER = (
    "import typer\n"
    "from maxjob.cli import app\n"
    "bare = typer.Typer()\n"
    "@bare.command()\n"
    "def go() -> None:\n"
    "    raise KeyboardInterrupt\n"
    "app.run(bare)\n"
)


@pytest.mark.parametrize(
    "script", [INTERRUPTED_WHILE_STARTING, INTERRUPTED_IN_TYPER], ids=["starting", "in-typer"]
)
def test_ctrl_c_outside_a_command_is_one_line_and_130(script: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stderr) == (130, "maxjob: interrupted\n")


def test_a_closed_pipe_is_141_under_pythonunbuffered(emulator_with: Any, tmp_path: Path) -> None:
    many = emulator_with(None, "--synthetic", "2000")
    env = {**keyed_environ(tmp_path, many.url), "PYTHONUNBUFFERED": "1"}
    # One write of about a megabyte: the reader leaves while it is half in the pipe.
    process = subprocess.Popen(
        [MAXJOB, "list", "--since", "2h", "--limit", "0", "--jq", ".[]"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    process.stdout.read(1000)
    process.stdout.close()
    assert process.wait(timeout=60) == 141
    assert process.stderr is not None and process.stderr.read() == b""
