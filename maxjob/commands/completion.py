"""`maxjob completion SHELL`: print the shell's completion script."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from maxjob.errors import UsageError
from maxjob.output.streams import Streams

SHELLS = ("bash", "zsh", "fish", "powershell")


class Options(NamedTuple):
    shell: str


def run(options: Options, streams: Streams, script_for: Callable[[str], str]) -> int:
    """Write the script; `script_for(shell)` makes it (the command line's own machinery)."""
    if options.shell not in SHELLS:
        raise UsageError(f"unknown shell {options.shell!r}: choose one of {', '.join(SHELLS)}")
    streams.write(script_for(options.shell) + "\n")
    return 0
