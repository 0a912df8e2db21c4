"""`--export FILE.svg` / `FILE.html`: the terminal view saved as a picture or a page.

What is saved is the `table` view of the command (the `timeline` with `info`/`watch -o
timeline`), whatever stdout is and whatever `-o` prints there, drawn at a fixed width (`--width`,
default 100 columns) in colour. `Export` takes jobs (`add`, drawn as `info` draws them) or any
rich renderables (`draw`: the list, the history, the explanation), in order. Rich is imported
only when something is drawn or the file is written. Every server string is already through
`display` (never read as markup) and all text is escaped for XML/HTML. The documents are made
safe to attach to a ticket: no script, no event handler, no link, nothing fetched from the
network when opened (the SVG names local fonts only; the page carries a Content-Security-Policy
that allows inline styles and nothing else), and secrets masked.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from maxjob.errors import MaxjobError, UsageError
from maxjob.models import JobInfo
from maxjob.output.files import check_target, write_atomically
from maxjob.render.sanitize import display

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from maxjob.output.streams import Streams

SUFFIXES = {".svg": "svg", ".html": "html", ".htm": "html"}
DEFAULT_WIDTH = 100
MIN_WIDTH, MAX_WIDTH = 40, 400

_PAGE = """\
<!DOCTYPE html>
<html>
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
{{stylesheet}}
body {{{{
    color: {{foreground}};
    background-color: {{background}};
}}}}
</style>
</head>
<body>
<pre style="font-family:Menlo,'DejaVu Sans Mono',Consolas,'Courier New',monospace">
<code style="font-family:inherit">{{code}}</code></pre>
</body>
</html>
"""
# Rich's SVG template (the variables it fills in are its documented `code_format`), without its
# web fonts: opening the picture fetches nothing.
_PICTURE = """\
<svg class="rich-terminal" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">
    <style>
    .{unique_id}-matrix {{
        font-family: Menlo, 'DejaVu Sans Mono', Consolas, 'Courier New', monospace;
        font-size: {char_height}px;
        line-height: {line_height}px;
        font-variant-east-asian: full-width;
    }}

    .{unique_id}-title {{
        font-size: 18px;
        font-weight: bold;
        font-family: arial;
    }}

    {styles}
    </style>

    <defs>
    <clipPath id="{unique_id}-clip-terminal">
      <rect x="0" y="0" width="{terminal_width}" height="{terminal_height}" />
    </clipPath>
    {lines}
    </defs>

    {chrome}
    <g transform="translate({terminal_x}, {terminal_y})"
       clip-path="url(#{unique_id}-clip-terminal)">
    {backgrounds}
    <g class="{unique_id}-matrix">
    {matrix}
    </g>
    </g>
</svg>
"""


def check(path: str, width: int) -> Path:
    """Refuse (exit 2, before any request) a file that is neither `.svg` nor `.html`, a width
    out of range, or a file whose directory does not exist or cannot be written."""
    if Path(path).suffix.lower() not in SUFFIXES:
        raise UsageError(f"--export {path}: the file must end in .svg, .html or .htm")
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise UsageError(f"--width must be between {MIN_WIDTH} and {MAX_WIDTH} columns")
    return check_target(path, "--export")


class Export:
    """What the terminal view shows, collected in order, drawn and written by `save`."""

    def __init__(
        self,
        path: str,
        *,
        output: str = "table",
        utc: bool,
        width: int = DEFAULT_WIDTH,
        command: str = "maxjob",
        mask: Callable[[str], str] = str,
        subject: str | None = None,
    ) -> None:
        self.target = check(path, width)
        self.kind = SUFFIXES[self.target.suffix.lower()]
        # The view of a job drawn by `add`: the timeline with `-o timeline`, else the table.
        self.view = "timeline" if output == "timeline" else "table"
        self.utc, self.width, self.mask = utc, width, mask
        self.command = command
        # What the picture is of, in its title (`maxjob why <id>`); else the jobs added.
        self.subject = subject
        self.job_ids: list[str] = []
        # Each part made when the document is: a job is kept as read, not as drawn.
        self.parts: list[Callable[[], RenderableType]] = []

    def add(self, instance_id: str, result: JobInfo | MaxjobError) -> None:
        """A job (or the error in its place), drawn in the view `info` shows."""
        self.job_ids.append(instance_id)
        self.parts.append(lambda: self._job(instance_id, result))

    def draw(self, renderable: RenderableType) -> None:
        """Any rich renderable, drawn `width` columns wide: its server text already sanitised."""
        self.parts.append(lambda: renderable)

    @property
    def title(self) -> str:
        """`maxjob why <id>`, `maxjob info <id>`, `maxjob info (3 jobs)`, or `maxjob list`."""
        if self.subject is not None:
            return f"{self.command} {display(self.subject, limit=100)}".rstrip()
        if len(self.job_ids) == 1:
            return f"{self.command} {display(self.job_ids[0], limit=100)}"
        if self.job_ids:
            return f"{self.command} ({len(self.job_ids)} jobs)"
        return self.command

    def render(self) -> str:
        """The document: SVG or HTML text."""
        console = _recording_console(self.width)
        for index, part in enumerate(self.parts):
            if index:
                console.print()
            console.print(part())
        if self.kind == "svg":
            document = console.export_svg(title=self.title, code_format=_PICTURE)
        else:
            title = html.escape(self.title).replace("{", "{{").replace("}", "}}")
            document = console.export_html(code_format=_PAGE.format(title=title))
        return self.mask(document)

    def save(self) -> None:
        """Write the document (atomically); MaxjobError (exit 1) when it cannot be written."""
        write_atomically(self.target, self.render().encode("utf-8"), what="the export")

    def finish(self, streams: Streams) -> int:
        """`save`, once what it shows is on stdout: a failure is said on stderr and returned as
        its exit status (1), to be counted in the worst; else 0."""
        try:
            self.save()
        except MaxjobError as exc:
            streams.error(exc)
            return exc.exit_code
        return 0

    def _job(self, instance_id: str, result: JobInfo | MaxjobError) -> RenderableType:
        from rich.text import Text

        from maxjob.output.formats import view

        if isinstance(result, MaxjobError):
            line = f"{display(instance_id)}: error: {display(result.one_line())}"
            return Text(line, style="bold red")
        drawn: RenderableType = view(result, self.view, utc=self.utc, width=self.width)
        return drawn


def _recording_console(width: int) -> Console:
    from rich.console import Console

    # Explicit on every setting the environment could change: the picture is the same anywhere.
    # (The height too: without it, rich draws 80 columns on a terminal named dumb or unknown in
    # TERM, as CI runners and editors name theirs, whatever the width.)
    return Console(
        file=io.StringIO(),
        record=True,
        width=width,
        height=25,
        force_terminal=True,
        force_jupyter=False,
        force_interactive=False,
        color_system="truecolor",
        no_color=False,
        legacy_windows=False,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
    )
