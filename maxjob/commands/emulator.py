"""`maxjob emulator`: serve the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

from maxjob.errors import UsageError
from maxjob.output.streams import Streams


def run(
    *, port: int, jobs: str | None, latency: float, streams: Streams, synthetic: int = 0
) -> int:
    from maxjob import emulator

    if not 0 <= port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    if latency < 0:
        raise UsageError("--latency cannot be negative")
    if synthetic < 0:
        raise UsageError("--synthetic cannot be negative")
    try:
        job_list = emulator.load_jobs(Path(jobs) if jobs else None)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot load --jobs {jobs}: {exc}") from None
    try:
        server = emulator.make_server(
            port=port, jobs=job_list, latency=latency, synthetic_jobs=synthetic
        )
    except OSError as exc:
        import errno

        raise UsageError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
            hint="another program holds that port: pick another, or --port 0 for a free one"
            if exc.errno == errno.EADDRINUSE
            else "--port 0 listens on a free port",
        ) from None
    text = emulator.banner(server)
    if streams.out_is_terminal:
        text = wrapped(text)
    streams.write(text + "\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        streams.message("maxjob: emulator stopped")
    finally:
        server.server_close()
    return 0


def wrapped(text: str, width: int | None = None) -> str:
    """`text` with its long lines wrapped between words to the terminal's width, the rest of
    each indented: for a person at a terminal (in a pipe each line stays whole)."""
    import shutil
    import textwrap

    columns = width or shutil.get_terminal_size().columns
    lines: list[str] = []
    for line in text.split("\n"):
        if len(line) <= columns:
            lines.append(line)
            continue
        lines += textwrap.wrap(
            line,
            width=max(columns, 20),
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(lines)
