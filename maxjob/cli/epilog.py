"""A command's epilog (its examples and notes) fitted to the terminal's width.

click prints an epilog as it is written; at 60 columns its lines would wrap wherever the terminal
cuts them (`--export fai` / `led.svg`). Here a line that does not fit is wrapped by what it is:

- a row of two columns (`  maxjob info $ID     show a job`, `  4    credentials missing ...`):
  its second column wraps under itself, or, when the first is too wide to leave it room, goes
  under the first, indented;
- a shell command (`  maxjob ls --quota q --since 7d`): cut between words, never inside quotes,
  each cut ending in ` \\`, so that the lines still paste into a shell as one command;
- prose: wrapped at words.
"""

from __future__ import annotations

import re
import textwrap

# A row: indent, first column, at least two spaces, second column.
_ROW = re.compile(r"^(?P<indent> *)(?P<first>\S(?:.*?\S)?)(?P<gap> {2,})(?P<second>\S.*)$")
# The least room the second column keeps beside the first before it goes under it.
MIN_SECOND = 20
# Continuation lines of a cut command, under its first word.
CONTINUED = 4


def fit(epilog: str, width: int) -> list[str]:
    """The epilog's lines, none longer than `width` where a space allows a cut."""
    width = max(width, 20)
    lines: list[str] = []
    prose: list[str] = []  # lines of one paragraph of prose, rewrapped together if one is long

    def end_prose() -> None:
        if any(len(line) > width for line in prose):
            lines.extend(textwrap.wrap(" ".join(prose), width))
        else:
            lines.extend(prose)
        prose.clear()

    for raw in epilog.splitlines():
        line = raw.rstrip()
        if line and not line.startswith(" ") and not line.endswith(":") and not _is_command(line):
            prose.append(line)
            continue
        end_prose()
        lines.extend(_fit_line(line, width))
    end_prose()
    return lines


def _fit_line(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    indent = len(line) - len(line.lstrip(" "))
    row = _ROW.match(line)
    if row is not None and _is_command(row["first"]) is _is_command(line.strip()):
        column = len(row["indent"]) + len(row["first"]) + len(row["gap"])
        first = row["indent"] + row["first"]
        if width - column >= MIN_SECOND and len(first) < column:
            wrapped = textwrap.wrap(row["second"], width - column) or [""]
            return [first.ljust(column) + wrapped[0], *(" " * column + w for w in wrapped[1:])]
        under = " " * (indent + CONTINUED)
        return [
            *_fit_line(first, width),
            *textwrap.wrap(row["second"], width, initial_indent=under, subsequent_indent=under),
        ]
    if _is_command(line.strip()):
        return _cut_command(line, indent, width)
    pad = " " * indent
    return textwrap.wrap(line.strip(), width, initial_indent=pad, subsequent_indent=pad) or [""]


def _is_command(text: str) -> bool:
    return text.startswith(("maxjob ", "$ ", "export ")) or " | " in text


def _cut_command(line: str, indent: int, width: int) -> list[str]:
    """`line` cut between shell words, each piece but the last ending in ` \\`."""
    words = _shell_words(line.strip())
    lines: list[str] = []
    current = " " * indent
    room = width - 2  # the ` \` at the end of a cut
    for word in words:
        candidate = current + word if current.strip() == "" else f"{current} {word}"
        if current.strip() and len(candidate) > room:
            lines.append(current + " \\")
            current = " " * (indent + CONTINUED) + word
        else:
            current = candidate
    lines.append(current)
    return lines


def _shell_words(text: str) -> list[str]:
    """`text` split at spaces outside single and double quotes (quotes kept)."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == " ":
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words
