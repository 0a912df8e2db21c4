"""When to try a call again, and how long to wait first: a small pure policy.

Like botocore's standard retry mode: a checker (is this failure worth another attempt?) and a
backoff (full jitter, `uniform(0, min(cap, base * 2**n))`, harder for throttling, the server's own
delay when it names one), with randomness passed in so that tests are exact. No I/O, no sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from maxjob.errors import TransientError

BACKOFF_BASE = 0.25
THROTTLE_BACKOFF_BASE = 1.0
BACKOFF_CAP = 20.0
RETRY_AFTER_CAP = 30.0


class RetryPolicy(NamedTuple):
    """How many attempts a call gets and how long to wait between them."""

    max_attempts: int = 3
    base: float = BACKOFF_BASE
    throttle_base: float = THROTTLE_BACKOFF_BASE
    cap: float = BACKOFF_CAP
    retry_after_cap: float = RETRY_AFTER_CAP

    def should_retry(self, attempt: int, error: TransientError, *, idempotent: bool) -> bool:
        """Whether attempt number `attempt` (1-based), which failed with `error`, gets another.

        An operation that is not safe to repeat is sent again only when its connection was
        refused: any later failure (a timeout, a reset, a 5xx) may come after the server acted.
        """
        if attempt >= self.max_attempts:
            return False
        return idempotent or not error.may_have_reached_server

    def delay(
        self, attempt: int, error: TransientError, uniform: Callable[[float, float], float]
    ) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if error.retry_after is not None and math.isfinite(error.retry_after):
            return min(max(error.retry_after, 0.0), self.retry_after_cap)
        base = self.throttle_base if error.throttled else self.base
        return uniform(0.0, min(self.cap, base * 2 ** (attempt - 1)))
