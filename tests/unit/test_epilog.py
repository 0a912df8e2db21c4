"""Help epilogs fitted to the terminal: rows wrap under their second column, commands are cut
with ` \\` between shell words (never inside quotes), prose is rewrapped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maxjob.cli.epilog import fit


def test_a_line_that_fits_is_left_as_it_is() -> None:
    text = "Examples:\n  maxjob info $ID                    show a job\n\n  0    success"
    assert fit(text, 80) == text.splitlines()


def test_a_rows_second_column_wraps_under_itself() -> None:
    line = "  4    credentials missing or rejected, permission denied, clock skew"
    assert fit(line, 60) == [
        "  4    credentials missing or rejected, permission denied,",
        "       clock skew",
    ]


def test_a_command_is_cut_between_words_with_a_backslash_never_inside_quotes() -> None:
    line = "  maxjob why $ID --jq '.ahead | length' --export why.html -o json --utc"
    lines = fit(line, 40)
    assert all(len(piece) <= 40 for piece in lines), lines
    assert all(piece.endswith(" \\") for piece in lines[:-1])
    assert any("'.ahead | length'" in piece for piece in lines)
    joined = " ".join(piece.removesuffix(" \\").strip() for piece in lines)
    assert joined == line.strip()


def test_prose_is_rewrapped_as_one_paragraph() -> None:
    text = (
        "Reads GetJobInfo; for a job waiting for resources also ListJobSnapshotInfos\n"
        "(else GetRunningJobs)."
    )
    assert fit(text, 60) == [
        "Reads GetJobInfo; for a job waiting for resources also",
        "ListJobSnapshotInfos (else GetRunningJobs).",
    ]


WORD = st.text(st.sampled_from("abc-$'\"|.:"), min_size=1, max_size=12)
LINE = st.builds(
    lambda indent, words, second: (
        " " * indent + " ".join(words) + (f"    {second}" if second else "")
    ),
    st.integers(0, 4),
    st.lists(WORD, min_size=1, max_size=12),
    st.one_of(st.just(""), st.lists(WORD, min_size=1, max_size=8).map(" ".join)),
)


@given(st.lists(LINE, max_size=6), st.integers(20, 120))
def test_no_line_is_longer_than_the_width_but_a_word_that_is(lines: list[str], width: int) -> None:
    from maxjob.cli.epilog import _shell_words

    fitted = fit("\n".join(lines), width)
    # A shell word (a quoted string is one) is never cut: it may stand alone past the width.
    longest = max((len(w) for line in lines for w in _shell_words(line)), default=0)
    for line in fitted:
        assert len(line) <= max(width, longest + 10), (line, width)


@pytest.mark.parametrize("width", [60, 80, 160])
def test_every_commands_help_fits(width: int) -> None:
    import maxjob.cli.cmd_history
    import maxjob.cli.cmd_kill
    import maxjob.cli.cmd_list
    import maxjob.cli.cmd_top
    import maxjob.cli.cmd_why
    import maxjob.cli.commands  # noqa: F401 - each module registers its commands
    from maxjob.cli import app

    for name, (_, settings) in app.COMMANDS.items():
        for line in fit(settings.get("epilog") or "", width):
            assert len(line) <= width, (name, line)
