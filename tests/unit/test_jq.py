"""`--jq`: one-line errors with a column, a hint for arrays of jobs, sanitised on a terminal."""

from __future__ import annotations

import io

import pytest

from maxjob.errors import MaxjobError, UsageError
from maxjob.output.formats import emit_json
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams


def test_a_syntax_error_is_one_line_with_its_column() -> None:
    with pytest.raises(UsageError) as caught:
        JqProgram(".status |")
    message = caught.value.message
    assert "\n" not in message
    assert message == "--jq: syntax error, unexpected end of file (at column 9)"
    assert not message.rstrip().endswith(":")


def test_indexing_an_array_of_jobs_hints_at_each_element() -> None:
    program = JqProgram(".status")
    with pytest.raises(MaxjobError) as caught:
        program.lines([{"status": "running"}, {"status": "failed"}])
    assert "Cannot index array" in caught.value.message
    assert caught.value.hint is not None and "--jq '.[].status'" in caught.value.hint
    assert JqProgram(".[].status").lines([{"status": "running"}]) == ["running"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


HOSTILE = "\x1b]52;c;SGVsbG8=\x07 \x1b[2J \u202e owner"


def test_raw_strings_are_sanitised_on_a_terminal_and_raw_in_a_pipe() -> None:
    job = {"jobOwner": HOSTILE}
    terminal = Streams(Terminal(), io.StringIO(), environ={})
    emit_json(terminal, job, JqProgram(".jobOwner"), compact=False)
    shown = terminal.out.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "\\x1b" in shown and "owner" in shown
    pipe = Streams(io.StringIO(), io.StringIO(), environ={})
    emit_json(pipe, job, JqProgram(".jobOwner"), compact=False)
    assert pipe.out.getvalue() == HOSTILE + "\n"  # type: ignore[attr-defined]


def test_jsonl_with_jq_writes_one_compact_value_a_line() -> None:
    out = io.StringIO()
    streams = Streams(out, io.StringIO(), environ={})
    program = JqProgram("{id: .instanceId, s: .status}")
    emit_json(streams, {"instanceId": "a", "status": "failed"}, program, compact=True)
    emit_json(streams, {"instanceId": "b", "status": "running"}, program, compact=False)
    assert out.getvalue().splitlines()[0] == '{"id":"a","s":"failed"}'
    assert out.getvalue().splitlines()[1:] == ["{", '  "id": "b",', '  "s": "running"', "}"]
