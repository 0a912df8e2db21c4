"""`--export FILE.svg|html` end to end: saved whatever stdout is and whatever `-o` prints, at a
fixed width, refused before fetching when the file cannot be written; `info`, `watch`, `list`,
`history` and `why`, hostile server text escaped and a secret the server echoes masked."""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import KEY_SECRET, Emulator, run_maxjob
from tests.unit.test_export import assert_safe_page, assert_safe_picture, picture_text

HOSTILE = "<script>alert(1)</script>[bold]x[/bold]\x1b[2J\u202e"
EVIL_JOB = {
    "instanceId": "evil-1",
    "data": {
        "instanceId": "evil-1",
        "status": "failed",
        "project": HOSTILE,
        "jobOwner": HOSTILE,
        "sceneResults": [{"type": "critical", "summary": HOSTILE}],
    },
}


def test_info_exports_svg_while_stdout_is_json(emulator_with: Any, tmp_path: Path) -> None:
    emu: Emulator = emulator_with([EVIL_JOB])
    picture = tmp_path / "jobs.svg"
    result = run_maxjob(
        "info", "failed", "evil-1", "-o", "json", "--export", str(picture), endpoint=emu.url
    )
    assert result.code == 0, result.err
    assert [job["instanceId"] for job in json.loads(result.out)] == ["failed", "evil-1"]
    root = assert_safe_picture(picture.read_text(encoding="utf-8"))
    shown = picture_text(root)
    assert "failed" in shown and "evil-1" in shown and "[bold]x[/bold]" in shown
    assert "\\x1b[2J\\u202e" in shown
    assert "Timing" in shown  # the table view


def test_watch_exports_the_final_timeline_as_html(emulator: Emulator, tmp_path: Path) -> None:
    page = tmp_path / "job.html"
    result = run_maxjob(
        *("watch", "finished", "-o", "timeline", "--export", str(page), "--width", "80"),
        endpoint=emulator.url,
    )
    assert result.code == 0, result.err
    text = page.read_text(encoding="utf-8")
    assert_safe_page(text)
    assert "finished" in text and "Waiting" in text and "Running" in text
    assert "Timing" not in text  # the timeline, not the table


# Runs of one SQL in a hostile project, the newest `evil-run-0`: every text field the list,
# history and why views show is hostile, and the quota is the access key secret, echoed back.
SCRIPT = "<script>alert(1)</script>"
ESCAPES = "</svg>\x1b[2J\u202e[bold]x"
SEEN_ESCAPES = "\\x1b[2J\\u202e[bold]x"  # as the views show it


def evil_runs(count: int = 5) -> list[dict[str, Any]]:
    now = int(time.time())
    runs = []
    for n in range(count):
        submitted = now - 1800 - n * 86400
        data = {
            "instanceId": f"evil-run-{n}",
            "status": "failed" if n == 0 else "success",
            "project": SCRIPT,
            "jobOwner": ESCAPES,
            "quotaNickname": KEY_SECRET,
            "signature": "evil-signature",
            "jobType": "SQL",
            "priority": 3,
            "submittedAtTime": submitted,
            "runningAtTime": submitted + 30,
            "endAtTime": submitted + 30 + 600 + 60 * n,
            "waitingTime": 30,
            "runningTime": 600 + 60 * n,
            "totalTime": 630 + 60 * n,
            "cuUsage": 360,
            "inputBytes": 2**30,
            "sceneResults": [
                {"type": "critical", "summary": f"{SCRIPT}{ESCAPES} key {KEY_SECRET}"}
            ],
            "jobSubStatusList": [
                {"code": 1054 if n == 0 else 1055, "description": SCRIPT + ESCAPES}
            ],
        }
        runs.append({"instanceId": data["instanceId"], "data": data})
    return runs


def assert_hostile_text_inert(document: str, shown: str, *, escapes: bool = True) -> None:
    """The document holds the hostile strings only as text: escaped for XML/HTML, control
    characters visible escapes (where the view shows the owner or a diagnostic), markup as
    typed, the secret masked."""
    assert "<script" not in document.lower()
    assert document.count("</svg>") <= 1  # the picture's own end, if it is one
    assert KEY_SECRET not in document and "****" in shown
    assert "\x1b" not in document and "\u202e" not in document
    if escapes:
        assert SEEN_ESCAPES in shown


def picture_of(path: Path) -> str:
    return picture_text(assert_safe_picture(path.read_text(encoding="utf-8")))


def page_text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    assert_safe_page(page)
    code = re.search(r"<code[^>]*>(.*)</code>", page, re.S)
    assert code is not None
    return html.unescape(re.sub(r"<[^>]+>", "", code.group(1)))


def test_list_exports_the_table_while_stdout_is_jsonl(emulator_with: Any, tmp_path: Path) -> None:
    emu: Emulator = emulator_with(evil_runs())
    picture = tmp_path / "jobs.svg"
    result = run_maxjob(
        *("list", "--since", "7d", "--project", SCRIPT, "-o", "jsonl"),
        *("--export", str(picture), "--width", "200"),
        endpoint=emu.url,
    )
    assert result.code == 0, result.err
    ids = [json.loads(line)["instanceId"] for line in result.out.splitlines()]
    assert ids == [f"evil-run-{n}" for n in range(5)]
    document = picture.read_text(encoding="utf-8")
    shown = picture_of(picture)
    lines = [line for line in shown.splitlines() if line.startswith("evil-run-")]
    assert [line.split()[0] for line in lines] == ids  # the rows the table shows, in order
    assert "SUBMITTED (UTC)" in shown and "5 jobs" in shown  # the header and the footer
    assert SCRIPT in shown  # the project, as typed, read as text
    assert_hostile_text_inert(document, shown)


def test_list_no_match_exports_why_nothing_is_shown(emulator: Emulator, tmp_path: Path) -> None:
    page = tmp_path / "none.html"
    result = run_maxjob(
        "list", "--status", "nope", "-o", "json", "--export", str(page), endpoint=emulator.url
    )
    assert (result.code, result.out) == (0, "[]\n")
    assert "no jobs matched from " in page_text(page)


def test_history_exports_the_view_as_html(emulator_with: Any, tmp_path: Path) -> None:
    emu: Emulator = emulator_with(evil_runs())
    page = tmp_path / "history.html"
    result = run_maxjob(
        *("history", "evil-run-0", "-o", "json", "--export", str(page), "--width", "160"),
        endpoint=emu.url,
    )
    assert result.code == 0, result.err
    assert [run["instanceId"] for run in json.loads(result.out)["runs"]] == [
        f"evil-run-{n}" for n in range(1, 5)
    ]
    document = page.read_text(encoding="utf-8")
    shown = page_text(page)
    assert "<title>maxjob history evil-run-0</title>" in document
    for n in range(5):
        assert f"evil-run-{n}" in shown  # a row per run, this run first
    assert "4 earlier runs with this SQL signature in <script>" in shown  # the scope line
    assert_hostile_text_inert(document, shown, escapes=False)  # no owner, no diagnostics


def test_history_gate_and_export_together(emulator: Emulator, tmp_path: Path) -> None:
    picture = tmp_path / "regressed.svg"
    result = run_maxjob(
        *("history", "hist-regressed", "--fail-over", "2", "--export", str(picture)),
        endpoint=emulator.url,
    )
    assert result.code == 9, result.err  # the gate's status; the picture saved all the same
    shown = picture_of(picture)
    assert "3.4x the median 12m 00s" in shown and "maxjob history hist-regressed" in shown


def test_why_exports_the_explanation_as_svg(emulator_with: Any, tmp_path: Path) -> None:
    emu: Emulator = emulator_with(evil_runs())
    picture = tmp_path / "why.svg"
    result = run_maxjob(
        "why", "evil-run-0", "-o", "plain", "--export", str(picture), endpoint=emu.url
    )
    assert result.code == 0, result.err
    assert "stage\tfinished" in result.out.splitlines()
    document = picture.read_text(encoding="utf-8")
    shown = picture_of(picture)
    assert "maxjob why evil-run-0" in shown  # the window title
    assert "evil-run-0" in shown and "Finished: failed" in shown
    assert "Diagnosis (critical)" in shown and SCRIPT in shown
    assert_hostile_text_inert(document, shown)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--export", "{tmp}/missing/job.svg"], "does not exist"),
        (["--export", "{tmp}/job.pdf"], "must end in .svg, .html or .htm"),
        (["--export", "{tmp}/job.svg", "--width", "10"], "10 is out of range: give from 40 to 400"),
    ],
)
def test_refused_before_fetching(args: list[str], message: str, tmp_path: Path) -> None:
    # Nothing listens there: had it fetched, it would have failed with 6.
    filled = [a.replace("{tmp}", str(tmp_path)) for a in args]
    for command in (
        ["info", "finished"],
        ["watch", "finished"],
        ["list", "-o", "jsonl", "--limit", "0"],
        ["history", "finished"],
        ["why", "finished", "-o", "json"],
    ):
        result = run_maxjob(*command, *filled, endpoint="127.0.0.1:9")
        assert result.code == 2, (command, result.err)
        assert message in result.err
        assert result.out == ""
