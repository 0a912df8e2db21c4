"""`--export` through the app with an injected client: a file that cannot be written once the
jobs are fetched is an error after the jobs were shown (exit 1, unless a job's own status says
more)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from maxjob import session
from maxjob.api.client import MaxComputeClient
from maxjob.cli import build_app
from maxjob.cli.app import Dependencies
from maxjob.credentials import Credentials

FAILED = {"instanceId": "a", "status": "failed"}


@pytest.mark.parametrize(
    ("job", "extra", "code"),
    [
        ({"instanceId": "a", "status": "running"}, [], 1),
        # A failed job keeps its 3 (what CI scripts branch on); the write error is still said.
        (FAILED, ["--exit-status"], 3),
    ],
)
def test_an_export_that_cannot_be_written_after_fetching_is_exit_1_unless_the_job_failed(
    tmp_path: Path, job: dict[str, Any], extra: list[str], code: int
) -> None:
    directory = tmp_path / "out"
    directory.mkdir()

    def handler(request: httpx.Request) -> httpx.Response:
        directory.rmdir()  # gone between the check and the write
        return httpx.Response(200, json={"data": job})

    def open_client(options: Any, streams: Any, **kwargs: Any) -> MaxComputeClient:
        settings = session.resolve_settings(options, streams)
        return MaxComputeClient(
            settings, Credentials("id", "secret"), transport=httpx.MockTransport(handler)
        )

    result = CliRunner().invoke(
        build_app(),
        [
            "info",
            "a",
            "-o",
            "plain",
            "-r",
            "cn-beijing",
            "--export",
            str(directory / "a.svg"),
            *extra,
        ],
        obj=Dependencies(client_factory=open_client),
    )
    assert result.exit_code == code
    assert result.stdout.startswith("instanceId\ta\n")  # the job was shown first
    assert "maxjob: error: cannot write the export to" in result.stderr
    assert "No such file or directory" in result.stderr
