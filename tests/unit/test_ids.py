"""Instance ids as users give them: refused ids are a UsageError alone, or a BadRef in a batch."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maxjob import ids
from maxjob.errors import UsageError
from maxjob.ids import BadRef, InstanceRef, check_ref, expand, parse_ref, read_refs

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

TOKEN = "U0VDUkVUVE9LRU4"
LINK = (
    "https://logview.aliyun.com/logview/?h=http://service.cn-shanghai.maxcompute.aliyun.com/api"
    f"&p=proj&i=20230410071055424gqt9ulc2yuo&token={TOKEN}"
)


def binary_stdin(data: bytes) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


# One id


def test_plain_ids_and_links() -> None:
    assert parse_ref(" 20230410071055424gqt9ulc2yuo\n") == InstanceRef(
        "20230410071055424gqt9ulc2yuo"
    )
    assert parse_ref(LINK) == InstanceRef("20230410071055424gqt9ulc2yuo", "cn-shanghai")


@pytest.mark.parametrize(
    "text",
    [
        LINK.removeprefix("https://"),
        "//" + LINK.removeprefix("https://"),
        "LOGVIEW.aliyun.com/logview/?h=http://service.cn-shanghai.maxcompute.aliyun.com/api"
        f"&i=20230410071055424gqt9ulc2yuo&token={TOKEN}",
    ],
)
def test_a_link_pasted_without_its_scheme_is_read_as_a_link(text: str) -> None:
    assert parse_ref(text) == InstanceRef("20230410071055424gqt9ulc2yuo", "cn-shanghai")


def test_a_link_routed_in_its_fragment_is_read() -> None:
    assert parse_ref(f"https://logview.aliyun.com/logview/#/?i=abc&token={TOKEN}") == (
        InstanceRef("abc")
    )


@pytest.mark.parametrize("text", [".", "..", " .. ", "https://logview.aliyun.com/logview/?i=.."])
def test_dot_and_dot_dot_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="path") as caught:
        parse_ref(text)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("text", ["...", "a.b", ".a", "a/..", "%2e%2e", "a b"])
def test_other_dots_slashes_and_spaces_stay_ids(text: str) -> None:
    # Percent-encoded as one path segment, none of them changes the path.
    assert parse_ref(text).instance_id == text


@pytest.mark.parametrize(
    ("text", "reason", "shown"),
    [
        ("a" * 1025, "longer than 1024", "a" * 80 + "…"),
        ("ab\x1b[2Jc", "control or invisible", "ab\\x1b[2Jc"),
        ("a\tb", "control or invisible", "a\\x09b"),
        ("a\u202eb", "control or invisible", "a\\u202eb"),
        ("a\u200bb", "control or invisible", "a\\u200bb"),
        ("a\x85b", "control or invisible", "a\\x85b"),
        ("a\xa0b", "control or invisible", "a\\xa0b"),
        ("a\U00018d09", "control or invisible", "a\\U00018d09"),
        ("job\udcff", "not valid UTF-8", "job\\xff"),
        ("", "empty", ""),
        ("https://logview.aliyun.com/logview/?p=proj", "no instance id", ""),
    ],
)
def test_refused_ids(text: str, reason: str, shown: str) -> None:
    with pytest.raises(UsageError, match=reason) as caught:
        parse_ref(text)
    assert caught.value.exit_code == 2
    assert "\n" not in caught.value.message
    bad = check_ref(text)
    assert isinstance(bad, BadRef)
    assert bad.error.message == caught.value.message
    if shown:
        assert bad.text == shown
        assert shown in bad.error.message


def test_an_id_of_1024_characters_is_accepted() -> None:
    assert parse_ref("a" * 1024).instance_id == "a" * 1024


def test_a_refused_link_never_shows_its_token() -> None:
    for text in (
        f"https://logview.aliyun.com/logview/?p=proj&token={TOKEN}",
        f"https://logview.aliyun.com/logview/?i=..&token={TOKEN}",
        f"https://logview.aliyun.com/logview/?i=a%1Bb&token={TOKEN}",
        f"https://logview.aliyun.com/logview/?i={'a' * 2000}&token={TOKEN}",
    ):
        bad = check_ref(text)
        assert isinstance(bad, BadRef)
        assert TOKEN not in bad.text and TOKEN not in bad.error.message
    bad = check_ref(f"https://logview.aliyun.com/logview/?p=proj&token={TOKEN}")
    assert isinstance(bad, BadRef) and bad.text == "https://logview.aliyun.com/logview/?…"


@given(st.text())
def test_any_text_is_an_id_or_a_clean_bad_ref(text: str) -> None:
    ref = check_ref(text)
    if isinstance(ref, InstanceRef):
        assert ref.instance_id not in ("", ".", "..")
        assert len(ref.instance_id) <= ids.MAX_ID_LENGTH
        assert ref.instance_id.isprintable()
    else:
        assert ref.error.exit_code == 2
        assert "\n" not in ref.error.message
        assert all(ch.isprintable() for ch in ref.text)


@given(st.text(min_size=1, max_size=50))
def test_an_id_survives_a_link(instance_id: str) -> None:
    ref = check_ref(f"https://logview.aliyun.com/logview/?i={quote(instance_id)}&token=x")
    if isinstance(ref, InstanceRef):
        assert ref.instance_id == instance_id.strip()


# A batch: one bad id costs one id, not the batch


def test_expand_keeps_going_past_bad_ids_with_keep_bad() -> None:
    data = (
        b"\xef\xbb\xbffirst\n"
        b"# a comment\n"
        b"\n"
        b"bad\xff\n"
        + b"x" * (ids.MAX_LINE_BYTES + 10)
        + b"\n"
        + b"  second  # trailing comment\n"
        + b"..\n"
        + LINK.removeprefix("https://").encode()
        + b"\r\n"
        + b"last"
    )
    refs = list(expand(["a", "-", "\x1b", "z"], binary_stdin(data), keep_bad=True))
    kinds = [
        ref.instance_id if isinstance(ref, InstanceRef) else f"bad:{ref.text[:5]}" for ref in refs
    ]
    assert kinds == [
        "a",
        "first",
        "bad:bad\\x",
        "bad:xxxxx",
        "second",
        "bad:..",
        "20230410071055424gqt9ulc2yuo",
        "last",
        "bad:\\x1b",
        "z",
    ]
    too_long = refs[3]
    assert isinstance(too_long, BadRef) and "64 KiB" in too_long.error.message


def test_expand_without_keep_bad_raises_at_the_first_bad_id() -> None:
    refs = expand(["a", "..", "b"], io.StringIO(""))
    assert next(refs) == InstanceRef("a")
    with pytest.raises(UsageError, match="path"):
        next(refs)


def test_stdin_that_is_not_utf8_costs_one_line() -> None:
    refs = list(expand(["-"], binary_stdin(b"one\n\xc3\x28\ntwo\n"), keep_bad=True))
    assert refs[0] == InstanceRef("one") and refs[2] == InstanceRef("two")
    assert isinstance(refs[1], BadRef) and "UTF-8" in refs[1].error.message


def test_a_text_stdin_without_a_buffer_is_read_as_text() -> None:
    refs = list(expand(["-"], io.StringIO("one\n# c\ntwo # c\n"), keep_bad=True))
    assert refs == [InstanceRef("one"), InstanceRef("two")]


def test_stdin_is_streamed_line_by_line() -> None:
    class OneLineAtATime(io.RawIOBase):
        def __init__(self) -> None:
            self.lines = [b"one\n", b"two\n"]

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: WriteableBuffer) -> int:
            if not self.lines:
                return 0
            line = self.lines.pop(0)
            memoryview(buffer).cast("B")[: len(line)] = line
            return len(line)

    raw = OneLineAtATime()
    refs = expand(["-"], io.TextIOWrapper(io.BufferedReader(raw)), keep_bad=True)
    assert next(refs) == InstanceRef("one")
    assert raw.lines == [b"two\n"]  # the second line is not read before it is needed


def test_read_refs_skips_comments_but_not_a_hash_inside_a_link() -> None:
    lines = ["# all comment\n", "id1 # why\n", f"{LINK}#frag\n", "id#2\n", "   \n"]
    assert [ref.instance_id for ref in read_refs(lines)] == [
        "id1",
        "20230410071055424gqt9ulc2yuo",
        "id#2",
    ]
    assert isinstance(next(read_refs(["..\n"], keep_bad=True)), BadRef)
    with pytest.raises(UsageError):
        list(read_refs(["..\n"]))


def test_the_terminal_prompt_is_shown_only_for_a_terminal() -> None:
    said: list[str] = []

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    list(expand(["-"], Terminal("a\n"), ids.stdin_prompt(said.append)))
    list(expand(["-"], io.StringIO("a\n"), ids.stdin_prompt(said.append)))
    assert len(said) == 1 and "Ctrl-D" in said[0]
