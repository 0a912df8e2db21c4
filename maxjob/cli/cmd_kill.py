"""`maxjob kill ID...`: its flags, forwarded to `maxjob.commands.kill.run`."""

from typing import TYPE_CHECKING, Annotated

import typer

from maxjob.cli import params as p
from maxjob.cli.app import command, dependencies, execute, streams

if TYPE_CHECKING:
    from maxjob.session import ConnectionOptions


@command(
    epilog=(
        "Examples:\n"
        "  maxjob kill 20230410071055424gqt9ulc2yuo          asks first on a terminal\n"
        "  maxjob kill $ID1 $ID2 --dry-run                   the requests, none sent\n"
        "  maxjob kill $ID --yes --wait-timeout 2m           in a script\n"
        "  maxjob kill - --yes -o jsonl < ids.txt\n"
        "\n"
        "RAM cannot limit odps:KillJobs to a project: check the project and owner\n"
        "of each job."
    ),
)
@p.connected
def kill(
    ctx: typer.Context,
    ids: p.Ids,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            "-y",
            help="Kill without asking (required without a terminal).",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Read the jobs and print the KillJobs requests; send none.",
        ),
    ] = False,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="Return once each kill is accepted, without following the jobs.",
            rich_help_panel=p.WATCHING,
        ),
    ] = False,
    wait_timeout: p.WaitTimeout = 60.0,
    output: p.KillOutput = None,
    jq: p.Jq = None,
    no_color: p.NoColor = False,
    concurrency: p.Concurrency = 8,
    connection: "ConnectionOptions" = p.CONNECTED,
) -> None:
    """Stop jobs: read each first, confirm, kill once, follow them to their end."""
    from maxjob.commands import kill

    options = kill.Options(
        refs=tuple(ids),
        yes=yes,
        dry_run=dry_run,
        wait=not no_wait,
        wait_timeout=wait_timeout,
        output=None if output is None else str(output.value),
        jq=jq,
        concurrency=concurrency,
        connection=connection,
    )
    out = streams(no_color)
    deps = dependencies(ctx)
    execute(out, lambda: kill.run(options, out, deps.client_factory or p.open_client, deps.stdin))
