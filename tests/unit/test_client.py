"""The client's logic with httpx.MockTransport: success rule, both error shapes, retries with an
injected clock, and the strict JSON parser under hypothesis."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from maxjob import config
from maxjob.api.client import MaxComputeClient, RetryNotice
from maxjob.api.strict_json import parse_json
from maxjob.credentials import Credentials
from maxjob.errors import (
    CredentialsError,
    MaxjobError,
    NotFoundError,
    ResponseError,
    ServiceError,
    UsageError,
)

SETTINGS = config.resolve(endpoint="https://mc.example.test", region="cn-hangzhou", environ={})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client_for(handler: Any, clock: Clock | None = None, **kwargs: Any) -> MaxComputeClient:
    clock = clock or Clock()
    return MaxComputeClient(
        kwargs.pop("settings", SETTINGS),
        Credentials("id", "secret"),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        uniform=lambda low, high: high,
        **kwargs,
    )


def answer(status: int, body: Any, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers)


def test_the_documented_sample_response_is_a_success() -> None:
    sample = {
        "requestId": "r",
        "httpCode": 200,
        "errorCode": "OBJECT_NOT_EXIST",
        "errorMsg": "This object does not exist.",
        "data": {"status": "running"},
    }
    job = client_for(lambda request: answer(200, sample)).get_job_info("x")
    assert job.status == "running"


@pytest.mark.parametrize("said", ["200", 200.0, " 201 "])
def test_an_http_code_spelled_otherwise_still_says_success(said: Any) -> None:
    """`"200"` or `200.0` (`2e2`) beside a job was 'error: HTTP 200', exit 1."""
    body = {"requestId": "r", "httpCode": said, "data": {"status": "running"}}
    assert client_for(lambda request: answer(200, body)).get_job_info("x").status == "running"


@pytest.mark.parametrize("said", ["404", 404.0])
def test_an_http_code_spelled_otherwise_still_says_failure(said: Any) -> None:
    body = {"requestId": "r", "httpCode": said, "errorCode": "OBJECT_NOT_EXIST", "errorMsg": "no"}
    with pytest.raises(NotFoundError):
        client_for(lambda request: answer(200, body)).get_job_info("x")


def test_an_http_code_that_is_no_status_is_an_unreadable_answer() -> None:
    from maxjob.errors import ResponseError

    for said in ("soon", "1" * 5000):  # (int() of 5,000 digits raised: "a bug in maxjob")
        body = {"requestId": "r", "httpCode": said, "data": {"status": "running"}}
        with pytest.raises(ResponseError, match="httpCode that is no HTTP status"):
            client_for(lambda request, body=body: answer(200, body)).get_job_info("x")


def test_request_shape() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(200, {"data": {}})

    client_for(handler).get_job_info("a b/c~*+é%:")
    request = seen[0]
    assert request.url.raw_path == b"/api/v1/jobs/a%20b%2Fc~%2A%2B%C3%A9%25%3A/info"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("maxjob/")
    assert request.headers["x-acs-action"] == "GetJobInfo"
    assert request.headers["x-acs-version"] == "2022-01-04"
    assert request.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=id,")


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (
            404,
            {
                "requestId": "r",
                "httpCode": 404,
                "errorCode": "OBJECT_NOT_EXIST",
                "errorMsg": "gone",
            },
            NotFoundError,
            "OBJECT_NOT_EXIST",
        ),
        (
            403,
            {"RequestId": "r", "Code": "Forbidden.RAM", "Message": "no"},
            CredentialsError,
            "Forbidden.RAM",
        ),
        (
            400,
            {"RequestId": "r", "Code": "SignatureDoesNotMatch", "Message": "bad"},
            CredentialsError,
            "SignatureDoesNotMatch",
        ),
        (
            404,
            {"RequestId": "r", "Code": "InvalidAccessKeyId.NotFound", "Message": "who"},
            CredentialsError,
            "InvalidAccessKeyId.NotFound",
        ),
        (
            400,
            {
                "requestId": "r",
                "httpCode": 400,
                "errorCode": "ILLEGAL_ARGUMENT",
                "errorMsg": "bad id",
            },
            UsageError,
            "ILLEGAL_ARGUMENT",
        ),
        (
            404,
            {"RequestId": "r", "Code": "InvalidApi.NotFound", "Message": "api"},
            ServiceError,
            "InvalidApi.NotFound",
        ),
        (
            200,
            {
                "requestId": "r",
                "httpCode": 500,
                "errorCode": "INTERNAL_SERVER_ERROR",
                "errorMsg": "x",
            },
            ServiceError,
            "INTERNAL_SERVER_ERROR",
        ),
        (200, {"requestId": "r"}, ResponseError, None),
    ],
)
def test_error_mapping(status: int, body: Any, error: type[MaxjobError], code: str | None) -> None:
    client = client_for(
        lambda request: answer(status, body, **{"x-acs-request-id": "hdr"}),
        settings=SETTINGS._replace(max_attempts=1),
    )
    with pytest.raises(error) as caught:
        client.get_job_info("job-1")
    assert caught.value.code == code
    assert caught.value.request_id == "hdr"  # the header wins over the body


def test_retries_back_off_with_full_jitter_and_honour_retry_after() -> None:
    clock = Clock()
    notices: list[RetryNotice] = []
    answers = iter(
        [
            answer(503, b""),
            answer(
                400,
                {"Code": "Throttling.Api", "Message": "slow down"},
                **{"x-acs-retry-after": "1500"},
            ),
            answer(200, {"data": {"status": "running"}}),
        ]
    )
    client = client_for(
        lambda request: next(answers),
        clock,
        settings=SETTINGS._replace(max_attempts=3),
        on_retry=notices.append,
    )
    assert client.get_job_info("j").status == "running"
    # First sleep: the upper bound of uniform(0, 0.25 * 2**0); second: the server's 1.5 s.
    assert clock.slept == [0.25, 1.5]
    assert [n.attempt for n in notices] == [1, 2]


def test_throttling_backs_off_harder() -> None:
    clock = Clock()
    answers = iter(
        [answer(429, {"Code": "Throttling.User", "Message": "x"}), answer(200, {"data": {}})]
    )
    client_for(lambda request: next(answers), clock).get_job_info("j")
    assert clock.slept == [1.0]


def test_retry_after_is_capped_and_gives_up_when_no_time_is_left() -> None:
    clock = Clock()
    client = client_for(lambda request: answer(503, b"", **{"retry-after": "3600"}), clock)
    with pytest.raises(ServiceError) as caught:
        client.get_job_info("j")
    assert clock.slept == [30.0, 30.0]
    assert "after 3 attempts" in caught.value.message


@given(st.binary(max_size=300))
def test_parse_json_accepts_or_refuses_cleanly(body: bytes) -> None:
    try:
        parse_json(body)
    except ValueError as exc:
        assert str(exc)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
        ),
        max_leaves=15,
    )
)
def test_parse_json_round_trips_valid_json(value: Any) -> None:
    assert parse_json(json.dumps(value).encode()) == value


def test_a_retry_notice_says_when_and_a_retry_at_once_says_so() -> None:
    import io

    from maxjob.output.streams import Streams
    from maxjob.session import ConnectionOptions, open_client

    err = io.StringIO()
    environ = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "notice-id",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "notice-secret",
        "MAXJOB_ENDPOINT": "http://127.0.0.1:9",
    }
    streams = Streams(io.StringIO(), err, environ=environ)
    with open_client(ConnectionOptions(), streams) as client:
        assert client._on_retry is not None
        client._on_retry(RetryNotice("job j1", 1, 3, "refused", 0.01))
        client._on_retry(RetryNotice("job j1", 2, 3, "refused", 0.4))
    assert err.getvalue().splitlines()[-2:] == [
        "maxjob: retrying job j1 (attempt 2 of 3) at once: refused",
        "maxjob: retrying job j1 (attempt 3 of 3) in 0.4s: refused",
    ]
