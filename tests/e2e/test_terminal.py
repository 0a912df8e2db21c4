"""`maxjob` at a real terminal: a pseudo-terminal with a window size, TERM=xterm-256color.

Ctrl-C and SIGTERM/SIGHUP in the middle of a poll, warnings inside the live view, server text
made safe for the terminal, errors shown once, `wait`'s status line, and widths. Each test reads
what the terminal received (both streams, in order) and, where the screen matters, what a
terminal of that size shows at the end (pyte).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MAXJOB, Emulator, keyed_environ, run_maxjob
from tests.e2e.pty_run import PtyProcess, strip_ansi

BASE: dict[str, Any] = {
    "project": "tty_project",
    "jobOwner": "ALIYUN$tty@example.com",
    "jobType": "SQL",
    "priority": 3,
    "quotaNickname": "tty_quota",
    "quotaType": "subscription",
    "region": "cn-hangzhou",
    "tenantId": "emulator",
    "signature": "5d41402abc4b2a76b9719d911017c592ae3b1a2c",
}
RUNNING = [
    {"at": -60, "status": "waiting", "code": 1010, "description": "Waiting for scheduling"},
    {"at": -50, "status": "running", "code": 1032, "description": "Task executing"},
]

# Pseudo-terminal tests time keys, signals and refreshes: each runs alone.
pytestmark = pytest.mark.timed


def progression(scale: float) -> list[dict[str, Any]]:
    steps = [
        (0.0, "waiting", 1010, "Waiting for scheduling"),
        (1.0, "waiting", 1011, "Waiting for cluster resource"),
        (2.0, "running", 1032, "Task executing"),
        (3.0, "terminated", 1055, "Succeeded"),
    ]
    return [{"at": at * scale, "status": s, "code": c, "description": d} for at, s, c, d in steps]


# Control sequences a hostile field may carry: a clipboard write (OSC 52), a screen clear, a
# hyperlink (OSC 8) and a right-to-left override.
HOSTILE_OWNER = (
    "evil\x1b]52;c;SGVsbG8=\x07owner\x1b[2J"
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \u202eexe.txt"
)

JOBS: list[dict[str, Any]] = [
    # Running until killed: nothing ever ends the watch or the wait.
    {"idPrefix": "forever-", "script": RUNNING, "base": BASE},
    # Every GetJobInfo answers only after 20 s.
    {
        "idPrefix": "slow-",
        "script": RUNNING,
        "base": BASE,
        "faults": [{"first": 1000, "delay": 20}],
    },
    # About 2.3 s to success; its 3rd poll answers 503 once.
    {
        "idPrefix": "blip-",
        "script": progression(0.75),
        "base": BASE,
        "faults": [{"polls": [3], "status": 503}],
    },
    # About 1.5 s to success.
    {"idPrefix": "quick-", "script": progression(0.5), "base": BASE},
    {
        "instanceId": "hostile",
        "data": {
            **BASE,
            "instanceId": "hostile",
            "jobOwner": HOSTILE_OWNER,
            "status": "terminated",
            "submittedAtTime": 1764460800,
            "endAtTime": 1764460900,
        },
    },
]


@pytest.fixture
def server(emulator_with: Any) -> Emulator:
    emulator: Emulator = emulator_with(JOBS)
    return emulator


@pytest.fixture
def tty(tmp_path: Path) -> Iterator[Any]:
    """A factory: `tty(args, env, columns=, lines=)` starts `maxjob args` in a pty."""
    started: list[PtyProcess] = []

    def factory(args: list[str], env: dict[str, str], **size: int) -> PtyProcess:
        process = PtyProcess.start([MAXJOB, *args], env, **size)
        started.append(process)
        return process

    yield factory
    for process in started:
        process.close()


def environ(tmp_path: Path, server: Emulator, *, endpoint_in_env: bool = True) -> dict[str, str]:
    env = keyed_environ(tmp_path, server.url)
    if not endpoint_in_env:
        del env["MAXJOB_ENDPOINT"]
    env["TZ"] = "UTC"
    return env


def interrupt(process: PtyProcess) -> tuple[int | None, float, bytes]:
    """Ctrl-C at the terminal: the exit status, the seconds it took to exit, what came after."""
    mark = len(process.output)
    started = time.monotonic()
    process.send(b"\x03")
    status = process.wait(5)
    took = (process.ended_at or time.monotonic()) - started
    return status, took, bytes(process.output[mark:])


def screen_of(process: PtyProcess) -> list[str]:
    """The final screen, without its trailing blank rows."""
    pytest.importorskip("pyte")
    rows = process.screen()
    while rows and not rows[-1]:
        rows.pop()
    return rows


# -- 1. Ctrl-C -------------------------------------------------------------------------------------


def test_ctrl_c_during_watch_exits_130_keeps_the_frame_and_repeats_the_flags(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    env = environ(tmp_path, server, endpoint_in_env=False)
    args = ["watch", "forever-1", "--endpoint", server.url, "--interval", "0.2"]
    process = tty(args, env, columns=100, lines=40)
    assert process.expect("watching for", 10), process.text
    assert process.expect(lambda s: s.count("watching for") >= 3, 5), process.text

    status, took, after = interrupt(process)

    assert status == 130, process.text[-2000:]
    assert took < 1.5, f"exited {took:.2f}s after Ctrl-C"
    tail = strip_ansi(after.decode(errors="replace"))
    hint = next((line for line in tail.splitlines() if "interrupted" in line), None)
    assert hint is not None, repr(tail[-800:])
    assert "resume with: maxjob watch forever-1" in hint, hint
    assert f"--endpoint {server.url} --interval 0.2" in hint, hint
    # The last frame stays: redrawn (not erased) on the way out, and on the final screen once.
    assert "watching for" in tail and "Task executing" in tail, repr(tail[-1500:])
    screen = "\n".join(screen_of(process))
    assert screen.count("watching for") == 1, screen
    assert "Task executing" in screen, screen


def test_ctrl_c_during_wait_exits_130_with_a_resume_hint_naming_the_job(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    env = environ(tmp_path, server, endpoint_in_env=False)
    args = ["wait", "forever-2", "--endpoint", server.url, "--interval", "0.2"]
    process = tty(args, env)
    assert process.expect("waiting for forever-2", 10), process.text
    time.sleep(0.5)

    status, took, after = interrupt(process)

    assert status == 130, process.text[-2000:]
    assert took < 1.5, f"exited {took:.2f}s after Ctrl-C"
    tail = strip_ansi(after.decode(errors="replace"))
    hint = next((line for line in tail.splitlines() if "interrupted" in line), None)
    assert hint is not None, repr(tail)
    assert "resume with: maxjob wait" in hint, hint
    assert f"--endpoint {server.url}" in hint and "--interval 0.2" in hint, hint
    # The job still pending is what a resumed wait must wait for.
    assert "forever-2" in hint, f"the resume hint does not name the pending job: {hint!r}"


def _interrupted_slow_info(server: Emulator, tmp_path: Path, tty: Any) -> tuple[Any, float, str]:
    env = environ(tmp_path, server)
    process = tty(["info", "slow-a", "slow-b", "slow-c"], env)
    time.sleep(1.0)  # the three requests are in flight, the server answers in 20 s
    assert process.status is None and not process.expect(lambda s: "slow-a" in s, 0.1)
    status, took, after = interrupt(process)
    return status, took, strip_ansi(after.decode(errors="replace"))


def test_ctrl_c_during_a_slow_multi_id_info_exits_130_at_once(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    status, took, tail = _interrupted_slow_info(server, tmp_path, tty)
    assert status == 130, repr(tail)
    assert took < 1.5, f"exited {took:.2f}s after Ctrl-C"
    assert "maxjob: interrupted" in tail, repr(tail)


def test_ctrl_c_during_a_slow_multi_id_info_suggests_how_to_resume(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    status, _took, tail = _interrupted_slow_info(server, tmp_path, tty)
    assert status == 130, repr(tail)
    line = next((x for x in tail.splitlines() if "interrupted" in x), "")
    assert "resume" in line and "maxjob info" in line, f"no resume hint: {tail!r}"
    assert tail.count("interrupted") == 1, f"said more than once: {tail!r}"  # one line, as watch


# -- 2. SIGTERM and SIGHUP during the live view ----------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_during_the_live_view_exits_128_plus_it_and_shows_the_cursor(
    server: Emulator, tmp_path: Path, tty: Any, signum: int
) -> None:
    process = tty(["watch", "forever-3", "--interval", "0.2"], environ(tmp_path, server))
    assert process.expect("watching for", 10), process.text
    time.sleep(0.4)
    process.signal(signum)
    status = process.wait(5)
    assert status == 128 + signum, (status, process.describe())
    raw = bytes(process.output)
    hidden = raw.rfind(b"\x1b[?25l")
    assert hidden >= 0, "the live view never hid the cursor"
    assert raw.rfind(b"\x1b[?25h") > hidden, f"cursor left hidden: {raw[-300:]!r}"


# -- 3. Retry warnings inside the live view --------------------------------------------------------


def test_a_retry_warning_prints_above_the_live_view_without_a_stale_frame(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    process = tty(["watch", "blip-1", "--interval", "0.2"], environ(tmp_path, server), lines=80)
    status = process.wait(20)
    assert status == 0, process.text[-2000:]
    plain = process.plain
    assert plain.count("retrying job blip-1") == 1, plain
    screen = screen_of(process)
    shown = "\n".join(screen)
    assert shown.count("retrying job blip-1") == 1, shown
    assert shown.count("watching for") <= 1, shown
    headers = [row for row in screen if row.startswith("blip-1 ")]
    assert len(headers) == 1, f"more than one frame on the screen:\n{shown}"


# -- 4. --jq on a terminal and in a pipe -----------------------------------------------------------


def test_jq_strings_are_escaped_on_a_terminal_and_raw_in_a_pipe(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    process = tty(["info", "hostile", "--jq", ".jobOwner"], environ(tmp_path, server))
    assert process.wait(10) == 0, process.text
    raw = bytes(process.output)
    assert b"\x1b" not in raw, f"a raw ESC reached the terminal: {raw!r}"
    assert "\u202e" not in process.text, repr(process.text)
    assert "\\x1b]52;c;SGVsbG8=\\x07" in process.text, repr(process.text)
    assert "\\u202e" in process.text, repr(process.text)

    piped = run_maxjob("info", "hostile", "--jq", ".jobOwner", endpoint=server.url)
    assert piped.code == 0, piped.err
    assert piped.out == HOSTILE_OWNER + "\n"


# -- 5. A failed id among several ------------------------------------------------------------------


def test_a_failed_id_among_several_is_reported_once_on_a_terminal(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    process = tty(["info", "finished", "nosuchjob", "failed"], environ(tmp_path, server))
    status = process.wait(15)
    assert status == 5, (status, process.plain[-1500:])
    plain = process.plain
    assert plain.count("nosuchjob: error") == 1, plain
    assert plain.count("job nosuchjob not found") == 1, plain
    assert "does not exist" not in plain, plain  # the service's message only said it again
    assert "finished" in plain and "Data skew detected" in plain
    # Its hint is there too (it goes nowhere else on a terminal), once for two such ids.
    process = tty(["info", "nosuchjob", "finished", "nosuch2"], environ(tmp_path, server))
    assert process.wait(15) == 5, process.plain[-1500:]
    assert process.plain.count("hint: check the id and the region") == 1, process.plain


def test_waits_lines_are_aligned_on_a_terminal_and_tab_separated_in_a_pipe(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    env = environ(tmp_path, server)
    process = tty(["wait", "finished", "failed", "--timeout", "0"], env)
    assert process.wait(15) == 3, process.plain[-1500:]
    lines = [line for line in process.plain.replace("\r", "").splitlines() if line]
    assert "\t" not in process.plain
    assert lines[:2] == [
        "finished  succeeded       terminated",
        "failed    failed          failed",
    ], lines
    piped = run_maxjob("wait", "finished", "failed", "--timeout", "0", endpoint=server.url)
    assert piped.out.splitlines()[:2] == [
        "finished\tsucceeded\tterminated",
        "failed\tfailed\tfailed",
    ]


# -- 6. wait's status line -------------------------------------------------------------------------


def test_wait_on_a_terminal_says_what_it_waits_for_then_clears_the_line(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    process = tty(["wait", "quick-1", "--interval", "0.2"], environ(tmp_path, server))
    assert process.expect("waiting for quick-1", 3), repr(process.text)
    assert process.wait(15) == 0, process.text[-1500:]
    text = process.text
    last = text.rfind("waiting for quick-1")
    result = text.find("quick-1  succeeded", last)
    assert result > last, repr(text[-600:])
    between = text[last:result]
    assert "\r\x1b[2K" in between or "\x1b[2K" in between, repr(between)
    screen = screen_of(process)
    assert not any("waiting for" in row for row in screen), "\n".join(screen)
    assert any(row.startswith("quick-1") and "succeeded" in row for row in screen), screen


# -- 7. Widths -------------------------------------------------------------------------------------


@pytest.mark.parametrize("job", ["finished", "failed"])
def test_the_table_view_is_at_most_120_columns_on_a_wide_terminal(
    server: Emulator, tmp_path: Path, tty: Any, job: str
) -> None:
    process = tty(["info", job], environ(tmp_path, server), columns=160, lines=80)
    assert process.wait(10) == 0, process.text
    lines = [line.rstrip("\r") for line in process.plain.split("\n")]
    too_wide = [(len(line.rstrip()), line) for line in lines if len(line.rstrip()) > 120]
    assert not too_wide, "\n".join(f"{n}: {line}" for n, line in too_wide)
    assert any("Substatuses" in line for line in lines)


def test_a_narrow_timeline_keeps_times_and_durations_whole(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    process = tty(["info", "finished", "-o", "timeline"], environ(tmp_path, server), columns=60)
    assert process.wait(10) == 0, process.text
    screen = screen_of(process)
    shown = "\n".join(screen)
    # The job's phases and substatuses (TZ=UTC): start times and how long each lasted.
    for whole in ("00:00:00", "00:00:42", "01:02:05", "42s", "3.4s", "1.5s", "4.2s", "33s"):
        assert whole in shown, f"{whole!r} is not whole on a 60-column screen:\n{shown}"
    assert shown.count("1h 01m 23s") >= 2, shown
    assert all(len(row) <= 60 for row in screen)


def test_waits_columns_hold_with_wide_characters_in_an_id(
    server: Emulator, tmp_path: Path, tty: Any
) -> None:
    from rich.cells import cell_len

    process = tty(["wait", "finished", "作业作业", "--timeout", "0"], environ(tmp_path, server))
    assert process.wait(15) == 5, process.plain[-1500:]
    lines = [line for line in process.plain.replace("\r", "").splitlines() if line]
    rows = [line for line in lines if line.startswith(("finished ", "作业作业 "))]
    assert len(rows) == 2, lines
    # The outcome column starts in the same terminal column on both lines.
    starts = {cell_len(row[: row.index(row.split()[1])]) for row in rows}
    assert len(starts) == 1, rows
