"""The Typer app: commands registered by name, built only when invoked, and run under one rule
for errors and exit statuses.

Only the `cli` package imports typer. Help is plain text (rich help would import rich's tables on
every --help), with options grouped by panel and the epilog's examples kept line by line.
"""

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

from maxjob import __version__
from maxjob.errors import MaxjobError

if TYPE_CHECKING:
    from maxjob.output.streams import Streams


class _Help:
    def format_options(self: Any, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        groups: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append(record)
            else:
                panel = getattr(param, "rich_help_panel", None) or "Options"
                groups.setdefault(panel, []).append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        for title, rows in groups.items():
            with formatter.section(f"{title} options" if title != "Options" else title):
                formatter.write_dl(rows)
        if isinstance(self, Group):
            self.format_commands(ctx, formatter)

    def format_epilog(self: Any, ctx: Any, formatter: Any) -> None:
        if self.epilog:
            from maxjob.cli.epilog import fit

            formatter.write_paragraph()
            for line in fit(self.epilog, formatter.width):
                formatter.write(f"{line}\n" if line else "\n")


class Command(_Help, TyperCommand):
    pass


# The commands, built into click commands only when invoked (or listed): typer would otherwise
# inspect every signature of every command on every call, `--version` included.
COMMANDS: dict[str, tuple[Callable[..., None], dict[str, Any]]] = {}
# The order of `maxjob --help`; a command not named here comes after these.
ORDER: list[str] = [
    "info",
    "list",
    "history",
    "top",
    "why",
    "watch",
    "wait",
    "kill",
    "demo",
    "emulator",
    "completion",
]
ALIASES: dict[str, str] = {}
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def command(
    *, aliases: tuple[str, ...] = (), **settings: Any
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command function (its name is the command's) to be built when invoked."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        name = settings.pop("name", function.__name__)
        COMMANDS[name] = (function, settings)
        if name not in ORDER:
            ORDER.append(name)
        for alias in aliases:
            ALIASES[alias] = name
        return function

    return register


class Group(_Help, TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        return [name for name in ORDER if name in COMMANDS]

    def get_command(self, ctx: Any, name: str) -> Any:
        name = ALIASES.get(name, name)
        if name not in COMMANDS:
            return None
        function, settings = COMMANDS[name]
        single = typer.Typer(
            add_completion=False,
            rich_markup_mode=None,
            pretty_exceptions_enable=False,
            context_settings=CONTEXT,
        )
        single.command(name=name, cls=Command, **settings)(function)
        return typer.main.get_command(single)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [
            (", ".join([name, *(a for a, n in ALIASES.items() if n == name)]), _summary(function))
            for name in self.list_commands(ctx)
            for function in (COMMANDS[name][0],)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _summary(function: Callable[..., None]) -> str:
    return (function.__doc__ or "").strip().splitlines()[0]


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"maxjob {__version__}\n")
        raise typer.Exit(0)


def make_app(epilog: str) -> typer.Typer:
    app = typer.Typer(
        name="maxjob",
        cls=Group,
        help="See what a MaxCompute job is doing, why it waits, what it cost and how it ended.",
        epilog=epilog,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        no_args_is_help=True,
        context_settings=CONTEXT,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ) -> None:
        """See what a MaxCompute job is doing, why it waits, what it cost and how it ended."""

    return app


class Dependencies(NamedTuple):
    """What a command's `run` gets besides its options; tests pass fakes as the context's `obj`
    (`CliRunner().invoke(app, args, obj=Dependencies(client_factory=...))`)."""

    client_factory: Any = None
    stdin: Any = None


def dependencies(ctx: typer.Context) -> Dependencies:
    obj = ctx.find_object(Dependencies)
    return obj if obj is not None else Dependencies()


def streams(no_color: bool = False) -> "Streams":
    from maxjob.output.streams import Streams

    return Streams(no_color=no_color)


def execute(out: "Streams", work: Callable[[], int]) -> NoReturn:
    """Run a command's work; turn its outcome (or error) into the exit status. Never a
    traceback; an interrupt ends at once, even with requests in flight on other threads."""
    from maxjob.exits import ExitCode

    try:
        code = work()
    except MaxjobError as exc:
        out.error(exc)
        code = exc.exit_code
    except (KeyboardInterrupt, Exception) as exc:  # the last line of defence: no traceback
        lines, code = fallen(exc)
        for line in lines:
            out.message(line)
    if code == ExitCode.INTERRUPTED:  # said, by `fallen` or by the command (its resume hint)
        global _interrupted
        _interrupted = True
    # `run` then ends the process at once (`end`): requests still in flight on other threads
    # (after an interrupt, or an error on one page of many) are not waited for.
    raise typer.Exit(int(code))


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def check_standard_streams() -> None:
    """Started with stdin, stdout or stderr closed (`>&-`): /dev/null takes the closed one's
    place, so that no socket opened later can (a write meant for stdout must never reach a
    connection); with stdout closed, nothing is done, as nothing could be shown (exit 2)."""
    closed = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
    for fd in closed:
        null = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    if 1 in closed:
        if 2 not in closed:
            sys.stderr = sys.stderr or open(2, "w", closefd=False)  # noqa: SIM115
            sys.stderr.write(
                "maxjob: error: standard output is closed, so nothing could be shown; "
                "nothing was done\nmaxjob: hint: to discard the output, send it to /dev/null "
                "(>/dev/null) instead of closing it (>&-)\n"
            )
            sys.stderr.flush()
        sys.exit(2)
    if 2 in closed:
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    if 0 in closed:
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
    _whole_writes()


def _whole_writes() -> None:
    """Under PYTHONUNBUFFERED (or `python -u`) stdout writes straight to the file, and a write
    into a pipe that is cut short (its reader leaving) loses the rest without an error, so
    `| head` could end 0 instead of 141. A buffered writer writes all or raises; maxjob flushes
    after every write anyway."""
    import io

    out = sys.stdout
    raw = getattr(out, "buffer", None)
    if isinstance(out, io.TextIOWrapper) and isinstance(raw, io.RawIOBase):
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(raw),
            encoding=out.encoding,
            errors=out.errors,
            line_buffering=out.line_buffering,
        )


def run(app: typer.Typer) -> NoReturn:
    """Run the app: usage errors as one line (plus a pointer to --help), exit status out."""
    from maxjob import shutdown
    from maxjob.exits import INTERRUPTED_LINE, ExitCode

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), shutdown.terminate)
    try:
        # Not standalone: typer returns the exit status instead of exiting, and lets usage
        # errors through for `_usage_error` to word.
        code = app(standalone_mode=False)
    except typer.Exit as done:
        code = done.exit_code
    except SystemExit as done:  # SIGTERM or SIGHUP (`shutdown.terminate`): end at once
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except typer.Abort:
        sys.stderr.write("maxjob: aborted\n")
        code = 1
    except (KeyboardInterrupt, Exception) as exc:
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            code = _usage_error(exc)
        else:  # outside any command (its flags, typer itself): the same last line of defence
            lines, code = fallen(exc)
            sys.stderr.write("".join(line + "\n" for line in lines))
    code = code if isinstance(code, int) else 0
    if code == ExitCode.INTERRUPTED and not _interrupted:
        # Typer's own word for a Ctrl-C outside a command's work (during its imports): 130,
        # silently.
        sys.stderr.write(INTERRUPTED_LINE + "\n")
    end(code)


# Whether a command ended interrupted, and said so (`execute`).
_interrupted = False


def fallen(exc: BaseException) -> tuple[tuple[str, ...], int]:
    """What an exception no command handled says on stderr, and its exit status: a closed
    stdout 141 (silently), Ctrl-C 130, a full disk under stdout 1, anything else a bug (1)."""
    from maxjob.exits import INTERRUPTED_LINE, ExitCode

    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return (), ExitCode.BROKEN_PIPE
    if isinstance(exc, KeyboardInterrupt):
        return (INTERRUPTED_LINE,), ExitCode.INTERRUPTED
    if isinstance(exc, OSError) and _is_write(exc):  # the system's refusal, not a bug
        if not exc.filename:  # stdout: what is still buffered for it is dropped, said once
            _silence_stdout()
        return (f"maxjob: error: {_system_error(exc)}",), ExitCode.ERROR
    return (
        f"maxjob: error: unexpected {type(exc).__name__}: {exc}",
        "maxjob: hint: this is a bug in maxjob; please report it with this line",
    ), ExitCode.ERROR


def end(code: int) -> NoReturn:
    """End the process with `code` once stdout and stderr are flushed, without the interpreter's
    teardown: freeing every module and object one by one costs about 60 ms (a fifth of a short
    command) and the system frees it all at once. What must be undone is undone before this
    (each command's `finally`); worker threads still waiting on the network are not waited for.
    A stdout whose reader has gone is exit 141, as a write to it would have been."""
    from maxjob.exits import ExitCode

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            if stream is sys.stdout and code == 0:
                code = ExitCode.BROKEN_PIPE
        except OSError as exc:  # a full disk: what was written is lost, and that is said
            if stream is sys.stdout:
                with contextlib.suppress(OSError, ValueError):
                    sys.stderr.write(f"maxjob: error: {_system_error(exc)}\n")
                    sys.stderr.flush()
                code = code or ExitCode.ERROR
        except ValueError:  # closed
            pass
    os._exit(code)


def _system_error(exc: OSError) -> str:
    """A failed write in words: `cannot write standard output: No space left on device` (a
    write without a file name is stdout's: maxjob's files name theirs in their own errors)."""
    what = exc.filename or "standard output"
    return f"cannot write {what}: {exc.strerror or exc}"


def _is_write(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)


def _usage_error(exc: Any) -> int:
    """Click's usage error (four lines) as maxjob's one line, with a close match where one helps."""
    from maxjob.render.sanitize import sanitize

    if type(exc).__name__ == "NoArgsIsHelpError":
        # `maxjob` alone: the help, as `gh` and `kubectl` give it (on stdout, exit 0).
        sys.stdout.write(str(exc.format_message()).rstrip("\n") + "\n")
        return 0
    message = str(exc.format_message()).strip().splitlines()[0] if exc.format_message() else ""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "maxjob"
    message = message[0].lower() + message[1:] if message[:1].isupper() else message
    if "--json" in message:
        message = message.split(" (Possible options", 1)[0]
    message = message.rstrip(".")
    # Click's words for a type ("'abc' is not a valid int range") in a user's.
    for library, ours in _TYPE_WORDS:
        message = message.replace(library, ours)
    message = _range_words(message)
    hint = _usage_hint(message)
    sys.stderr.write(f"maxjob: error: {sanitize(message)}\n")
    sys.stderr.write(f"maxjob: hint: {hint or f'see {where} --help'}\n")
    return int(getattr(exc, "exit_code", 2) or 2)


_TYPE_WORDS = (
    (" is not a valid int range", " is not a whole number"),
    (" is not a valid integer range", " is not a whole number"),
    (" is not a valid integer", " is not a whole number"),
    (" is not a valid int", " is not a whole number"),
    (" is not a valid float range", " is not a number in range"),
    (" is not a valid float", " is not a number"),
)


def _range_words(message: str) -> str:
    """Click's "-5 is not in the range x>=0" as "-5 is out of range: give 0 or more"."""
    import re

    found = re.search(r"(\S+) is not in the range (\S+)$", message)
    if found is None:
        return message
    bounds = found.group(2)
    between = re.fullmatch(r"(-?[\d.]+)<=x<=(-?[\d.]+)", bounds)
    low = re.fullmatch(r"x>=(-?[\d.]+)", bounds)
    high = re.fullmatch(r"x<=(-?[\d.]+)", bounds)
    if between:
        wanted = f"from {between.group(1)} to {between.group(2)}"
    elif low:
        wanted = f"{low.group(1)} or more"
    elif high:
        wanted = f"at most {high.group(1)}"
    else:
        return message
    return f"{message[: found.start()]}{found.group(1)} is out of range: give {wanted}"


def _usage_hint(message: str) -> str | None:
    import difflib
    import re

    if "--json" in message:
        return "for JSON output use -o json (and --jq EXPR to filter it)"
    unknown = re.search(r"no such command '([^']*)'", message, re.IGNORECASE)
    if unknown:
        close = difflib.get_close_matches(unknown.group(1), [*COMMANDS, *ALIASES])
        if close:
            return f"did you mean {close[0]!r}?"
    return None
