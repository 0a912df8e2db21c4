"""`maxjob wait` over thousands of jobs in GitHub Actions, through the app with an injected
client: its step summary stays within GitHub's 1 MiB, cut at whole rows with a last line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from maxjob import ci, session
from maxjob.api.client import MaxComputeClient
from maxjob.cli import build_app
from maxjob.cli.app import Dependencies
from maxjob.credentials import Credentials
from maxjob.emulator.seed import FAILED_DATA

JOBS = 2000


def failed(instance_id: str) -> dict[str, Any]:
    why = f"{instance_id}: data skew in the join stage, one worker read 40x the median " * 10
    return {**FAILED_DATA, "instanceId": instance_id, "sceneResults": [{"summary": why}]}


def test_a_wait_over_thousands_of_jobs_writes_at_most_1_mib_of_step_summary(
    tmp_path: Path,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        instance_id = request.url.path.split("/")[-2]
        return httpx.Response(200, json={"requestId": "r", "data": failed(instance_id)})

    def open_client(options: Any, streams: Any, **kwargs: Any) -> MaxComputeClient:
        settings = session.resolve_settings(options, streams)
        return MaxComputeClient(
            settings,
            Credentials("id", "secret"),
            transport=httpx.MockTransport(handler),
            pool_size=kwargs.get("pool_size", 8),
        )

    summary = tmp_path / "summary.md"
    ids = [f"job-{n:05d}" for n in range(JOBS)]
    result = CliRunner().invoke(
        build_app(),
        ["wait", "-", "-r", "cn-hangzhou", "-o", "json", "--concurrency", "32"],
        input="\n".join(ids) + "\n",
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
        obj=Dependencies(client_factory=open_client),
    )
    assert result.exit_code == 3, result.stderr[-500:]
    assert result.stdout.count('"instanceId"') >= JOBS  # stdout has every job, uncut
    written = summary.read_bytes()
    assert ci.SUMMARY_LIMIT - 4000 < len(written) <= ci.SUMMARY_LIMIT
    text = written.decode()
    assert text.startswith(f"### maxjob wait: {JOBS} failed\n")
    rows = re.findall(r"^\| (job\\-\d{5}) \|", text, re.M)
    assert rows == [f"job\\-{n:05d}" for n in range(len(rows))]  # the first, in order
    note = (
        f"*{JOBS - len(rows):,} more table rows left out: "
        "GitHub keeps at most 1 MiB of a step's summary.*"
    )
    assert text.endswith(f"|\n\n{note}\n\n")
