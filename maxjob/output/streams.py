"""Where output goes: data to stdout, messages to stderr, secrets to neither.

`Streams` is what every command writes through. It decides colour and terminal-ness once, writes
one-line errors and hints in the documented shape, and masks the access key secret and the
security token (raw, URL- and base64-encoded) in everything it writes.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal, TextIO, cast

from maxjob.errors import MaxjobError
from maxjob.masking import forms, mask, remember
from maxjob.render.sanitize import sanitize

if TYPE_CHECKING:
    from rich.console import Console


def color_wanted(stream: TextIO, no_color_flag: bool, environ: Mapping[str, str]) -> bool:
    """`--no-color` and NO_COLOR (any value) win; FORCE_COLOR forces; else the terminal decides."""
    if no_color_flag or "NO_COLOR" in environ:
        return False
    if environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return is_terminal(stream) and environ.get("TERM") != "dumb"


def terminal_width(stream: TextIO, environ: Mapping[str, str]) -> int:
    """The columns of the terminal `stream` writes to (`COLUMNS` first, as rich reads it); 80
    when neither says a width (some containers report 0 columns)."""
    return _dimension(environ.get("COLUMNS", ""), stream, 0, 80)


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Streams:
    """stdout and stderr, with the choices that depend on them."""

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        *,
        no_color: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self._err = err
        self.no_color = no_color
        self.environ = os.environ if environ is None else environ
        self._secrets: tuple[str, ...] = ()
        self.hidden: tuple[str, ...] = ()
        # In a GitHub Actions step, no server text may form a workflow command (`ci`).
        self.in_github_actions = self.environ.get("GITHUB_ACTIONS") == "true"
        self._status_shown = False

    @property
    def err(self) -> TextIO:
        """stderr as it is now: a live view redirects it to print above itself (rich's Live
        does), so that a message in the middle of a view does not garble it."""
        return self._err or sys.stderr

    @property
    def out_is_terminal(self) -> bool:
        return is_terminal(self.out)

    @property
    def color(self) -> bool:
        return color_wanted(self.out, self.no_color, self.environ)

    def hide(self, *secrets: str) -> None:
        """Never let these values (nor their URL or base64 forms) reach stdout or stderr."""
        self._secrets = (*self._secrets, *secrets)
        self.hidden = forms(self._secrets)
        remember(self.hidden)  # server text is masked as it is read for display, too

    def mask(self, text: str) -> str:
        return mask(text, self.hidden)

    def outgoing(self, text: str, *, command: bool = False) -> str:
        """`text` as it may leave: secrets masked; in GitHub Actions, no workflow command (but
        the first line's, when `command`: one of maxjob's own, `::error ...`)."""
        if self.hidden:
            text = self.mask(text)
        if self.in_github_actions:
            from maxjob.ci import inert_workflow_commands

            text = inert_workflow_commands(text, ours=command)
        return text

    def write(self, text: str) -> None:
        """Data to stdout, masked and flushed at once (a pipe reader sees each change as it
        happens)."""
        self.out.write(self.outgoing(text))
        self.out.flush()

    def message(self, text: str, *, command: bool = False) -> None:
        """One line to stderr, sanitised and masked (`sanitize` masks before it escapes).
        `command`: the line is one of maxjob's own GitHub workflow commands (`::error ...`),
        whose leading `::` stays."""
        self.err.write(self.outgoing(sanitize(text), command=command) + "\n")
        self.err.flush()

    def _for_console(self, text: str) -> str:
        """What a rich console writes, as it may leave; in a file or pipe without the spaces
        that pad a table's cells to the end of each line (a terminal does not show them)."""
        text = self.outgoing(text)
        if " \n" in text and not self.out_is_terminal:
            text = _TRAILING_SPACES.sub("", text)
        return text

    def status(self, text: str) -> None:
        """One status line on stderr (a terminal), rewritten in place: cut to the terminal's
        width, as a line that wrapped would leave a copy of itself at each rewrite."""
        from rich.cells import cell_len, set_cell_size  # (on a terminal only)

        width = terminal_width(self.err, self.environ) - 1
        line = self.mask(text)
        if cell_len(line) > width:
            line = set_cell_size(line, max(width, 0)).rstrip()
        self.err.write("\r\x1b[2K" + line)
        self.err.flush()
        self._status_shown = True

    def clear_status(self) -> None:
        """Erase the status line, if one is shown."""
        if self._status_shown:
            self.err.write("\r\x1b[2K")
            self.err.flush()
            self._status_shown = False

    def error(self, error: MaxjobError, *, prefix: str = "") -> None:
        self.message(f"maxjob: error: {prefix}{error.one_line()}")
        if error.hint:
            self.message(f"maxjob: hint: {error.hint}")

    def warn(self, text: str) -> None:
        self.message(f"maxjob: warning: {text}")

    def _color_system(self) -> Literal["standard", "256", "truecolor"]:
        # Our own reading of the terminal, so FORCE_COLOR also works where TERM says "dumb".
        if self.environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
            return "truecolor"
        return "256" if "256" in self.environ.get("TERM", "") else "standard"

    def console(self, *, width: int | None = None) -> Console:
        """A rich console for stdout that never reads server text as markup or emoji."""
        color = self.color
        height = None
        if not _usable_size(self.out):
            # rich would take `COLUMNS=0` (or a terminal of 0 columns) as it is and draw
            # nothing, and crash on `COLUMNS=²` or `LINES=²`: the size is ours then.
            width = width or terminal_width(self.out, {})
            height = _terminal_lines(self.out)
        return _console_class()(
            # Always through the mask: a console may be made before the credentials are known
            # (the table of `list` is), and `mask` reads the secrets when it writes.
            file=cast("TextIO", _Masked(self.out, self._for_console)),
            force_terminal=color or None,
            no_color=not color,
            color_system=self._color_system() if color else None,
            markup=False,
            emoji=False,
            highlight=False,
            width=width,
            height=height,
            soft_wrap=False,
        )


def _small_count(text: str) -> bool:
    """Whether `text` is a width or a height: ASCII digits, 1 to 99,999."""
    return text.isascii() and text.isdigit() and 0 < len(text) <= 5 and int(text) > 0


def _usable_size(stream: TextIO) -> bool:
    """Whether rich may size a console on `stream` by itself: `COLUMNS` and `LINES` each unset,
    not a number (which rich ignores) or a positive one (rich takes any digits: `²` or 5,000 of
    them crash its int(), and 0 columns draws nothing), and no terminal that says 0 columns."""
    for name in ("COLUMNS", "LINES"):
        value = os.environ.get(name)
        if value is not None and value.isdigit() and not _small_count(value):
            return False
    size = _measured(stream)
    return size is None or size.columns > 0


def _terminal_lines(stream: TextIO) -> int:
    """The lines of the terminal `stream` writes to (`LINES` when it is a number), else 25."""
    return _dimension(os.environ.get("LINES", ""), stream, 1, 25)


def _dimension(given: str, stream: TextIO, index: int, default: int) -> int:
    """`given` when it is a number, else the terminal's own (`index` 0: columns, 1: lines),
    else `default` (no terminal, or one that says 0)."""
    if _small_count(given):
        return int(given)
    size = _measured(stream)
    return (size[index] if size is not None else 0) or default


def _measured(stream: TextIO) -> os.terminal_size | None:
    """The size of the terminal `stream` writes to; None when it is no terminal."""
    try:
        return os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None


_TRAILING_SPACES = re.compile(r" +(?=\n)")


@functools.cache
def _console_class() -> type[Console]:
    """rich's Console, but a closed pipe raises BrokenPipeError, for the command to leave with
    141 as it does for any other write (rich's own leaves with 1, saying nothing)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return PipeConsole


class _Masked:
    """A text stream that masks what is written through it (for rich's console)."""

    def __init__(self, stream: TextIO, masker: Callable[[str], str]) -> None:
        self._stream = stream
        self._masker = masker

    def write(self, text: str) -> int:
        return self._stream.write(self._masker(text))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return is_terminal(self._stream)

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8") or "utf-8"
