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
    """Each secret as it is, URL-encoded, base64-encoded and as Markdown writes it (longest
    first, 4+ characters)."""
    found: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        encoded = base64.b64encode(secret.encode()).decode()
        found.update({secret, quote(secret, safe=""), encoded, secret.translate(_MARKDOWN)})
    return tuple(sorted((f for f in found if len(f) >= 4), key=len, reverse=True))


# A piece of a secret this long is masked too: a server may echo it cut short. Shorter pieces
# are left alone (a key id may share a few characters with its secret).
PIECE = 16


def mask(text: str, hidden: Iterable[str]) -> str:
    """`text` with every one of `hidden` replaced by `****`, and so is any run of at least
    `PIECE` characters that starts like one of them (a secret the server cut short)."""
    for secret in hidden:
        if secret in text:
            text = text.replace(secret, MASK)
        if len(secret) > PIECE:
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
