"""Where output goes: data to stdout, messages to stderr, secrets to neither.

`Streams` is what every command writes through. It decides colour and terminal-ness once, writes
one-line errors and hints in the documented shape, and masks the access key secret and the
security token (raw, URL- and base64-encoded) in every message it writes to stderr.
"""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, TextIO
from urllib.parse import quote

from maxjob.errors import MaxjobError
from maxjob.render.sanitize import sanitize

if TYPE_CHECKING:
    from rich.console import Console

FORMATS = ("table", "plain", "json", "jsonl", "timeline")
# Worst first: errors outrank outcomes, failure outranks cancellation, timeout, running, success.
_SEVERITY = (1, 4, 6, 5, 2, 3, 7, 124, 8, 0)


def worst_exit_code(codes: list[int]) -> int:
    """The exit status of a call that ended in several: the worst by `_SEVERITY`."""
    known = [c for c in codes if c in _SEVERITY] or [0]
    unknown = [c for c in codes if c not in _SEVERITY]
    if unknown:
        return max(unknown)
    return min(known, key=_SEVERITY.index)


def color_wanted(stream: TextIO, no_color_flag: bool, environ: Mapping[str, str]) -> bool:
    """`--no-color` and NO_COLOR (any value) win; FORCE_COLOR forces; else the terminal decides."""
    if no_color_flag or "NO_COLOR" in environ:
        return False
    if environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return is_terminal(stream) and environ.get("TERM") != "dumb"


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
        self.err = err or sys.stderr
        self.no_color = no_color
        self.environ = os.environ if environ is None else environ
        self.hidden: list[str] = []

    @property
    def out_is_terminal(self) -> bool:
        return is_terminal(self.out)

    @property
    def color(self) -> bool:
        return color_wanted(self.out, self.no_color, self.environ)

    def hide(self, *secrets: str) -> None:
        """Never let these values (nor their URL or base64 forms) reach stderr."""
        for secret in secrets:
            if not secret:
                continue
            forms = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
            self.hidden.extend(f for f in forms if len(f) >= 4)

    def mask(self, text: str) -> str:
        for secret in self.hidden:
            text = text.replace(secret, "****")
        return text

    def write(self, text: str) -> None:
        """Data to stdout, flushed at once (a pipe reader sees each change as it happens)."""
        self.out.write(text)
        self.out.flush()

    def message(self, text: str) -> None:
        """One line to stderr, sanitised and masked."""
        self.err.write(self.mask(sanitize(text)) + "\n")
        self.err.flush()

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
        from rich.console import Console

        color = self.color
        return Console(
            file=self.out,
            force_terminal=color or None,
            no_color=not color,
            color_system=self._color_system() if color else None,
            markup=False,
            emoji=False,
            highlight=False,
            width=width,
            soft_wrap=False,
        )
