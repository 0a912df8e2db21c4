"""`--jq EXPR`: a real jq program (libjq through the `jq` package, imported only when used)."""

from __future__ import annotations

import re
from typing import Any

from maxjob.errors import MaxjobError, UsageError
from maxjob.render import text

_WHERE = re.compile(r"(?:jq: error: )?(.*?)(?: at <top-level>)?, line \d+, column (\d+):?$")


class JqProgram:
    """A compiled jq program; strings come out raw, like `jq -r`.

    `many` says the input is an array of jobs, so that indexing it like one job gets a hint.
    """

    def __init__(self, expression: str) -> None:
        try:
            import jq
        except ImportError:
            raise UsageError(
                "--jq needs the jq package, which installs with maxjob: pip install jq"
            ) from None
        self.expression = expression
        try:
            self._program = jq.compile(expression)
        except ValueError as exc:
            raise UsageError(f"--jq: {_compile_error(str(exc))}") from None

    def lines(self, value: Any, *, compact: bool = False) -> list[str]:
        """The program's results, a string as it is, any other value as JSON (one line each with
        `compact`, as `jsonl` and `jq -c` write them)."""
        try:
            results = self._program.input_value(value).all()
        except ValueError as exc:
            message = str(exc).splitlines()[0] if str(exc) else "jq failed"
            hint = None
            if isinstance(value, list) and message.startswith("Cannot index array with"):
                hint = (
                    f"the input is an array of jobs: try --jq '.[]{self.expression.lstrip()}'"
                    if self.expression.lstrip().startswith(".")
                    else "the input is an array of jobs: start with .[]"
                )
            raise MaxjobError(f"--jq: {message}", hint=hint) from None
        return [r if isinstance(r, str) else text.to_json(r, compact=compact) for r in results]


def _compile_error(message: str) -> str:
    """libjq's multi-line compile error as one line: what, and at which column."""
    first = message.splitlines()[0] if message else "syntax error"
    match = _WHERE.fullmatch(first.strip())
    if match:
        return f"{match.group(1)} (at column {match.group(2)})"
    return first.removeprefix("jq: error: ").rstrip(":")
