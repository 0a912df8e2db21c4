"""The Typer app with CliRunner and an injected client: flags reach the work function, errors
become one line and the right exit status."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from maxjob import cli, session
from maxjob.client import MaxComputeClient
from maxjob.credentials import Credentials


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

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

    monkeypatch.setattr("maxjob.info.open_client", open_client)
    return seen


def test_info_json_through_the_app(fake_api: list[httpx.Request]) -> None:
    result = CliRunner().invoke(cli.app, ["info", "a", "b", "-o", "json", "-r", "cn-beijing"])
    assert result.exit_code == 0, result.output
    assert [job["instanceId"] for job in json.loads(result.stdout)] == ["a", "b"]
    assert fake_api[0].url.host == "maxcompute.cn-beijing.aliyuncs.com"


def test_vpc_endpoint(fake_api: list[httpx.Request]) -> None:
    CliRunner().invoke(cli.app, ["info", "a", "--vpc", "-r", "cn-shanghai", "-o", "json"])
    assert fake_api[0].url.host == "maxcompute-vpc.cn-shanghai.aliyuncs.com"


def test_exit_status_and_errors(fake_api: list[httpx.Request]) -> None:
    failed = CliRunner().invoke(cli.app, ["info", "a", "--exit-status", "-r", "cn-beijing"])
    assert failed.exit_code == 3
    missing = CliRunner().invoke(cli.app, ["info", "missing", "-r", "cn-beijing"])
    assert missing.exit_code == 5
    assert "maxjob: error: job missing not found" in missing.stderr
