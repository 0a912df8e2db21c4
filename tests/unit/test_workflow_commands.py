"""In a GitHub Actions step no server text may form a workflow command: a line that starts with
`::` (after any indent), or `##[` anywhere. maxjob's own annotations still do."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from maxjob.ci import inert_workflow_commands
from maxjob.output.streams import Streams

ACTIONS = {"GITHUB_ACTIONS": "true"}


def commands_in(log: str) -> list[str]:
    """The lines GitHub's runner would read as workflow commands (it ends a line at CR, LF or
    CRLF, as .NET's ReadLine does)."""
    lines = log.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [line for line in lines if line.lstrip().startswith("::") or "##[" in line]


def test_server_text_forms_no_command_and_json_reads_the_same() -> None:
    hostile = "::add-mask::x\n  ::set-output name=a::b\nok ##[group]x"
    text = inert_workflow_commands(hostile)
    assert commands_in(text) == []
    assert text.splitlines()[1].startswith("  \\u003a:set-output")
    value = {"taskName": "##[error]boom", "tags": "::warning::x"}
    written = inert_workflow_commands(json.dumps(value))
    assert commands_in(written) == [] and json.loads(written) == value


def test_only_our_own_first_line_stays_a_command() -> None:
    line = "::error title=MaxCompute job j1 failed::bad\n::warning::smuggled ##[x]"
    kept = inert_workflow_commands(line, ours=True)
    assert kept.startswith("::error title=MaxCompute job j1 failed::bad\n")
    assert commands_in(kept) == ["::error title=MaxCompute job j1 failed::bad"]


def test_streams_neutralise_stdout_and_stderr_only_in_github_actions() -> None:
    for environ, inert in ((ACTIONS, True), ({}, False)):
        out, err = io.StringIO(), io.StringIO()
        streams = Streams(out, err, environ=environ)
        streams.write("::stop-commands::t\nj1\tsucceeded\n")
        streams.message("maxjob: error: ##[error]x")
        streams.message("::error title=t::m", command=True)
        assert (commands_in(out.getvalue()) == []) is inert
        assert err.getvalue().splitlines()[1] == "::error title=t::m"
        assert ("##[" in err.getvalue()) is not inert


def test_invisible_characters_before_the_colons_do_not_hide_a_command() -> None:
    text = inert_workflow_commands("\u00ad\u200b::error::x\n \ufeff::warning::y")
    assert [line.lstrip("\u00ad\u200b\ufeff ")[:6] for line in text.split("\n")] == [
        "\\u003a",
        "\\u003a",
    ]


def test_a_carriage_return_ends_a_line_too() -> None:
    text = inert_workflow_commands("x\r::error::pwned\r\n::warning::two")
    assert commands_in(text) == []
    assert text.count("\r") == 2 and text.endswith("\\u003a:warning::two")


@given(st.text(alphabet=st.sampled_from(":#[ \n\r\tab"), max_size=40))
def test_no_text_forms_a_command(text: str) -> None:
    assert commands_in(inert_workflow_commands(text)) == []


def test_a_table_in_a_pipe_has_no_trailing_spaces() -> None:
    from rich.table import Table

    table = Table.grid(padding=(0, 1))
    table.add_column()
    table.add_column()
    table.add_row("a", "short")
    table.add_row("bb", "a longer cell")
    out = io.StringIO()
    Streams(out, io.StringIO(), environ={}).console(width=40).print(table)
    assert out.getvalue() == "a  short\nbb a longer cell\n"


def test_an_unknown_status_is_quoted_once_escaped() -> None:
    import io

    from maxjob.commands.watch import warn_unknown_status
    from maxjob.models import JobInfo
    from maxjob.output.streams import Streams

    err = io.StringIO()
    job = JobInfo.from_api({"instanceId": "j", "status": "running\x1b[8m"})
    warn_unknown_status(Streams(io.StringIO(), err, environ={}), "j", job, set())
    assert err.getvalue() == (
        "maxjob: warning: j: unknown status 'running\\x1b[8m'; treated as not finished\n"
    )


def test_a_status_line_is_cut_to_the_terminal_so_it_rewrites_in_place() -> None:
    err = io.StringIO()
    streams = Streams(io.StringIO(), err, environ={"COLUMNS": "20"})
    streams.status("waiting for 作业作业作业作业 (waiting) and 1 more · next poll in 5s")
    written = err.getvalue()
    assert written.startswith("\r\x1b[2K")
    from rich.cells import cell_len

    assert cell_len(written.removeprefix("\r\x1b[2K")) <= 19
    assert written.removeprefix("\r\x1b[2K").startswith("waiting for 作")
