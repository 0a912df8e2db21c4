"""`maxjob history ID`: its flags, forwarded to `maxjob.commands.history.run`."""

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from maxjob.cli import params as p
from maxjob.cli.app import command, dependencies, execute, streams

if TYPE_CHECKING:
    from maxjob.session import ConnectionOptions

HISTORY = "History"
GATE = "CI gate"


class HistoryFormat(enum.StrEnum):
    """The formats of `history` (`maxjob.commands.history.FORMATS`)."""

    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"


class By(enum.StrEnum):
    signature = "signature"
    node = "node"


class Metric(enum.StrEnum):
    wait = "wait"
    run = "run"
    total = "total"
    cu = "cu"


@command(
    epilog=(
        "Examples:\n"
        "  maxjob history $ID\n"
        "  maxjob history $ID --by node --days 30 --runs 30\n"
        "  maxjob wait $ID && maxjob history $ID --fail-over 2   exit 9 if slower\n"
        "  maxjob history $ID -o markdown >> $GITHUB_STEP_SUMMARY\n"
        "  maxjob history $ID -o json | jq .summary.metrics.run.ratio\n"
        "  maxjob history $ID --fail-over 2 --export history.svg   and a picture\n"
        "\n"
        "Only earlier successful runs make the medians; failed and cancelled ones\n"
        "are counted.\n"
        "median: the middle value (the mean of the two middle ones for an even count).\n"
        "p90: nearest rank, the ceil(0.9 x n)-th smallest value (of 10 runs, the 9th).\n"
        "Fewer than 3 earlier successful runs: no verdict, and --fail-over exits 0."
    ),
)
@p.connected
def history(
    ctx: typer.Context,
    instance_id: p.OneId,
    by: Annotated[
        By,
        typer.Option(
            "--by",
            metavar="KEY",
            help="Earlier runs of the same SQL (signature) or scheduler node (node); "
            "a job without a signature falls back to its node.",
            rich_help_panel=HISTORY,
            case_sensitive=False,
        ),
    ] = By.signature,
    all_projects: Annotated[
        bool,
        typer.Option(
            "--all-projects",
            help="Look in every project, not only this job's.",
            rich_help_panel=HISTORY,
        ),
    ] = False,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            metavar="N",
            help="How far back from this run's submission to look.",
            rich_help_panel=HISTORY,
            min=1,
            max=45,
        ),
    ] = 14,
    runs: Annotated[
        int,
        typer.Option(
            "--runs",
            metavar="N",
            help="At most this many earlier runs, newest first.",
            rich_help_panel=HISTORY,
            min=1,
            max=1000,
        ),
    ] = 20,
    fail_over: Annotated[
        float | None,
        typer.Option(
            "--fail-over",
            metavar="RATIO",
            help="Exit 9 when this run's running time (or --metric) is over RATIO x the median "
            "of the earlier successful runs.",
            rich_help_panel=GATE,
            show_default=False,
        ),
    ] = None,
    metric: Annotated[
        Metric,
        typer.Option(
            "--metric",
            metavar="METRIC",
            help="What --fail-over compares: wait, run, total or cu (CU-hours).",
            rich_help_panel=GATE,
            case_sensitive=False,
        ),
    ] = Metric.run,
    output: Annotated[
        HistoryFormat | None,
        p.output_option(HistoryFormat),
    ] = None,
    jq: p.Jq = None,
    utc: p.Utc = False,
    no_color: p.NoColor = False,
    export: p.ExportTable = None,
    width: p.Width = 100,
    connection: "ConnectionOptions" = p.CONNECTED,
) -> None:
    """Earlier runs of the same SQL, and whether this run is normal."""
    from maxjob.commands import history

    options = history.Options(
        ref=instance_id,
        by=str(by.value),
        all_projects=all_projects,
        days=days,
        runs=runs,
        fail_over=fail_over,
        metric=str(metric.value),
        output=None if output is None else str(output.value),
        jq=jq,
        utc=utc,
        export=export,
        width=width,
        connection=connection,
        resume=p.command_line(),
    )
    out = streams(no_color)
    deps = dependencies(ctx)
    execute(out, lambda: history.run(options, out, deps.client_factory or p.open_client))
