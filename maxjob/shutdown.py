"""Leaving on SIGTERM or SIGHUP: the stack unwinds as after Ctrl-C (a live view gives the
terminal back, `wait` writes its report), but never for longer than `GRACE` seconds. A CI runner
that cancels a job sends SIGTERM and waits a few seconds before SIGKILL; an exit status of
128 + N within the grace is the contract, whatever hangs on the way out.

What must be undone even on a forced exit (a terminal left in cbreak mode) registers an undo
here with `on_forced_exit`; a second terminating signal forces the exit at once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

GRACE = 3.0
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"
ENTER_ALT_SCREEN = b"\x1b[?1049h"
HIDE_CURSOR = b"\x1b[?25l"

_undo: list[Callable[[], None]] = []
_leaving: list[int] = []


def on_forced_exit(undo: Callable[[], None]) -> Callable[[], None]:
    """Register `undo` for a forced exit; returns the function that unregisters it."""
    _undo.append(undo)

    def forget() -> None:
        with contextlib.suppress(ValueError):
            _undo.remove(undo)

    return forget


@contextlib.contextmanager
def cursor_shown_on_forced_exit(stream: object, *, alt_screen: bool = False) -> Iterator[None]:
    """While a live view hides the cursor on `stream` (a file): show it on a forced exit, and
    (`alt_screen`: the view is drawn on the terminal's alternate screen) leave that screen."""
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        yield
        return
    restore = (LEAVE_ALT_SCREEN if alt_screen else b"") + SHOW_CURSOR
    forget = on_forced_exit(lambda: _write(fd, restore))
    try:
        yield
    finally:
        forget()


def _write(fd: int, data: bytes) -> None:
    os.write(fd, data)


def terminate(signum: int, frame: object) -> None:
    """The handler of SIGTERM and SIGHUP: unwind with 128 + N, forced after `GRACE` seconds
    (or at once on a second signal)."""
    code = 128 + signum
    if _leaving:
        force(_leaving[0])
    _leaving.append(code)
    import threading

    watchdog = threading.Timer(GRACE, force, args=(code,))
    watchdog.daemon = True
    watchdog.start()
    raise SystemExit(code)


def force(code: int) -> None:
    """Undo what must be undone, then exit with `code` at once (no flushing that could block
    on a reader that went away)."""
    for undo in reversed(_undo):
        with contextlib.suppress(Exception):
            undo()
    os._exit(code)
