"""The exit status of a command that also wrote a file: the outcome first, then the file."""

from __future__ import annotations

import pytest

from maxjob.exits import ExitCode, with_files, worst


@pytest.mark.parametrize(
    ("code", "written", "expected"),
    [
        (ExitCode.OK, 0, 0),
        (ExitCode.OK, 1, 1),  # all went well but the report: say so with 1
        (ExitCode.FAILED, 1, 3),  # the job failed: CI branches on 3, not on the report
        (ExitCode.CANCELLED, 1, 7),
        (ExitCode.TIMED_OUT, 1, 124),
        (ExitCode.SLOWER, 1, 9),
        (ExitCode.FAILED, 0, 3),
    ],
)
def test_a_file_that_could_not_be_written_never_hides_the_outcome(
    code: int, written: int, expected: int
) -> None:
    assert with_files(code, written) == expected


def test_errors_outrank_outcomes_in_worst() -> None:
    assert worst([ExitCode.FAILED, ExitCode.UNAVAILABLE]) == ExitCode.UNAVAILABLE
    assert worst([ExitCode.CANCELLED, ExitCode.FAILED, ExitCode.OK]) == ExitCode.FAILED
    assert worst([]) == ExitCode.OK
