"""`maxjob list` (alias `ls`): find jobs with ListJobInfos, filter, sort, and show them as the
pages arrive (see `maxjob.listing` for the windows and the pages).

`--export FILE.svg|html` saves the table view whatever `-o` prints: the rows the table would show
(as many as `--limit`), but at most `EXPORT_ROWS` of them, so that `--limit 0 -o jsonl` keeps its
flat memory; the picture's footer says when rows were left out of it.
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from maxjob import listing
from maxjob.errors import UsageError
from maxjob.output import formats, job_list
from maxjob.output.files import start_export
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams
from maxjob.protocol import LIST_STATUSES
from maxjob.render.units import human_time
from maxjob.session import ClientFactory, ConnectionOptions, open_client

if TYPE_CHECKING:
    from maxjob.output.export import Export
    from maxjob.render.job_list import JobRow

FORMATS = formats.JOB_LISTS
MAX_CONCURRENCY = 64
PAGE_SIZE = 100
# The most rows an `--export` picture draws: the first ones, in the order shown.
EXPORT_ROWS = 1000
DEFAULT_SORT = ("submittedAtTime:desc",)


class Options(NamedTuple):
    since: str = "1h"
    until: str = "now"
    statuses: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    quota: str | None = None
    types: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()
    signatures: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    diags: tuple[str, ...] = ()
    sort: tuple[str, ...] = DEFAULT_SORT
    limit: int = 50
    output: str | None = None
    jq: str | None = None
    utc: bool = False
    # `--export FILE.svg|html`: the table view also saved there, `width` columns wide.
    export: str | None = None
    width: int = 100
    concurrency: int = 8
    connection: ConnectionOptions = ConnectionOptions()


def parse_sort(specs: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """`FIELD[:asc|desc]` each (the direction defaults to desc) as `sortByList`, `sortOrderList`."""
    names: list[str] = []
    orders: list[str] = []
    for spec in specs or DEFAULT_SORT:
        name, colon, order = spec.strip().rpartition(":")
        if not colon:
            name, order = order, "desc"
        order = order.strip().lower()
        if not name.strip() or order not in ("asc", "desc"):
            raise UsageError(
                f"--sort {spec!r} is not FIELD[:asc|desc] (e.g. cuUsage:desc, submittedAtTime:asc)"
            )
        names.append(name.strip())
        orders.append(order)
    return names, orders


def request_body(options: Options) -> dict[str, Any]:
    """The ListJobInfos body but `from` and `to`: each filter given, verbatim, then the sort."""
    values: dict[str, tuple[Any, ...]] = {
        "statusList": options.statuses,
        "projectList": options.projects,
        "jobOwnerList": options.owners,
        "typeList": options.types,
        "priorityList": options.priorities,
        "signatureList": options.signatures,
        "extNodeIdList": options.nodes,
        "instanceIdList": options.ids,
        "sceneTagList": options.diags,
    }
    body: dict[str, Any] = {name: list(given) for name, given in values.items() if given}
    if options.quota is not None:
        body["quotaNickname"] = options.quota
    body["sortByList"], body["sortOrderList"] = parse_sort(options.sort)
    return body


def run(options: Options, streams: Streams, client_factory: ClientFactory = open_client) -> int:
    """List the jobs; 0 when the listing succeeded, matches or not (1 if the export could not be
    written)."""
    if options.limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    now = datetime.now(UTC)
    whole = listing.window(options.since, options.until, now=now)
    body = request_body(options)
    jq = JqProgram(options.jq) if options.jq else None
    fmt = formats.choose(options.output, FORMATS, streams, jq is not None)
    utc = options.utc or not streams.out_is_terminal
    saved = start_export(
        options.export, streams, command="maxjob list", width=options.width, utc=utc
    )
    # The table's widths come from its first page (or all of a shorter --limit).
    sample = min(options.limit or PAGE_SIZE, PAGE_SIZE)
    writer = job_list.writer(
        fmt,
        streams,
        jq=jq,
        now=now,
        utc=utc,
        sample=sample,
        sorted_by=body["sortByList"][:1],
        more=not options.limit or options.limit > sample,
    )
    tally = listing.Tally()
    drawn: list[JobRow] = []
    with client_factory(options.connection, streams, pool_size=options.concurrency) as client:
        chunks = listing.batches(
            client,
            body,
            whole,
            limit=options.limit,
            concurrency=options.concurrency,
            page_size=PAGE_SIZE,
            tally=tally,
            # jsonl writes each job as the service sent it, where it can (see strict_json).
            verbatim=fmt.name == "jsonl" and jq is None,
        )
        try:
            for chunk in chunks:
                writer.write(chunk)
                if saved is not None and len(drawn) < EXPORT_ROWS:
                    drawn.extend(rows_of(chunk[: EXPORT_ROWS - len(drawn)], now))
        except UsageError as exc:
            if exc.code is None:
                raise
            # The service refused the request as sent (ILLEGAL_ARGUMENT and the like).
            exc.hint = exc.hint or refused_hint(whole, now)
            raise
        finally:
            chunks.close()
    writer.finish(tally)
    sent = tally.shown + tally.duplicates
    if tally.repeated:
        streams.warn(
            f"pages came back holding only jobs already shown (after {tally.shown:,} jobs, of "
            f"{tally.total:,} counted): stopped there; the service may be ignoring the page "
            "number, and the list may be incomplete"
        )
    elif tally.complete and sent < tally.total:
        streams.warn(
            f"the service counted {tally.total:,} jobs but sent {sent:,}: pages came back short "
            "or empty (did jobs change while they were read?); the list may be incomplete"
        )
    elif not tally.shown:
        streams.message(no_match(options, whole, utc=options.utc))
    if saved is None:
        return 0
    draw_list(saved, drawn, tally, options, whole, sample=sample, sorted_by=body["sortByList"][:1])
    return saved.finish(streams)


def rows_of(items: list[dict[str, Any]], now: datetime) -> list[JobRow]:
    from maxjob.render.job_list import job_row

    return [job_row(item, now) for item in items]


def draw_list(
    saved: Export,
    rows: list[JobRow],
    tally: listing.Tally,
    options: Options,
    whole: listing.Window,
    *,
    sample: int,
    sorted_by: list[str],
) -> None:
    """The table view into the export: its rows and footer, or why no job is shown."""
    from maxjob.render.job_list import footer
    from maxjob.render.list_table import picture

    if not rows:
        below = no_match(options, whole, utc=saved.utc).removeprefix("maxjob: ")
    else:
        below = footer(tally)
        if tally.shown > len(rows):
            most = f"a picture holds at most {EXPORT_ROWS:,} rows"
            below += f" · the first {len(rows):,} drawn here ({most})"
    saved.draw(
        picture(rows, below, width=saved.width, utc=saved.utc, sample=sample, sorted_by=sorted_by)
    )


def refused_hint(whole: listing.Window, now: datetime) -> str:
    kept = listing.RETENTION.days  # the console's limit (OPERATIONS.md: documented for the console)
    if (now.timestamp() - whole.since) / 86400 > kept - 1:
        return (
            f"jobs can be listed about {kept} days back (the console's limit): "
            f"try a later --since, such as --since {kept - 1}d"
        )
    return "check the filter values and --sort fields; --debug shows the request as sent"


def no_match(options: Options, whole: listing.Window, *, utc: bool) -> str:
    """One line: nothing matched, in which window and with which filters (as flags that can be
    typed again), then what may explain it."""
    since = human_time(datetime.fromtimestamp(whole.since, UTC), utc=utc)
    until = human_time(datetime.fromtimestamp(whole.until, UTC), utc=utc)
    given = _filters(options)
    line = f"maxjob: no jobs matched from {since} to {until}"
    if given:
        line += " with " + " ".join(f"{flag} {shlex.quote(str(v))}" for flag, v in given)
    if options.statuses:
        line += f" (statuses the documentation shows: {', '.join(LIST_STATUSES)})"
        if set(options.statuses) & _OUTCOME_STATUSES and "terminated" not in options.statuses:
            line += (
                "; a job that ended is often listed as terminated whatever its outcome: "
                "try --status terminated (the list cannot tell their outcome: maxjob info ID can)"
            )
    comma = next((flag for flag, v in given if isinstance(v, str) and "," in v), None)
    if comma is not None:
        line += (
            "; a value with a comma is sent as one value: repeat the flag for several "
            f"({comma} A {comma} B)"
        )
    if any("$" not in owner for owner in options.owners):
        line += (
            "; an owner is matched as the API writes it, with its account type "
            "(ALIYUN$name or RAM$name; the table leaves the type out when narrow)"
        )
    return line


def _filters(options: Options) -> list[tuple[str, str | int]]:
    """Each filter value given, with its flag, in the order of `--help`."""
    flags: tuple[tuple[str, tuple[str | int, ...]], ...] = (
        ("--status", options.statuses),
        ("--project", options.projects),
        ("--owner", options.owners),
        ("--quota", (options.quota,) if options.quota is not None else ()),
        ("--type", options.types),
        ("--priority", options.priorities),
        ("--signature", options.signatures),
        ("--node", options.nodes),
        ("--id", options.ids),
        ("--diag", options.diags),
    )
    return [(flag, value) for flag, values in flags for value in values]


# Statuses that name an outcome, which an ended job's `status` often does not (it says
# `terminated`; its substatus tells the outcome).
_OUTCOME_STATUSES = frozenset({"success", "failed", "cancelled"})
