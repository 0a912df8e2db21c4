"""`watch` in a pipe: a line per change, and one for each substatus seen only in the list (it
began and ended between two polls). Polls are fed by hand: each is the job as GetJobInfo gave it."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from maxjob.commands import watch
from maxjob.models import JobInfo
from maxjob.output import formats
from maxjob.output.streams import Streams


def sub(code: int, second: int | None, description: str) -> dict[str, Any]:
    start = None if second is None else f"2026-11-30T10:00:{second:02d}Z"
    return {"code": code, "startTime": start, "description": description}


def poll(status: str, *subs: dict[str, Any]) -> dict[str, Any]:
    return {"instanceId": "j1", "status": status, "jobSubStatusList": list(subs)}


class Polls:
    """A watcher that hands over the given polls, one after the other."""

    def __init__(self, polls: list[dict[str, Any]], streams: Streams) -> None:
        self.polls, self.streams = polls, streams
        self.job: JobInfo | None = None

    def follow(self, on_job: Callable[[JobInfo], None] | None = None, **_: Any) -> JobInfo:
        for data in self.polls:
            self.job = JobInfo.from_api(data)
            assert on_job is not None
            on_job(self.job)
        assert self.job is not None
        return self.job


def lines(*polls: dict[str, Any]) -> list[str]:
    out = io.StringIO()
    streams = Streams(out, io.StringIO(), environ={})
    fmt = formats.choose("plain", formats.JOB_VIEWS, streams, False)
    watch._follow_lines(Polls(list(polls), streams), fmt, None)  # type: ignore[arg-type]
    # Without the times: what each line says.
    return [line.split("  ", 1)[1] for line in out.getvalue().splitlines() if line]


WAIT = sub(1010, 0, "Waiting for scheduling")
RUN = sub(1032, 5, "Task executing")


def test_a_job_that_comes_back_to_the_state_last_shown_says_so() -> None:
    back = sub(1010, 0, "Waiting for scheduling")
    again = sub(1010, 9, "Waiting for scheduling")
    assert lines(poll("waiting", back), poll("waiting", back, RUN, again)) == [
        "waiting  1010 Waiting for scheduling",
        "-  1032 Task executing",
        "waiting  1010 Waiting for scheduling",
    ]


def test_a_description_that_changes_while_it_runs_is_one_substatus() -> None:
    early = sub(1032, 5, "Running 10%")
    late = sub(1032, 5, "Running 100%")
    done = sub(1055, 9, "Succeeded")
    said = lines(poll("running", WAIT, early), poll("terminated", WAIT, late, done))
    assert said == [
        "running  1032 Running 10%",
        "terminated (succeeded)  1055 Succeeded",
    ]


def test_a_start_time_spelt_again_or_filled_in_later_is_not_a_new_substatus() -> None:
    respelt = {**RUN, "startTime": "2026-11-30T10:00:05.000Z"}
    done = sub(1055, 9, "Succeeded")
    said = lines(poll("running", WAIT, RUN), poll("terminated", WAIT, respelt, done))
    assert said == ["running  1032 Task executing", "terminated (succeeded)  1055 Succeeded"]


def test_two_untimed_substatuses_of_one_code_are_two() -> None:
    first = sub(1220, None, "Compiling")
    second = sub(1220, None, "Compiling")
    done = sub(1055, 9, "Succeeded")
    said = lines(poll("waiting", WAIT), poll("terminated", WAIT, first, second, done))
    assert said == [
        "waiting  1010 Waiting for scheduling",
        "-  1220 Compiling",
        "-  1220 Compiling",
        "terminated (succeeded)  1055 Succeeded",
    ]


def test_at_most_100_missed_substatuses_get_a_line_a_poll() -> None:
    many = [sub(1032, None, f"step {n}") for n in range(300)]
    said = lines(poll("waiting", WAIT), poll("terminated", WAIT, *many, sub(1055, 9, "Ok")))
    assert len(said) == 1 + watch.MISSED_LINES + 1
    assert said[-2] == "-  1032 step 299"  # the latest ones
