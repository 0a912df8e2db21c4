"""Making server text safe for a terminal.

Control characters (C0 but tab and newline where a field may span lines, DEL, C1), ESC sequences,
bidi overrides, zero-width and other invisible format characters, line separators and lone
surrogates are shown as visible escapes (`\\x1b`, `\\u202e`). The result is plain text: the table
renderer wraps it in `rich.text.Text`, so `[bold]` or `:smile:` print as they are.

A field is cut to a bounded length (`FIELD_LIMIT` characters, `MULTILINE_LIMIT` lines) before it is
escaped, with a visible `… (N more characters)`: a server string of megabytes must not cost
seconds and hundreds of megabytes to draw. JSON output never comes through here and stays exact.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from maxjob.masking import mask_known

# Code point ranges shown as escapes. C0, DEL and C1 (tab and newline: the caller's choice of
# `multiline`); then the invisible or direction-changing: soft hyphen, Arabic letter mark,
# Mongolian vowel separator, zero-width and bidi marks, line/paragraph separators, bidi
# embeddings/overrides/isolates, word joiner and invisible operators, BOM / zero-width no-break
# space, interlinear annotations, lone surrogates (which cannot even be encoded), and the emoji
# skin-tone modifiers, which rich counts as no cell wide and terminals draw two wide.
_UNSAFE_RANGES = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0xAD, 0xAD),
    (0x61C, 0x61C),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0xFFFE, 0xFFFF),  # noncharacters: not allowed in XML (an exported picture)
    (0xD800, 0xDFFF),
    (0x1F3FB, 0x1F3FF),
)


@functools.cache
def _escapes(multiline: bool) -> dict[int, str]:
    # Built on first use: `-o json` never needs it. `str.translate` with it runs in C, where a
    # regex with a Python callback costs a call per character of an all-control string.
    table = {
        point: f"\\x{point:02x}"
        if point <= 0xFF
        else f"\\u{point:04x}"
        if point <= 0xFFFF
        else f"\\U{point:08x}"
        for low, high in _UNSAFE_RANGES
        for point in range(low, high + 1)
    }
    table[9], table[10] = "\\t", "\\n"
    if multiline:
        del table[9], table[10]
    return table


def _escape_format_chars(text: str) -> str:
    # Any other invisible format character (Unicode category Cf) outside the ranges above.
    if text.isascii():
        return text
    return "".join(
        (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        if ord(c) > 0xFF and unicodedata.category(c) == "Cf"
        else c
        for c in text
    )


# How much of one server field the table and the timeline draw, escapes included: a screenful.
FIELD_LIMIT = 2000
# A multi-line field (a diagnostic's description) shows at most this many lines.
MULTILINE_LIMIT = 40


def _escape_all(text: str, multiline: bool) -> str:
    return _escape_format_chars(text.translate(_escapes(multiline)))


def _cut(text: str, limit: int, multiline: bool) -> str:
    """At most `limit` characters (and, `multiline`, lines) of `text`, so few that their escaped
    form is at most `limit` characters too. Slicing first keeps memory flat."""
    head = text[:limit]
    if multiline and head.count("\n") >= MULTILINE_LIMIT:
        end = -1
        for _ in range(MULTILINE_LIMIT):
            end = head.index("\n", end + 1)
        head = head[:end]
    # An escape is at most ten characters: a head that short surely fits.
    if len(head) * 10 > limit and len(_escape_all(head, multiline)) > limit:
        head = _fitting(head, limit, multiline)
    return head


def _fitting(head: str, limit: int, multiline: bool) -> str:
    """The longest prefix of `head` whose escaped form is at most `limit` characters: a chunk at
    a time, then a character at a time in the chunk that overflows."""
    size = 0
    for offset in range(0, len(head), 256):
        chunk = head[offset : offset + 256]
        chunk_size = len(_escape_all(chunk, multiline))
        if size + chunk_size > limit:
            for index, char in enumerate(chunk):
                size += len(_escape_all(char, multiline))
                if size > limit:
                    return head[: offset + index]
        size += chunk_size
    return head


def _with_more(shown: str, more: int) -> str:
    if not more:
        return shown
    return f"{shown}… ({more:,} more character{'' if more == 1 else 's'})"


def sanitize(text: str, *, multiline: bool = False, limit: int | None = None) -> str:
    """Make `text` inert: secrets masked, every unsafe character a visible escape.

    With `multiline`, tabs and newlines stay (for descriptions shown over several lines); without
    it they are escaped too, so one value is always one line. With `limit`, at most that many
    characters are drawn, then `… (N more characters)` (N counts the characters of `text`).
    """
    if limit is None:
        return _escape_all(mask_known(text), multiline)
    window = text[: limit + _MASK_MARGIN]
    head, left = _masked_head(window, limit, multiline)
    return _with_more(_escape_all(head, multiline), left + len(text) - len(window))


_LEADING_SPACE = re.compile(r"\s*")


def whole(text: str | None) -> str:
    """Server text for a machine format (`plain`, `csv`): masked, trimmed and sanitised, never
    cut (the body's 10 MiB cap bounds it); empty for None."""
    return "" if text is None else sanitize(text.strip())


def display(text: str | None, *, multiline: bool = False, limit: int = FIELD_LIMIT) -> str:
    """Server text as shown to a person: secrets masked (before any layout can cut one in
    two), surrounding whitespace trimmed, cut to `limit` characters, then sanitised."""
    if text is None:
        return ""
    if len(text) > 2 * limit:
        # A huge field: only the window that is shown is masked, trimmed and escaped, never a
        # copy of it all (`strip` copies it when there is anything to trim). The window is
        # masked with a margin, so that a secret across its end is masked whole.
        leading = _LEADING_SPACE.match(text)
        start = leading.end() if leading else 0
        window = text[start : start + limit + _MASK_MARGIN]
        head, left = _masked_head(window, limit, multiline)
        rest = len(text) - start - len(window) - _trailing_space(text)
        return _with_more(_escape_all(head, multiline), left + rest)
    return sanitize(text.strip(), multiline=multiline, limit=limit)


def _masked_head(window: str, limit: int, multiline: bool) -> tuple[str, int]:
    """What is shown of `window` (a field's first characters, `_MASK_MARGIN` more than
    `limit`), masked first so that no secret is cut in two or wrapped later, and how many
    characters of the masked window are left out."""
    masked = mask_known(window)
    head = _cut(masked, limit, multiline)
    return head, len(masked) - len(head)


# More than any secret's longest form (base64 of a long secret): the window masked past `limit`.
_MASK_MARGIN = 512


def _trailing_space(text: str) -> int:
    tail = text[-256:]
    count = len(tail) - len(tail.rstrip())
    return count if count < len(tail) else len(text) - len(text.rstrip())
