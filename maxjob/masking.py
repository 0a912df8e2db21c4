"""Secrets out of every output: the forms a secret can take, and text with them masked."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote

MASK = "****"
# How Markdown output writes text (`render.markdown.escape`): ASCII punctuation backslash-escaped,
# `<`, `>`, `&` as entities. A secret in a Markdown document has this form.
_MARKDOWN = {
    **{point: "\\" + chr(point) for point in range(0x21, 0x7F) if not chr(point).isalnum()},
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord("&"): "&amp;",
}


def forms(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """Each secret as it is, upper- and lower-cased, URL-encoded (as usual, and every byte in
    upper- or lower-case hex), in hex, base64-encoded, as HTML character references and as
    Markdown writes it (longest first, 4+ characters). The secret as it is and its usual
    encodings (URL, base64, Markdown) are also masked in pieces (see `mask`)."""
    found: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        raw = secret.encode()
        hexed = raw.hex()
        usual = {secret, quote(secret, safe=""), base64.b64encode(raw).decode()}
        usual.add(secret.translate(_MARKDOWN))
        _pieced.update(form for form in usual if len(form) > PIECE)
        if WINDOW < len(secret) <= SHORT:
            _windowed.add(secret)
        found.update(usual)
        found.update({secret.upper(), secret.lower(), hexed, hexed.upper()})
        every_byte = {
            "".join(f"%{byte:02X}" for byte in raw),
            "".join(f"%{byte:02x}" for byte in raw),
            "".join(f"&#{ord(ch)};" for ch in secret),
            "".join(f"&#x{ord(ch):x};" for ch in secret),
        }
        _gated.update(every_byte)
        found.update(every_byte)
    return tuple(sorted((f for f in found if len(f) >= 4), key=len, reverse=True))


# A piece of a secret this long is masked too: a server may echo it cut short. Shorter pieces
# are left alone (a key id may share a few characters with its secret).
PIECE = 16
# The secret as it is, this short or shorter (an AccessKey secret is 30 characters), is masked
# wherever any `WINDOW` of its characters show, anywhere in it: an echo split in two
# (`Kq3vXz9LmP2rT8w` in one field, `Yb5NcH1dF6gJ4sA` in another) or broken by a character put
# in it. A longer secret (an STS token) and the encodings keep to prefixes of `PIECE`. (The
# emulator's key id shares 13 characters with its secret, `emulator-key-`: 14 leaves it be.)
SHORT = 48
WINDOW = 14
# The forms masked in pieces, and the secrets masked in windows (`forms` adds to both): each
# piece is one more search of the text.
_pieced: set[str] = set()
_windowed: set[str] = set()
# The every-byte forms (`%4B%71...`, `&#75;&#113;...`), each looked for only in text that holds
# its first character.
_gated: set[str] = set()
# More runs than this of a secret in one text (a hostile answer repeating one 470,000 times)
# are masked window by window instead of each run whole: a fragment shorter than `WINDOW` may
# stay at the edge of a run, as any piece that short stays anywhere.
MOST_RUNS = 1000


def mask(text: str, hidden: Iterable[str]) -> str:
    """`text` with every one of `hidden` replaced by `****`; for the secret as it is and its
    usual encodings, so is any run of `PIECE` characters that starts like one (a secret the
    server cut short), and, for a short secret, any run of `WINDOW` of its characters."""
    gates: dict[str, bool] = {}
    for secret in hidden:
        mark = secret[0]
        if secret in _gated:
            # (One search for the mark, shared by all of them, skips them all in text without.)
            if mark not in gates:
                gates[mark] = mark in text
            if not gates[mark]:
                continue
        if secret in text:
            text = text.replace(secret, MASK)
        if secret in _windowed:
            text = _mask_windows(text, secret, WINDOW)
        elif secret in _pieced:
            text = _mask_prefixes(text, secret, PIECE)
    return text


# The forms of every secret this process was given (`remember`): server text is masked with
# them as it is read for display, before a table or picture can wrap a secret across two lines
# (where masking the written text, line by line, would miss both halves).
_known: tuple[str, ...] = ()


def remember(hidden: Iterable[str]) -> None:
    """Add `hidden` (from `forms`) to the secrets that `mask_known` masks."""
    global _known
    _known = tuple(sorted({*_known, *hidden}, key=len, reverse=True))


def mask_known(text: str) -> str:
    """`text` with every secret this process was given masked (see `remember`)."""
    return mask(text, _known) if _known else text


def _mask_prefixes(text: str, secret: str, piece: int) -> str:
    start = secret[:piece]
    at = text.find(start)
    if at < 0:
        return text
    parts: list[str] = []
    done = 0
    while at >= 0:
        length = piece
        while (
            length < len(secret) and at + length < len(text) and text[at + length] == secret[length]
        ):
            length += 1
        parts.append(text[done:at])
        parts.append(MASK)
        done = at + length
        at = text.find(start, done)
    parts.append(text[done:])
    return "".join(parts)


def _mask_windows(text: str, secret: str, width: int) -> str:
    """Mask every run of `text` that matches `width` or more consecutive characters of
    `secret`, anywhere in it, stretched as far as it keeps matching."""
    # Any `width` characters of the secret hold one of these (every `width - 3`): when none is
    # in the text, no window is (one search each, instead of one for every window).
    anchors = {secret[at : at + 4] for at in range(0, len(secret) - 3, width - 3)}
    if len(secret) < width or not any(anchor in text for anchor in anchors):
        return text
    spans: list[tuple[int, int]] = []
    for start in range(len(secret) - width + 1):
        piece = secret[start : start + width]
        at = text.find(piece)
        while at >= 0:
            if len(spans) >= MOST_RUNS:
                return _mask_each_window(text, secret, width)
            left, back = at, start
            while left > 0 and back > 0 and text[left - 1] == secret[back - 1]:
                left, back = left - 1, back - 1
            right, ahead = at + width, start + width
            while right < len(text) and ahead < len(secret) and text[right] == secret[ahead]:
                right, ahead = right + 1, ahead + 1
            spans.append((left, right))
            at = text.find(piece, right - width + 1)
    if not spans:
        return text
    parts: list[str] = []
    done = 0
    for left, right in sorted(spans):
        if right <= done:
            continue
        if left >= done:
            parts.append(text[done:left])
            parts.append(MASK)
        done = right
    parts.append(text[done:])
    return "".join(parts)


def _mask_each_window(text: str, secret: str, width: int) -> str:
    """Every `width` characters of `secret` replaced in `text` (in C, whatever their number)."""
    for start in range(len(secret) - width + 1):
        text = text.replace(secret[start : start + width], MASK)
    return text
