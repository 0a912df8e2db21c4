"""The command-line parameters, declared once, and the connection flags packed into one value.

`connected(function)` replaces a command function's `connection` parameter with the connection
flags, and packs them back into one `ConnectionOptions` when the command runs: each command
declares them by name once, and a command receives them as one typed value.
"""

import enum
import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer

from maxjob.protocol import REGIONS

OUTPUT = "Output"
DEFAULT_VIEW = "table on a terminal, else plain"
CONNECTION = "Connection"
WATCHING = "Watching"


def _complete_region(incomplete: str) -> list[str]:
    return [region for region in REGIONS if region.startswith(incomplete)]


def _duration(text: str | float) -> float:
    from maxjob.errors import UsageError
    from maxjob.timespec import parse_duration

    if isinstance(text, int | float):  # a default, already in seconds
        return float(text)
    try:
        return parse_duration(text)
    except UsageError as exc:
        raise typer.BadParameter(exc.message.replace("the duration ", "")) from None


def _request_timeout(text: str | float) -> float:
    seconds = _duration(text)
    if not 0 < seconds <= 3600:
        raise typer.BadParameter(f"{text!r}: must be more than 0 and at most 1h (3600 s)")
    return seconds


# The connection flags: name in `ConnectionOptions`, then its declaration.
CONNECTION_PARAMS: list[tuple[str, Any, Any]] = [
    (
        "region",
        Annotated[
            str | None,
            typer.Option(
                "--region",
                "-r",
                metavar="REGION",
                help="Region id, like cn-hangzhou [env ALIBABA_CLOUD_REGION_ID; "
                "else the profile's].",
                rich_help_panel=CONNECTION,
                autocompletion=_complete_region,
                show_default=False,
            ),
        ],
        None,
    ),
    (
        "endpoint",
        Annotated[
            str | None,
            typer.Option(
                metavar="URL",
                help="API endpoint, host[:port] or URL [env MAXJOB_ENDPOINT; "
                "default https://maxcompute.<region>.aliyuncs.com].",
                rich_help_panel=CONNECTION,
                show_default=False,
            ),
        ],
        None,
    ),
    (
        "vpc",
        Annotated[
            bool,
            typer.Option(
                "--vpc",
                help="Use the region's VPC endpoint instead of the public one.",
                rich_help_panel=CONNECTION,
            ),
        ],
        False,
    ),
    (
        "profile",
        Annotated[
            str | None,
            typer.Option(
                metavar="NAME",
                help="aliyun CLI / credentials profile [env ALIBABA_CLOUD_PROFILE].",
                rich_help_panel=CONNECTION,
                show_default=False,
            ),
        ],
        None,
    ),
    (
        "request_timeout",
        Annotated[
            float | None,
            typer.Option(
                metavar="DURATION",
                help="How long to wait for an answer (connecting: at most 5s).  [default: 10s]",
                rich_help_panel=CONNECTION,
                show_default=False,
                parser=_request_timeout,
            ),
        ],
        None,
    ),
    (
        "max_attempts",
        Annotated[
            int | None,
            typer.Option(
                metavar="N",
                help="Attempts per request; 1 disables retries.  [default: 3]",
                rich_help_panel=CONNECTION,
                show_default=False,
                min=1,
                max=10,
            ),
        ],
        None,
    ),
    (
        "ca_bundle",
        Annotated[
            str | None,
            typer.Option(
                metavar="FILE",
                help="CA certificates (PEM) to trust [env SSL_CERT_FILE, SSL_CERT_DIR].",
                rich_help_panel=CONNECTION,
                show_default=False,
            ),
        ],
        None,
    ),
    (
        "debug",
        Annotated[
            bool,
            typer.Option(
                "--debug",
                help="Request and response metadata on stderr, secrets masked.",
                rich_help_panel=CONNECTION,
            ),
        ],
        False,
    ),
]


# The default of a command's `connection` parameter: `connected` always passes a real value.
CONNECTED: Any = None


def connected(function: Callable[..., None]) -> Callable[..., None]:
    """Expand `function`'s `connection` parameter into the connection flags for typer, and pack
    them back into one `ConnectionOptions` value for the function."""
    signature = inspect.signature(function)
    names = [name for name, _, _ in CONNECTION_PARAMS]
    flags = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind, default=default)
        for name, kind, default in CONNECTION_PARAMS
    ]
    others = [p for p in signature.parameters.values() if p.name != "connection"]
    others = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in others]

    @functools.wraps(function)
    def wrapper(**kwargs: Any) -> None:
        from maxjob.session import ConnectionOptions

        packed = ConnectionOptions(**{name: kwargs.pop(name) for name in names})
        function(connection=packed, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*others, *flags])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{k: v for k, v in function.__annotations__.items() if k != "connection"},
        **{name: kind for name, kind, _ in CONNECTION_PARAMS},
    }
    del wrapper.__wrapped__  # typer must see the new signature, not the original one
    return wrapper


class ViewFormat(enum.StrEnum):
    """The formats of `info` and `watch` (`maxjob.output.formats.JOB_VIEWS`)."""

    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    timeline = "timeline"
    markdown = "markdown"


class WaitFormat(enum.StrEnum):
    """The formats of `wait` (`maxjob.commands.wait.FORMATS`)."""

    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"


def _output_help(accepted: Sequence[str], default: str) -> str:
    return f"{', '.join(accepted[:-1])} or {accepted[-1]} [default: {default}]."


def output_option(accepted: type[enum.StrEnum], default: str = DEFAULT_VIEW) -> Any:
    """The `--output/-o` option of a command whose formats are the members of `accepted`: the
    parser refuses any other."""
    return typer.Option(
        "--output",
        "-o",
        metavar="FORMAT",
        help=_output_help([member.value for member in accepted], default),
        rich_help_panel=OUTPUT,
        show_default=False,
        case_sensitive=False,
    )


def open_client(*args: Any, **kwargs: Any) -> Any:
    """`maxjob.session.open_client`, imported when a command runs, not when its flags are
    declared (the default client factory of every command that calls the API)."""
    from maxjob.session import open_client as open_session

    return open_session(*args, **kwargs)


ViewOutput = Annotated[
    ViewFormat | None,
    output_option(ViewFormat),
]
WaitOutput = Annotated[
    WaitFormat | None,
    output_option(WaitFormat, "plain"),
]


Jq = Annotated[
    str | None,
    typer.Option(
        "--jq",
        metavar="EXPR",
        help="Filter the JSON with a jq program; strings print raw.",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]
Utc = Annotated[
    bool,
    typer.Option(
        "--utc",
        help="Show times in UTC (default: local time on a terminal).",
        rich_help_panel=OUTPUT,
    ),
]
NoColor = Annotated[
    bool,
    typer.Option(
        "--no-color",
        help="No colour (also NO_COLOR; FORCE_COLOR forces it).",
        rich_help_panel=OUTPUT,
    ),
]
Concurrency = Annotated[
    int,
    typer.Option(
        help="Jobs requested at once, over one connection pool.",
        rich_help_panel=CONNECTION,
        min=1,
        max=64,
        metavar="N",
    ),
]
Interval = Annotated[
    float,
    typer.Option(
        help="Time between polls, with jitter (seconds or 30s, 2m).  [default: 5s]",
        rich_help_panel=WATCHING,
        metavar="DURATION",
        parser=_duration,
        show_default=False,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        help="Give up after this long (exit 124); 0 checks once.  [default: 1h]",
        metavar="DURATION",
        rich_help_panel=WATCHING,
        parser=_duration,
        show_default=False,
    ),
]
Ids = Annotated[
    list[str],
    typer.Argument(
        metavar="ID...",
        help="Instance ids or Logview links; - reads them from stdin, one a line.",
        show_default=False,
    ),
]
OneId = Annotated[
    str,
    typer.Argument(metavar="ID", help="Instance id or Logview link.", show_default=False),
]


def command_line() -> tuple[str, ...]:
    """The words of this invocation, as the user typed them after `maxjob`."""
    return ("maxjob", *sys.argv[1:])


# `maxjob kill`.
class KillFormat(enum.StrEnum):
    """The formats of `kill` (`maxjob.commands.kill.FORMATS`)."""

    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"


KillOutput = Annotated[
    KillFormat | None,
    output_option(KillFormat),
]
WaitTimeout = Annotated[
    float,
    typer.Option(
        "--wait-timeout",
        help="How long to follow the killed jobs; exit 8 if one still runs (0 checks once).  "
        "[default: 60s]",
        metavar="DURATION",
        rich_help_panel=WATCHING,
        parser=_duration,
        show_default=False,
    ),
]


# `--export`, `--width` (`info`, `watch`; `list`, `history`, `why` with `ExportTable`) and
# `--junit` (`wait`).
Export = Annotated[
    str | None,
    typer.Option(
        "--export",
        metavar="FILE",
        help="Also save the view (table, or timeline with -o timeline) as FILE.svg or FILE.html.",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]
ExportTable = Annotated[
    str | None,
    typer.Option(
        "--export",
        metavar="FILE",
        help="Also save the table view as FILE.svg or FILE.html.",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]
Width = Annotated[
    int,
    typer.Option(
        "--width",
        metavar="N",
        help="Columns of the --export picture.",
        rich_help_panel=OUTPUT,
        min=40,
        max=400,
    ),
]
Junit = Annotated[
    str | None,
    typer.Option(
        "--junit",
        metavar="FILE",
        help="Write a JUnit XML report, one test case per job (even on timeout or Ctrl-C).",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]
