"""The Typer app with CliRunner and an injected client: flags reach the work function, errors
become one line and the right exit status."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from maxjob import session
from maxjob.api.client import MaxComputeClient
from maxjob.cli import build_app
from maxjob.cli.app import Dependencies
from maxjob.credentials import Credentials


class FakeApi(list[httpx.Request]):
    """The requests the app sent, and the dependencies that send them to a MockTransport."""

    deps: Dependencies

    def invoke(self, *args: str) -> Any:
        return CliRunner().invoke(build_app(), list(args), obj=self.deps)


@pytest.fixture
def fake_api() -> FakeApi:
    seen = FakeApi()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        job_id = request.url.path.split("/")[4]
        if job_id == "missing":
            return httpx.Response(
                404,
                json={
                    "requestId": "r1",
                    "httpCode": 404,
                    "errorCode": "OBJECT_NOT_EXIST",
                    "errorMsg": "no",
                },
            )
        return httpx.Response(200, json={"data": {"instanceId": job_id, "status": "failed"}})

    def open_client(options: Any, streams: Any, **kwargs: Any) -> MaxComputeClient:
        settings = session.resolve_settings(options, streams)
        return MaxComputeClient(
            settings, Credentials("id", "secret"), transport=httpx.MockTransport(handler)
        )

    seen.deps = Dependencies(client_factory=open_client)
    return seen


def test_info_json_through_the_app(fake_api: FakeApi) -> None:
    result = fake_api.invoke("info", "a", "b", "-o", "json", "-r", "cn-beijing")
    assert result.exit_code == 0, result.output
    assert [job["instanceId"] for job in json.loads(result.stdout)] == ["a", "b"]
    assert fake_api[0].url.host == "maxcompute.cn-beijing.aliyuncs.com"


def test_vpc_endpoint(fake_api: FakeApi) -> None:
    fake_api.invoke("info", "a", "--vpc", "-r", "cn-shanghai", "-o", "json")
    assert fake_api[0].url.host == "maxcompute-vpc.cn-shanghai.aliyuncs.com"


def test_exit_status_and_errors(fake_api: FakeApi) -> None:
    failed = fake_api.invoke("info", "a", "--exit-status", "-r", "cn-beijing")
    assert failed.exit_code == 3
    missing = fake_api.invoke("info", "missing", "-r", "cn-beijing")
    assert missing.exit_code == 5
    assert "maxjob: error: job missing not found" in missing.stderr
