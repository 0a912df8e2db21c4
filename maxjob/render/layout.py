"""Two layouts that fit themselves to the width they are given when drawn.

`KeyValues`: labels and values in two aligned columns, as a `rich` grid would; a value with a word
too long to sit beside its label (a 40-character SQL signature at 60 columns, an owner
`RAM$user@account:1234567890123456`) goes on the next line, indented, instead of being folded in
the middle of the word.

`Joined`: a line of phrases joined by ` · ` that breaks between phrases, never inside one
(`took 12m 50s · 5% of it waiting · 6.50 core-hours` and then `20.2 GiB read`, not `... GiB` and
then `read`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

INDENT = 2


class KeyValues:
    """`(label, value)` rows: labels bold in one column, values beside them (see the module)."""

    def __init__(self, rows: Sequence[tuple[str, Text]], *, gap: int = 2) -> None:
        self.rows = list(rows)
        self.gap = gap
        self.label_width = max((cell_len(key) for key, _ in self.rows), default=0)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        # Narrow, every value can go below its label and fold there.
        widest = max((value.cell_len for _, value in self.rows), default=0)
        most = self.label_width + self.gap + widest
        return Measurement(self.label_width, most).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        room = options.max_width - self.label_width - self.gap
        beside: list[tuple[str, Text]] = []
        for key, value in self.rows:
            if _longest_word(value) <= room:
                beside.append((key, value))
                continue
            if beside:
                yield self._grid(beside)
                beside = []
            yield Text(key, style="bold", overflow="fold")
            below = value.copy()
            below.overflow = "fold"
            yield Padding(below, (0, 0, 0, INDENT))
        if beside:
            yield self._grid(beside)

    def _grid(self, rows: Sequence[tuple[str, Text]]) -> Table:
        grid = Table.grid(padding=(0, self.gap))
        grid.add_column(style="bold", no_wrap=True, min_width=self.label_width)
        grid.add_column(overflow="fold")
        for key, value in rows:
            grid.add_row(key, value)
        return grid


class Joined:
    """Phrases joined by `separator`, broken between phrases to fit the width (a phrase wider
    than the whole width wraps on its own lines, between its words)."""

    def __init__(self, parts: Sequence[str], *, separator: str = " · ", style: str = "") -> None:
        self.parts = [part for part in parts if part]
        self.separator = separator
        self.style = style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(part) for part in self.parts), default=0)
        whole = cell_len(self.separator.join(self.parts))
        return Measurement(widest, whole).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text("\n".join(self.lines(options.max_width)), style=self.style)

    def lines(self, width: int) -> Iterator[str]:
        """The phrases, as many to a line as fit in `width` cells."""
        line = ""
        for part in self.parts:
            joined = f"{line}{self.separator}{part}" if line else part
            if line and cell_len(joined) > width:
                yield line
                line = part
            else:
                line = joined
        if line:
            yield line


def _longest_word(text: Text) -> int:
    """The widest run of text between spaces and line breaks, in cells."""
    return max((cell_len(word) for word in text.plain.split()), default=0)


def account(owner: str) -> str:
    """An owner without its account type (`ALIYUN$etl-bot@example.com` is `etl-bot@example.com`,
    `RAM$ml-team` is `ml-team`), for a column too narrow for the whole: what tells owners apart
    is after the `$`."""
    kind, dollar, name = owner.partition("$")
    return name if dollar and name and kind.isalnum() else owner
