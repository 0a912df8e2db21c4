"""Exit statuses: what each means, the status of a job's outcome, and the worst of several.

The one place they are defined; `maxjob --help` prints `help_text()`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from maxjob.models import JobInfo, Outcome


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    FAILED = 3
    CREDENTIALS = 4
    NOT_FOUND = 5
    UNAVAILABLE = 6
    CANCELLED = 7
    RUNNING = 8
    SLOWER = 9
    TIMED_OUT = 124
    INTERRUPTED = 130
    # A reader that went away (`maxjob info ... | head -1`), as a shell reports SIGPIPE.
    BROKEN_PIPE = 141


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success; for watch/wait, the job(s) succeeded",
    ExitCode.ERROR: "unexpected error, unreadable response; a job ended, no word on how",
    ExitCode.USAGE: "usage error (bad flag, missing region, bad input)",
    ExitCode.FAILED: "job failed (watch, wait, info --exit-status)",
    ExitCode.CREDENTIALS: "credentials missing or rejected, permission denied, clock skew",
    ExitCode.NOT_FOUND: "job not found",
    ExitCode.UNAVAILABLE: "network or service unavailable after retries",
    ExitCode.CANCELLED: "job cancelled",
    ExitCode.RUNNING: "job still running (info --exit-status; kill past --wait-timeout)",
    ExitCode.SLOWER: "history --fail-over: this run is slower than allowed",
    ExitCode.TIMED_OUT: "watch/wait reached --timeout",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
    ExitCode.BROKEN_PIPE: "stdout closed early (| head), as for other Unix tools",
}

# Worst first: errors outrank outcomes, failure outranks cancellation, timeout, running, success.
# The line a Ctrl-C leaves on stderr, wherever it lands (while maxjob starts, in a command, after).
INTERRUPTED_LINE = "maxjob: interrupted"

SEVERITY = (
    ExitCode.ERROR,
    ExitCode.CREDENTIALS,
    ExitCode.UNAVAILABLE,
    ExitCode.NOT_FOUND,
    ExitCode.USAGE,
    ExitCode.FAILED,
    ExitCode.SLOWER,
    ExitCode.CANCELLED,
    ExitCode.TIMED_OUT,
    ExitCode.RUNNING,
    ExitCode.OK,
)

BY_OUTCOME = {
    Outcome.SUCCEEDED: ExitCode.OK,
    Outcome.FAILED: ExitCode.FAILED,
    Outcome.CANCELLED: ExitCode.CANCELLED,
    # Ended, how is not known: not a success (a gate must not pass it), not a failure either.
    Outcome.ENDED: ExitCode.ERROR,
}


def of_outcome(outcome: Outcome | None, *, unfinished: ExitCode = ExitCode.RUNNING) -> ExitCode:
    """0 succeeded, 3 failed, 7 cancelled, 1 ended how no one can tell; `unfinished` (8, or 124
    for a wait) otherwise."""
    return unfinished if outcome is None else BY_OUTCOME[outcome]


def cut_short(exc: BaseException) -> str:
    """How a wait or watch was cut short, for its reports: its stdout's reader gone, or a
    signal (SIGTERM, SIGHUP, Ctrl-C)."""
    return "stdout closed" if isinstance(exc, BrokenPipeError) else "interrupted"


def ended_note(instance_id: str) -> str:
    """The stderr line for a job whose outcome is `ENDED`, beside its exit status 1."""
    from maxjob.render.sanitize import display

    return (
        f"maxjob: {display(instance_id)}: terminated, and no substatus says how it ended: "
        "exit 1, not taken for a success"
    )


def of_job(job: JobInfo, *, unfinished: ExitCode = ExitCode.RUNNING) -> ExitCode:
    return of_outcome(job.outcome, unfinished=unfinished)


def worst_outcome(codes: Iterable[int], ended: int) -> int:
    """`worst` of jobs' `codes`, and of `ended` jobs that ended with no word on how (exit 1):
    these rank below an error and a failure, above a cancellation, a timeout and a success (a
    failed or missing job in the same batch is not hidden behind them)."""
    code = worst(codes)
    if code not in SEVERITY:
        return code
    if ended and SEVERITY.index(ExitCode(code)) > SEVERITY.index(ExitCode.FAILED):
        return ExitCode.ERROR
    return code


def worst(codes: Iterable[int]) -> int:
    """The exit status of a call that ended in several: the worst by `SEVERITY` (0 if none)."""
    known: list[ExitCode] = []
    unknown: list[int] = []
    for code in codes:
        if code in SEVERITY:
            known.append(ExitCode(code))
        else:
            unknown.append(code)
    if unknown:
        return max(unknown)
    return min(known or [ExitCode.OK], key=SEVERITY.index)


def with_files(code: int, written: int) -> int:
    """The status of a command that also wrote a file (`--junit`, `--export`): its own `code`,
    unless that is 0 and the file could not be written (`written`, then 1). A failed, cancelled
    or timed-out job keeps its 3, 7 or 124, which CI scripts branch on; the write error is on
    stderr either way."""
    return code if code != ExitCode.OK else written


def help_text() -> str:
    """The exit-status table of `maxjob --help`."""
    rows = [f"  {int(code):<4} {meaning}" for code, meaning in MEANINGS.items()]
    return "Exit status:\n" + "\n".join(rows)
