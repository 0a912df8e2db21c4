"""`maxjob history ID`: is this run normal? Its earlier runs, a verdict, and a gate for CI.

GetJobInfo gives the job's `signature` (or, with `--by node` or when it has none, `extNodeId`),
project and submission time; ListJobInfos then finds the earlier runs with that key in the
`--days` before this run was submitted (windows of at most 7 days, newest first), in the same
project unless `--all-projects`, at most `--runs` of them, newest first. This run itself, and
anything submitted at or after it, is never among them. `history_stats` compares; `--fail-over`
turns the comparison into exit status 9.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from maxjob import ids, listing
from maxjob.errors import MaxjobError, UsageError
from maxjob.exits import ExitCode, with_files
from maxjob.history_stats import METRICS, Gate, Run, Scope, Summary, gate, summarize, summary_json
from maxjob.models import JobInfo, epoch_to_datetime
from maxjob.output import formats
from maxjob.output.files import start_export
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams
from maxjob.session import ClientFactory, ConnectionOptions, open_client

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient

FORMATS = ("table", "plain", "json", "jsonl", "csv", "markdown")
BY = ("signature", "node")
MAX_DAYS = listing.RETENTION.days  # jobs of the last 45 days can be listed
PAST_LISTING = (
    f"this run was submitted about {MAX_DAYS} days ago or earlier, and ListJobInfos lists jobs "
    f"of the last {MAX_DAYS} days only: its earlier runs cannot be found"
)
MAX_RUNS = 1000
DAY = 86400
# Pages fetched at once within a window (most histories are one page a window).
CONCURRENCY = 4


class Options(NamedTuple):
    ref: str
    by: str = "signature"
    all_projects: bool = False
    days: int = 14
    runs: int = 20
    fail_over: float | None = None
    metric: str = "run"
    output: str | None = None
    jq: str | None = None
    utc: bool = False
    # `--export FILE.svg|html`: the table view also saved there, `width` columns wide.
    export: str | None = None
    width: int = 100
    connection: ConnectionOptions = ConnectionOptions()
    # The command line as typed, for the Ctrl-C hint (the CLI fills it in).
    resume: tuple[str, ...] = ()


def check(options: Options) -> None:
    """Refuse what cannot be asked, before any request."""
    if options.by not in BY:
        raise UsageError(f"--by is signature or node, not {options.by!r}")
    if options.metric not in METRICS:
        raise UsageError(f"--metric is one of {', '.join(METRICS)}, not {options.metric!r}")
    if not 1 <= options.days <= MAX_DAYS:
        raise UsageError(
            f"--days must be between 1 and {MAX_DAYS}",
            hint="jobs of the last 45 days can be listed",
        )
    if not 1 <= options.runs <= MAX_RUNS:
        raise UsageError(f"--runs must be between 1 and {MAX_RUNS}")
    if options.fail_over is not None and not (
        math.isfinite(options.fail_over) and options.fail_over > 0
    ):
        raise UsageError("--fail-over takes a ratio above 0, like 2 or 1.5")


def key_of(job: JobInfo, by: str) -> tuple[str, str | None, str]:
    """(`signature` or `node`, the value exactly as GetJobInfo gave it, why there is none).

    By signature, a job without one falls back to its scheduler node; asked `--by node`, a job
    without a node id is a usage error."""
    signature = _raw_text(job, "signature")
    node = _raw_text(job, "extNodeId")
    if by == "node":
        if node is None:
            raise UsageError(
                f"job {job.instance_id} has no scheduler node id (extNodeId)",
                hint="compare by its SQL signature instead: leave out --by node",
            )
        return "node", node, ""
    if signature is not None:
        return "signature", signature, ""
    if node is not None:
        return "node", node, ""
    return "signature", None, "this job has no SQL signature and no scheduler node id"


def _raw_text(job: JobInfo, name: str) -> str | None:
    # Passed back exactly as received: opaque, never trimmed or re-encoded.
    value = job.raw.get(name)
    return value if isinstance(value, str) and value else None


def body_filters(by: str, key: str, projects: tuple[str, ...] | None) -> dict[str, Any]:
    """The ListJobInfos body without `from`/`to`, newest first."""
    filters: dict[str, Any] = {"signatureList" if by == "signature" else "extNodeIdList": [key]}
    if projects is not None:
        filters["projectList"] = list(projects)
    filters["sortByList"] = ["submittedAtTime"]
    filters["sortOrderList"] = ["desc"]
    return filters


def earlier_items(
    client: MaxComputeClient,
    instance_id: str,
    filters: dict[str, Any],
    whole: listing.Window,
    most: int,
) -> Iterator[dict[str, Any]]:
    """The earlier runs' items, newest first, at most `most`: never this run, only runs
    submitted in [whole.since, whole.until). Each window of at most 7 days keeps the runs
    submitted in it (ListJobInfos also returns runs that merely overlap it), so a run is taken
    in one window only and the newest `most` are exact; and only runs the filters match."""
    # What the filters asked, checked again here: a service that ignored one would make another
    # SQL, or another project, look like this job's history.
    wanted = {
        field: set(filters[name])
        for name, field in (
            ("signatureList", "signature"),
            ("extNodeIdList", "extNodeId"),
            ("projectList", "project"),
        )
        if name in filters
    }
    count = 0
    for part in listing.split(whole):
        items = listing.jobs(client, filters, part, concurrency=CONCURRENCY)
        try:
            for item in items:
                if item.get("instanceId") == instance_id:
                    continue
                if any(item.get(field) not in values for field, values in wanted.items()):
                    continue
                submitted = epoch_to_datetime(item.get("submittedAtTime"))
                if submitted is None or not part.since <= submitted.timestamp() < part.until:
                    continue
                yield item
                count += 1
                if count >= most:
                    return
        finally:
            items.close()


def run(
    options: Options,
    streams: Streams,
    client_factory: ClientFactory = open_client,
    now: Callable[[], datetime] | None = None,
) -> int:
    """Compare the job with its earlier runs, show it, and return the exit status."""
    check(options)
    ref = ids.parse_ref(options.ref)
    jq = JqProgram(options.jq) if options.jq else None
    fmt = formats.choose(options.output, FORMATS, streams, jq is not None)
    utc = options.utc or not streams.out_is_terminal
    saved = start_export(
        options.export,
        streams,
        command="maxjob history",
        width=options.width,
        utc=utc,
        subject=ref.instance_id,
    )
    try:
        with client_factory(
            options.connection, streams, pool_size=CONCURRENCY, fallback_region=ref.region
        ) as client:
            job = client.get_job_info(ref.instance_id)
            by, key, why = key_of(job, options.by)
            submitted = job.raw.get("submittedAtTime")
            if job.submitted_at is None or not isinstance(submitted, int | float):
                raise MaxjobError(
                    f"job {ref.instance_id} has no submission time (submittedAtTime): "
                    "cannot tell which runs came before it"
                )
            until = int(submitted)
            project = _raw_text(job, "project")
            projects = None if options.all_projects or project is None else (project,)
            started = (now() if now is not None else datetime.now(UTC)).timestamp()
            whole = listing.listable(until - options.days * DAY, until, started)
            since = whole.since if whole is not None else until
            searched = key is not None and whole is not None
            scope = Scope(by, key, projects, since, until, options.days, options.runs, searched)
            items: list[dict[str, Any]] = []
            if key is not None and whole is None:
                why = PAST_LISTING
            elif key is not None and whole is not None:
                filters = body_filters(by, key, projects)
                items = list(earlier_items(client, ref.instance_id, filters, whole, options.runs))
    except KeyboardInterrupt:
        if options.resume:
            from maxjob.commands.watch import resume_hint

            streams.message(resume_hint(options.resume))
            return ExitCode.INTERRUPTED  # said once, with how to resume
        raise
    moment = now() if now is not None else datetime.now(UTC)
    this = Run.of(job, moment)
    earlier = sorted(
        (Run.from_item(item, moment) for item in items),
        key=lambda r: r.job.submitted_at or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    summary = summarize(this, earlier, why=why)
    checked = None
    if options.fail_over is not None:
        checked = gate(summary, options.metric, options.fail_over)
    show(fmt, streams, jq, this, earlier, summary, scope, checked, utc=options.utc)
    code: int = ExitCode.OK
    if checked is not None:
        streams.message(f"maxjob: {checked.message(summary)}")
        code = ExitCode.SLOWER if checked.exceeded else ExitCode.OK
    if saved is not None:  # after the history was shown: a failure is said, and 1 if all else is 0
        from maxjob.render import history as render

        saved.draw(render.view(this, earlier, summary, scope, utc=utc, width=saved.width))
        code = with_files(code, saved.finish(streams))
    return code


def show(
    fmt: formats.Format,
    streams: Streams,
    jq: JqProgram | None,
    this: Run,
    earlier: list[Run],
    summary: Summary,
    scope: Scope,
    checked: Gate | None,
    *,
    utc: bool,
) -> None:
    """Write the history in `fmt`; where the format has no room for the verdict (`plain`, `csv`,
    `jsonl`), it goes to stderr."""
    from maxjob.render import history as render

    if fmt.name == "json":
        value = {
            "job": dict(this.job.raw),
            "runs": [dict(run.job.raw) for run in earlier],
            "summary": summary_json(summary, scope, checked),
        }
        formats.emit_json(streams, value, jq, compact=False)
        return
    if fmt.name == "markdown":
        streams.write(render.markdown(this, earlier, summary, scope))
        return
    if fmt.name == "table":
        console = streams.console()
        local = utc or not streams.out_is_terminal
        console.print(render.view(this, earlier, summary, scope, utc=local, width=console.width))
        return
    if fmt.name == "jsonl":
        for run in earlier:
            formats.emit_json(streams, dict(run.job.raw), jq, compact=True)
    elif fmt.name == "csv":
        streams.write(render.csv_text(this, earlier))
    else:
        streams.write(render.plain_line(this, this=True))
        for run in earlier:
            streams.write(render.plain_line(run, this=False))
    said = summary.verdict or f"{summary.reason}."
    streams.message(f"maxjob: {said[:1].lower()}{said[1:]}")
