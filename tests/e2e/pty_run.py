"""Run the installed `maxjob` in a real pseudo-terminal, as a user at a terminal would.

`PtyProcess.start(args, env, columns=, lines=)` forks with `pty.fork()`: the child gets the pty as
its controlling terminal (so a `\\x03` written to the master is a real Ctrl-C) and as stdin,
stdout and stderr, with the window size set on it before `exec`. The parent reads everything the
child writes (both streams, as a terminal shows them) with `select` and a deadline.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# CSI (with private parameters), OSC (BEL or ST ended), and two-character ESC sequences.
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b[()][0-9A-Za-z]"
)


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def terminal_environ(base: dict[str, str], columns: int, lines: int) -> dict[str, str]:
    env = dict(base)
    env.update({"TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)})
    return env


@dataclass
class PtyProcess:
    pid: int
    fd: int
    columns: int
    lines: int
    output: bytearray = field(default_factory=bytearray)
    status: int | None = None  # the exit status; -N when killed by signal N
    ended_at: float | None = None

    @classmethod
    def start(
        cls, args: Sequence[str], env: dict[str, str], *, columns: int = 100, lines: int = 40
    ) -> PtyProcess:
        env = terminal_environ(env, columns, lines)
        size = struct.pack("HHHH", lines, columns, 0, 0)
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty's slave is fds 0, 1, 2 and the controlling terminal
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, size)
                os.execve(args[0], list(args), env)  # noqa: S606 - the installed maxjob
            finally:
                os._exit(127)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, size)
        return cls(pid, fd, columns, lines)

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    @property
    def plain(self) -> str:
        """The output without escape sequences (carriage returns kept)."""
        return strip_ansi(self.text)

    def _pump(self, timeout: float) -> int:
        """Read what comes within `timeout`: the number of bytes, -1 once the child closed the
        terminal."""
        try:
            ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        except InterruptedError:
            return 0
        if not ready:
            return 0
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: every slave fd is closed
            return -1
        if not chunk:
            return -1
        self.output.extend(chunk)
        return len(chunk)

    def _reap(self) -> bool:
        if self.status is not None:
            return True
        pid, raw = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.status = os.waitstatus_to_exitcode(raw)
        self.ended_at = time.monotonic()
        return True

    def expect(self, predicate: Callable[[str], bool] | str, timeout: float) -> bool:
        """Read until `predicate(plain output)` (or the text is in it) or the timeout."""
        check = (lambda s: predicate in s) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        open_ = True
        while True:
            if check(self.plain):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if open_:
                open_ = self._pump(min(left, 0.05)) >= 0
            else:
                if self._reap():
                    return check(self.plain)
                time.sleep(min(left, 0.02))

    def wait(self, timeout: float) -> int | None:
        """Read until the child exits and its output is drained; its status, None on timeout."""
        deadline = time.monotonic() + timeout
        open_ = True
        while time.monotonic() < deadline:
            if open_:
                open_ = self._pump(min(deadline - time.monotonic(), 0.02)) >= 0
                if open_ and self._reap():  # exited, yet something keeps the slave open
                    while self._pump(0.05) > 0 and time.monotonic() < deadline:
                        pass
                    return self.status
            elif self._reap():
                return self.status
            else:
                time.sleep(0.005)
        return self.status if self._reap() else None

    def describe(self) -> str:
        """Where the child is, for a failure message: its state and what it waits in (Linux),
        and the end of its output."""
        facts = []
        for name in ("wchan", "syscall"):
            with contextlib.suppress(OSError):
                facts.append(f"{name}={Path(f'/proc/{self.pid}/{name}').read_text().strip()}")
        try:
            status = Path(f"/proc/{self.pid}/status").read_text().splitlines()
            facts += [line for line in status if line.startswith(("State", "Threads", "Sig"))]
        except OSError:
            pass
        return f"{'; '.join(facts)}; output ends {bytes(self.output[-300:])!r}"

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def close(self) -> None:
        if self.status is None and not self._reap():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def screen(self) -> list[str]:
        """The final screen as a terminal of this size shows it (needs pyte)."""
        import pyte

        screen = pyte.Screen(self.columns, self.lines)
        stream = pyte.ByteStream(screen)
        stream.feed(bytes(self.output))
        return [line.rstrip() for line in screen.display]
