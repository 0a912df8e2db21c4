"""The one poll loop on a fake clock, and `watch`/`wait` driven through it: instant and exact."""

from __future__ import annotations

import io
from typing import Any

import pytest

from maxjob.commands import wait, watch
from maxjob.errors import NotFoundError
from maxjob.output.streams import Streams
from maxjob.polling import Deadline, FakeClock, poll
from tests.unit.fakes import ScriptedJobs


def test_poll_stops_when_done_and_waits_the_interval_between_steps() -> None:
    clock = FakeClock()
    answers = iter([False, False, True])
    done = poll(lambda: next(answers), clock=clock, interval=5, deadline=Deadline(clock, 60))
    assert done is True
    assert clock.sleeps == [5, 5]


def test_poll_never_sleeps_past_the_deadline_and_checks_once_with_no_time() -> None:
    clock = FakeClock()
    calls: list[float] = []

    def step() -> bool:
        calls.append(clock.now)
        return False

    assert poll(step, clock=clock, interval=5, deadline=Deadline(clock, 12)) is False
    assert clock.sleeps == [5, 5, 2]  # the last wait is cut to the deadline
    assert len(calls) == 4
    zero = FakeClock()
    once: list[int] = []
    assert (
        poll(lambda: once.append(1) or False, clock=zero, interval=5, deadline=Deadline(zero, 0))
        is False
    )
    assert once == [1] and zero.sleeps == []


def test_poll_ticks_idle_while_it_waits() -> None:
    clock = FakeClock()
    left: list[float] = []
    answers = iter([False, True])
    poll(
        lambda: next(answers),
        clock=clock,
        interval=1,
        deadline=Deadline(clock, 10),
        idle=left.append,
    )
    assert left == [1.0, 0.75, 0.5, 0.25]
    assert sum(clock.sleeps) == pytest.approx(1.0)


FakeClient = ScriptedJobs


RUNNING = {"status": "running"}
SUCCEEDED = {"status": "success"}
FAILED = {"status": "failed"}


def streams() -> Streams:
    return Streams(io.StringIO(), io.StringIO(), environ={})


def test_watch_follows_a_job_to_its_end_on_a_fake_clock() -> None:
    client = FakeClient({"j1": [RUNNING, RUNNING, SUCCEEDED]})
    clock = FakeClock()
    out = streams()
    options = watch.Options(ref="j1", output="plain", interval=5, timeout=60)
    code = watch.run(options, out, lambda *a, **k: client, clock=clock)
    assert code == 0
    assert client.reads == {"j1": 3} and clock.sleeps == [5, 5]
    assert "status\tsuccess" in out.out.getvalue()  # type: ignore[attr-defined]


def test_watch_times_out_with_124_and_the_last_state() -> None:
    client = FakeClient({"j1": [RUNNING]})
    clock = FakeClock()
    out = streams()
    code = watch.run(
        watch.Options(ref="j1", output="plain", interval=5, timeout=12),
        out,
        lambda *a, **k: client,
        clock=clock,
    )
    assert code == 124
    assert sum(clock.sleeps) == pytest.approx(12)
    assert "timed out after 12s" in out.err.getvalue()  # type: ignore[attr-defined]


def test_wait_any_fail_fast_and_the_worst_outcome() -> None:
    script: dict[str, list[dict[str, Any] | Exception]] = {
        "a": [RUNNING, RUNNING, SUCCEEDED],
        "b": [RUNNING, FAILED],
        "c": [NotFoundError("job c not found")],
    }
    clock = FakeClock()
    every = wait.run(
        wait.Options(refs=("a", "b", "c"), interval=5, timeout=60),
        streams(),
        lambda *a, **k: FakeClient(script),
        stdin=io.StringIO(),
        clock=clock,
    )
    assert every == 5  # not found outranks failed
    first = wait.run(
        wait.Options(refs=("a", "b"), interval=5, timeout=60, any=True),
        streams(),
        lambda *a, **k: FakeClient(script),
        stdin=io.StringIO(),
        clock=FakeClock(),
    )
    assert first == 3  # b fails at the second poll, before a succeeds
    fast = FakeClient(script)
    assert (
        wait.run(
            wait.Options(refs=("b", "a"), interval=5, timeout=60, fail_fast=True),
            streams(),
            lambda *a, **k: fast,
            stdin=io.StringIO(),
            clock=FakeClock(),
        )
        == 3
    )
    assert fast.reads == {"b": 2, "a": 2}
