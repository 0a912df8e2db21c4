"""The service's JSON, read strictly; and a page's items with the text they were sent as.

`parse_json` refuses what `json.loads` lets through and a reader of the answer should not see:
invalid UTF-8, NaN and Infinity (and numbers that overflow to them), lone surrogates, repeated
keys, nesting past `MAX_JSON_DEPTH`. A body without a backslash (most are) has its repeated keys
and nesting found from its text, with scans in C (`_plain_document`); any other is checked value
by value (`_strict_document`), as is one where a key repeats, to say which.

With `verbatim` (a path of keys to a list of objects, as `("data", "jobInfoList")`), the objects
of that list come back as `Verbatim` dicts that keep the text they were sent as, when that text
can be written out as it is: compact, ASCII without DEL and free of escapes, so that it is
exactly what maxjob's own encoder would write apart from the spelling of numbers. `-o jsonl`
writes a page of jobs that way instead of encoding every job again (a third of `list`'s work
per page).

The document is parsed whole, as always; the items' texts are then found with substring searches
(in C), only where that is provably right: the page is ASCII with no backslash at all (so every
quote in it opens or closes a string, and `"jobInfoList"` appears once, as the key); it holds no
whitespace next to `{}[],:` and no tab or line break anywhere, even inside a string (so it is
compact, and every boundary between two items is exactly `},{`); the list follows its key as
`:[{`; and the whole page holds exactly as many `},{` as the list has items less one, so that
every one is a boundary (none is inside a string or a nested list of objects). Anything else
keeps no text, and the jobs are encoded again.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any

MAX_JSON_DEPTH = 64

# A \uD800-\uDFFF escape: a surrogate, which must come in a high-low pair.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")

# Where a JSON value that starts at an index ends (no hook: the document is already checked, and
# a scan with no Python call in it cannot be interleaved with another thread's).
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


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
    document = _plain_document(body, text) if b"\\" not in body else _NOT_VOUCHED
    if document is _NOT_VOUCHED:
        document = _strict_document(text)
    if verbatim:
        items = _at(document, verbatim)
        if items:
            _keep(items, _texts(text, verbatim[-1], len(items)))
    return document


def _strict_document(text: str) -> Any:
    """The document, every rule checked on the parsed values."""
    decoder = json.JSONDecoder(
        parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique
    )
    document = _decode(decoder, text)
    if _nesting(document) > MAX_JSON_DEPTH:
        raise _too_deep()
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(document)
    return document


def _plain_document(body: bytes, text: str) -> Any:
    """The document of a body without a backslash, its repeated keys and nesting found from its
    text (C scans, instead of a hook for every object and a walk of every value); or
    `_NOT_VOUCHED` when they may be wrong (a repeated key: the strict parse says which).

    With no backslash, every quote opens or closes a string, so what lies outside the strings
    is known: each `:` there is one member of an object, and the brackets there are its
    nesting. The objects of the document (their sizes counted as they are made) hold as many
    members as there are such colons unless a key repeats (a dict keeps one of the two). No
    escape means no lone surrogate either.
    """
    sizes: list[int] = []

    def counted(value: dict[str, Any]) -> dict[str, Any]:
        sizes.append(len(value))
        return value

    document = _decode(
        json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite, object_hook=counted),
        text,
    )
    outside = _outside_strings(body)
    if outside.count(b":") != sum(sizes):
        return _NOT_VOUCHED
    brackets = outside.translate(None, b":")
    # (Balanced brackets nest at most half their number deep.)
    deep = len(brackets) > 2 * MAX_JSON_DEPTH
    if deep and max(accumulate(map(_STEP.__getitem__, brackets))) > MAX_JSON_DEPTH:
        raise _too_deep()
    return document


def _outside_strings(body: bytes) -> bytes:
    """The `{}[]:` of a backslash-free JSON body that lie outside its strings, in order."""
    structure = body.translate(None, _NOT_STRUCTURE)
    # Two quotes side by side close one string and open the next, or open and close one: left
    # to right, either way the quotes still pair up (open, close) after they go.
    structure = structure.replace(b'""', b"")
    return _STRING.sub(b"", structure)


def _decode(decoder: json.JSONDecoder, text: str) -> Any:
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        cut_short = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated")
        kind = "truncated" if cut_short else "not valid JSON"
        if text.lstrip().startswith("<"):
            kind = "an HTML page, not JSON"
        raise ValueError(f"the body is {kind}") from None
    except RecursionError:
        raise ValueError("the body is nested too deeply") from None


def _too_deep() -> ValueError:
    return ValueError(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")


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


_NOT_VOUCHED: Any = object()
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'{}[]:"')
_STRING = re.compile(rb'"[^"]*"')
# Each bracket's step in the nesting.
_STEP = {ord("{"): 1, ord("["): 1, ord("}"): -1, ord("]"): -1}


# -- the items' texts --------------------------------------------------------------------------


def _at(document: Any, path: tuple[str, ...]) -> list[Any] | None:
    """The list at `path`, when every item of it is an object."""
    value = document
    for key in path:
        if type(value) is not dict:
            return None
        value = value.get(key)
    if type(value) is not list or any(type(item) is not dict for item in value):
        return None
    return value


def _texts(text: str, key: str, count: int) -> list[str] | None:
    """The texts of the `count` objects of the list under `key`, or None (see the module)."""
    if not text.isascii() or "\\" in text or "\x7f" in text or text.count(f'"{key}"') != 1:
        return None
    if not _compact(text):
        # Whitespace anywhere, even inside a string, and a boundary may be `}, {`: then one
        # `},{` inside a string could stand in for it in the count below.
        return None
    marker = f'"{key}":[{{'
    at = text.find(marker)
    if at < 0:
        return None
    # Every `},{` of the page is a boundary between two items: as many as the items less one,
    # the first after the list's key.
    parts = text.split("},{")
    first = at + len(marker) - 1
    if len(parts) != count or (count > 1 and len(parts[0]) < first):
        return None
    last = len(text) - len(parts[-1]) - 1 if count > 1 else first
    try:
        _, end = _scan(text, last)  # the last object: where the list ends
    except (StopIteration, ValueError):
        return None
    if text[end : end + 1] != "]":
        return None
    if count == 1:
        return [text[first:end]]
    texts = [text[first : len(parts[0]) + 1]]
    texts.extend(["{" + part + "}" for part in parts[1:-1]])
    texts.append(text[last:end])
    return texts


def _keep(items: list[Any], texts: list[str] | None) -> None:
    """Replace the objects of `items` by `Verbatim` copies, holding their text when it was
    found (then it can be written through: the whole page is compact)."""
    for index, item in enumerate(items):
        kept = Verbatim(item)
        kept.text = texts[index] if texts is not None else None
        items[index] = kept


# Two characters of which one is a space and the other a token JSON may put a space beside:
# whitespace between tokens always touches one of {}[],: (inside a string such a pair costs the
# page its write-through: the page is encoded again, as without it).
_LOOSE_PAIRS = ("{ ", "[ ", ", ", ": ", " }", " ]", " ,", " :")


def _compact(piece: str) -> bool:
    """Whether JSON text (with no escape) holds no whitespace between tokens (substring tests,
    each a scan in C: a regular expression of alternatives costs ten times as much)."""
    if "\t" in piece or "\n" in piece or "\r" in piece:
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
    after parsing, in a loop (the parser itself refuses nesting past Python's recursion limit,
    with RecursionError), for a body with escapes, whose strings a scan of the text cannot tell
    apart. Only containers are pushed: a page of jobs is mostly scalars."""
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
