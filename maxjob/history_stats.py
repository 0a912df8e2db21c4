"""Is this run normal? How one run compares with the earlier runs of the same SQL: pure numbers
and words, no I/O, no rich (`maxjob history` shows them; `render/history.py` draws them).

The earlier runs compared with are the successful ones; failed, cancelled and unfinished runs are
counted, never used for a median. For each measure (waiting, running, total time, CU-hours,
input bytes) over those runs:

- median: the middle value of the sorted values; for an even count, the mean of the two middle
  values (10 values: the mean of the 5th and the 6th);
- p90: nearest rank: the ceil(0.9 n)-th smallest value (10 values: the 9th; 3 values: the 3rd),
  always one of the values themselves;
- ratio: this run's value / the median (None when the median is 0, either is unknown, or the
  quotient is too large for a number).

A measure is *higher than usual* when this run's value is above the p90, at least `HIGH` x the
median, and (for times) at least `TIME_FLOOR` seconds above it; *lower than usual* at most
`LOW` x the median (and, for times, `TIME_FLOOR` seconds below it); else *as usual*. With fewer
than `MIN_RUNS` earlier successful runs there is no verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from maxjob.models import JobInfo
from maxjob.render.phases import job_figures
from maxjob.render.units import amount, core_hours, duration

MIN_RUNS = 3
HIGH = 1.2
LOW = 0.5
# A minute or less is not worth a person's attention, however large the ratio.
TIME_FLOOR = 60.0
# Input grew (or shrank) by at least this factor before it counts as an explanation.
INPUT_CHANGE = 1.1
# The running time is "in step with" the input when the two ratios are within this factor.
IN_STEP = 1.25

# `--metric` names, and how messages name them.
METRICS: dict[str, str] = {
    "wait": "waiting time",
    "run": "running time",
    "total": "total time",
    "cu": "CU usage",
}
MEASURES = (*METRICS, "input")
UNITS = {
    "wait": "seconds",
    "run": "seconds",
    "total": "seconds",
    "cu": "CU-hours",
    "input": "bytes",
}
# The outcomes of a run, as `outcome_of` says them; anything else is the status as given.
OUTCOMES = ("succeeded", "failed", "cancelled", "ended")


def median(values: Sequence[float]) -> float | None:
    """The middle of the sorted values; the mean of the two middle ones for an even count."""
    ordered = sorted(values)
    count = len(ordered)
    if not count:
        return None
    middle = count // 2
    if count % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile: the ceil(percent/100 x n)-th smallest value (at least the
    1st)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def p90(values: Sequence[float]) -> float | None:
    return nearest_rank(values, 90)


def outcome_of(job: JobInfo) -> str:
    """How a run ended, from its status: `succeeded`, `failed`, `cancelled`; `ended` for a
    `terminated` run with no substatus to tell how (ListJobInfos items have none: never
    guessed); else the status itself (`running`, `waiting`, ...), or `unknown`."""
    if job.outcome is not None:
        return job.outcome.value
    return job.normalised_status or "unknown"


class Run(NamedTuple):
    """One run as history shows it: an earlier run (a ListJobInfos item) or this run (GetJobInfo
    data). Times in seconds, `cu_hours` from `cuUsage` (100 core-seconds), as in every view."""

    job: JobInfo
    outcome: str
    waited: float | None
    ran: float | None
    total: float | None
    finished: bool

    @classmethod
    def of(cls, job: JobInfo, now: datetime) -> Run:
        # The API's whole seconds: this run is compared with runs read from ListJobInfos, and
        # csv/plain write the figures under the API's field names.
        figures = job_figures(job, now, precise=False)
        return cls(
            job=job,
            outcome=outcome_of(job),
            waited=figures.waited,
            ran=figures.ran if figures.started else None,
            total=figures.total,
            finished=job.is_finished,
        )

    @classmethod
    def from_item(cls, item: Mapping[str, Any], now: datetime) -> Run:
        return cls.of(JobInfo.from_api(item), now)

    @property
    def cu_hours(self) -> float | None:
        usage = self.job.cu_usage
        return None if usage is None else core_hours(usage)

    @property
    def input_bytes(self) -> float | None:
        return self.job.input_bytes

    def value(self, measure: str) -> float | None:
        """The run's value of `wait`, `run`, `total`, `cu` or `input`."""
        return {
            "wait": self.waited,
            "run": self.ran,
            "total": self.total,
            "cu": self.cu_hours,
            "input": self.input_bytes,
        }[measure]


class Measure(NamedTuple):
    """One measure of this run against the earlier successful runs."""

    name: str
    this: float | None
    median: float | None
    p90: float | None
    ratio: float | None
    runs: int  # earlier successful runs that have a value
    level: str  # "higher", "lower", "usual", or "unknown"

    def as_json(self) -> dict[str, Any]:
        return {
            "this": self.this,
            "median": self.median,
            "p90": self.p90,
            "ratio": self.ratio,
            "runs": self.runs,
            "unit": UNITS[self.name],
            "level": self.level,
        }


def measure(name: str, this: Run, earlier: Sequence[Run]) -> Measure:
    values = [v for v in (run.value(name) for run in earlier) if v is not None]
    mine = this.value(name)
    middle, high = median(values), p90(values)
    ratio = mine / middle if mine is not None and middle else None
    if ratio is not None and not math.isfinite(ratio):
        ratio = None  # (a median of 1e-300: JSON has no Infinity)
    return Measure(name, mine, middle, high, ratio, len(values), _level(name, mine, middle, high))


def _level(name: str, this: float | None, middle: float | None, high: float | None) -> str:
    if this is None or middle is None or high is None:
        return "unknown"
    floor = TIME_FLOOR if UNITS[name] == "seconds" else 0.0
    if this > high and this >= HIGH * middle and this - middle >= floor and this > middle:
        return "higher"
    if this <= LOW * middle and middle - this >= floor and this < middle:
        return "lower"
    return "usual"


class Summary(NamedTuple):
    """This run against its earlier runs: counts, the measures, and the verdict (None when there
    are too few earlier successful runs, with `reason` saying so)."""

    earlier: int
    outcomes: dict[str, int]
    successful: int
    measures: dict[str, Measure]
    verdict: str | None
    reason: str | None

    @property
    def enough(self) -> bool:
        return self.verdict is not None


def summarize(this: Run, earlier: Sequence[Run], *, why: str = "") -> Summary:
    """Compare `this` with `earlier` (newest first). `why`, when given, is the reason there is
    nothing to compare with at all (no signature, no node id)."""
    outcomes: dict[str, int] = {}
    for run in earlier:
        outcomes[run.outcome] = outcomes.get(run.outcome, 0) + 1
    good = [run for run in earlier if run.outcome == "succeeded"]
    measures = {name: measure(name, this, good) for name in MEASURES}
    reason: str | None = why or None
    verdict: str | None = None
    if reason is None and len(good) < MIN_RUNS:
        if not earlier:
            reason = f"no earlier runs: nothing to compare with (at least {MIN_RUNS} needed)"
        else:
            found = f" of {len(earlier)}" if len(earlier) != len(good) else ""
            count = f"only {len(good)}" if good else "no"
            reason = (
                f"{count} earlier successful run{_s(len(good))}{found}: too few to compare "
                f"(at least {MIN_RUNS} needed)"
            )
    if reason is None:
        verdict = verdict_of(this, measures)
    return Summary(len(earlier), outcomes, len(good), measures, verdict, reason)


# -- words --------------------------------------------------------------------------------------


def times(ratio: float) -> str:
    """`3.4x`, `12x`, `0.08x`."""
    if ratio >= 10:
        return f"{ratio:.0f}x"
    if ratio < 0.1:
        return f"{ratio:.2f}x"
    return f"{ratio:.1f}x"


def verdict_of(this: Run, measures: Mapping[str, Measure]) -> str:
    """One or two sentences: the running time against the median (beside the input and the
    CU-hours), then the waiting time; `Ran 41m 00s, 3.4x the median 12m 00s, on 1.1x the usual
    input; waited as usual.`"""
    run, wait = measures["run"], measures["wait"]
    so_far = "" if this.finished else " so far"
    if run.this is None:
        first = "has not started running" if not this.finished else "running time unknown"
    elif run.level == "usual":
        first = f"ran {duration(run.this)}{so_far} as usual (median {duration(run.median)})"
    elif run.level in ("higher", "lower") and run.ratio is not None:
        first = (
            f"ran {duration(run.this)}{so_far}, {times(run.ratio)} the median "
            f"{duration(run.median)}" + _input_clause(run, measures["input"])
        )
    else:
        first = f"ran {duration(run.this)}{so_far} (no median to compare with)"
    if wait.level == "usual":
        second = "waited as usual"
    elif wait.level in ("higher", "lower") and wait.this is not None and wait.ratio is not None:
        second = (
            f"waited {duration(wait.this)}{so_far if run.this is None else ''}, "
            f"{times(wait.ratio)} the median {duration(wait.median)}"
        )
    else:
        second = ""
    clauses = [first, _cu_clause(measures["cu"]), second]
    sentence = "; ".join(clause for clause in clauses if clause) + "."
    sentence = sentence[0].upper() + sentence[1:]
    if this.outcome != "succeeded":
        sentence += f" This run {_outcome_words(this.outcome)}."
    return sentence


def _input_clause(run: Measure, given: Measure) -> str:
    """`, on 1.1x the usual input`, and `which accounts for it` when the running time moved in
    step with the input (more data, more time)."""
    if given.ratio is None or run.ratio is None:
        return ""
    text = f", on {times(given.ratio)} the usual input"
    moved = given.ratio >= INPUT_CHANGE or given.ratio <= 1 / INPUT_CHANGE
    if moved and 1 / IN_STEP <= run.ratio / given.ratio <= IN_STEP:
        text += ", which accounts for it"
    return text


def _cu_clause(cu: Measure) -> str:
    if cu.level not in ("higher", "lower") or cu.ratio is None:
        return ""
    return f"used {times(cu.ratio)} the usual CU-hours"


def _outcome_words(outcome: str) -> str:
    # No server text in a verdict: an unknown status is not repeated here (the rows show it).
    if outcome == "cancelled":
        return "was cancelled"
    if outcome in ("failed", "succeeded"):
        return outcome
    if outcome == "ended":
        return "ended, and how is not known"
    if outcome in ("running", "waiting", "submitted", "queued", "pending"):
        return f"is still {outcome}: its figures are so far"
    return "has a status maxjob does not know: its figures may be so far"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


# -- the gate -----------------------------------------------------------------------------------


class Gate(NamedTuple):
    """`--fail-over RATIO` on one metric: exceeded (exit 9), within, or not checked (`why`)."""

    metric: str
    ratio: float
    limit: float | None  # RATIO x the median
    exceeded: bool
    why: str | None  # why it was not checked; None when it was

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "ratio": self.ratio,
            "limit": self.limit,
            "exceeded": self.exceeded,
            "checked": self.why is None,
        }

    def message(self, summary: Summary) -> str:
        """The line for stderr."""
        if self.why is not None:
            return f"--fail-over {_number(self.ratio)} not checked: {self.why}"
        m = summary.measures[self.metric]
        assert m.this is not None and m.median is not None and self.limit is not None
        shown = _shown(self.metric, m.this)
        ratio = f"{times(m.ratio)} " if m.ratio is not None else ""
        verdict = "over" if self.exceeded else "within"
        return (
            f"{METRICS[self.metric]} {shown} is {ratio}the median {_shown(self.metric, m.median)}"
            f" of {m.runs} earlier successful run{_s(m.runs)}: {verdict} --fail-over "
            f"{_number(self.ratio)} (limit {_shown(self.metric, self.limit)})"
        )


def gate(summary: Summary, metric: str, ratio: float) -> Gate:
    """Whether this run's `metric` exceeds `ratio` x the median of the earlier successful runs."""
    m = summary.measures[metric]
    if not summary.enough:
        return Gate(metric, ratio, None, False, summary.reason or "too few earlier runs")
    if m.median is None:
        return Gate(metric, ratio, None, False, f"no earlier run has a {METRICS[metric]}")
    if m.median <= 0:
        # Any multiple of nothing is nothing: every run would be "over" it.
        why = f"the median {METRICS[metric]} of the earlier runs is 0: no ratio to compare with"
        return Gate(metric, ratio, None, False, why)
    limit = ratio * m.median
    if m.this is None:
        return Gate(metric, ratio, limit, False, f"this run has no {METRICS[metric]} yet")
    return Gate(metric, ratio, limit, m.this > limit, None)


def _shown(metric: str, value: float) -> str:
    return f"{amount(value)} CU-hours" if metric == "cu" else duration(value)


def _number(value: float) -> str:
    return f"{value:g}"


# -- what was compared, and the JSON summary ----------------------------------------------------


class Scope(NamedTuple):
    """What the earlier runs were looked up by: the key (`signature` or `node`, its value), the
    projects (None: all), the window [since, until) in UNIX seconds, and the limits asked for."""

    by: str
    key: str | None
    projects: tuple[str, ...] | None
    since: int
    until: int
    days: int
    runs: int
    searched: bool = True  # False: no key, or a run too old for its earlier runs to be listed

    @property
    def key_words(self) -> str:
        """`with this SQL signature`, `of this scheduler node`."""
        return "with this SQL signature" if self.by == "signature" else "of this scheduler node"

    @property
    def window_words(self) -> str:
        return f"in the {self.days} day{_s(self.days)} before it"

    def as_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "key": self.key,
            "projects": None if self.projects is None else list(self.projects),
            "from": self.since,
            "to": self.until,
            "days": self.days,
            "maxRuns": self.runs,
        }


def summary_json(summary: Summary, scope: Scope, gate: Gate | None) -> dict[str, Any]:
    """The `summary` object of `-o json`: numbers as numbers, seconds, CU-hours and bytes."""
    return {
        "verdict": summary.verdict,
        "reason": summary.reason,
        **scope.as_json(),
        "earlierRuns": summary.earlier,
        "outcomes": dict(summary.outcomes),
        "successfulRuns": summary.successful,
        "metrics": {name: m.as_json() for name, m in summary.measures.items()},
        "failOver": None if gate is None else gate.as_json(),
    }
