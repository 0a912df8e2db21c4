"""`maxjob top`: what is running and queued on a quota now.

The quota's newest snapshot (ListJobSnapshotInfos, stepping back over the data lag, every page),
its capacity (ListQuotas to find the level-1 quota, then QueryQuota; read once per run), and
GetRunningJobs instead of snapshots when those are refused (a 403: said once on stderr, with
the columns it lacks). On a terminal the view refreshes every `--interval` (jittered) until `q`
or Ctrl-C, both exit 0; keys sort the rows at once. Between refreshes it blocks in `select` on
stdin, so an idle `top` uses no CPU; the terminal is put in cbreak mode (keys without Enter,
no echo, Ctrl-C still an interrupt) and given back exactly as it was, cursor shown, on every
way out. `--once`, a pipe or another format print one snapshot.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TextIO

from maxjob import ids
from maxjob.errors import MaxjobError, UsageError
from maxjob.output import formats
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams
from maxjob.polling import Clock
from maxjob.quota import (
    PAGE_CONCURRENCY,
    SNAPSHOTS,
    SORT_KEYS,
    Capacity,
    QuotaBook,
    Snapshot,
    SnapshotReader,
    denial,
    is_denied,
    not_found,
    running_jobs,
)
from maxjob.render.top import Frame
from maxjob.session import ClientFactory, ConnectionOptions, open_client

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient

BASE_FORMATS = ("table", "plain", "json", "jsonl", "csv")
MIN_INTERVAL = 1.0
# What `wait` returns when the terminal was resized (the view is drawn again).
RESIZE = "<resize>"
KEYS = {"c": "cpu", "w": "wait", "p": "priority", "r": "refresh", "q": "quit", "\x1b": "quit"}


def accepted_formats() -> tuple[str, ...]:
    """The formats of `top` that the registry has; Markdown when `maxjob.render.markdown` is
    there too."""
    known = tuple(name for name in BASE_FORMATS if name in formats.FORMATS)
    if "markdown" in formats.FORMATS and markdown_module() is not None:
        return (*known, "markdown")
    return known


def markdown_module() -> Any:
    """`maxjob.render.markdown` (its `escape` and `table`), or None where it is not there."""
    import importlib

    try:
        module = importlib.import_module("maxjob.render.markdown")
    except ImportError:
        return None
    has = all(callable(getattr(module, name, None)) for name in ("escape", "table"))
    return module if has else None


class Options(NamedTuple):
    quota: str | None = None
    job: str | None = None
    once: bool = False
    interval: float = 30.0
    sort: str = "cpu"
    output: str | None = None
    jq: str | None = None
    utc: bool = False
    connection: ConnectionOptions = ConnectionOptions()


class Keys(Protocol):
    """Where the live view's keys come from."""

    def wait(self, timeout: float) -> str | None:
        """Block up to `timeout` seconds: a key, `RESIZE`, or None when the time is up."""
        ...


class TopReader:
    """Reads one quota: its snapshot (GetRunningJobs once snapshots are refused) and its
    capacity (read once)."""

    def __init__(
        self,
        client: MaxComputeClient,
        quota: str,
        streams: Streams,
        wall: Callable[[], float],
    ) -> None:
        self.client = client
        self.quota = quota
        self.streams = streams
        self.wall = wall
        self.reader = SnapshotReader(client, quota)
        self.book = QuotaBook(client)
        self.fallback: str | None = None

    def snapshot(self) -> Snapshot:
        now = self.wall()
        if self.fallback is None:
            try:
                return self.reader.read(now)
            except MaxjobError as exc:
                if not is_denied(exc):
                    raise
                self.fallback = denial(SNAPSHOTS, exc, f"quota {self.quota}")
                self.streams.warn(
                    f"{self.fallback}: showing GetRunningJobs instead, "
                    "without the columns priority, cores and memory (waited and ran are "
                    "measured from the submission and start times)"
                )
        return running_jobs(self.client, self.quota, now)

    def capacity(self) -> Capacity:
        return self.book.capacity(self.quota)


class Screen(Protocol):
    sort: str

    def refresh(self) -> None: ...

    def show(self) -> None: ...


def refresh_loop(screen: Screen, keys: Keys, clock: Clock, interval: float) -> None:
    """Refresh `screen` every `interval` seconds (jittered, from the end of the last refresh)
    until `q`; a sort key redraws at once, `r` refreshes at once, a resize redraws. Between
    events it blocks in `keys.wait`: no polling, no ticking."""
    due = clock.monotonic() + clock.jittered(interval)
    while True:
        key = keys.wait(max(due - clock.monotonic(), 0.0))
        action = KEYS.get(key.lower() if key and key != RESIZE else "", "")
        if action == "quit":
            return
        if action in SORT_KEYS:
            screen.sort = action
            screen.show()
        elif key == RESIZE:
            screen.show()
        if action == "refresh" or clock.monotonic() >= due:
            screen.refresh()
            due = clock.monotonic() + clock.jittered(interval)


class LiveScreen:
    """The live view: a frame drawn in place with rich's Live (no automatic refresh: it draws
    only when told)."""

    def __init__(
        self,
        reader: TopReader,
        frame: Frame,
        live: Any,
        *,
        utc: bool,
    ) -> None:
        self.reader = reader
        self.frame = frame
        self.live = live
        self.utc = utc

    @property
    def sort(self) -> str:
        return self.frame.sort

    @sort.setter
    def sort(self, value: str) -> None:
        self.frame = self.frame._replace(sort=value)

    def refresh(self) -> None:
        try:
            snapshot = self.reader.snapshot()
        except MaxjobError as exc:
            # Keep the last snapshot on screen, and say what went wrong.
            self.frame = self.frame._replace(error=exc.one_line(), failed_at=self.reader.wall())
        else:
            self.frame = self.frame._replace(
                snapshot=snapshot, error=None, failed_at=None, fallback=self.reader.fallback
            )
        self.show()

    def show(self) -> None:
        from maxjob.render.top import top_view

        console = self.live.console
        view = top_view(
            self.frame,
            now=self.reader.wall(),
            utc=self.utc,
            width=console.width,
            height=console.height,
        )
        self.live.update(view, refresh=True)


class TerminalKeys:
    """Keys from a terminal in cbreak mode (each key at once, no echo; Ctrl-C still sends
    SIGINT), and terminal resizes through a self-pipe. The terminal's attributes are restored
    on leaving, however it is left."""

    def __init__(self, stdin: TextIO) -> None:
        self.fd = stdin.fileno()
        self._saved: list[Any] | None = None
        self._wake_r = self._wake_w = -1
        self._previous_winch: Any = None
        self._previous_stop: Any = None
        self._forget: Callable[[], None] | None = None
        # Whether the live view is on the alternate screen (`run_live` says so).
        self.drawing = False

    def __enter__(self) -> TerminalKeys:
        import signal
        import termios

        from maxjob import shutdown

        self._saved = termios.tcgetattr(self.fd)
        self._forget = shutdown.on_forced_exit(self._give_back)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        try:
            self._take_keys()
            if hasattr(signal, "SIGWINCH"):
                self._previous_winch = signal.signal(signal.SIGWINCH, self._on_resize)
            if hasattr(signal, "SIGTSTP"):
                self._previous_stop = signal.signal(signal.SIGTSTP, self._on_stop)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _take_keys(self) -> None:
        """Keys read one at a time, not echoed (cbreak mode)."""
        import termios
        import tty

        tty.setcbreak(self.fd, termios.TCSANOW)

    def _give_back(self) -> None:
        """On a forced exit: the terminal's attributes as found."""
        import termios

        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSANOW, self._saved)

    def _on_resize(self, signum: int, frame: object) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"\0")

    def _on_stop(self, signum: int, frame: object) -> None:
        """Ctrl-Z: the terminal given back as it was (attributes, screen, cursor) while the
        process is stopped; after `fg`, the live view taken up again and drawn whole."""
        import signal
        import termios

        from maxjob import shutdown

        out = sys.stdout.fileno()
        drawing = self.drawing
        if drawing:
            with contextlib.suppress(OSError):
                os.write(out, shutdown.LEAVE_ALT_SCREEN + shutdown.SHOW_CURSOR)
        with contextlib.suppress(OSError, termios.error):
            self._give_back()
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stopped here until the shell continues it
        signal.signal(signal.SIGTSTP, self._on_stop)
        with contextlib.suppress(OSError, termios.error):
            self._take_keys()
        if drawing and self.drawing:
            with contextlib.suppress(OSError):
                os.write(out, shutdown.ENTER_ALT_SCREEN + shutdown.HIDE_CURSOR)
            self._on_resize(signum, frame)  # a redraw of the whole screen

    def __exit__(self, *exc: object) -> None:
        import signal
        import termios

        # Ctrl-Z unhooked first: a stop from here on must not set cbreak mode again.
        if self._previous_stop is not None and hasattr(signal, "SIGTSTP"):
            signal.signal(signal.SIGTSTP, self._previous_stop)
            self._previous_stop = None
        try:
            if self._saved is not None:
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
        finally:
            if self._forget is not None:
                self._forget()
                self._forget = None
            if self._previous_winch is not None and hasattr(signal, "SIGWINCH"):
                signal.signal(signal.SIGWINCH, self._previous_winch)
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._wake_r = self._wake_w = -1

    def wait(self, timeout: float) -> str | None:
        import select

        ready, _, _ = select.select([self.fd, self._wake_r], [], [], max(timeout, 0.0))
        if self._wake_r in ready:
            with contextlib.suppress(OSError):
                os.read(self._wake_r, 64)
            return RESIZE
        if self.fd in ready:
            data = os.read(self.fd, 64)
            if not data:  # the terminal went away
                return "q"
            text = data.decode("utf-8", errors="replace")
            # An escape sequence (an arrow key) is not a key of ours; Esc alone quits.
            if text.startswith("\x1b") and len(text) > 1:
                return ""
            return text[:1]
        return None


class NoKeys:
    """No keyboard (stdin is not a terminal): the view refreshes until Ctrl-C."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def wait(self, timeout: float) -> str | None:
        self.clock.sleep(timeout)
        return None


@contextlib.contextmanager
def keyboard(stdin: TextIO, clock: Clock) -> Iterator[Keys]:
    """The terminal's keys when stdin is one, else none."""
    try:
        terminal = stdin.isatty()
    except (AttributeError, ValueError):
        terminal = False
    if not terminal:
        yield NoKeys(clock)
        return
    with TerminalKeys(stdin) as keys:
        yield keys


# Far above any quota nickname (the console allows a few dozen characters).
MAX_NICKNAME = 256


def check(options: Options) -> None:
    if (options.quota is None) == (options.job is None):
        raise UsageError("give --quota NICK or --job ID (one of them)")
    if options.quota is not None and not options.quota.strip():
        raise UsageError("--quota cannot be empty")
    if options.quota in (".", ".."):
        raise UsageError(f"--quota {options.quota} is not a quota nickname")
    if options.quota is not None and len(options.quota) > MAX_NICKNAME:
        raise UsageError(f"--quota is longer than {MAX_NICKNAME} characters: not a quota nickname")
    if options.interval < MIN_INTERVAL:
        raise UsageError("--interval must be at least 1s (snapshots change once a minute)")
    if options.sort not in SORT_KEYS:
        raise UsageError(f"--sort must be one of {', '.join(SORT_KEYS)}")


def quota_of_job(client: MaxComputeClient, instance_id: str) -> str:
    job = client.get_job_info(instance_id)
    nickname = (job.quota_nickname or "").strip()
    if not nickname:
        raise UsageError(f"job {instance_id} names no quota (quotaNickname is empty)")
    return nickname


def run(
    options: Options,
    streams: Streams,
    client_factory: ClientFactory = open_client,
    *,
    clock: Clock | None = None,
    wall: Callable[[], float] = time.time,
    stdin: TextIO | None = None,
    keys: Keys | None = None,
) -> int:
    """Show the quota once, or live until `q` or Ctrl-C; the exit status (0 unless an error).
    `keys` replaces the terminal's keyboard (tests)."""
    check(options)
    jq = JqProgram(options.jq) if options.jq else None
    fmt = formats.choose(options.output, accepted_formats(), streams, jq is not None)
    utc = options.utc or not streams.out_is_terminal
    ref = ids.parse_ref(options.job) if options.job is not None else None
    live = fmt.name == "table" and streams.out_is_terminal and not options.once
    try:
        with client_factory(
            options.connection,
            streams,
            pool_size=PAGE_CONCURRENCY,
            fallback_region=ref.region if ref else None,
        ) as client:
            if ref is not None:
                quota = quota_of_job(client, ref.instance_id)
            else:
                quota = (options.quota or "").strip()
            reader = TopReader(client, quota, streams, wall)
            snapshot = reader.snapshot()
            capacity = reader.capacity()
            if snapshot.at is None and not snapshot.jobs:
                if reader.book.exists(quota) is False:
                    raise not_found(quota, reader.book)
                if level2 := reader.book.level2_of(quota):
                    # Jobs run in level-2 quotas [DOC]: nothing would ever show on this one.
                    raise UsageError(
                        f"{quota} is a level-1 quota: its jobs run on its level-2 quotas, "
                        f"{', '.join(level2)}",
                        hint=f"maxjob top --quota {shlex.quote(level2[0])}",
                    )
            frame = Frame(quota, snapshot, capacity, sort=options.sort, fallback=reader.fallback)
            if not live:
                show_once(frame, fmt, streams, jq, utc=utc, now=wall())
                return 0
            follow(reader, frame, streams, clock or Clock(), options.interval, utc, stdin, keys)
    except KeyboardInterrupt:
        if not live:
            raise  # a snapshot cut short in a pipe is an interrupted command: 130
        # In the live view, Ctrl-C is top's way out, like q.
    return 0


def follow(
    reader: TopReader,
    frame: Frame,
    streams: Streams,
    clock: Clock,
    interval: float,
    utc: bool,
    stdin: TextIO | None,
    keys: Keys | None = None,
) -> None:
    """The live view until `q` (or an interrupt, which the caller takes as a way out)."""
    from rich.live import Live

    from maxjob import shutdown

    console = streams.console()
    source = (
        contextlib.nullcontext(keys) if keys is not None else keyboard(stdin or sys.stdin, clock)
    )
    with (
        source as pressed,
        shutdown.cursor_shown_on_forced_exit(console.file, alt_screen=True),
        # On the alternate screen, as full-screen tools are: a resize redraws it whole (drawn in
        # place, lines the terminal had rewrapped were left behind), and leaving gives back the
        # screen as it was.
        Live(console=console, auto_refresh=False, screen=True) as live,
    ):
        drawing = pressed if isinstance(pressed, TerminalKeys) else None
        try:
            if drawing is not None:
                drawing.drawing = True
            screen = LiveScreen(reader, frame._replace(interval=interval), live, utc=utc)
            screen.show()
            refresh_loop(screen, pressed, clock, interval)
        finally:
            if drawing is not None:  # before the alternate screen is left
                drawing.drawing = False


def show_once(
    frame: Frame,
    fmt: formats.Format,
    streams: Streams,
    jq: JqProgram | None,
    *,
    utc: bool,
    now: float,
) -> None:
    """One snapshot in the chosen format; beside a machine format, a summary line on stderr."""
    from maxjob.render import top as render

    if fmt.name == "table":
        console = streams.console()
        console.print(render.top_view(frame, now=now, utc=utc, width=console.width))
        return
    if frame.snapshot.at is None and not frame.snapshot.jobs:
        newest, oldest = frame.snapshot.searched or (0, 0)
        streams.message(
            f"maxjob: no snapshot of quota {frame.quota} in the {(newest - oldest) // 60 + 1} "
            "minutes asked: the quota may be idle, or its data lags more than that"
        )
    else:
        streams.message(render.summary(frame, now=now))
    if fmt.name == "json":
        formats.emit_json(streams, list(render.sorted_raw(frame)), jq, compact=False)
    elif fmt.name == "jsonl":
        for item in render.sorted_raw(frame):
            formats.emit_json(streams, item, jq, compact=True)
    elif fmt.name == "csv":
        streams.write(render.csv_text(frame))
    elif fmt.name == "markdown":
        streams.write(render.markdown(frame, now=now, md=markdown_module()))
    else:
        streams.write(render.plain(frame))
