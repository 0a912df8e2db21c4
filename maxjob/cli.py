"""The `maxjob` command line: flags in, one run function per command, exit status out.

Only this module imports typer. Each command turns its flags into an options object and calls one
function that does the work; a `MaxjobError` becomes one stderr line (plus a hint) and its exit
status. Nothing here is imported by the rest of the package.
"""

import enum
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer._click.exceptions import UsageError as ClickUsageError
from typer.core import TyperCommand, TyperGroup

from maxjob import __version__
from maxjob.errors import MaxjobError
from maxjob.protocol import REGIONS

if TYPE_CHECKING:
    from maxjob.output import Streams
    from maxjob.session import ConnectionOptions

OUTPUT = "Output"
CONNECTION = "Connection"
WATCHING = "Watching"

EXIT_STATUSES = """\
Exit status:
  0    success; for watch/wait, the job(s) succeeded
  1    unexpected error, unreadable response
  2    usage error (bad flag, missing region, bad input)
  3    job failed (watch, wait, info --exit-status)
  4    credentials missing or rejected, permission denied, clock skew
  5    job not found
  6    network or service unavailable after retries
  7    job cancelled
  8    job still running (info --exit-status)
  124  watch/wait reached --timeout
  130  interrupted (Ctrl-C)"""


class _Help:
    """Plain-text help (rich help would import rich's tables on every --help), with options
    grouped by panel and the epilog's examples kept line by line."""

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
                groups.setdefault(getattr(param, "rich_help_panel", None) or "Options", []).append(
                    record
                )
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
            formatter.write_paragraph()
            for line in self.epilog.splitlines():
                formatter.write(f"{line}\n" if line else "\n")


class Command(_Help, TyperCommand):
    pass


# The commands, built into click commands only when invoked (or listed): typer would otherwise
# inspect every signature of every command on every call, `--version` included.
COMMANDS: dict[str, tuple[Callable[..., None], dict[str, Any]]] = {}
ORDER = ("info", "watch", "wait", "demo", "emulator", "completion")


def command(**settings: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command function to be built lazily by `Group.get_command`."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        COMMANDS[function.__name__] = (function, settings)
        return function

    return register


class Group(_Help, TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(COMMANDS, key=lambda name: (*ORDER, name).index(name))

    def get_command(self, ctx: Any, name: str) -> Any:
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

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except ClickUsageError as error:
            import difflib

            close = difflib.get_close_matches(args[0], list(COMMANDS)) if args else []
            if close and "Did you mean" not in error.message:
                error.message = f"{error.message.rstrip('.')}. Did you mean {close[0]!r}?"
            raise

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, _summary(COMMANDS[name][0])) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _summary(function: Callable[..., None]) -> str:
    return (function.__doc__ or "").strip().splitlines()[0]


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


app = typer.Typer(
    name="maxjob",
    cls=Group,
    help="See what a MaxCompute job is doing, why it waits, what it cost and how it ended.",
    epilog=(
        "Examples:\n"
        "  maxjob demo                        try everything against a built-in emulator\n"
        "  maxjob info $ID                    show a job\n"
        "  maxjob info $ID -o json | jq .status\n"
        "  maxjob wait $ID && echo done\n\n" + EXIT_STATUSES
    ),
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    context_settings=CONTEXT,
)


class OutputFormat(enum.StrEnum):
    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    timeline = "timeline"


def _complete_region(incomplete: str) -> list[str]:
    return [region for region in REGIONS if region.startswith(incomplete)]


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"maxjob {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """See what a MaxCompute job is doing, why it waits, what it cost and how it ended."""


# Options shared by the commands that call the API.
Region = Annotated[
    str | None,
    typer.Option(
        "--region",
        "-r",
        metavar="REGION",
        help="Region id, like cn-hangzhou [env ALIBABA_CLOUD_REGION_ID; else the profile's].",
        rich_help_panel=CONNECTION,
        autocompletion=_complete_region,
        show_default=False,
    ),
]
Endpoint = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help="API endpoint, host[:port] or URL [env MAXJOB_ENDPOINT; "
        "default https://maxcompute.<region>.aliyuncs.com].",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
Vpc = Annotated[
    bool,
    typer.Option(
        "--vpc",
        help="Use the region's VPC endpoint instead of the public one.",
        rich_help_panel=CONNECTION,
    ),
]
Profile = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help="aliyun CLI / credentials profile [env ALIBABA_CLOUD_PROFILE].",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
RequestTimeout = Annotated[
    float | None,
    typer.Option(
        metavar="SECONDS",
        help="Seconds to wait for an answer (connecting: at most 5).  [default: 10]",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
MaxAttempts = Annotated[
    int | None,
    typer.Option(
        metavar="N",
        help="Attempts per request; 1 disables retries.  [default: 3]",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
CaBundle = Annotated[
    str | None,
    typer.Option(
        metavar="FILE",
        help="CA certificates (PEM) to trust [env SSL_CERT_FILE, SSL_CERT_DIR].",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
Debug = Annotated[
    bool,
    typer.Option(
        "--debug",
        help="Request and response metadata on stderr, secrets masked.",
        rich_help_panel=CONNECTION,
    ),
]
Output = Annotated[
    OutputFormat | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FORMAT",
        help="table, plain, json, jsonl or timeline [default: table on a terminal, else plain].",
        rich_help_panel=OUTPUT,
        show_default=False,
        case_sensitive=False,
    ),
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
NoColor = Annotated[
    bool,
    typer.Option(
        "--no-color",
        help="No colour (also NO_COLOR; FORCE_COLOR forces it).",
        rich_help_panel=OUTPUT,
    ),
]


def _streams(no_color: bool = False) -> "Streams":
    from maxjob.output import Streams

    return Streams(no_color=no_color)


def _connection(*args: Any) -> "ConnectionOptions":
    from maxjob.session import ConnectionOptions

    return ConnectionOptions(*args)


def _execute(streams: "Streams", work: Callable[[], int]) -> NoReturn:
    """Run a command's work; turn its outcome into the exit status."""
    try:
        code = work()
    except MaxjobError as exc:
        streams.error(exc)
        code = exc.exit_code
    except BrokenPipeError:
        _silence_stdout()
        code = 141
    except KeyboardInterrupt:
        streams.message("maxjob: interrupted")
        code = 130
    except Exception as exc:  # the last line of defence: never a traceback
        streams.message(f"maxjob: error: unexpected {type(exc).__name__}: {exc}")
        streams.message("maxjob: hint: this is a bug in maxjob; please report it with this line")
        code = 1
    raise typer.Exit(code)


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


@command(
    epilog=(
        "Examples:\n"
        "  maxjob info 20230410071055424gqt9ulc2yuo\n"
        "  maxjob info $ID -o json | jq .status\n"
        "  maxjob info $ID --jq '.jobSubStatusList[-1].description'\n"
        "  cat ids.txt | maxjob info - -o jsonl --concurrency 16\n"
        "  maxjob info 'https://logview.aliyun.com/logview/?h=...&i=...'"
    ),
)
def info(
    ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID...",
            help="Instance ids or Logview links; - reads them from stdin, one a line.",
            show_default=False,
        ),
    ],
    output: Output = None,
    jq: Jq = None,
    utc: Utc = False,
    no_color: NoColor = False,
    exit_status: Annotated[
        bool,
        typer.Option(
            "--exit-status",
            help="Exit 3 if a job failed, 7 if cancelled, 8 if still running.",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    concurrency: Concurrency = 8,
    region: Region = None,
    endpoint: Endpoint = None,
    vpc: Vpc = False,
    profile: Profile = None,
    request_timeout: RequestTimeout = None,
    max_attempts: MaxAttempts = None,
    ca_bundle: CaBundle = None,
    debug: Debug = False,
) -> None:
    """Fetch and show one or more jobs."""
    from maxjob.info import InfoOptions, run_info

    streams = _streams(no_color)
    options = InfoOptions(
        refs=tuple(ids),
        output=output.value if output else None,
        jq=jq,
        utc=utc,
        exit_status=exit_status,
        concurrency=concurrency,
        connection=_connection(
            region, endpoint, vpc, profile, request_timeout, max_attempts, debug, ca_bundle
        ),
    )
    _execute(streams, lambda: run_info(options, streams))


@command(
    epilog=(
        "Examples:\n"
        "  maxjob emulator                    serve on 127.0.0.1:8765\n"
        "  maxjob emulator --port 0 --jobs my-jobs.json"
    ),
)
def emulator(
    port: Annotated[
        int, typer.Option(help="Port on 127.0.0.1; 0 picks a free one.", metavar="PORT")
    ] = 8765,
    jobs: Annotated[
        str | None,
        typer.Option(
            help="JSON file of extra jobs (see the README).", show_default=False, metavar="FILE"
        ),
    ] = None,
    latency: Annotated[
        float,
        typer.Option(help="Seconds added to every answer (for benchmarks).", metavar="SECONDS"),
    ] = 0.0,
) -> None:
    """Serve a local MaxCompute OpenAPI emulator (no account needed)."""
    from maxjob.emulator_main import run_emulator

    streams = _streams()
    _execute(streams, lambda: run_emulator(port=port, jobs=jobs, latency=latency, streams=streams))


Interval = Annotated[
    float,
    typer.Option(
        help="Seconds between polls (with jitter).",
        rich_help_panel=WATCHING,
        min=0.05,
        metavar="SECONDS",
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        help="Give up after this many seconds (exit 124); 0 checks once.",
        metavar="SECONDS",
        rich_help_panel=WATCHING,
        min=0,
    ),
]


@command(
    epilog=(
        "Examples:\n"
        "  maxjob watch $ID\n"
        "  maxjob watch $ID --interval 10 --timeout 7200 && echo succeeded\n"
        "  maxjob watch $ID -o jsonl | jq -r .status"
    ),
)
def watch(
    instance_id: Annotated[
        str,
        typer.Argument(metavar="ID", help="Instance id or Logview link.", show_default=False),
    ],
    output: Output = None,
    jq: Jq = None,
    utc: Utc = False,
    no_color: NoColor = False,
    interval: Interval = 5,
    timeout: Timeout = 3600,
    region: Region = None,
    endpoint: Endpoint = None,
    vpc: Vpc = False,
    profile: Profile = None,
    request_timeout: RequestTimeout = None,
    max_attempts: MaxAttempts = None,
    ca_bundle: CaBundle = None,
    debug: Debug = False,
) -> None:
    """Follow one job until it finishes; the exit status is its outcome."""
    from maxjob.follow import FollowOptions, run_watch

    streams = _streams(no_color)
    options = FollowOptions(
        refs=(instance_id,),
        output=output.value if output else None,
        jq=jq,
        utc=utc,
        interval=interval,
        timeout=timeout,
        connection=_connection(
            region, endpoint, vpc, profile, request_timeout, max_attempts, debug, ca_bundle
        ),
    )
    _execute(streams, lambda: run_watch(options, streams))


@command(
    epilog=(
        "Examples:\n"
        "  maxjob wait $ID && echo done\n"
        "  maxjob wait $ID1 $ID2 $ID3 --fail-fast\n"
        "  maxjob info - < ids.txt; maxjob wait - < ids.txt -o jsonl"
    ),
)
def wait(
    ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID...",
            help="Instance ids or Logview links; - reads them from stdin, one a line.",
            show_default=False,
        ),
    ],
    any_job: Annotated[
        bool,
        typer.Option("--any", help="Return when the first job finishes.", rich_help_panel=WATCHING),
    ] = False,
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast",
            help="Return at the first job that fails, is cancelled or cannot be read.",
            rich_help_panel=WATCHING,
        ),
    ] = False,
    interval: Interval = 5,
    timeout: Timeout = 3600,
    output: Annotated[
        OutputFormat | None,
        typer.Option(
            "--output",
            "-o",
            help="plain (a line per job), json or jsonl.  [default: plain]",
            metavar="FORMAT",
            rich_help_panel=OUTPUT,
            show_default=False,
            case_sensitive=False,
        ),
    ] = None,
    jq: Jq = None,
    no_color: NoColor = False,
    concurrency: Concurrency = 8,
    region: Region = None,
    endpoint: Endpoint = None,
    vpc: Vpc = False,
    profile: Profile = None,
    request_timeout: RequestTimeout = None,
    max_attempts: MaxAttempts = None,
    ca_bundle: CaBundle = None,
    debug: Debug = False,
) -> None:
    """Block until every job finishes (no view); the exit status is the worst outcome."""
    from maxjob.follow import FollowOptions, run_wait

    streams = _streams(no_color)
    options = FollowOptions(
        refs=tuple(ids),
        output=output.value if output else None,
        jq=jq,
        interval=interval,
        timeout=timeout,
        any=any_job,
        fail_fast=fail_fast,
        concurrency=concurrency,
        connection=_connection(
            region, endpoint, vpc, profile, request_timeout, max_attempts, debug, ca_bundle
        ),
    )
    _execute(streams, lambda: run_wait(options, streams))


@command(epilog="Example:\n  maxjob demo")
def demo(no_color: NoColor = False) -> None:
    """Watch a scripted job on a built-in emulator, then show it: no account needed."""
    from maxjob.demo import run_demo

    streams = _streams(no_color)
    _execute(streams, lambda: run_demo(streams))


SHELLS = ("bash", "zsh", "fish", "powershell")
COMPLETE_VAR = "_MAXJOB_COMPLETE"


def _complete_shell(incomplete: str) -> list[str]:
    return [shell for shell in SHELLS if shell.startswith(incomplete)]


@command(
    epilog=(
        "Install:\n"
        "  bash        maxjob completion bash > ~/.local/share/bash-completion/completions/maxjob\n"
        '  zsh         maxjob completion zsh > "${fpath[1]}/_maxjob"\n'
        "  fish        maxjob completion fish > ~/.config/fish/completions/maxjob.fish\n"
        "  powershell  maxjob completion powershell >> $PROFILE"
    ),
)
def completion(
    shell: Annotated[
        str,
        typer.Argument(
            metavar="SHELL",
            help="bash, zsh, fish or powershell.",
            autocompletion=_complete_shell,
            show_default=False,
        ),
    ],
) -> None:
    """Print the shell completion script (the files in completions/ are exactly these)."""
    streams = _streams()

    def work() -> int:
        if shell not in SHELLS:
            from maxjob.errors import UsageError

            raise UsageError(f"unknown shell {shell!r}: choose one of {', '.join(SHELLS)}")
        from typer._completion_shared import get_completion_script

        _init_completion()
        script = get_completion_script(prog_name="maxjob", complete_var=COMPLETE_VAR, shell=shell)
        streams.write(script + "\n")
        return 0

    _execute(streams, work)


def _init_completion() -> None:
    from typer._completion_classes import completion_init

    completion_init()


def main() -> None:
    """The console script's entry point."""
    import os

    if COMPLETE_VAR in os.environ:
        _init_completion()
    app()
