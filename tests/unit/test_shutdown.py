"""SIGTERM/SIGHUP: the stack unwinds, but a hang on the way out cannot keep the process alive
past the grace period; what must be undone (the terminal) is undone even then."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

HANGS_ON_THE_WAY_OUT = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path
    from maxjob import shutdown

    shutdown.GRACE = {grace}
    signal.signal(signal.SIGTERM, shutdown.terminate)
    shutdown.on_forced_exit(lambda: Path(sys.argv[1]).write_text("undone"))
    forget = shutdown.on_forced_exit(lambda: Path(sys.argv[1]).write_text("forgotten"))
    forget()
    try:
        print("ready", flush=True)
        time.sleep(60)
    finally:
        print("unwinding", flush=True)
        time.sleep(60)  # a clean-up that hangs
    """
)


def _started(tmp_path: Path, grace: float) -> tuple[subprocess.Popen[str], Path]:
    marker = tmp_path / "marker"
    process = subprocess.Popen(
        [sys.executable, "-c", HANGS_ON_THE_WAY_OUT.format(grace=grace), str(marker)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process, marker


@pytest.mark.timed
@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
def test_a_hang_while_unwinding_is_cut_off_after_the_grace(tmp_path: Path) -> None:
    process, marker = _started(tmp_path, 0.3)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 143
    assert 0.3 <= time.monotonic() - started < 5
    assert process.stdout is not None and "unwinding" in process.stdout.read()  # it did unwind
    assert marker.read_text() == "undone"  # the registered undo ran; the forgotten one did not


@pytest.mark.timed
@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
def test_a_second_signal_forces_the_exit_at_once(tmp_path: Path) -> None:
    process, marker = _started(tmp_path, 60)
    process.send_signal(signal.SIGTERM)
    assert process.stdout is not None and process.stdout.readline() == "unwinding\n"
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 143
    assert time.monotonic() - started < 5
    assert marker.read_text() == "undone"


ENDS = textwrap.dedent(
    """
    import atexit, sys, threading, time
    from maxjob.cli.app import end

    time.sleep(float(sys.argv[2]))
    atexit.register(lambda: sys.stderr.write("teardown ran\\n"))
    # A worker thread still waiting on the network is not waited for.
    threading.Thread(target=time.sleep, args=(60,), daemon=False).start()
    sys.stdout.write("written, not yet flushed")
    end(int(sys.argv[1]))
    """
)


def _ending(code: int, pause: float) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.Popen(
        [sys.executable, "-c", ENDS, str(code), str(pause)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )


def test_the_end_flushes_what_was_written_and_skips_the_teardown() -> None:
    out, err = _ending(7, 0).communicate(timeout=30)
    assert (out, err) == ("written, not yet flushed", "")


def test_the_end_exits_with_the_code_even_with_threads_running() -> None:
    process = _ending(7, 0)
    process.communicate(timeout=30)
    assert process.returncode == 7


def test_the_end_into_a_closed_pipe_is_141() -> None:
    process = _ending(0, 0.5)
    assert process.stdout is not None
    process.stdout.close()  # the reader goes before anything is flushed
    assert process.wait(timeout=30) == 141


def test_the_collector_passes_over_young_objects_rarely() -> None:
    import gc

    from maxjob import cli

    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        cli._collect_rarely()
        assert gc.get_threshold() == (cli.COLLECT_EVERY, 10, 10)
        assert gc.isenabled()
    finally:
        gc.set_threshold(*saved)
