"""`strict_json.parse_json` with `verbatim`: the same document and the same errors as the whole
parse, and item texts only where writing them through is exactly right."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maxjob.api import strict_json
from maxjob.api.strict_json import MAX_JSON_DEPTH, Verbatim, parse_json

PATH = ("data", "jobInfoList")
JOB = {
    "instanceId": "j1",
    "status": "success",
    "cuUsage": 5,
    "cuSnapshot": 0.5,
    "sceneResults": [{"code": "x", "params": {"a": [1, 2]}}],
    "tags": None,
    "flag": True,
}


def page(items: list[Any], **separators: Any) -> bytes:
    document = {"requestId": "r", "data": {"totalCount": len(items), "jobInfoList": items}}
    return json.dumps(document, **separators).encode()


def items_of(document: Any) -> list[Any]:
    return list(document["data"]["jobInfoList"])


def test_a_compact_ascii_page_keeps_each_item_text() -> None:
    jobs = [dict(JOB, instanceId=f"j{n}") for n in range(3)]
    document = parse_json(page(jobs, separators=(",", ":")), verbatim=PATH)
    kept = items_of(document)
    assert all(type(item) is Verbatim for item in kept)
    assert [item.text for item in kept] == [json.dumps(j, separators=(",", ":")) for j in jobs]
    assert kept == jobs


def test_a_raw_del_is_never_written_through() -> None:
    # json escapes DEL (0x7f) when it encodes, so a page sent with it raw is encoded again.
    body = json.dumps(
        {"data": {"jobInfoList": [dict(JOB, owner="aXb"), JOB]}}, separators=(",", ":")
    )
    kept = items_of(parse_json(body.replace("aXb", "a\x7fb").encode(), verbatim=PATH))
    assert kept[0]["owner"] == "a\x7fb"
    assert [item.text for item in kept] == [None, None]


@pytest.mark.parametrize(
    ("job", "why"),
    [
        (dict(JOB, owner="caf\u00e9"), "non-ASCII: written as an escape instead"),
        (dict(JOB, owner="a\\u0062c"), "an escape: a secret could hide behind one"),
        (dict(JOB, owner='say "hi"'), "an escaped quote"),
        (dict(JOB, note="tab\there"), "an escaped tab"),
    ],
)
def test_text_that_is_not_plain_is_not_kept(job: dict[str, Any], why: str) -> None:
    body = json.dumps({"data": {"jobInfoList": [job, JOB]}}, separators=(",", ":")).encode()
    if "\\u0062" in str(job.get("owner")):
        body = body.replace(b"a\\\\u0062c", b"a\\u0062c")  # the escape as the server sent it
    kept = items_of(parse_json(body, verbatim=PATH))
    assert kept[0].text is None, why
    assert kept[1].text is None or kept[1].text == json.dumps(JOB, separators=(",", ":"))


def test_spaced_json_is_read_the_same_but_not_written_through() -> None:
    jobs = [JOB, dict(JOB, instanceId="j2")]
    for separators in ((", ", ": "), (",", ": ")):
        document = parse_json(page(jobs, separators=separators), verbatim=PATH)
        assert items_of(document) == jobs
        assert all(item.text is None for item in items_of(document))
    pretty = parse_json(
        json.dumps({"data": {"jobInfoList": jobs}}, indent=2).encode(), verbatim=PATH
    )
    assert items_of(pretty) == jobs and all(item.text is None for item in items_of(pretty))


def test_a_string_with_a_comma_and_space_costs_the_page_its_texts() -> None:
    jobs = [dict(JOB, message="a, b"), JOB]
    kept = items_of(parse_json(page(jobs, separators=(",", ":")), verbatim=PATH))
    assert kept == jobs and all(item.text is None for item in kept)


@pytest.mark.parametrize(
    "body",
    [
        # A spaced boundary, and a `},{` inside a string to stand in for it (found by review).
        b'{"requestId":"r","data":{"totalCount":2,"jobInfoList":[{"instanceId":"A",'
        b'"status":"Running"}, {"instanceId":"B","status":"Failed","taskName":"},{}]"}]}}',
        b'{"requestId":"r","data":{"totalCount":2,"jobInfoList":[{"},{":":1}]"}, '
        b'{"instanceId":"real-B","status":"Failed"}]}}',
    ],
)
def test_a_look_alike_boundary_in_a_string_never_cuts_a_job(body: bytes) -> None:
    kept = items_of(parse_json(body, verbatim=PATH))
    assert kept == items_of(parse_json(body))
    assert all(item.text is None or json.loads(item.text) == item for item in kept)


@pytest.mark.parametrize(
    "first",
    [
        dict(JOB, sceneResults=[{"a": 1}, {"b": 2}]),  # a nested list of objects: a },{ inside
        dict(JOB, note="},{"),  # one inside a string
        dict(JOB, note='"jobInfoList":[{'),  # the key's text again, inside a string
    ],
)
def test_a_look_alike_boundary_keeps_no_text_at_all(first: dict[str, Any]) -> None:
    jobs = [first, JOB, dict(JOB, sceneResults=[{"a": 1}])]
    kept = items_of(parse_json(page(jobs, separators=(",", ":")), verbatim=PATH))
    assert kept == jobs
    assert all(item.text is None for item in kept)


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b'{"data":{"jobInfoList":[{"a":1,"a":2}]}}', "repeats the key 'a'"),
        (b'{"data":{"jobInfoList":[]},"data":{}}', "repeats the key 'data'"),
        (b'{"data":{"jobInfoList":[],"jobInfoList":[]}}', "repeats the key 'jobInfoList'"),
        (b'{"data":{"jobInfoList":[{"a":NaN}]}}', "NaN"),
        (b'{"data":{"jobInfoList":[{"a":1e400}]}}', "too large"),
        (b'{"data":{"jobInfoList":[{"a":"\\ud800"}]}}', "lone surrogate"),
        (b'{"data":{"jobInfoList":[' + b"[" * 70 + b"]" * 70 + b"]}}", "nested more than 64"),
        (b'{"data":{"jobInfoList":[{"a":1}', "truncated"),
        (b'{"data":{"jobInfoList":[{"a":1}]}} extra', "not valid JSON"),
        (b'{"data":{"jobInfoList":[{"a":1},]}}', "not valid JSON"),
        (b'{"data":{"jobInfoList":[{"a":1} {"b":2}]}}', "not valid JSON"),
    ],
)
def test_the_walk_refuses_what_the_whole_parse_refuses(body: bytes, refused: str) -> None:
    with pytest.raises(ValueError, match=refused) as walked:
        parse_json(body, verbatim=PATH)
    with pytest.raises(ValueError) as whole:
        parse_json(body)
    assert str(walked.value) == str(whole.value)


@pytest.mark.parametrize(
    "body",
    [
        b'{"data":[]}',
        b'{"data":{"jobInfoList":{}}}',
        b'{"data":{"jobInfoList":"x"}}',
        b'{"data":{}}',
        b"[1,2]",
        b'{"requestId":"r"}',
        b'{"data":{"jobInfoList":[1,"two",null,{"a":1}]}}',
    ],
)
def test_other_shapes_parse_as_the_whole_parse_does(body: bytes) -> None:
    assert parse_json(body, verbatim=PATH) == parse_json(body)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    # Text of any kind, escapes and spaces included: each item's own test decides.
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


@given(
    st.lists(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4), max_size=5),
    st.sampled_from([{"separators": (",", ":")}, {}, {"indent": 1}, {"ensure_ascii": False}]),
)
def test_verbatim_reads_as_the_whole_parse_and_kept_text_is_the_item(
    jobs: list[dict[str, Any]], layout: dict[str, Any]
) -> None:
    body = page(jobs, **layout)
    document = parse_json(body, verbatim=PATH)
    assert document == parse_json(body)
    for item in items_of(document):
        assert type(item) is Verbatim
        if item.text is not None:
            assert json.loads(item.text) == item
            assert item.text.isascii() and "\\" not in item.text and "\n" not in item.text
            assert "\x7f" not in item.text
            assert item.text == json.dumps(item, separators=(",", ":")) or _numbers_differ(item)


def _numbers_differ(item: Any) -> bool:
    """A float may be spelled otherwise than Python would (1e-05 and 1e-5): the same value."""
    return "e" in json.dumps(item) or "E" in json.dumps(item)


TRICKY = st.sampled_from(["},{", "}, {", "]", "[{", '"', ",", ":", " ", "a", "{}", "\\"])


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["instanceId", "status", "taskName", "},{", "x"]),
            st.lists(TRICKY, max_size=4).map("".join) | st.integers() | st.just([{}, {}]),
            max_size=3,
        ),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.sampled_from([",", ", ", " ,", ",\n"]), min_size=4, max_size=4),
)
def test_any_spacing_between_jobs_never_gives_a_wrong_text(
    jobs: list[dict[str, Any]], separators: list[str]
) -> None:
    texts = [json.dumps(job, separators=(",", ":")) for job in jobs]
    listed = texts[0] + "".join(
        sep + text for sep, text in zip(separators, texts[1:], strict=False)
    )
    body = ('{"requestId":"r","data":{"totalCount":1,"jobInfoList":[' + listed + "]}}").encode()
    kept = items_of(parse_json(body, verbatim=PATH))
    assert kept == jobs
    for item in kept:
        assert item.text is None or json.loads(item.text) == item


# -- the plain path (no backslash): repeated keys and nesting read from the text -----------------

KEYS = st.sampled_from(["a", "b", "", ":", '"', "{", "}]", "[", "a:b", "\u00e9", "x\\y"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | KEYS

# A JSON tree whose objects are lists of pairs, so that a key can repeat.
TREES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3).map(lambda values: ("list", values))
        | st.lists(st.tuples(KEYS, children), max_size=3).map(lambda pairs: ("object", pairs))
    ),
    max_leaves=20,
)


def written(tree: Any, spaced: bool) -> str:
    """`tree` as JSON text, its objects' keys in the order given, repeats and all."""
    comma, colon = (", ", ": ") if spaced else (",", ":")
    if isinstance(tree, tuple):
        kind, values = tree
        if kind == "list":
            return "[" + comma.join(written(value, spaced) for value in values) + "]"
        return "{" + comma.join(json.dumps(k) + colon + written(v, spaced) for k, v in values) + "}"
    return json.dumps(tree, ensure_ascii=False)


def nested(depth: int, inner: str) -> str:
    return "".join('{"k":[' for _ in range(depth)) + inner + "".join("]}" for _ in range(depth))


@given(TREES, st.booleans(), st.integers(min_value=0, max_value=40))
def test_the_plain_path_reads_what_the_strict_parse_reads(
    tree: Any, spaced: bool, depth: int
) -> None:
    """With no backslash, repeated keys and nesting are found from the text: the same document,
    and the same error, as the strict parse that checks every value (which says which key)."""
    body = nested(depth, written(tree, spaced)).encode()
    try:
        expected: Any = ("ok", strict_json._strict_document(body.decode()))
    except ValueError as exc:
        expected = ("error", str(exc))
    if expected[0] == "ok":
        assert parse_json(body) == expected[1]
    else:
        with pytest.raises(ValueError) as refused:
            parse_json(body)
        assert str(refused.value) == expected[1]
    if b"\\" in body:
        return
    try:
        got: Any = strict_json._plain_document(body, body.decode())
    except ValueError as exc:
        assert expected == ("error", str(exc))
        return
    if got is strict_json._NOT_VOUCHED:
        assert expected[0] == "error" and "repeats the key" in expected[1]
    else:
        assert ("ok", got) == expected


@pytest.mark.parametrize(("depth", "inner_object"), [(31, True), (32, False), (32, True)])
def test_the_plain_path_counts_nesting_past_brackets_in_strings(
    depth: int, inner_object: bool
) -> None:
    # 63, 64 (allowed) and 65 levels (refused); strings full of brackets change nothing.
    inner = '"]]]]}}}}","[[[[{{{{"' + (',{"a":"[{","b":"}]"}' if inner_object else "")
    body = nested(depth, inner).encode()
    if 2 * depth + inner_object > MAX_JSON_DEPTH:
        with pytest.raises(ValueError, match="nested more than 64"):
            parse_json(body)
    else:
        assert parse_json(body) == strict_json._strict_document(body.decode())
