"""The installed `maxjob history` against `maxjob emulator` over loopback: the seeded recurring
runs tell their stories (steady, regressed, grew, too few, another project), the CI gate exits
9, and the view fits a real terminal of 60, 80 and 160 columns, with and without colour."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MAXJOB, Emulator, keyed_environ, run_maxjob, start_emulator, stop
from tests.e2e.pty_run import PtyProcess


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator for the module: history only reads the seeded store."""
    emu = start_emulator(tmp_path_factory.mktemp("history-emulator"))
    yield emu
    stop(emu)


def history(emulator: Emulator, *args: str) -> Any:
    return run_maxjob("history", *args, endpoint=emulator.url)


def test_the_seeded_stories(emulator: Emulator) -> None:
    steady = history(emulator, "hist-steady", "-o", "json")
    assert steady.code == 0, steady.err
    summary = json.loads(steady.out)["summary"]
    assert summary["outcomes"] == {"succeeded": 10, "failed": 1, "cancelled": 1}
    assert summary["verdict"] == "Ran 12m 10s as usual (median 13m 15s); waited as usual."
    assert summary["metrics"]["run"]["p90"] == 860

    regressed = history(emulator, "hist-regressed", "--fail-over", "2")
    assert regressed.code == 9
    assert regressed.err.splitlines() == [
        "maxjob: ran 41m 00s, 3.4x the median 12m 00s, on 1.1x the usual input; used 3.4x the "
        "usual CU-hours; waited as usual.",
        "maxjob: running time 41m 00s is 3.4x the median 12m 00s of 9 earlier successful runs: "
        "over --fail-over 2 (limit 24m 00s)",
    ]
    assert regressed.out.splitlines()[0].split("\t")[:2] == ["hist-regressed", "this"]

    grew = history(emulator, "hist-grew", "--fail-over", "2")
    assert grew.code == 0
    assert "1.4x the median 21m 00s, on 1.4x the usual input, which accounts for it" in grew.err

    few = history(emulator, "hist-few", "--fail-over", "2")
    assert few.code == 0
    assert "--fail-over 2 not checked: only 1 earlier successful run" in few.err


def test_other_projects_and_the_scheduler_node(emulator: Emulator) -> None:
    wide = json.loads(history(emulator, "hist-steady", "--all-projects", "-o", "json").out)
    assert "hist-steady-dev" in [run["instanceId"] for run in wide["runs"]]
    assert wide["summary"]["projects"] is None
    by_node = json.loads(history(emulator, "hist-steady", "--by", "node", "-o", "json").out)
    ids = [run["instanceId"] for run in by_node["runs"]]
    assert "hist-steady-dev" not in ids and len(ids) == 12
    capped = json.loads(history(emulator, "hist-steady", "--runs", "3", "-o", "json").out)
    assert [run["instanceId"] for run in capped["runs"]] == [
        "hist-steady-r01",
        "hist-steady-r02",
        "hist-steady-r03",
    ]


def test_a_job_that_does_not_exist_exits_5(emulator: Emulator) -> None:
    result = history(emulator, "no-such-job")
    assert result.code == 5 and "not found" in result.err


@pytest.mark.parametrize(("columns", "color"), [(60, True), (80, False), (160, True)])
def test_the_view_at_a_terminal(
    emulator: Emulator, tmp_path: Path, columns: int, color: bool
) -> None:
    env = keyed_environ(tmp_path, emulator.url)
    env["TZ"] = "UTC"
    if not color:
        env["NO_COLOR"] = "1"
    process = PtyProcess.start([MAXJOB, "history", "hist-steady"], env, columns=columns)
    try:
        assert process.wait(15) == 0, process.text
        assert ("\x1b[" in process.text) is color
        rows = process.screen()
    finally:
        process.close()
    shown = [row for row in rows if row]
    assert all(len(row) <= columns for row in shown)
    text = " ".join(" ".join(shown).split())
    assert "Ran 12m 10s as usual (median 13m 15s); waited as usual." in text
    spark = next(row for row in shown if row.startswith("total time"))
    assert "◂ this run 12m 50s" in spark
    table = [row for row in shown if row.startswith(("▶", "   2026-"))]
    assert len(table) == 13 and "12m 10s" in table[0]


def test_a_run_older_than_the_listing_window_says_why_it_has_no_history(
    emulator_with: Any,
) -> None:
    import time

    submitted = int(time.time()) - 50 * 86400
    old = {
        "instanceId": "old-run",
        "data": {
            "instanceId": "old-run",
            "status": "terminated",
            "project": "dw",
            "signature": "0ld0ld0ld0ld",
            "submittedAtTime": submitted,
            "endAtTime": submitted + 600,
        },
    }
    emu = emulator_with([old])
    result = run_maxjob("history", "old-run", "-o", "json", "--fail-over", "2", endpoint=emu.url)
    assert result.code == 0, result.err  # not an error: the gate is not checked, and says why
    summary = json.loads(result.out)["summary"]
    assert "45 days ago or earlier" in summary["reason"]
    assert "not checked" in result.err and "45 days ago or earlier" in result.err
    assert "from is older" not in result.err
    why = run_maxjob("why", "old-run", "-o", "json", endpoint=emu.url)
    assert why.code == 0, why.err
    assert "45 days ago or earlier" in why.out
