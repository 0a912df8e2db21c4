"""`maxjob why`: the explanation as a rich view, `key<TAB>value` lines, or Markdown.

Each draws the JSON value of the explanation (`Explanation.as_json()`), so every format says the
same thing. The view: the job and its stage, then one bullet per reason with its source in dim
beneath; maxjob's readings (`inferred`) get `≈` instead of `•`, and what could not be seen comes
last, in yellow. Server text is sanitised in every format; rich is imported only by `view`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from maxjob.render.sanitize import display, sanitize
from maxjob.render.text import EPOCH_FIELDS, flattened, scalar_text

if TYPE_CHECKING:
    from rich.console import RenderableType

STAGE_STYLES = {
    "control plane": "cyan",
    "compiling": "cyan",
    "waiting for resources": "yellow",
    "running": "blue",
    "finished": "green",
    "unknown": "white",
}
OUTCOME_STYLES = {"succeeded": "green", "failed": "red", "cancelled": "magenta", "ended": "yellow"}
LEGEND = "≈ maxjob's reading of the data (substatus codes are not an official table)"


def _ordered(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The reasons, what could not be seen last."""
    reasons: list[dict[str, Any]] = [r for r in value.get("reasons", []) if isinstance(r, dict)]
    return [r for r in reasons if r.get("kind") != "unseen"] + [
        r for r in reasons if r.get("kind") == "unseen"
    ]


def _ended_how(value: Mapping[str, Any]) -> str | None:
    """A finished job's outcome, for the first line (`finished → failed`); None otherwise."""
    outcome = value.get("outcome")
    finished = value.get("stage") == "finished"
    return outcome if finished and isinstance(outcome, str) and outcome else None


def view(value: Mapping[str, Any], *, width: int) -> RenderableType:
    """The explanation for a person: at most 120 columns wide."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from maxjob.render.table import constrained

    stage = str(value.get("stage") or "unknown")
    head = Text()
    head.append(display(value.get("instanceId")) or "(no instance id)", style="bold")
    head.append("  ")
    style = OUTCOME_STYLES.get(str(value.get("outcome")), STAGE_STYLES.get(stage, "white"))
    head.append(f" {stage} ", style=f"bold reverse {style}")
    ended = _ended_how(value)
    if ended:
        head.append(f" → {display(ended)}", style=f"bold {style}")  # as `info` says it
    parts: list[RenderableType] = [head, Text("")]
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    inferred = False
    for reason in _ordered(value):
        unseen = reason.get("kind") == "unseen"
        mark = "≈" if reason.get("inferred") else "•"
        inferred = inferred or bool(reason.get("inferred"))
        body = Text(sanitize(str(reason.get("text", ""))), style="yellow" if unseen else "")
        source = reason.get("source")
        if source:
            body.append("\n" + sanitize(str(source)), style="dim")
        grid.add_row(Text(mark, style="yellow" if unseen else "bold"), body)
    parts.append(grid)
    if inferred:
        parts.append(Text(""))
        parts.append(Text(LEGEND, style="dim"))
    return constrained(Group(*parts), width)


def plain(value: Mapping[str, Any]) -> str:
    """One `key<TAB>value` line per field of the JSON explanation, dotted for lists
    (`reasons.0.text`), null fields left out, server text sanitised."""
    lines = []
    for key, item in flattened(dict(value)):
        text = scalar_text(item)
        if text is not None:
            if key.rpartition(".")[2] in _TIMES:
                text = _time(item) or text
            lines.append(f"{key}\t{text}")
    return "\n".join(lines) + "\n"


# Fields that are times (not durations such as `runningTime`): RFC 3339 UTC in `plain`.
_TIMES = EPOCH_FIELDS | {"startTime", "snapshotTime"}


def _time(value: Any) -> str | None:
    """A time of the API (`startTime` of a substatus, a UNIX-seconds `...Time`) in RFC 3339
    UTC, as `plain` writes every time; None when it is not one."""
    from maxjob.models import epoch_to_datetime, parse_substatus_time
    from maxjob.render.units import rfc3339

    if isinstance(value, str):
        moment = parse_substatus_time(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = epoch_to_datetime(value)
    else:
        moment = None
    return rfc3339(moment) if moment else None


def markdown(value: Mapping[str, Any], *, md: Any) -> str:
    """A bold line with the job and its stage, then one bullet per reason with its source in
    italics; `md` is `maxjob.render.markdown` (its `escape`)."""
    stage = str(value.get("stage") or "unknown")
    ended = _ended_how(value)
    if ended:
        stage = f"{stage} → {ended}"
    lines = [f"**{md.escape(str(value.get('instanceId') or ''))}**: {md.escape(stage)}", ""]
    inferred = False
    for reason in _ordered(value):
        mark = "≈ " if reason.get("inferred") else ""
        inferred = inferred or bool(reason.get("inferred"))
        lines.append(f"- {mark}{md.escape(str(reason.get('text', '')))}")
        if reason.get("source"):
            lines.append(f"  _{md.escape(str(reason['source']))}_")
    if inferred:
        lines += ["", str(md.escape(LEGEND))]
    return "\n".join(lines) + "\n"
