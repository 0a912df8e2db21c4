"""The service's JSON, read strictly; and a page's items with the text they were sent as.

`parse_json` refuses what `json.loads` lets through and a reader of the answer should not see:
invalid UTF-8, NaN and Infinity (and numbers that overflow to them), lone surrogates, repeated
keys, nesting past `MAX_JSON_DEPTH`.

With `verbatim` (a path of keys to a list of objects, as `("data", "jobInfoList")`), the objects
of that list come back as `Verbatim` dicts that keep the text they were sent as, when that text
can be written out as it is: compact, ASCII and free of escapes, so that it is exactly what
maxjob's own encoder would write apart from the spelling of numbers. `-o jsonl` writes a page of
jobs that way instead of encoding every job again (a third of `list`'s work per page). The page
is parsed once either way: the envelope by a small walk in Python, each value by the standard
library's scanner with the same strict hooks; whatever the walk does not expect is handed to
the whole-document parse, which gives the same document or the same error.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

MAX_JSON_DEPTH = 64

# A \uD800-\uDFFF escape: a surrogate, which must come in a high-low pair.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SPACE = re.compile(r"[ \t\n\r]*")

Scan = Callable[[str, int], tuple[Any, int]]


class Verbatim(dict[str, Any]):
    """A JSON object and, in `text`, the text it was sent as when that can be written through
    (compact ASCII without escapes), else None."""

    __slots__ = ("text",)
    text: str | None


def parse_json(body: bytes, *, verbatim: tuple[str, ...] = ()) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity (nor numbers that overflow to them), no lone
    surrogates, no duplicate keys, nesting within reason. `verbatim`: see the module."""
    if not body.strip():
        raise ValueError("empty body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not valid UTF-8") from None
    decoder = json.JSONDecoder(
        parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique
    )
    spans: list[tuple[int, int]] = []
    found: list[list[Any]] = []
    try:
        scan: Scan = decoder.scan_once  # type: ignore[attr-defined]  # set in __init__
        walked = _walk(text, scan, verbatim, spans, found) if verbatim else None
        document = walked if walked is not None else decoder.decode(text)
    except json.JSONDecodeError as exc:
        cut_short = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated")
        kind = "truncated" if cut_short else "not valid JSON"
        if text.lstrip().startswith("<"):
            kind = "an HTML page, not JSON"
        raise ValueError(f"the body is {kind}") from None
    except RecursionError:
        raise ValueError("the body is nested too deeply") from None
    if _nesting(document) > MAX_JSON_DEPTH:
        raise ValueError(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(document)
    if walked is not None and found:
        _keep_texts(text, found[0], spans)
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"the body holds {name}, which is not JSON")


def _finite(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(f"the body holds the number {number[:40]}, too large for a float")
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # in C; only a repeated key makes it shorter than the pairs
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the body repeats the key {key[:40]!r}")
            seen.add(key)
    return result


# -- the walk ----------------------------------------------------------------------------------


class _UnexpectedShapeError(Exception):
    """The text is not shaped as the walk expects: parse it whole instead."""


def _walk(
    text: str,
    scan: Scan,
    path: tuple[str, ...],
    spans: list[tuple[int, int]],
    found: list[list[Any]],
) -> Any:
    """The document `text` holds, parsed by `scan` (values) and by this walk (the objects on
    `path` and the list at its end), the list's item spans in `spans` and the list itself in
    `found`; None when the text is not so shaped (or not valid: the whole parse says why)."""

    def space(i: int) -> int:
        match = _SPACE.match(text, i)
        return match.end() if match else i

    def scanned(i: int) -> tuple[Any, int]:
        try:
            return scan(text, i)
        except (StopIteration, json.JSONDecodeError):
            raise _UnexpectedShapeError from None

    def listed(i: int) -> tuple[list[Any], int]:  # text[i] is "["
        items: list[Any] = []
        i = space(i + 1)
        if text[i] == "]":
            return items, i + 1
        # The loop a page's hundred items go through: kept to the fewest calls.
        append, note, blank = items.append, spans.append, _SPACE.match
        try:
            while True:
                value, end = scan(text, i)
                append(value)
                note((i, end))
                if text[end] == ",":
                    i = end + 1
                    if text[i] in " \t\n\r":
                        i = blank(text, i).end()  # type: ignore[union-attr]  # * matches
                    continue
                i = space(end)
                if text[i] == "]":
                    found.append(items)
                    return items, i + 1
                if text[i] != ",":
                    raise _UnexpectedShapeError
                i = space(i + 1)
        except (StopIteration, json.JSONDecodeError):
            raise _UnexpectedShapeError from None

    def value_at(i: int, keys: tuple[str, ...]) -> tuple[Any, int]:
        if not keys:
            if text[i] != "[":
                raise _UnexpectedShapeError
            return listed(i)
        if text[i] != "{":
            raise _UnexpectedShapeError
        pairs: list[tuple[str, Any]] = []
        descended = False
        i = space(i + 1)
        if text[i] == "}":
            return _unique(pairs), i + 1
        while True:
            if text[i] != '"':
                raise _UnexpectedShapeError
            key, i = scanned(i)
            i = space(i)
            if text[i] != ":":
                raise _UnexpectedShapeError
            i = space(i + 1)
            if key == keys[0] and not descended:
                descended = True
                value, i = value_at(i, keys[1:])
            else:
                value, i = scanned(i)
            pairs.append((key, value))
            i = space(i)
            if text[i] == "}":
                return _unique(pairs), i + 1
            if text[i] != ",":
                raise _UnexpectedShapeError
            i = space(i + 1)

    try:
        document, end = value_at(space(0), path)
    except (_UnexpectedShapeError, IndexError):
        spans.clear()
        found.clear()
        return None
    if space(end) != len(text):
        spans.clear()
        found.clear()
        return None
    return document


def _keep_texts(text: str, items: list[Any], spans: list[tuple[int, int]]) -> None:
    """Replace the objects of `items` by `Verbatim` copies holding their text where it can be
    written through. The whole page must be ASCII (one test, which Python answers at once);
    when all of it is compact and free of escapes, no item needs a test of its own."""
    ascii_only = text.isascii()
    every = ascii_only and _plain(text)
    for index, (start, end) in enumerate(spans):
        item = items[index]
        if type(item) is not dict:
            continue
        kept = Verbatim(item)
        piece = text[start:end] if ascii_only else ""
        kept.text = piece if every or (piece and _plain(piece)) else None
        items[index] = kept


# Two characters of which one is a space and the other a token JSON may put a space beside:
# whitespace between tokens always touches one of {}[],: (inside a string such a pair only
# costs that item its write-through).
_LOOSE_PAIRS = ("{ ", "[ ", ", ", ": ", " }", " ]", " ,", " :")


def _plain(piece: str) -> bool:
    """Whether JSON text holds no escape and no whitespace between tokens (substring tests,
    each a scan in C: a regular expression of alternatives costs ten times as much)."""
    if "\\" in piece or "\t" in piece or "\n" in piece or "\r" in piece:
        return False
    return " " not in piece or not any(pair in piece for pair in _LOOSE_PAIRS)


# -- the checks after parsing ------------------------------------------------------------------


def _refuse_lone_surrogates(value: Any) -> None:
    """Raise if any string (or key) holds a surrogate that is not part of a pair."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("the body holds a lone surrogate (\\ud800-\\udfff)") from None


def _nesting(document: Any) -> int:
    """The deepest nesting of objects and arrays in a parsed document (`[[]]` is 2). Walked
    after parsing, in a loop: the parser itself refuses nesting past Python's recursion limit
    (RecursionError), and a walk of the parsed values costs a fraction of a scan of the text.
    Only containers are pushed: a page of jobs is mostly scalars."""
    if type(document) not in _CONTAINERS:
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, level = stack.pop()
        if level > deepest:
            deepest = level
        children = value.values() if type(value) is dict else value
        stack.extend([(child, level + 1) for child in children if type(child) in _CONTAINERS])
    return deepest


# What json.loads builds for objects and arrays (exact types: it makes no subclasses).
_CONTAINERS = (dict, list)
