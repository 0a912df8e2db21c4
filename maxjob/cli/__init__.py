"""The `maxjob` command line: the only package that imports typer.

app       the Typer app, commands built lazily, errors and exit statuses
params    the parameters, declared once; the connection flags as one value
commands  each command's flags, forwarded to `maxjob.commands.<name>.run`
"""

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def build_app() -> "typer.Typer":
    """The `maxjob` app. Tests invoke it with `obj=Dependencies(...)` to inject fakes."""
    import importlib
    import pkgutil

    from maxjob import exits
    from maxjob.cli import app, commands  # noqa: F401 - registers the commands

    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return app.make_app(
        "Examples:\n"
        "  maxjob demo                        try everything against a built-in emulator\n"
        "  maxjob info $ID                    show a job\n"
        "  maxjob info $ID -o json | jq .status\n"
        "  maxjob wait $ID && echo done\n\n" + exits.help_text()
    )


# Container objects made between two passes of the cyclic garbage collector (Python's default
# is 700): see `_collect_rarely`.
COLLECT_EVERY = 50_000


def main() -> None:
    """The console script's entry point. Ctrl-C while it starts (its imports) is one line and
    130, as later."""
    _collect_rarely()
    try:
        _main()
    except KeyboardInterrupt:
        import sys

        from maxjob.exits import INTERRUPTED_LINE, ExitCode

        sys.stderr.write(INTERRUPTED_LINE + "\n")
        sys.stderr.flush()
        os._exit(ExitCode.INTERRUPTED)


def _collect_rarely() -> None:
    """Pass the cyclic garbage collector over young objects every `COLLECT_EVERY` containers
    made, not every 700. A command is one short process: the objects its imports make live as
    long as it does, and a page of jobs is hundreds of containers freed by reference counting
    once written; the passes over them took 12 ms of `info -o json` (25 ms with a table) and
    about 40 ms of a 100-page listing. Cycles are still collected, just in fewer passes (a long
    `top` or `watch` makes a few thousand containers a refresh)."""
    import gc

    gc.set_threshold(COLLECT_EVERY, *gc.get_threshold()[1:])


def _main() -> None:
    from maxjob.cli import app, commands

    app.check_standard_streams()
    application = build_app()
    if commands.COMPLETE_VAR in os.environ:
        from typer.completion import completion_init  # type: ignore[attr-defined]

        completion_init()
    app.run(application)
