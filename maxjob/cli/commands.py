"""Each command's flags, turned into its options value and handed to its `run` function.

These functions only declare and forward: the work is in `maxjob.commands.<name>`.
"""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from maxjob.cli import params as p
from maxjob.cli.app import command, dependencies, execute, streams

if TYPE_CHECKING:
    from maxjob.session import ConnectionOptions


def _value(choice: Any) -> str | None:
    return None if choice is None else str(choice.value)


@command(
    epilog=(
        "Examples:\n"
        "  maxjob info 20230410071055424gqt9ulc2yuo\n"
        "  maxjob info $ID -o json | jq .status\n"
        "  maxjob info $ID --jq '.jobSubStatusList[-1].description'\n"
        "  cat ids.txt | maxjob info - -o jsonl --concurrency 16\n"
        '  maxjob info $ID -o markdown >> "$GITHUB_STEP_SUMMARY"\n'
        "  maxjob info $ID --export job.svg\n"
        "  maxjob info 'https://logview.aliyun.com/logview/?h=...&i=...'"
    ),
)
@p.connected
def info(
    ctx: typer.Context,
    ids: p.Ids,
    output: p.ViewOutput = None,
    jq: p.Jq = None,
    utc: p.Utc = False,
    no_color: p.NoColor = False,
    exit_status: Annotated[
        bool,
        typer.Option(
            "--exit-status",
            help="Exit 3 if a job failed, 7 if cancelled, 8 if still running.",
            rich_help_panel=p.OUTPUT,
        ),
    ] = False,
    export: p.Export = None,
    width: p.Width = 100,
    concurrency: p.Concurrency = 8,
    connection: "ConnectionOptions" = p.CONNECTED,
) -> None:
    """Fetch and show one or more jobs."""
    from maxjob.commands import info

    options = info.Options(
        refs=tuple(ids),
        output=_value(output),
        jq=jq,
        utc=utc,
        exit_status=exit_status,
        export=export,
        width=width,
        concurrency=concurrency,
        connection=connection,
        resume=p.command_line(),
    )
    out = streams(no_color)
    deps = dependencies(ctx)
    execute(out, lambda: info.run(options, out, deps.client_factory or p.open_client, deps.stdin))


@command(
    epilog=(
        "Examples:\n"
        "  maxjob watch $ID\n"
        "  maxjob watch $ID --interval 10s --timeout 2h && echo succeeded\n"
        "  maxjob watch $ID -o jsonl | jq -r .status\n"
        "  maxjob watch $ID --export job.html"
    ),
)
@p.connected
def watch(
    ctx: typer.Context,
    instance_id: p.OneId,
    output: p.ViewOutput = None,
    jq: p.Jq = None,
    utc: p.Utc = False,
    no_color: p.NoColor = False,
    export: p.Export = None,
    width: p.Width = 100,
    interval: p.Interval = 5.0,
    timeout: p.Timeout = 3600.0,
    connection: "ConnectionOptions" = p.CONNECTED,
) -> None:
    """Follow one job until it finishes; the exit status is its outcome."""
    from maxjob.commands import watch

    options = watch.Options(
        ref=instance_id,
        output=_value(output),
        jq=jq,
        utc=utc,
        export=export,
        width=width,
        interval=interval,
        timeout=timeout,
        connection=connection,
        resume=p.command_line(),
    )
    out = streams(no_color)
    deps = dependencies(ctx)
    execute(out, lambda: watch.run(options, out, deps.client_factory or p.open_client))


@command(
    epilog=(
        "Examples:\n"
        "  maxjob wait $ID && echo done\n"
        "  maxjob wait $ID1 $ID2 $ID3 --fail-fast\n"
        "  maxjob wait - < ids.txt -o jsonl --jq '[.instanceId, .status]'\n"
        "  maxjob wait $ID1 $ID2 --junit report.xml"
    ),
)
@p.connected
def wait(
    ctx: typer.Context,
    ids: p.Ids,
    any_job: Annotated[
        bool,
        typer.Option(
            "--any", help="Return when the first job finishes.", rich_help_panel=p.WATCHING
        ),
    ] = False,
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast",
            help="Return at the first job that fails, is cancelled or cannot be read.",
            rich_help_panel=p.WATCHING,
        ),
    ] = False,
    interval: p.Interval = 5.0,
    timeout: p.Timeout = 3600.0,
    output: p.WaitOutput = None,
    jq: p.Jq = None,
    no_color: p.NoColor = False,
    junit: p.Junit = None,
    concurrency: p.Concurrency = 8,
    connection: "ConnectionOptions" = p.CONNECTED,
) -> None:
    """Block until every job finishes (no view); the exit status is the worst outcome."""
    from maxjob.commands import wait

    words = p.command_line()
    options = wait.Options(
        refs=tuple(ids),
        output=_value(output),
        jq=jq,
        interval=interval,
        timeout=timeout,
        any=any_job,
        fail_fast=fail_fast,
        junit=junit,
        concurrency=concurrency,
        connection=connection,
        resume=tuple(w for w in words if w not in ids),
    )
    out = streams(no_color)
    deps = dependencies(ctx)
    execute(out, lambda: wait.run(options, out, deps.client_factory or p.open_client, deps.stdin))


@command(epilog="Example:\n  maxjob demo")
def demo(no_color: p.NoColor = False) -> None:
    """Watch a scripted job on a built-in emulator, then show it: no account needed."""
    from maxjob.commands import demo

    out = streams(no_color)
    execute(out, lambda: demo.run(out))


@command(
    epilog=(
        "Examples:\n"
        "  maxjob emulator                    serve on 127.0.0.1:8765\n"
        "  maxjob emulator --port 0 --jobs my-jobs.json\n"
        "  maxjob emulator --synthetic 10000 --latency 0.02"
    ),
)
def emulator(
    port: Annotated[
        int, typer.Option(help="Port on 127.0.0.1; 0 picks a free one.", metavar="PORT")
    ] = 8765,
    jobs: Annotated[
        str | None,
        typer.Option(
            help="JSON file of extra jobs (see the README).", show_default=False, metavar="FILE"
        ),
    ] = None,
    latency: Annotated[
        float,
        typer.Option(help="Seconds added to every answer (for benchmarks).", metavar="SECONDS"),
    ] = 0.0,
    synthetic: Annotated[
        int,
        typer.Option(
            help="Add N finished jobs (synth-…, bench_project) of the last hour (for benchmarks).",
            metavar="N",
            min=0,
        ),
    ] = 0,
) -> None:
    """Serve a local MaxCompute OpenAPI emulator (no account needed)."""
    from maxjob.commands import emulator

    out = streams()
    execute(
        out,
        lambda: emulator.run(
            port=port, jobs=jobs, latency=latency, synthetic=synthetic, streams=out
        ),
    )


COMPLETE_VAR = "_MAXJOB_COMPLETE"


def _complete_shell(incomplete: str) -> list[str]:
    from maxjob.commands.completion import SHELLS

    return [shell for shell in SHELLS if shell.startswith(incomplete)]


@command(
    epilog=(
        "Install:\n"
        "  bash        maxjob completion bash \\\n"
        "                > ~/.local/share/bash-completion/completions/maxjob\n"
        '  zsh         maxjob completion zsh > "${fpath[1]}/_maxjob"\n'
        "  fish        maxjob completion fish > ~/.config/fish/completions/maxjob.fish\n"
        "  powershell  maxjob completion powershell >> $PROFILE"
    ),
)
def completion(
    shell: Annotated[
        str,
        typer.Argument(
            metavar="SHELL",
            help="bash, zsh, fish or powershell.",
            autocompletion=_complete_shell,
            show_default=False,
        ),
    ],
) -> None:
    """Print the shell completion script for bash, zsh, fish or PowerShell."""
    from maxjob.commands import completion

    out = streams()
    execute(out, lambda: completion.run(completion.Options(shell=shell), out, script_for))


def script_for(shell: str) -> str:
    # typer.completion is public; it re-exports these without declaring them.
    from typer.completion import (  # type: ignore[attr-defined]
        completion_init,
        get_completion_script,
    )

    completion_init()
    return get_completion_script(prog_name="maxjob", complete_var=COMPLETE_VAR, shell=shell)
