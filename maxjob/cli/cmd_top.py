"""`maxjob top`: its flags, forwarded to `maxjob.commands.top.run`."""

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from maxjob.cli import params as p
from maxjob.cli.app import command, dependencies, execute, streams

if TYPE_CHECKING:
    from maxjob.session import ConnectionOptions


class TopFormat(enum.StrEnum):
    """The formats of `top` (`maxjob.commands.top.accepted_formats`)."""

    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"


TopOutput = Annotated[
    TopFormat | None,
    p.output_option(TopFormat),
]


def _complete_sort(incomplete: str) -> list[str]:
    return [key for key in ("cpu", "wait", "priority") if key.startswith(incomplete)]


@command(
    epilog=(
        "Examples:\n"
        "  maxjob top --quota os_bigdata      live; c/w/p sort, r refreshes, q quits\n"
        "  maxjob top --job $ID               the quota that job runs on\n"
        "  maxjob top --quota os_bigdata --once -o json |\n"
        "    jq '.[] | select(.runningTime == null)'       the queued jobs\n"
        "  maxjob top --quota os_bigdata -o csv > quota.csv\n"
        "\n"
        "Needs odps:ListJobSnapshotInfos (else GetRunningJobs, with fewer columns),\n"
        "and for the capacity odps:ListQuotas and odps:QueryQuota."
    ),
)
@p.connected
def top(
    ctx: typer.Context,
    quota: Annotated[
        str | None,
        typer.Option(
            "--quota",
            metavar="NICK",
            help="The quota to show (a level-2 nickname, as jobs name it).",
            show_default=False,
        ),
    ] = None,
    job: Annotated[
        str | None,
        typer.Option(
            "--job",
            metavar="ID",
            help="Show the quota of this job (instance id or Logview link).",
            show_default=False,
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Print one snapshot and exit (what a pipe gets).",
            rich_help_panel=p.WATCHING,
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            help="Time between refreshes, with jitter (at least 1s).  [default: 30s]",
            rich_help_panel=p.WATCHING,
            metavar="DURATION",
            parser=p._duration,
            show_default=False,
        ),
    ] = 30.0,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            metavar="KEY",
            help="Order of the rows: cpu, wait or priority (keys c, w, p on a terminal).",
            rich_help_panel=p.OUTPUT,
            autocompletion=_complete_sort,
        ),
    ] = "cpu",
    output: TopOutput = None,
    jq: p.Jq = None,
    utc: p.Utc = False,
    no_color: p.NoColor = False,
    connection: "ConnectionOptions" = p.CONNECTED,
) -> None:
    """What is running and queued on a quota now, against its capacity."""
    from maxjob.commands import top

    options = top.Options(
        quota=quota,
        job=job,
        once=once,
        interval=interval,
        sort=sort.strip().lower(),
        output=None if output is None else str(output.value),
        jq=jq,
        utc=utc,
        connection=connection,
    )
    out = streams(no_color)
    deps = dependencies(ctx)
    execute(
        out, lambda: top.run(options, out, deps.client_factory or p.open_client, stdin=deps.stdin)
    )
