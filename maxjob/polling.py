"""One poll loop, with its clock injected: `watch`, `wait` (and later `top` and `kill`) use it.

`poll(step, ...)` calls `step()` until it says it is done or the deadline passes, waiting a
jittered interval between calls (never past the deadline), and calls `idle(seconds_left)` while
it waits so that a live view can tick. Tests pass a `FakeClock`-like `Clock` and run instantly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

JITTER = 0.1
# How often `idle` is called while waiting (a live view's clock ticks at this rate).
TICK = 0.25


@dataclass
class Clock:
    """Time, sleep and jitter, injectable so tests run fast and exactly."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    uniform: Callable[[float, float], float] = random.uniform

    def jittered(self, base: float) -> float:
        """`base` seconds, give or take 10%, so that many pollers do not beat in step."""
        return base * self.uniform(1 - JITTER, 1 + JITTER)


class Deadline:
    """A point in time (on `clock`) that a wait must end by."""

    def __init__(self, clock: Clock, timeout: float) -> None:
        self.clock = clock
        self.started = clock.monotonic()
        self.at = self.started + timeout

    def remaining(self) -> float:
        return self.at - self.clock.monotonic()

    def elapsed(self) -> float:
        return self.clock.monotonic() - self.started

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0


def poll(
    step: Callable[[], bool],
    *,
    clock: Clock,
    interval: float,
    deadline: Deadline,
    idle: Callable[[float], None] | None = None,
) -> bool:
    """Call `step` until it returns True; False when the deadline passed first.

    `step` runs at least once, even with no time left (a timeout of 0 checks once).
    """
    while True:
        if step():
            return True
        left = deadline.remaining()
        if left <= 0:
            return False
        wait = min(clock.jittered(interval), left)
        if idle is None:
            clock.sleep(wait)
            continue
        until = clock.monotonic() + wait
        while (rest := until - clock.monotonic()) > 0:
            idle(rest)
            clock.sleep(min(TICK, rest))


class FakeClock(Clock):
    """A clock that only moves when slept on: for tests of anything that polls."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        super().__init__(monotonic=self._monotonic, sleep=self._sleep, uniform=lambda a, b: 1.0)

    def _monotonic(self) -> float:
        return self.now

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
