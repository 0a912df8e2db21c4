"""The one call path of `MaxComputeClient`, over `httpx.MockTransport` with an injected sleep and
clock (nothing sleeps for real between attempts): what is sent again and what is not, fresh
signing on every attempt, the words of permission and not-found errors, the retry policy as a
pure function, and concurrent paging that still yields in order."""

from __future__ import annotations

import functools
import hmac
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpcore
import httpx
import pytest

from maxjob import config
from maxjob.api import client as client_module
from maxjob.api import operations, signing
from maxjob.api.answers import retry_after
from maxjob.api.client import MaxComputeClient
from maxjob.api.operations import Operation
from maxjob.api.retry import RetryPolicy
from maxjob.credentials import Credentials
from maxjob.errors import (
    CredentialsError,
    NotFoundError,
    ServiceError,
    TransientError,
)

REGION = "cn-hangzhou"
SECRET = "call-path-secret"
UNAVAILABLE = {"RequestId": "r-503", "Code": "ServiceUnavailable", "Message": "try later"}
FILTERS = {"from": 1764460800, "to": 1764517870}


class Clock:
    """A monotonic clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    clock: Clock | None = None,
    *,
    max_attempts: int = 3,
    fake_monotonic: bool = True,
) -> MaxComputeClient:
    clock = clock or Clock()
    settings = config.resolve(
        endpoint="https://mc.example.test", region=REGION, max_attempts=max_attempts, environ={}
    )
    extra: dict[str, Any] = {"monotonic": clock.monotonic} if fake_monotonic else {}
    return MaxComputeClient(
        settings,
        Credentials("call-path-id", SECRET),
        transport=httpx.MockTransport(handler),
        environ={},
        sleep=clock.sleep,
        uniform=lambda low, high: high,
        **extra,
    )


def answer(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def ok(data: Any) -> httpx.Response:
    return answer(200, {"requestId": "r-ok", "httpCode": 200, "data": data})


def scripted(*steps: httpx.Response | Exception) -> tuple[list[httpx.Request], Any]:
    """A handler that plays `steps` in order (an exception is raised), and what it received."""
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(step, Exception):
            raise step
        return step

    return seen, handler


KILL = operations.kill_jobs("j1", "p1")
GET = operations.get_job_info("j1")
LIST = operations.list_job_infos(FILTERS, page_number=1, page_size=10)


# -- (a) a 503: KillJobs once, GetJobInfo again ----------------------------------------------------


def test_kill_jobs_answered_503_is_sent_once_and_ends_in_a_service_error() -> None:
    clock = Clock()
    seen, handler = scripted(answer(503, UNAVAILABLE), ok("success"))
    with pytest.raises(ServiceError) as caught:
        make_client(handler, clock).call(KILL)
    assert len(seen) == 1
    assert clock.slept == []
    error = caught.value
    assert type(error) is ServiceError  # given up: not a TransientError any more
    assert error.exit_code == 6
    assert (error.code, error.http_status, error.request_id) == ("ServiceUnavailable", 503, "r-503")
    assert "not sent again, as it may have reached the server" in error.message


def test_get_job_info_answered_503_then_200_is_sent_twice() -> None:
    clock = Clock()
    seen, handler = scripted(answer(503, UNAVAILABLE), ok({"instanceId": "j1"}))
    assert make_client(handler, clock).call(GET) == {"instanceId": "j1"}
    assert len(seen) == 2
    assert clock.slept == [0.25]  # one backoff, full jitter's upper bound with this `uniform`
    assert {r.url.path for r in seen} == {"/api/v1/jobs/j1/info"}


# -- (b) KillJobs: only a refused connection is tried again ----------------------------------------


@pytest.mark.parametrize("max_attempts", [3, 4])
@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        # No connection was made, so nothing was sent either.
        httpx.ConnectTimeout("timed out"),
    ],
    ids=["refused", "connect-timeout"],
)
def test_kill_jobs_that_never_connected_is_retried_up_to_max_attempts(
    failure: Exception, max_attempts: int
) -> None:
    clock = Clock()
    seen, handler = scripted(failure)
    with pytest.raises(ServiceError) as caught:
        make_client(handler, clock, max_attempts=max_attempts).call(KILL)
    assert len(seen) == max_attempts
    assert len(clock.slept) == max_attempts - 1
    assert caught.value.exit_code == 6
    assert f"after {max_attempts} attempts" in caught.value.message
    assert "not sent again" not in caught.value.message


def test_kill_jobs_refused_once_then_accepted_succeeds_on_the_second_attempt() -> None:
    seen, handler = scripted(httpx.ConnectError("[Errno 111] Connection refused"), ok("success"))
    assert make_client(handler).call(KILL) == "success"
    assert len(seen) == 2
    assert seen[0].content == seen[1].content == b'[{"instanceId":"j1","projectName":"p1"}]'


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
    ],
    ids=["read-timeout", "remote-protocol-error", "read-error"],
)
def test_kill_jobs_that_may_have_reached_the_server_is_not_sent_again(failure: Exception) -> None:
    clock = Clock()
    seen, handler = scripted(failure, ok("success"))
    with pytest.raises(ServiceError) as caught:
        make_client(handler, clock).call(KILL)
    assert len(seen) == 1
    assert clock.slept == []
    assert caught.value.exit_code == 6
    assert "not sent again" in caught.value.message


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("Server disconnected")],
    ids=["read-timeout", "remote-protocol-error"],
)
def test_the_same_failures_on_get_job_info_are_retried(failure: Exception) -> None:
    seen, handler = scripted(failure, ok({"instanceId": "j1"}))
    assert make_client(handler).call(GET) == {"instanceId": "j1"}
    assert len(seen) == 2


# -- (c) every attempt is signed afresh -----------------------------------------------------------


def verify(request: httpx.Request) -> None:
    """The request's Authorization is the signature of the canonical request it carries."""
    canonical = request.extensions[signing.CANONICAL_REQUEST]
    expected = signing.signature(SECRET, signing.string_to_sign(canonical))
    got = request.headers["authorization"].rsplit("Signature=", 1)[1]
    assert hmac.compare_digest(got, expected)
    assert f"x-acs-date:{request.headers['x-acs-date']}\n" in canonical
    assert f"x-acs-signature-nonce:{request.headers['x-acs-signature-nonce']}\n" in canonical


@pytest.fixture
def ticking_signer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's signer reads a clock that moves a second on every reading; nonces are the
    real generator's."""
    start = datetime(2026, 11, 30, 15, 51, 10, tzinfo=UTC)
    ticks = iter(range(1000))

    def clock() -> datetime:
        return start + timedelta(seconds=next(ticks))

    monkeypatch.setattr(client_module, "Signer", functools.partial(signing.Signer, clock=clock))


@pytest.mark.usefixtures("ticking_signer")
@pytest.mark.parametrize(
    ("operation", "steps"),
    [
        (GET, [answer(503, UNAVAILABLE), answer(503, UNAVAILABLE), ok({})]),
        (KILL, [httpx.ConnectError("[Errno 111] Connection refused")] * 2 + [ok("success")]),
    ],
    ids=["get-job-info-503", "kill-jobs-refused"],
)
def test_each_attempt_is_signed_afresh(operation: Operation, steps: list[Any]) -> None:
    seen, handler = scripted(*steps)
    make_client(handler).call(operation)
    assert len(seen) == 3
    nonces = [r.headers["x-acs-signature-nonce"] for r in seen]
    dates = [r.headers["x-acs-date"] for r in seen]
    signatures = [r.headers["authorization"] for r in seen]
    assert len(set(nonces)) == 3 and all(len(n) == 32 for n in nonces)
    assert dates == ["2026-11-30T15:51:10Z", "2026-11-30T15:51:11Z", "2026-11-30T15:51:12Z"]
    assert len(set(signatures)) == 3
    for request in seen:
        verify(request)
        assert request.headers["authorization"].count("Signature=") == 1


def test_attempts_get_distinct_nonces_with_the_default_signer() -> None:
    seen, handler = scripted(answer(503, UNAVAILABLE), answer(503, UNAVAILABLE), ok({}))
    make_client(handler).call(GET)
    assert len({r.headers["x-acs-signature-nonce"] for r in seen}) == 3
    for request in seen:
        verify(request)


# -- (d) the words of a 403 and a 404 -------------------------------------------------------------

FORBIDDEN = {"RequestId": "r-403", "Code": "NoPermission", "Message": "You are not authorized"}


def refused(operation: Operation, status: int, body: Any) -> Any:
    seen, handler = scripted(answer(status, body))
    with pytest.raises((CredentialsError, NotFoundError)) as caught:
        make_client(handler).call(operation)
    assert len(seen) == 1
    return caught.value


def test_a_403_on_kill_jobs_names_odps_kill_jobs_on_every_project() -> None:
    error = refused(KILL, 403, FORBIDDEN)
    assert isinstance(error, CredentialsError) and error.exit_code == 4
    assert error.hint == (
        "grant the RAM action odps:KillJobs on all resources (*); it applies to every project "
        "of the account (RAM cannot scope it to one)"
    )


def test_a_403_on_list_job_infos_names_odps_list_job_infos() -> None:
    error = refused(LIST, 403, FORBIDDEN)
    assert isinstance(error, CredentialsError)
    assert error.hint == "grant the RAM action odps:ListJobInfos on all resources (*)"


@pytest.mark.parametrize(
    "body",
    [
        FORBIDDEN,
        {"requestId": "r", "httpCode": 403, "errorCode": "NO_PERMISSION", "errorMsg": "no"},
        {"RequestId": "r", "Code": "Forbidden.RAM", "Message": "denied"},
    ],
    ids=["gateway", "service", "forbidden-ram"],
)
def test_a_403_on_get_job_info_names_odps_get_job_info_on_the_job(body: Any) -> None:
    error = refused(GET, 403, body)
    assert isinstance(error, CredentialsError)
    assert error.hint == (
        f"grant the RAM action odps:GetJobInfo on acs:odps:{REGION}:<account-id>:job/j1 (or job/*)"
    )
    assert "KillJobs" not in (error.hint or "") and "ListJobInfos" not in (error.hint or "")


NOT_FOUND = {
    "requestId": "r-404",
    "httpCode": 404,
    "errorCode": "OBJECT_NOT_EXIST",
    "errorMsg": "x",
}


@pytest.mark.parametrize(
    ("operation", "subject"),
    [
        (GET, "job j1"),
        (KILL, "job j1"),
        (LIST, "the job list"),
        (operations.query_quota("默认Quota"), "quota 默认Quota"),
    ],
    ids=["get-job-info", "kill-jobs", "list-job-infos", "query-quota"],
)
def test_a_404_names_the_operations_subject(operation: Operation, subject: str) -> None:
    error = refused(operation, 404, NOT_FOUND)
    assert isinstance(error, NotFoundError) and error.exit_code == 5
    assert error.message.startswith(f"{subject} not found in region {REGION}")
    assert error.code == "OBJECT_NOT_EXIST" and error.request_id == "r-404"


@pytest.mark.parametrize(
    ("operation", "said", "kept"),
    [
        (GET, "Job j1 does not exist.", False),
        (GET, "This object does not exist.", False),
        (GET, "job not found", False),
        (GET, "j1 was not found", False),
        (GET, "Job j1 does not exist in project sales.", True),
        (GET, "Project nosuchproj does not exist.", True),
        (GET, "Tenant 12345 not found", True),
        (GET, "The specified api is not found", True),
        (GET, "Job j2 does not exist.", True),
        (GET, "The job was deleted by its owner", True),
        (operations.query_quota("os_bigdata"), "Quota os_bigdata is not found", False),
        (operations.query_quota("os_bigdata"), "Quota os_bigdata_p is not found", True),
        (operations.query_quota("os_bigdata"), "Tenant 4784 not found", True),
        (LIST, "Project nosuch does not exist.", True),
        (LIST, "This object does not exist.", True),
    ],
)
def test_a_404_drops_the_services_message_only_when_it_repeats_the_subject_is_missing(
    operation: Operation, said: str, kept: bool
) -> None:
    error = refused(operation, 404, {**NOT_FOUND, "errorMsg": said})
    assert error.message.endswith(f": {said}") is kept, error.message
    assert said in error.message or error.message.endswith(f"not found in region {REGION}")


# -- (e) the retry policy, a pure function ---------------------------------------------------------


def transient(**kwargs: Any) -> TransientError:
    return TransientError("failed", **kwargs)


def top(low: float, high: float) -> float:
    """A `uniform` that always picks the upper bound of full jitter."""
    assert low == 0.0
    return high


def test_should_retry_counts_attempts_and_respects_idempotence() -> None:
    policy = RetryPolicy(max_attempts=3)
    reached = transient()
    not_sent = transient(may_have_reached_server=False)
    assert [policy.should_retry(n, reached, idempotent=True) for n in (1, 2, 3)] == [
        True,
        True,
        False,
    ]
    assert [policy.should_retry(n, reached, idempotent=False) for n in (1, 2)] == [False, False]
    assert [policy.should_retry(n, not_sent, idempotent=False) for n in (1, 2, 3)] == [
        True,
        True,
        False,
    ]
    assert RetryPolicy(max_attempts=1).should_retry(1, not_sent, idempotent=True) is False


def test_delay_is_full_jitter_doubling_up_to_the_cap() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n, transient(), top) for n in range(1, 9)] == [
        0.25,
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        20.0,
    ]
    calls: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        calls.append((low, high))
        return (low + high) / 2

    assert policy.delay(2, transient(), record) == 0.25
    assert calls == [(0.0, 0.5)]


@pytest.mark.parametrize(
    "error",
    [transient(code="Throttling.User"), transient(code="Throttling"), transient(http_status=429)],
    ids=["Throttling.User", "Throttling", "http-429"],
)
def test_throttling_backs_off_from_the_throttling_base(error: TransientError) -> None:
    assert error.throttled
    policy = RetryPolicy()
    assert [policy.delay(n, error, top) for n in (1, 2, 3, 6)] == [1.0, 2.0, 4.0, 20.0]


def test_the_servers_retry_after_wins_and_is_capped() -> None:
    policy = RetryPolicy()

    def never(low: float, high: float) -> float:
        raise AssertionError("no jitter when the server names the delay")

    assert policy.delay(1, transient(retry_after=2.5), never) == 2.5
    assert policy.delay(3, transient(retry_after=45.0, code="Throttling"), never) == 30.0
    assert policy.delay(1, transient(retry_after=-3.0), never) == 0.0
    assert RetryPolicy(retry_after_cap=5.0).delay(1, transient(retry_after=9.0), never) == 5.0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_retry_after_is_ignored(value: float) -> None:
    policy = RetryPolicy()
    assert policy.delay(2, transient(retry_after=value), top) == 0.5
    throttled = transient(retry_after=value, code="Throttling.Api")
    assert policy.delay(2, throttled, top) == 2.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-acs-retry-after": "1500"}, 1.5),
        ({"x-acs-retry-after": "nan"}, None),
        ({"x-acs-retry-after": "inf", "retry-after": "3"}, 3.0),
        ({"retry-after": "1e400"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers_are_read_finite_only(
    headers: dict[str, str], expected: float | None
) -> None:
    assert retry_after(headers) == expected


def test_a_throttled_answer_sleeps_what_the_server_asks_capped() -> None:
    clock = Clock()
    body = {"RequestId": "r", "Code": "Throttling.User", "Message": "slow down"}
    seen, handler = scripted(
        answer(429, body, **{"x-acs-retry-after": "120000"}),
        answer(429, body, **{"x-acs-retry-after": "nan"}),
        ok({}),
    )
    make_client(handler, clock).call(GET)
    assert len(seen) == 3
    assert clock.slept == [30.0, 2.0]  # capped; then nan ignored: throttling base 1 s x 2


# -- (f) pages: concurrent, yielded in order, stopping where they should ---------------------------


def page_handler(
    total: int, page_size: int, *, empty_from: int | None = None, delay: float = 0.05
) -> tuple[Any, list[int], list[int], list[int]]:
    """ListJobInfos pages of `total` jobs; higher page numbers answer faster. Records the page
    numbers asked for, the order answers were finished in, and the most requests in flight."""
    asked: list[int] = []
    finished: list[int] = []
    most: list[int] = [0]
    lock = threading.Lock()
    in_flight = [0]
    pages = -(-total // page_size)

    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNumber"])
        assert int(request.url.params["pageSize"]) == page_size
        with lock:
            asked.append(number)
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(delay * max(pages + 1 - number, 0))  # the server's latency, not a retry
        first = (number - 1) * page_size
        count = max(min(page_size, total - first), 0)
        if empty_from is not None and number >= empty_from:
            count = 0
        jobs = [{"instanceId": f"p{number}-{i}"} for i in range(count)]
        data = {
            "totalCount": total,
            "pageNumber": number,
            "pageSize": page_size,
            "jobInfoList": jobs,
        }
        with lock:
            in_flight[0] -= 1
            finished.append(number)
        return ok(data)

    return handler, asked, finished, most


def list_page(number: int) -> Operation:
    return operations.list_job_infos(FILTERS, page_number=number, page_size=10)


def expected_page(number: int, count: int = 10) -> list[dict[str, str]]:
    return [{"instanceId": f"p{number}-{i}"} for i in range(count)]


def run_pages(handler: Any) -> Iterator[list[Any]]:
    clock = Clock()
    client = make_client(handler, clock, fake_monotonic=False)
    try:
        yield from client.pages(list_page, items="jobInfoList", page_size=10, concurrency=4)
    finally:
        client.close()
    assert clock.slept == []


def test_pages_are_yielded_in_order_though_later_pages_answer_first() -> None:
    handler, asked, finished, most = page_handler(95, 10)
    pages = list(run_pages(handler))
    assert pages == [expected_page(n) for n in range(1, 10)] + [expected_page(10, 5)]
    # Stopped at totalCount: ten pages of ten, the last one of five; page 11 never asked for.
    assert sorted(asked) == list(range(1, 11))
    assert asked[0] == 1
    # Four at a time, and the later pages really did finish first.
    assert most[0] == 4
    assert finished[1:] != sorted(finished[1:])
    assert finished.index(5) < finished.index(2)


def test_pages_stop_at_an_empty_page() -> None:
    handler, asked, _, _ = page_handler(100, 10, empty_from=4, delay=0.005)
    pages = list(run_pages(handler))
    assert pages == [expected_page(n) for n in (1, 2, 3)]
    assert 4 in asked and 1 not in asked[1:]


def test_a_service_that_ignores_page_size_or_counts_absurdly_is_not_read() -> None:
    """Everything on every page made top's work grow with the square of the jobs (30,000: a
    minute and a half); a count of a billion would have asked for a hundred million pages."""
    from maxjob.errors import ResponseError

    def everything(request: httpx.Request) -> httpx.Response:
        jobs = [{"instanceId": f"j{i}"} for i in range(25)]
        return ok({"totalCount": 25, "jobInfoList": jobs})

    with pytest.raises(ResponseError, match="holds 25 items on a page of 10"):
        list(run_pages(everything))

    asked: list[int] = []

    def absurd(request: httpx.Request) -> httpx.Response:
        asked.append(int(request.url.params["pageNumber"]))
        return ok({"totalCount": 10**9, "jobInfoList": expected_page(1)})

    with pytest.raises(ResponseError, match="counts 1,000,000,000 items, more than the 1,000"):
        list(run_pages(absurd))
    assert asked == [1]


def test_an_empty_first_page_is_the_only_request() -> None:
    handler, asked, _, _ = page_handler(0, 10)
    assert list(run_pages(handler)) == [[]]
    assert asked == [1]


def test_a_total_within_the_first_page_asks_for_no_more() -> None:
    handler, asked, _, _ = page_handler(7, 10)
    assert list(run_pages(handler)) == [expected_page(1, 7)]
    assert asked == [1]


def test_a_service_message_ending_in_a_full_stop_reads_cleanly_after_the_last_attempt() -> None:
    unavailable = answer(
        503, {"Code": "ServiceUnavailable", "Message": "The request has failed due to a failure."}
    )
    _, handler = scripted(unavailable)
    with pytest.raises(ServiceError) as caught:
        make_client(handler, max_attempts=1).call(KILL)
    assert caught.value.message == "The request has failed due to a failure, after 1 attempt"


# -- (h) where a request goes: the endpoint read once, as httpx reads a URL -----------------------


@pytest.mark.parametrize(
    ("endpoint", "connect", "header", "prefix"),
    [
        ("http://127.0.0.1:8080", (b"http", b"127.0.0.1", 8080), "127.0.0.1:8080", ""),
        (
            "https://MaxCompute.Example.COM",
            (b"https", b"maxcompute.example.com", None),
            "maxcompute.example.com",
            "",
        ),
        ("http://127.0.0.1:80/base", (b"http", b"127.0.0.1", 80), "127.0.0.1", "/base"),
        ("https://h.example:443", (b"https", b"h.example", 443), "h.example", ""),
        ("http://[::1]:9000/a/b", (b"http", b"::1", 9000), "[::1]:9000", "/a/b"),
        ("http://[fe80::1%25lo]:9000", (b"http", b"fe80::1%lo", 9000), "[fe80::1]:9000", ""),
    ],
)
def test_the_endpoint_gives_where_to_connect_the_host_header_and_the_path_prefix(
    endpoint: str, connect: tuple[bytes, bytes, int | None], header: str, prefix: str
) -> None:
    scheme, host, port, path, shown = client_module._origin(endpoint)
    assert (scheme, host, port) == connect
    assert (shown, path) == (header, prefix)
    # The host header is the one httpx would have sent for the same URL, but for a zone id
    # (which RFC 6874 keeps out of it).
    if "%25" not in endpoint:
        assert shown == httpx.URL(endpoint).netloc.decode()


def test_the_request_on_the_wire_is_what_was_signed_prefix_and_all() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"requestId": "r", "data": {}})

    settings = config.resolve(endpoint="http://127.0.0.1:80/base", environ={})
    with MaxComputeClient(
        settings, Credentials("id", SECRET), transport=httpx.MockTransport(handler), environ={}
    ) as client:
        client.call(operations.list_job_infos({"from": 1, "to": 2}, page_number=3))
    (request,) = seen
    canonical = request.extensions[signing.CANONICAL_REQUEST]
    method, path, query = canonical.split("\n")[:3]
    assert (method, path) == ("POST", "/base/api/v1/jobs")
    assert request.url.raw_path == b"/base/api/v1/jobs?" + query.encode()
    assert request.headers["host"] == "127.0.0.1"
    assert "host:127.0.0.1\n" in canonical
    assert request.headers["content-length"] == str(len(request.content))
    verify(request)


def test_debug_shows_the_request_as_sent_encoded_path_and_host_header_alike() -> None:
    lines: list[str] = []
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"requestId": "r", "data": {"instanceId": "a b"}})

    settings = config.resolve(endpoint="http://LocalHost:80/pre/./x", debug=True, environ={})
    with MaxComputeClient(
        settings,
        Credentials("id", SECRET),
        transport=httpx.MockTransport(handler),
        debug=lines.append,
        environ={},
    ) as client:
        client.call(operations.get_job_info("a b"))
    assert lines[0] == "> GET http://localhost/pre/x/api/v1/jobs/a%20b/info"
    assert str(seen[0].url) == "http://localhost/pre/x/api/v1/jobs/a%20b/info"
    assert ">   host: localhost" in lines


@pytest.mark.parametrize(
    ("endpoint", "proxy", "host"),
    [
        ("http://[::1]:9000", "http://127.0.0.1:3128", b"[::1]"),  # forwarded: the URL's host
        ("http://[::1]:9000", None, b"::1"),  # connected to
        ("https://[::1]:9000", "http://127.0.0.1:3128", b"::1"),  # tunnelled: its TLS name
        ("http://127.0.0.1:9000", "http://127.0.0.1:3128", b"127.0.0.1"),
    ],
)
def test_an_ipv6_host_keeps_its_brackets_in_a_url_a_proxy_reads(
    endpoint: str, proxy: str | None, host: bytes
) -> None:
    settings = config.resolve(endpoint=endpoint, environ={})
    with MaxComputeClient(settings, Credentials("id", SECRET), proxy=proxy, environ={}) as client:
        assert client._origin.host == host
        url = httpcore.URL(scheme=b"http", host=client._origin.host, port=9000, target=b"/x")
        if proxy and endpoint.startswith("http://["):
            assert bytes(url) == b"http://[::1]:9000/x"
