"""Instance ids as users give them: plain ids, Logview links, or `-` for a list on stdin."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, TextIO
from urllib.parse import parse_qs, urlsplit

from maxjob.errors import UsageError

# `h=` of a Logview link: http://service.cn-shanghai.maxcompute.aliyun.com/api (and -vpc, -intranet,
# aliyun-inc variants).
_SERVICE_REGION = re.compile(r"service\.([a-z0-9-]+?)(?:-vpc|-intranet)?\.maxcompute\.")


class InstanceRef(NamedTuple):
    """An instance id, and the region a pasted Logview link points at (if it was one)."""

    instance_id: str
    region: str | None = None


def parse_ref(text: str) -> InstanceRef:
    """A plain instance id, or a Logview URL (its `i=` parameter; region from its `h=` host).

    The link's `token=` is read by nobody and never printed back.
    """
    value = text.strip()
    if not value:
        raise UsageError("an instance id cannot be empty")
    if not value.lower().startswith(("http://", "https://")):
        return InstanceRef(value)
    query = parse_qs(urlsplit(value).query)
    ids = query.get("i") or query.get("instanceId")
    if not ids or not ids[0].strip():
        raise UsageError("the link has no instance id (no i= parameter); is it a Logview link?")
    region = None
    for host in query.get("h", []):
        match = _SERVICE_REGION.search(urlsplit(host).netloc or host)
        if match:
            region = match.group(1)
    return InstanceRef(ids[0].strip(), region)


def read_refs(lines: Iterable[str]) -> Iterator[InstanceRef]:
    """One id a line; blank lines and `#` comments are skipped."""
    for line in lines:
        text = (
            line.split("#", 1)[0].strip()
            if not line.lstrip().lower().startswith("http")
            else line.strip()
        )
        if text:
            yield parse_ref(text)


def expand(
    args: Iterable[str], stdin: TextIO, on_terminal: Callable[[], None] | None = None
) -> Iterator[InstanceRef]:
    """The ids of the arguments, with `-` replaced by those read from stdin (streamed).
    `on_terminal` is called before reading a stdin that is a terminal (to say what to type)."""
    for arg in args:
        if arg == "-":
            if on_terminal is not None and _is_terminal(stdin):
                on_terminal()
            yield from read_refs(stdin)
        else:
            yield parse_ref(arg)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def stdin_prompt(message: Callable[[str], None]) -> Callable[[], None]:
    """The `on_terminal` callback of `expand` that tells a person how to type the ids."""
    return lambda: message("maxjob: reading instance ids from stdin, one a line; end with Ctrl-D")
