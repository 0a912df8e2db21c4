"""`--export FILE.svg|html` end to end: saved whatever stdout is and whatever `-o` prints, at a
fixed width, refused before fetching when the file cannot be written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Emulator, run_maxjob
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--export", "{tmp}/missing/job.svg"], "does not exist"),
        (["--export", "{tmp}/job.pdf"], "must end in .svg or .html"),
        (["--export", "{tmp}/job.svg", "--width", "10"], "10 is not in the range 40<=x<=400"),
    ],
)
def test_refused_before_fetching(args: list[str], message: str, tmp_path: Path) -> None:
    # Nothing listens there: had it fetched, it would have failed with 6.
    filled = [a.replace("{tmp}", str(tmp_path)) for a in args]
    for command in ("info", "watch"):
        result = run_maxjob(command, "finished", *filled, endpoint="127.0.0.1:9")
        assert result.code == 2, result.err
        assert message in result.err
