"""`maxjob info ID...`: fetch jobs concurrently and show them in the order given."""

from __future__ import annotations

import itertools
import sys
from typing import NamedTuple, TextIO

from maxjob import ids
from maxjob.errors import MaxjobError, UsageError
from maxjob.models import JobInfo, Outcome
from maxjob.output import Streams, worst_exit_code
from maxjob.present import JqProgram, Presenter, pick_format
from maxjob.session import ConnectionOptions, open_client

MAX_CONCURRENCY = 64


class InfoOptions(NamedTuple):
    refs: tuple[str, ...]
    output: str | None = None
    jq: str | None = None
    utc: bool = False
    exit_status: bool = False
    concurrency: int = 8
    connection: ConnectionOptions = ConnectionOptions()


def job_exit_code(job: JobInfo) -> int:
    """For `--exit-status`: 0 succeeded, 3 failed, 7 cancelled, 8 not finished."""
    return {
        Outcome.SUCCEEDED: 0,
        Outcome.FAILED: 3,
        Outcome.CANCELLED: 7,
        None: 8,
    }[job.outcome]


def run_info(options: InfoOptions, streams: Streams, stdin: TextIO | None = None) -> int:
    """Fetch and show every job; return the exit status."""
    if not options.refs:
        raise UsageError("give at least one instance id (or - to read them from stdin)")
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    jq = JqProgram(options.jq) if options.jq else None
    fmt = pick_format(options.output, streams, jq is not None)
    refs = ids.expand(options.refs, stdin or sys.stdin, ids.stdin_prompt(streams.message))
    first = next(refs, None)
    if first is None:
        raise UsageError("no instance ids on stdin")
    second = next(refs, None)
    many = second is not None or options.refs.count("-") > 0 or len(options.refs) > 1
    ordered = itertools.chain([first], [second] if second else [], refs)
    utc = options.utc or not streams.out_is_terminal
    presenter = Presenter(streams, fmt, utc=utc, jq=jq, many=many)
    worst = 0  # kept as we go: memory stays flat however many IDs stream through
    with open_client(
        options.connection,
        streams,
        pool_size=options.concurrency,
        fallback_region=first.region,
    ) as client:
        if not many:
            try:
                results: list[tuple[str, JobInfo | MaxjobError]] = [
                    (first.instance_id, client.get_job_info(first.instance_id))
                ]
            except MaxjobError as exc:
                results = [(first.instance_id, exc)]
            stream = iter(results)
        else:
            stream = client.get_many(
                (ref.instance_id for ref in ordered), concurrency=options.concurrency
            )
        try:
            for instance_id, result in stream:
                presenter.show(instance_id, result)
                if isinstance(result, MaxjobError):
                    code = result.exit_code
                else:
                    code = job_exit_code(result) if options.exit_status else 0
                worst = worst_exit_code([worst, code])
        finally:
            presenter.finish()
    return worst
