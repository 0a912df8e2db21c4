"""`-o markdown` end to end: several IDs give one document, a section per job (errors in their
place), every table well formed, hostile server text inert."""

from __future__ import annotations

from typing import Any

from tests.conftest import Emulator, run_maxjob
from tests.unit.test_markdown import inert, tables, unescape

EVIL = "a|b\n| x | y | z |\n[link](http://e) ![i](http://e/i.png) <script>`c`*_"
EVIL_JOB = {
    "instanceId": "evil-1",
    "data": {
        "instanceId": "evil-1",
        "status": "running",
        "project": EVIL,
        "jobOwner": EVIL,
        "quotaNickname": EVIL,
        "sceneResults": [{"type": "warning", "summary": EVIL, "description": EVIL}],
        "jobSubStatusList": [
            {"code": 1010, "startTime": "2025-11-30 02:00:00 +0000", "description": EVIL}
        ],
    },
}


def test_info_markdown_of_several_ids(emulator_with: Any) -> None:
    emu: Emulator = emulator_with([EVIL_JOB])
    result = run_maxjob("info", "failed", "evil-1", "no|such", "-o", "markdown", endpoint=emu.url)
    assert result.code == 5
    headings = [line for line in result.out.splitlines() if line.startswith("#")]
    assert headings == ["### failed · failed", "### evil\\-1 · running", "### no\\|such · error"]
    found = tables(result.out)
    # failed: facts, diagnostics, substatuses; evil-1: the same; the error: one.
    assert [len(t[0]) for t in found] == [2, 3, 4, 2, 3, 4, 2]
    evil_facts = {row[0]: unescape(row[1]) for row in found[3][2:]}
    assert evil_facts["Project"] == EVIL.replace("\n", " ")
    inert(result.out)
    assert "request id" in result.err  # errors are said on stderr too
    assert {row[0] for row in found[6][2:]} == {"Error", "Code", "Request id"}


def test_watch_markdown_prints_the_final_job_and_changes_on_stderr(emulator: Emulator) -> None:
    result = run_maxjob("watch", "finished", "-o", "markdown", endpoint=emulator.url)
    assert result.code == 0
    assert result.out.startswith("### finished · succeeded\n")
    assert "terminated (succeeded)" in result.err
    assert all(len(t[0]) in (2, 4) for t in tables(result.out))


def test_why_over_thousands_of_diagnostics_says_fifty_and_counts_the_rest(
    emulator_with: Any,
) -> None:
    """Each diagnostic was a sentence, found in the list one by one (quadratic: 20,000 took
    8 s, 50,000 a minute and a half): fifty, then how many more."""
    import json
    import time

    scenes = [{"type": "warning", "summary": f"finding {n}"} for n in range(30_000)]
    job = {"instanceId": "noisy", "status": "failed", "project": "p", "sceneResults": scenes}
    emu: Emulator = emulator_with([{"instanceId": "noisy", "data": job}])
    started = time.monotonic()
    result = run_maxjob("why", "noisy", "-o", "json", endpoint=emu.url)
    assert result.code == 0, result.err
    assert time.monotonic() - started < 15
    found = [r for r in json.loads(result.out)["reasons"] if r["kind"] == "diagnosis"]
    assert len(found) == 51
    assert found[0]["evidence"]["sceneResult"] == scenes[0]
    assert found[-1]["text"] == "… 29,950 more diagnostics (maxjob info -o json has them all)"
