"""`maxjob info ID...`: fetch jobs concurrently and show them in the order given."""

from __future__ import annotations

import itertools
import sys
from typing import NamedTuple, TextIO

from maxjob import exits, ids
from maxjob.errors import MaxjobError, UsageError
from maxjob.models import JobInfo, Outcome
from maxjob.output import formats
from maxjob.output.files import start_export
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams
from maxjob.session import ClientFactory, ConnectionOptions, open_client

FORMATS = formats.JOB_VIEWS
MAX_CONCURRENCY = 64


class Options(NamedTuple):
    refs: tuple[str, ...]
    output: str | None = None
    jq: str | None = None
    utc: bool = False
    exit_status: bool = False
    # `--export FILE.svg|html`: the view also saved there, `width` columns wide.
    export: str | None = None
    width: int = 100
    concurrency: int = 8
    connection: ConnectionOptions = ConnectionOptions()
    # The command line as typed, for the Ctrl-C hint (the CLI fills it in).
    resume: tuple[str, ...] = ()


def run(
    options: Options,
    streams: Streams,
    client_factory: ClientFactory = open_client,
    stdin: TextIO | None = None,
) -> int:
    """Fetch and show every job; return the exit status."""
    if not options.refs:
        raise UsageError("give at least one instance id (or - to read them from stdin)")
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    jq = JqProgram(options.jq) if options.jq else None
    fmt = formats.choose(options.output, FORMATS, streams, jq is not None)
    utc = options.utc or not streams.out_is_terminal
    saved = start_export(
        options.export, streams, command="maxjob info", width=options.width, utc=utc, view=fmt.name
    )
    refs = ids.expand(
        options.refs, stdin or sys.stdin, ids.stdin_prompt(streams.message), keep_bad=True
    )
    first = next(refs, None)
    if first is None:
        raise UsageError("no instance ids on stdin")
    many = len(options.refs) > 1 or "-" in options.refs
    writer = formats.writer(fmt, streams, jq=jq, many=many, utc=utc)
    # On a terminal view, an error is shown in its place; elsewhere on stderr too.
    in_place_only = many and fmt.is_view and streams.out_is_terminal
    worst = 0  # kept as we go: memory stays flat however many IDs stream through
    with client_factory(
        options.connection,
        streams,
        pool_size=options.concurrency,
        fallback_region=first.region if isinstance(first, ids.InstanceRef) else None,
    ) as client:

        def fetch(ref: ids.InstanceRef | ids.BadRef) -> JobInfo | MaxjobError:
            if isinstance(ref, ids.BadRef):  # an id that could not be read: an error in place
                return ref.error
            try:
                return client.get_job_info(ref.instance_id)
            except MaxjobError as exc:
                return exc

        results = client.map_ordered(
            fetch, itertools.chain([first], refs), concurrency=options.concurrency if many else 1
        )
        try:
            for ref, result in results:
                instance_id = ref.instance_id if isinstance(ref, ids.InstanceRef) else ref.text
                if saved is not None:
                    saved.add(instance_id, result)
                if isinstance(result, MaxjobError):
                    if not in_place_only:
                        streams.error(result, prefix=f"{instance_id}: " if many else "")
                    if many:
                        writer.show(instance_id, result)
                    code = result.exit_code
                else:
                    writer.show(instance_id, result)
                    code = exits.of_job(result) if options.exit_status else 0
                    if code and result.outcome is Outcome.ENDED:
                        streams.message(exits.ended_note(instance_id))
                worst = exits.worst([worst, code])
        except KeyboardInterrupt:
            if options.resume and "-" not in options.refs:
                from maxjob.commands.watch import resume_hint

                streams.message(resume_hint(options.resume))
                return exits.ExitCode.INTERRUPTED  # said once, with how to resume
            raise
        finally:
            results.close()
            writer.finish()
    if saved is not None:  # after the jobs were shown: said, and exit 1 if all else is 0
        worst = exits.with_files(worst, saved.finish(streams))
    return worst
