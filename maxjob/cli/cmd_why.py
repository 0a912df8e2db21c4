"""`maxjob why ID`: its flags, forwarded to `maxjob.commands.why.run`."""

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from maxjob.cli import params as p
from maxjob.cli.app import command, dependencies, execute, streams

if TYPE_CHECKING:
    from maxjob.session import ConnectionOptions


class WhyFormat(enum.StrEnum):
    """The formats of `why` (`maxjob.commands.why.accepted_formats`)."""

    table = "table"
    plain = "plain"
    json = "json"
    markdown = "markdown"


WhyOutput = Annotated[
    WhyFormat | None,
    p.output_option(WhyFormat),
]


@command(
    epilog=(
        "Examples:\n"
        "  maxjob why 20230410071055424gqt9ulc2yuo\n"
        "  maxjob why $ID -o json | jq -r '.reasons[].text'\n"
        "  maxjob why $ID --jq '.ahead | length'\n"
        "  maxjob why $ID -o json --export why.html > why.json\n"
        "\n"
        "Reads GetJobInfo; for a job waiting for resources also ListJobSnapshotInfos\n"
        "(else GetRunningJobs), ListQuotas and QueryQuota; for a finished job\n"
        "ListJobInfos."
    ),
)
@p.connected
def why(
    ctx: typer.Context,
    instance_id: p.OneId,
    output: WhyOutput = None,
    jq: p.Jq = None,
    utc: p.Utc = False,
    no_color: p.NoColor = False,
    export: p.ExportTable = None,
    width: p.Width = 100,
    connection: "ConnectionOptions" = p.CONNECTED,
) -> None:
    """Where a job is and why it waits, or how it ended, with the evidence."""
    from maxjob.commands import why

    options = why.Options(
        ref=instance_id,
        output=None if output is None else str(output.value),
        jq=jq,
        utc=utc,
        export=export,
        width=width,
        connection=connection,
    )
    out = streams(no_color)
    deps = dependencies(ctx)
    execute(out, lambda: why.run(options, out, deps.client_factory or p.open_client))
