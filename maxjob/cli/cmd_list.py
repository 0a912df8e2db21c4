"""`maxjob list` (alias `ls`): its flags, forwarded to `maxjob.commands.list.run`."""

import builtins
import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from maxjob.cli import params as p
from maxjob.cli.app import command, dependencies, execute, streams
from maxjob.protocol import LIST_SORT_FIELDS, LIST_STATUSES

if TYPE_CHECKING:
    from maxjob.session import ConnectionOptions

FILTER = "Filter"
WHEN = (
    "a duration back from now (90s, 30m, 2h, 7d), an RFC 3339 time, or a YYYY-MM-DD date; "
    "without an offset, in the local time zone (TZ)"
)


class ListFormat(enum.StrEnum):
    """The formats of `list` (`maxjob.output.formats.JOB_LISTS`)."""

    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def _many(flag: str, help: str, metavar: str = "VALUE", *short: str, complete: Any = None) -> Any:
    return typer.Option(
        flag,
        *short,
        help=f"{help} (repeatable).",
        metavar=metavar,
        rich_help_panel=FILTER,
        show_default=False,
        autocompletion=complete,
    )


def _complete_status(incomplete: str) -> builtins.list[str]:
    return [status for status in LIST_STATUSES if status.startswith(incomplete)]


def _complete_sort(incomplete: str) -> builtins.list[str]:
    name, colon, _ = incomplete.partition(":")
    if colon:
        return [f"{name}:{order}" for order in ("desc", "asc") if incomplete in f"{name}:{order}"]
    return [field for field in LIST_SORT_FIELDS if field.startswith(incomplete)]


# `list` is the command's function below.
Texts = builtins.list[str] | None


@command(
    name="list",
    aliases=("ls",),
    epilog=(
        "Examples:\n"
        "  maxjob list                                       the last hour, newest first\n"
        "  maxjob ls --status failed --since 2026-11-29T18:00 --until 2026-11-30T08:00\n"
        "  maxjob ls --quota os_bigdata --since 7d --sort cuUsage:desc --limit 10\n"
        "  maxjob ls -p sales_dw --since 30d --limit 0 -o jsonl | jq -r .instanceId\n"
        "  maxjob ls --owner 'RAM$etl@example.com' -o csv > jobs.csv\n"
        "  maxjob ls --status failed --since 12h -o json --export failed.svg \\\n"
        "      > failed.json"
    ),
)
@p.connected
def list(  # the command's name: `ls` is an alias of the function's name
    ctx: typer.Context,
    since: Annotated[
        str,
        typer.Option(
            help=f"Start of the window: {WHEN}.  [default: 1h]",
            metavar="WHEN",
            rich_help_panel=FILTER,
            show_default=False,
        ),
    ] = "1h",
    until: Annotated[
        str,
        typer.Option(
            help="End of the window, in the same forms.  [default: now]",
            metavar="WHEN",
            rich_help_panel=FILTER,
            show_default=False,
        ),
    ] = "now",
    status: Annotated[
        Texts,
        _many(
            "--status",
            "Job status, as the API spells it: running, failed, ...",
            "STATUS",
            complete=_complete_status,
        ),
    ] = None,
    project: Annotated[Texts, _many("--project", "Project name", "NAME", "-p")] = None,
    owner: Annotated[
        Texts, _many("--owner", "Job owner, like ALIYUN$you@example.com", "OWNER")
    ] = None,
    quota: Annotated[
        Texts,
        typer.Option(
            "--quota",
            help="Quota nickname (one: the API filters by one quota).",
            metavar="NICK",
            rich_help_panel=FILTER,
            show_default=False,
        ),
    ] = None,
    job_type: Annotated[Texts, _many("--type", "Job type: SQL, CUPID, ...", "TYPE")] = None,
    priority: Annotated[
        builtins.list[int] | None, _many("--priority", "Priority, 0 (most urgent) to 9", "N")
    ] = None,
    signature: Annotated[Texts, _many("--signature", "SQL signature", "SIG")] = None,
    node: Annotated[Texts, _many("--node", "Scheduler node id (extNodeId)", "ID")] = None,
    instance_id: Annotated[Texts, _many("--id", "Instance id", "ID")] = None,
    diag: Annotated[
        Texts, _many("--diag", "Diagnosis tag (sceneTag), like DataSkew", "TAG")
    ] = None,
    sort: Annotated[
        Texts,
        typer.Option(
            "--sort",
            help="Sort by an API field, asc or desc (default desc); repeatable.  "
            "[default: submittedAtTime:desc]",
            metavar="FIELD[:asc|desc]",
            rich_help_panel=FILTER,
            show_default=False,
            autocompletion=_complete_sort,
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            help="Show at most N jobs; 0 shows all.",
            metavar="N",
            min=0,
            rich_help_panel=FILTER,
        ),
    ] = 50,
    output: Annotated[
        ListFormat | None,
        p.output_option(ListFormat),
    ] = None,
    jq: p.Jq = None,
    utc: p.Utc = False,
    no_color: p.NoColor = False,
    export: p.ExportTable = None,
    width: p.Width = 100,
    concurrency: Annotated[
        int,
        typer.Option(
            help="Pages requested at once, over one connection pool.",
            rich_help_panel=p.CONNECTION,
            min=1,
            max=64,
            metavar="N",
        ),
    ] = 8,
    connection: "ConnectionOptions" = p.CONNECTED,
) -> None:
    """Find jobs by project, owner, status, quota, signature and time."""
    from maxjob.commands import list as command_list
    from maxjob.errors import UsageError

    def work() -> int:
        if quota is not None and len(quota) > 1:
            raise UsageError("--quota takes one quota nickname: ListJobInfos filters by one")
        options = command_list.Options(
            since=since,
            until=until,
            statuses=tuple(status or ()),
            projects=tuple(project or ()),
            owners=tuple(owner or ()),
            quota=quota[0] if quota else None,
            types=tuple(job_type or ()),
            priorities=tuple(priority or ()),
            signatures=tuple(signature or ()),
            nodes=tuple(node or ()),
            ids=tuple(instance_id or ()),
            diags=tuple(diag or ()),
            sort=tuple(sort or command_list.DEFAULT_SORT),
            limit=limit,
            output=None if output is None else str(output.value),
            jq=jq,
            utc=utc,
            export=export,
            width=width,
            concurrency=concurrency,
            connection=connection,
        )
        return command_list.run(options, out, dependencies(ctx).client_factory or p.open_client)

    out = streams(no_color)
    execute(out, work)
