"""`--export` through the app with an injected client: a file that cannot be written once the
jobs are fetched is an error (exit 1) after the jobs were shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from maxjob import session
from maxjob.api.client import MaxComputeClient
from maxjob.cli import build_app
from maxjob.cli.app import Dependencies
from maxjob.credentials import Credentials


def test_an_export_that_cannot_be_written_after_fetching_is_exit_1(tmp_path: Path) -> None:
    directory = tmp_path / "out"
    directory.mkdir()

    def handler(request: httpx.Request) -> httpx.Response:
        directory.rmdir()  # gone between the check and the write
        return httpx.Response(200, json={"data": {"instanceId": "a", "status": "running"}})

    def open_client(options: Any, streams: Any, **kwargs: Any) -> MaxComputeClient:
        settings = session.resolve_settings(options, streams)
        return MaxComputeClient(
            settings, Credentials("id", "secret"), transport=httpx.MockTransport(handler)
        )

    result = CliRunner().invoke(
        build_app(),
        ["info", "a", "-o", "plain", "-r", "cn-beijing", "--export", str(directory / "a.svg")],
        obj=Dependencies(client_factory=open_client),
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("instanceId\ta\n")  # the job was shown first
    assert "maxjob: error: cannot write the export to" in result.stderr
    assert "No such file or directory" in result.stderr
