"""`maxjob why ID`: where a job is, and why it waits or how it ended, in sentences with evidence.

The reading itself (the stage, the reasons, what each rests on) is `maxjob.diagnosis`; this
module takes the options, asks for the job, and shows the explanation in the chosen format and,
with `--export`, in a picture.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from maxjob import ids
from maxjob.diagnosis import Explanation, explain
from maxjob.output import formats
from maxjob.output.files import start_export
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams
from maxjob.session import ClientFactory, ConnectionOptions, open_client

BASE_FORMATS = ("table", "plain", "json")


class Options(NamedTuple):
    ref: str
    output: str | None = None
    jq: str | None = None
    utc: bool = False
    # `--export FILE.svg|html`: the table view also saved there, `width` columns wide.
    export: str | None = None
    width: int = 100
    connection: ConnectionOptions = ConnectionOptions()


def accepted_formats() -> tuple[str, ...]:
    from maxjob.commands.top import markdown_module

    if "markdown" in formats.FORMATS and markdown_module() is not None:
        return (*BASE_FORMATS, "markdown")
    return BASE_FORMATS


def run(
    options: Options,
    streams: Streams,
    client_factory: ClientFactory = open_client,
    *,
    wall: Callable[[], float] = time.time,
) -> int:
    """Explain one job; the exit status (0 unless an error, 1 if the export could not be
    written)."""
    ref = ids.parse_ref(options.ref)
    jq = JqProgram(options.jq) if options.jq else None
    fmt = formats.choose(options.output, accepted_formats(), streams, jq is not None)
    utc = options.utc or not streams.out_is_terminal or fmt.name != "table"
    saved = start_export(
        options.export,
        streams,
        command="maxjob why",
        width=options.width,
        utc=utc,
        subject=ref.instance_id,
    )
    with client_factory(
        options.connection, streams, pool_size=4, fallback_region=ref.region
    ) as client:
        job = client.get_job_info(ref.instance_id)
        explanation = explain(client, job, now=wall(), utc=utc)
    show(explanation, fmt, streams, jq, utc=utc)
    if saved is None:
        return 0
    from maxjob.render import why as render

    saved.draw(render.view(explanation.as_json(), width=saved.width))
    return saved.finish(streams)


def show(
    explanation: Explanation,
    fmt: formats.Format,
    streams: Streams,
    jq: JqProgram | None,
    *,
    utc: bool,
) -> None:
    from maxjob.render import why as render

    if fmt.name == "json":
        formats.emit_json(streams, explanation.as_json(), jq, compact=False)
    elif fmt.name == "table":
        console = streams.console()
        console.print(render.view(explanation.as_json(), width=console.width))
    elif fmt.name == "markdown":
        from maxjob.commands.top import markdown_module

        streams.write(render.markdown(explanation.as_json(), md=markdown_module()))
    else:
        streams.write(render.plain(explanation.as_json()))
