"""Instance ids as users give them: plain ids, Logview links, or `-` for a list on stdin.

`parse_ref` reads one and raises `UsageError` (exit 2) for one it refuses. In a batch, one bad id
must not stop the others: `expand(..., keep_bad=True)` (and `read_refs`) yield a `BadRef` in its
place, which the caller shows as an error where the job would have been, counting its exit
status (2) in the worst one. Refused: an empty id, `.` and `..` (percent-encoded as one path
segment they would still change the request's path), an id over 1,024 characters, one with control
or invisible characters, one that is not valid UTF-8, a link with no instance id in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Literal, NamedTuple, TextIO, overload
from urllib.parse import parse_qs, urlsplit

from maxjob.errors import UsageError

MAX_ID_LENGTH = 1024
# A Logview link with its token is a few hundred characters; a line this long is not a list of ids.
MAX_LINE_BYTES = 64 * 1024

# `h=` of a Logview link: http://service.cn-shanghai.maxcompute.aliyun.com/api (and -vpc, -intranet,
# aliyun-inc variants).
_SERVICE_REGION = re.compile(r"service\.([a-z0-9-]+?)(?:-vpc|-intranet)?\.maxcompute\.")
# A link pasted without its scheme: logview.aliyun.com/logview/?h=...&i=...
_BARE_LINK = re.compile(r"(?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::[0-9]+)?/[^?\s]*\?", re.IGNORECASE)
# `#` starts a comment at the start of a line or after a space, never inside a link or an id.
_COMMENT = re.compile(r"(?:^|\s)#")


class InstanceRef(NamedTuple):
    """An instance id, and the region a pasted Logview link points at (if it was one)."""

    instance_id: str
    region: str | None = None


class BadRef(NamedTuple):
    """An id that was refused, for the caller to show in its place.

    `text` is what was given, safe to print: control, invisible and undecodable characters shown
    as escapes (`\\x1b`, `\\u202e`, `\\xff`), at most 80 characters, and for a link only its
    instance id (or its address without the query): never its token. `error` says why (exit 2).
    """

    text: str
    error: UsageError


def parse_ref(text: str) -> InstanceRef:
    """A plain instance id, or a Logview link (its `i=` parameter; region from its `h=` host),
    with or without its `https://`. Raises UsageError for what the module docstring lists.

    The link's `token=` is read by nobody and never printed back.
    """
    value = text.strip()
    if not value:
        raise UsageError("an instance id cannot be empty")
    if _is_link(value):
        instance_id, region = _read_link(value)
    else:
        instance_id, region = value, None
    _check_id(instance_id)
    return InstanceRef(instance_id, region)


def check_ref(text: str) -> InstanceRef | BadRef:
    """`parse_ref`, with a refusal returned as a `BadRef` instead of raised."""
    try:
        return parse_ref(text)
    except UsageError as exc:
        return BadRef(_shown_ref(text.strip()), exc)


@overload
def read_refs(
    lines: Iterable[str], *, keep_bad: Literal[False] = False
) -> Iterator[InstanceRef]: ...
@overload
def read_refs(lines: Iterable[str], *, keep_bad: bool) -> Iterator[InstanceRef | BadRef]: ...
def read_refs(lines: Iterable[str], *, keep_bad: bool = False) -> Iterator[InstanceRef | BadRef]:
    """One id (or link) a line; blank lines and `#` comments (at the start of a line or after a
    space) are skipped. A refused line raises its UsageError, or with `keep_bad` is a BadRef."""
    return _checked(_refs_of_lines(lines), keep_bad)


@overload
def expand(
    args: Iterable[str],
    stdin: TextIO,
    on_terminal: Callable[[], None] | None = None,
    *,
    keep_bad: Literal[False] = False,
) -> Iterator[InstanceRef]: ...
@overload
def expand(
    args: Iterable[str],
    stdin: TextIO,
    on_terminal: Callable[[], None] | None = None,
    *,
    keep_bad: bool,
) -> Iterator[InstanceRef | BadRef]: ...
def expand(
    args: Iterable[str],
    stdin: TextIO,
    on_terminal: Callable[[], None] | None = None,
    *,
    keep_bad: bool = False,
) -> Iterator[InstanceRef | BadRef]:
    """The ids of the arguments, in order, with `-` replaced by those read from stdin (streamed,
    as `read_refs` reads lines). `on_terminal` is called before reading a stdin that is a terminal
    (to say what to type).

    Without `keep_bad`, the first refused id raises its UsageError and ends the batch; with it,
    each refused id is a `BadRef` in its place and the rest go on. Stdin is read as UTF-8 from its
    binary buffer when it has one: a line that is not UTF-8, or longer than 64 KiB, is refused
    on its own, and a byte-order mark before the first line is ignored.
    """
    return _checked(_expand(args, stdin, on_terminal), keep_bad)


def _expand(
    args: Iterable[str], stdin: TextIO, on_terminal: Callable[[], None] | None
) -> Iterator[InstanceRef | BadRef]:
    for arg in args:
        if arg == "-":
            if on_terminal is not None and _is_terminal(stdin):
                on_terminal()
            yield from _refs_of_lines(_stdin_lines(stdin))
        else:
            yield check_ref(arg)


def _checked(
    refs: Iterator[InstanceRef | BadRef], keep_bad: bool
) -> Iterator[InstanceRef | BadRef]:
    for ref in refs:
        if isinstance(ref, BadRef) and not keep_bad:
            raise ref.error
        yield ref


def _refs_of_lines(lines: Iterable[str | BadRef]) -> Iterator[InstanceRef | BadRef]:
    for line in lines:
        if isinstance(line, BadRef):
            yield line
            continue
        text = _COMMENT.split(line, maxsplit=1)[0].strip()
        if text:
            yield check_ref(text)


def _stdin_lines(stdin: TextIO) -> Iterator[str | BadRef]:
    """The lines of stdin, decoded here so that bytes that are not UTF-8 cost one line only."""
    buffer = getattr(stdin, "buffer", None)
    if buffer is None or not hasattr(buffer, "readline"):
        try:
            yield from stdin
        except UnicodeDecodeError:
            yield BadRef(
                "<stdin>", UsageError("stdin is not UTF-8 text: the ids after it are lost")
            )
        return
    first = True
    while raw := buffer.readline(MAX_LINE_BYTES):
        text = raw.decode("utf-8-sig" if first else "utf-8", "surrogateescape")
        first = False
        if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := buffer.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield BadRef(
                _shown_ref(text.strip()), UsageError("a line on stdin is longer than 64 KiB")
            )
            continue
        yield text


def _is_link(value: str) -> bool:
    return value.lower().startswith(("http://", "https://")) or bool(_BARE_LINK.match(value))


def _link_query(value: str) -> dict[str, list[str]]:
    """The parameters of a link, from its query, else from a `#/...?` route in its fragment."""
    url = value if "://" in value.partition("?")[0] else "https://" + value.lstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UsageError("the link cannot be read: is it a whole Logview link?") from None
    query = parse_qs(parts.query, errors="surrogateescape")
    if not (query.get("i") or query.get("instanceId")) and "?" in parts.fragment:
        query = parse_qs(parts.fragment.partition("?")[2], errors="surrogateescape")
    return query


def _read_link(value: str) -> tuple[str, str | None]:
    query = _link_query(value)
    ids = query.get("i") or query.get("instanceId")
    if not ids or not ids[0].strip():
        raise UsageError("the link has no instance id (no i= parameter); is it a Logview link?")
    region = None
    for host in query.get("h", []):
        match = _SERVICE_REGION.search(urlsplit(host).netloc or host)
        if match:
            region = match.group(1)
    return ids[0].strip(), region


def _check_id(instance_id: str) -> None:
    shown = _printable(instance_id)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in instance_id):
        raise UsageError(f"instance id '{shown}' is not valid UTF-8")
    if len(instance_id) > MAX_ID_LENGTH:
        raise UsageError(f"instance id '{shown}' is longer than {MAX_ID_LENGTH} characters")
    # Python's `isprintable`: control, format (bidi, zero-width), unassigned, private-use and
    # separator characters other than the space.
    if not instance_id.isprintable():
        raise UsageError(f"instance id '{shown}' contains control or invisible characters")
    if instance_id in (".", ".."):
        raise UsageError(f"instance id '{shown}' is not an id: it would change the request's path")


def _shown_ref(text: str) -> str:
    """What a BadRef shows of `text`: a link's instance id or address, never its token."""
    if not _is_link(text):
        return _printable(text)
    try:
        query = _link_query(text)
    except UsageError:
        query = {}
    ids = query.get("i") or query.get("instanceId")
    if ids and ids[0].strip():
        return _printable(ids[0].strip())
    return _printable(re.split(r"[?#]", text, maxsplit=1)[0]) + "?…"


def _printable(text: str, limit: int = 80) -> str:
    """`text` with the characters `isprintable` refuses, and undecodable bytes, as escapes
    (`\\x1b`, `\\u202e`, `\\xff`), shortened to `limit` characters and `…`."""
    out = []
    for ch in text[:limit]:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif not ch.isprintable():
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(text) > limit else "")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def stdin_prompt(message: Callable[[str], None]) -> Callable[[], None]:
    """The `on_terminal` callback of `expand` that tells a person how to type the ids."""
    return lambda: message("maxjob: reading instance ids from stdin, one a line; end with Ctrl-D")
