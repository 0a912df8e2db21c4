"""Making server text safe for a terminal.

Control characters (C0 but tab and newline where a field may span lines, DEL, C1), ESC sequences,
bidi overrides, zero-width and other invisible format characters, line separators and lone
surrogates are shown as visible escapes (`\\x1b`, `\\u202e`). The result is plain text: the table
renderer wraps it in `rich.text.Text`, so `[bold]` or `:smile:` print as they are.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# C0, DEL and C1; tab and newline are handled by the caller's choice of `multiline`.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Invisible or direction-changing: soft hyphen, Arabic letter mark, Mongolian vowel separator,
# zero-width and bidi marks, line/paragraph separators, bidi embeddings/overrides/isolates,
# word joiner and invisible operators, BOM / zero-width no-break space, interlinear annotations,
# and lone surrogates (which cannot even be encoded).
_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff"
)


@functools.cache
def _unsafe(multiline: bool) -> re.Pattern[str]:
    # Compiled on first use: `-o json` never needs it, and it costs a millisecond.
    return re.compile(f"[{'' if multiline else chr(9) + chr(10)}{_CONTROL}{_INVISIBLE}]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\t":
        return "\\t"
    if char == "\n":
        return "\\n"
    point = ord(char)
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


def _escape_format_chars(text: str) -> str:
    # Any other invisible format character (Unicode category Cf) outside the ranges above.
    if text.isascii():
        return text
    return "".join(
        f"\\u{ord(c):04x}" if ord(c) > 0xFF and unicodedata.category(c) == "Cf" else c for c in text
    )


def sanitize(text: str, *, multiline: bool = False) -> str:
    """Make `text` inert: every unsafe character becomes a visible escape.

    With `multiline`, tabs and newlines stay (for descriptions shown over several lines); without
    it they are escaped too, so one value is always one line.
    """
    return _escape_format_chars(_unsafe(multiline).sub(_escape, text))


def display(text: str | None, *, multiline: bool = False) -> str:
    """Server text as shown to a person: surrounding whitespace trimmed, then sanitised."""
    if text is None:
        return ""
    return sanitize(text.strip(), multiline=multiline)
