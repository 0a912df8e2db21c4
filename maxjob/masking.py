"""Secrets out of every output: the forms a secret can take, and text with them masked."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote

MASK = "****"


def forms(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """Each secret as it is, URL-encoded and base64-encoded (longest first, 4+ characters)."""
    found: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        found.update({secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()})
    return tuple(sorted((f for f in found if len(f) >= 4), key=len, reverse=True))


def mask(text: str, hidden: Iterable[str]) -> str:
    """`text` with every one of `hidden` replaced by `****`."""
    for secret in hidden:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
