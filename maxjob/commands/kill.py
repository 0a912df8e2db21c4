"""`maxjob kill ID...`: stop jobs, safely.

RAM cannot scope `odps:KillJobs` to a project, so this command is the guard. Every job is read
first (GetJobInfo: project, owner, status); one that already ended is reported and left alone.
On a terminal the jobs to kill are listed and the person asked; without one, `--yes` is required
(and nothing is read or sent without it); `--dry-run` prints the requests instead of sending them.
Then one KillJobs request per job, in the order given, never sent twice: the client repeats it
only when the connection was refused, and after an answer that leaves it unknown whether the kill
arrived (a timeout, a reset, a 5xx, an unreadable answer) the job's status is read instead.
Unless `--no-wait`, the killed jobs are followed until they end or `--wait-timeout` passes.
One line (or JSON object) per job, in the order given, each as soon as it and those before it
are settled. Exit 0 when every job has ended, 8 when one still runs, else the worst error.
"""

from __future__ import annotations

import enum
import shlex
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from maxjob import exits, ids
from maxjob.api import operations as ops
from maxjob.commands.watch import warn_unknown_status
from maxjob.errors import MaxjobError, ResponseError, ServiceError, UsageError
from maxjob.models import JobInfo, Outcome
from maxjob.output import formats
from maxjob.output.jq import JqProgram
from maxjob.output.streams import Streams, color_wanted, is_terminal, terminal_width
from maxjob.polling import Clock, Deadline, poll
from maxjob.render import kill as view
from maxjob.render.sanitize import display
from maxjob.render.units import duration
from maxjob.session import ClientFactory, ConnectionOptions, open_client

if TYPE_CHECKING:
    from maxjob.api.client import MaxComputeClient

FORMATS = ("table", "plain", "json", "jsonl")
MAX_CONCURRENCY = 64
# Between polls of the killed jobs: a kill takes effect at the engine's next checkpoint,
# seconds away (OPERATIONS §4.3).
POLL_INTERVAL = 2.0


class Options(NamedTuple):
    refs: tuple[str, ...]
    yes: bool = False
    dry_run: bool = False
    wait: bool = True
    wait_timeout: float = 60.0
    interval: float = POLL_INTERVAL
    output: str | None = None
    jq: str | None = None
    concurrency: int = 8
    connection: ConnectionOptions = ConnectionOptions()


class Stage(enum.Enum):
    """Where one job is on its way through `kill`."""

    FAILED = "failed"  # an error decides its line: a bad id, a failed read, a refused kill
    ENDED = "ended"  # it had ended before any kill: left alone
    TO_KILL = "to kill"  # read and not ended: to be killed once confirmed
    PREVIEWED = "previewed"  # --dry-run: its request printed, not sent
    DECLINED = "declined"  # the person said no
    KILLED = "killed"  # KillJobs answered success
    UNCERTAIN = "uncertain"  # KillJobs was sent, and whether it arrived is unknown


@dataclass
class Target:
    """One job of the command line, and everything learnt about it."""

    instance_id: str
    stage: Stage = Stage.TO_KILL
    job: JobInfo | None = None
    error: MaxjobError | None = None  # the error its line reports
    context: str = ""  # what the error line says before the error
    kill_error: MaxjobError | None = None  # a kill that failed or whose answer was lost
    kill_sent_at: float | None = None  # monotonic time of its KillJobs request
    kill_accepted: bool | None = None  # None: not sent, or its answer was lost
    kill_request_id: str | None = None  # the request id of an accepted kill
    ended_after: float | None = None  # seconds from the kill to the first poll that saw it ended
    followed: bool = False
    timed_out: bool = False
    done: bool = False  # its line can be printed

    def fail(self, error: MaxjobError, context: str = "") -> None:
        self.stage, self.error, self.context, self.done = Stage.FAILED, error, context, True

    @property
    def job_ended(self) -> bool:
        return self.job is not None and self.job.is_finished

    def line(self, timeout: float) -> tuple[view.Line, int]:
        """Its line, and the exit status it stands for."""
        job, kill_error = self.job, self.kill_error
        status = (display(job.status, limit=64) if job else "") or "unknown"
        lost = ""
        if self.stage is Stage.UNCERTAIN and kill_error is not None:
            lost = f"; the kill's answer was lost: {kill_error.one_line()}"
        if self.stage is Stage.FAILED:
            assert self.error is not None
            detail = self.context + self.error.one_line()
            return self._line("error", detail, self.error.hint), self.error.exit_code
        if self.stage is Stage.ENDED:
            assert job is not None
            return self._line("already ended", view.ended_detail(job)), exits.ExitCode.OK
        if self.stage is Stage.PREVIEWED:
            return self._line("would kill", "--dry-run: not sent"), exits.ExitCode.OK
        if self.stage in (Stage.DECLINED, Stage.TO_KILL):
            return self._line("not killed", f"still {status}"), exits.ExitCode.RUNNING
        if job is not None and job.is_finished:
            after = (
                f" (seen {duration(self.ended_after)} after the kill)" if self.ended_after else ""
            )
            if job.outcome is Outcome.CANCELLED:
                return self._line("cancelled", f"{status}{after}{lost}"), exits.ExitCode.OK
            if job.outcome is Outcome.ENDED:
                # No substatus says how: not "before the kill took effect", which is not known.
                detail = f"{status}{after}, how is not known (no substatus says){lost}"
                return self._line("ended", detail), exits.ExitCode.OK
            detail = f"{view.ended_detail(job)} before the kill took effect{lost}"
            return self._line("ended", detail), exits.ExitCode.OK
        if self.stage is Stage.UNCERTAIN:
            assert kill_error is not None
            waited = f" after {duration(timeout)}" if self.timed_out else ""
            detail = (
                f"the kill was not confirmed: {kill_error.one_line()}; the job is still "
                f"{status}{waited}"
            )
            again = f"it may not have been killed: run `maxjob kill {self.shell_id} --yes` again"
            hint = f"{again}; {kill_error.hint}" if kill_error.hint else again
            return self._line("error", detail, hint), kill_error.exit_code
        if not self.followed:
            return self._line("kill sent", f"accepted; still {status}"), exits.ExitCode.OK
        detail = f"{status} {duration(timeout)} after the kill, which was accepted"
        hint = f"a job can take a while to stop: follow it with `maxjob wait {self.shell_id}`"
        return self._line("still running", detail, hint), exits.ExitCode.RUNNING

    @property
    def shell_id(self) -> str:
        """The id as a shell reads it, for a command in a hint."""
        import shlex

        return shlex.quote(self.instance_id)

    def _line(self, result: str, detail: str, hint: str | None = None) -> view.Line:
        return view.Line(self.instance_id, result, detail, hint)

    def as_json(self, line: view.Line, request: dict[str, Any] | None) -> dict[str, Any]:
        """The job's JSON object: what happened, the job's outcome, its errors (request ids in
        them), and, in a dry run, the request that would be sent."""
        job = self.job
        sent = self.kill_sent_at is not None
        value: dict[str, Any] = {
            "instanceId": self.instance_id,
            "result": line.result,
            "outcome": job.outcome.value if job and job.outcome else None,
            "status": job.status if job else None,
            "project": job.project if job else None,
            "jobOwner": job.job_owner if job else None,
            "kill": None
            if not sent
            else {
                "accepted": self.kill_accepted,
                "requestId": self.kill_request_id
                or (self.kill_error.request_id if self.kill_error else None),
                "error": self.kill_error.as_dict() if self.kill_error else None,
            },
            "error": self.error.as_dict() if self.error else None,
        }
        if request is not None:
            value["request"] = request
        return value


def kill_request(endpoint: str, instance_id: str, project: str) -> dict[str, Any]:
    """The KillJobs request for one job, as a dry run shows it (no signature: none is made)."""
    operation = ops.kill_jobs(instance_id, project)
    return {
        "method": operation.method,
        "url": endpoint + operation.path,
        "headers": {"x-acs-action": operation.action, "content-type": operation.content_type},
        "body": operation.body.decode("utf-8"),
    }


def run(
    options: Options,
    streams: Streams,
    client_factory: ClientFactory = open_client,
    stdin: TextIO | None = None,
    clock: Clock | None = None,
    now: Callable[[], datetime] | None = None,
) -> int:
    """Read, confirm, kill and follow every job; return the exit status."""
    if options.wait_timeout < 0:
        raise UsageError("--wait-timeout cannot be negative (0 checks once)")
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    stdin = stdin or sys.stdin
    jq = JqProgram(options.jq) if options.jq else None
    fmt = formats.choose(options.output, FORMATS, streams, jq is not None)
    can_ask = is_terminal(stdin) and is_terminal(streams.err) and "-" not in options.refs
    if not (options.yes or options.dry_run or can_ask):
        raise UsageError(
            "nothing was killed: without a terminal to confirm on, kill needs --yes"
            + (" (the ids came from stdin)" if "-" in options.refs else ""),
            hint="see what it would do with --dry-run, then run it again with --yes",
        )
    refs = list(ids.expand(options.refs, stdin, ids.stdin_prompt(streams.message), keep_bad=True))
    if not refs:
        raise UsageError("give at least one instance id (or - to read them from stdin)")
    targets: dict[str, Target] = {}
    for ref in refs:
        if isinstance(ref, ids.BadRef):  # an id that could not be read: an error in its place
            targets.setdefault(ref.text, Target(ref.text)).fail(ref.error)
        else:
            targets.setdefault(ref.instance_id, Target(ref.instance_id))
    region = next((r.region for r in refs if isinstance(r, ids.InstanceRef) and r.region), None)
    pool = min(options.concurrency, max(len(targets), 1))
    with client_factory(
        options.connection, streams, pool_size=pool, fallback_region=region
    ) as client:
        killing = _Kill(client, list(targets.values()), options, streams, fmt, jq)
        return killing.run(can_ask and not options.yes, stdin, clock or Clock(), now)


class _Kill:
    """One run of the command, phase by phase: read, confirm, kill, follow, report."""

    def __init__(
        self,
        client: MaxComputeClient,
        targets: list[Target],
        options: Options,
        streams: Streams,
        fmt: formats.Format,
        jq: JqProgram | None,
    ) -> None:
        self.client, self.targets, self.options, self.streams = client, targets, options, streams
        self.fmt, self.jq = fmt, jq
        # On a terminal the lines say it all; elsewhere (and in a dry run, whose stdout holds only
        # the requests) errors also go to stderr.
        self.errors_in_lines = (
            fmt.name == "table" and streams.out_is_terminal and not options.dry_run
        )
        self.hints_shown: set[str] = set()
        self.warned: set[str] = set()
        self.shown = 0
        self.requests_shown = 0
        self.collected: list[Any] = []
        self.width = view.id_width([t.instance_id for t in targets])
        for target in targets:
            if target.error is not None:
                self.tell(target)

    def run(
        self, ask: bool, stdin: TextIO, clock: Clock, now: Callable[[], datetime] | None
    ) -> int:
        try:
            self.read()
        except KeyboardInterrupt:
            self.streams.message("maxjob: interrupted; nothing was killed")
            return exits.ExitCode.INTERRUPTED
        to_kill = [t for t in self.targets if t.stage is Stage.TO_KILL]
        if self.options.dry_run:
            for target in to_kill:
                target.stage, target.done = Stage.PREVIEWED, True
            return self.finish()
        if to_kill and ask:
            try:
                confirmed = self.confirm(to_kill, stdin, (now or _utc_now)())
            except KeyboardInterrupt:
                self.streams.err.write("\n")
                self.streams.message("maxjob: interrupted; nothing was killed")
                return exits.ExitCode.INTERRUPTED
            if not confirmed:
                self.streams.message("maxjob: nothing was killed")
                for target in to_kill:
                    target.stage, target.done = Stage.DECLINED, True
                return self.finish()
        sent: list[Target] = []
        try:
            self.flush()
            for target in to_kill:
                if self.fmt.name != "json" and reader_gone(self.streams.out):
                    raise BrokenPipeError  # no kill after the reader of its line has gone
                sent.append(target)
                self.kill(target, clock)
                self.flush()
            if self.options.wait:
                self.follow(clock)
        except KeyboardInterrupt:
            self.streams.clear_status()
            self.interrupted(sent, to_kill)
            return exits.ExitCode.INTERRUPTED
        except BrokenPipeError:
            # Nobody reads stdout any more (`| head -1`): no more kills are sent, as after
            # Ctrl-C, and stderr says which were; the command leaves with 141.
            self.streams.clear_status()
            self.interrupted(sent, to_kill, why="stdout was closed")
            raise
        self.streams.clear_status()
        return self.finish()

    # -- read --------------------------------------------------------------------------------

    def read(self) -> None:
        """GetJobInfo for every job, concurrently: what to kill, and what to leave alone."""
        unread = [t for t in self.targets if t.stage is Stage.TO_KILL]
        by_id = {t.instance_id: t for t in unread}
        concurrency = self.options.concurrency if len(unread) > 1 else 1
        results = self.client.get_many(list(by_id), concurrency=concurrency)
        try:
            for instance_id, result in results:
                target = by_id[instance_id]
                if isinstance(result, MaxjobError):
                    target.fail(result, "cannot read the job: ")
                    self.tell(target)
                    continue
                target.job = result
                warn_unknown_status(self.streams, instance_id, result, self.warned)
                if result.is_finished:
                    target.stage, target.done = Stage.ENDED, True
                elif not (result.project or "").strip():
                    target.fail(ResponseError("GetJobInfo gave no project: cannot kill it"))
                    self.tell(target)
        finally:
            results.close()

    # -- confirm -----------------------------------------------------------------------------

    def confirm(self, to_kill: list[Target], stdin: TextIO, now: datetime) -> bool:
        """The table of jobs to kill on stderr, then `Kill N jobs? [y/N]`; yes only for y/yes."""
        skipped = [
            view.Skipped(t.instance_id, self.skip_reason(t))
            for t in self.targets
            if t.stage in (Stage.ENDED, Stage.FAILED)
        ]
        jobs = [(t.instance_id, t.job) for t in to_kill if t.job is not None]
        where = self.client.settings.host
        width = terminal_width(self.streams.err, self.streams.environ)
        self.draw_on_stderr(
            view.confirmation(jobs, skipped, where=where, now=now, width=width), width
        )
        discard_typeahead(stdin)  # a key pressed before the table was shown answers nothing
        self.streams.err.write(view.prompt(len(to_kill)))
        self.streams.err.flush()
        answer = stdin.readline()
        if not answer:  # end of input (Ctrl-D): no
            self.streams.err.write("\n")
        return answer.strip().lower() in ("y", "yes")

    def skip_reason(self, target: Target) -> str:
        if target.stage is Stage.ENDED and target.job is not None:
            return f"already ended: {view.ended_detail(target.job)}"
        assert target.error is not None
        return f"error: {target.context}{target.error.one_line()}"

    def draw_on_stderr(self, renderable: Any, width: int) -> None:
        environ = self.streams.environ
        color = color_wanted(self.streams.err, self.streams.no_color, environ)
        text = view.to_text(renderable, width=width, color=color, environ=environ)
        self.streams.err.write(self.streams.outgoing(text))
        self.streams.err.flush()

    # -- kill --------------------------------------------------------------------------------

    def kill(self, target: Target, clock: Clock) -> None:
        """One KillJobs request; after a failure, the job's status read again, never the kill
        sent again."""
        assert target.job is not None and target.job.project is not None
        target.kill_sent_at = clock.monotonic()
        try:
            answer = self.client.kill_job(target.instance_id, target.job.project.strip())
        except MaxjobError as exc:
            self.kill_failed(target, exc)
            return
        if not _says_success(answer.data):
            # The documented answer is `"data": "success"`; anything else is not taken as yes.
            said = display(answer.data if isinstance(answer.data, str) else repr(answer.data))
            error = ResponseError(
                f'KillJobs answered {said[:80]!r} where "success" was expected',
                http_status=200,
                request_id=answer.request_id,
            )
            self.kill_failed(target, error)
            return
        target.stage, target.kill_accepted = Stage.KILLED, True
        target.kill_request_id = answer.request_id
        if not self.options.wait:
            target.done = True

    def kill_failed(self, target: Target, error: MaxjobError) -> None:
        target.kill_error = error
        throttled = error.http_status == 429  # as the client tells it (and then sends it once)
        if isinstance(error, ServiceError | ResponseError) and not throttled:
            # A timeout, a reset, a 5xx, an unreadable answer: the kill may have arrived.
            target.stage = Stage.UNCERTAIN
            answered = "no answer" if error.http_status is None else "an error answer"
            follow = (
                f"; following the job's status for up to {duration(self.options.wait_timeout)}"
                if self.options.wait and self.options.wait_timeout > 0
                else "; reading the job's status instead"
            )
            self.streams.warn(
                f"{target.instance_id}: the kill got {answered} and may or may not have been "
                f"done: {error.one_line()}{follow}"
            )
            if self.reread(target) and (target.job_ended or not self.options.wait):
                target.done = True
            return
        target.kill_accepted = False
        if isinstance(error, UsageError) and self.reread(target) and target.job_ended:
            # ILLEGAL_ARGUMENT: only a running job can be killed, and this one has just ended.
            target.stage, target.done = Stage.ENDED, True
            return
        if target.stage is not Stage.FAILED:  # (a failed read again has said so already)
            # Throttled: turned away before it was carried out; not sent again (run it again).
            target.fail(
                error,
                "the kill was throttled, not done: " if throttled else "the kill was refused: ",
            )
            self.tell(target)

    def reread(self, target: Target) -> bool:
        """GetJobInfo once more; False (and the target failed) when that fails too."""
        try:
            target.job = self.client.get_job_info(target.instance_id)
        except MaxjobError as exc:
            kill_error = target.kill_error or exc
            then = f"reading the job failed too: {exc.one_line()}"
            if target.stage is Stage.UNCERTAIN:
                target.fail(kill_error, f"the kill's outcome is unknown ({then}): ")
            else:
                target.fail(kill_error, f"the kill was refused ({then}): ")
            self.tell(target)
            return False
        return True

    # -- follow ------------------------------------------------------------------------------

    def follow(self, clock: Clock) -> None:
        """Poll every killed job until it ends or `--wait-timeout` passes."""
        following = [t for t in self.targets if t.stage in (Stage.KILLED, Stage.UNCERTAIN)]
        for target in following:
            target.followed = True
        if not any(not t.done for t in following):
            return
        deadline = Deadline(clock, self.options.wait_timeout)

        def step() -> bool:
            pending = [t for t in following if not t.done]
            by_id = {t.instance_id: t for t in pending}
            # Polls end with the wait, but each may always take one whole attempt.
            until = max(deadline.at, clock.monotonic() + self.client.one_attempt())
            results = self.client.get_many(
                list(by_id), concurrency=self.options.concurrency, deadline=until
            )
            try:
                for instance_id, result in results:
                    target = by_id[instance_id]
                    if isinstance(result, MaxjobError):
                        self.streams.clear_status()
                        if target.stage is Stage.UNCERTAIN and target.kill_error is not None:
                            then = f"reading the job failed too: {result.one_line()}"
                            target.fail(
                                target.kill_error, f"the kill's outcome is unknown ({then}): "
                            )
                        else:
                            target.fail(result, "the kill was accepted; reading the job failed: ")
                        self.tell(target)
                        continue
                    target.job = result
                    warn_unknown_status(self.streams, instance_id, result, self.warned)
                    if result.is_finished:
                        target.done = True
                        if target.kill_sent_at is not None:
                            target.ended_after = clock.monotonic() - target.kill_sent_at
            finally:
                results.close()
            self.streams.clear_status()
            self.flush()
            return all(t.done for t in following)

        idle = self.idle_for(following, deadline) if is_terminal(self.streams.err) else None
        if not poll(
            step, clock=clock, interval=self.options.interval, deadline=deadline, idle=idle
        ):
            for target in following:
                if not target.done:
                    target.timed_out = target.done = True

    def idle_for(self, following: list[Target], deadline: Deadline) -> Callable[[float], None]:
        def idle(left: float) -> None:
            pending = [t for t in following if not t.done]
            if not pending:
                return
            first = pending[0]
            state = display(first.job.status, limit=64) if first.job else "unknown"
            more = f" and {len(pending) - 1} more" if len(pending) > 1 else ""
            line = (
                f"waiting for {display(first.instance_id)} ({state}){more} to end · "
                f"{duration(max(0, round(deadline.remaining())))} left · Ctrl-C to stop"
            )
            self.streams.status(line)

        return idle

    def interrupted(
        self, sent: list[Target], to_kill: list[Target], why: str = "interrupted"
    ) -> None:
        # Sent: accepted, or with its answer unknown; a refused kill was not sent to any effect.
        killed = [t.instance_id for t in sent if t.kill_accepted is not False]
        left = [t.instance_id for t in to_kill if t not in sent]
        if not killed:
            self.streams.message(f"maxjob: {why}; nothing was killed")
            return
        self.streams.message(
            f"maxjob: {why}; a kill was sent for {_listed(killed)}"
            + (f"; not for {_listed(left)}" if left else "")
        )
        words = ("maxjob", "wait", *killed[:20])
        self.streams.message("maxjob: follow them with: " + " ".join(shlex.quote(w) for w in words))

    # -- report ------------------------------------------------------------------------------

    def tell(self, target: Target) -> None:
        """An error on stderr as it happens (on a terminal view, its line says it instead)."""
        if self.errors_in_lines or target.error is None:
            return
        error = target.error
        self.streams.message(
            f"maxjob: error: {target.instance_id}: {target.context}{error.one_line()}"
        )
        if error.hint and error.hint not in self.hints_shown:
            self.hints_shown.add(error.hint)
            self.streams.message(f"maxjob: hint: {error.hint}")

    def flush(self) -> None:
        """Print the lines of the jobs now settled, in the order given."""
        while self.shown < len(self.targets) and self.targets[self.shown].done:
            self.show(self.targets[self.shown])
            self.shown += 1

    def show(self, target: Target) -> None:
        line, _ = target.line(self.options.wait_timeout)
        request = self.request_of(target)
        if self.fmt.is_json:
            value = target.as_json(line, request)
            if self.fmt.name == "jsonl":
                formats.emit_json(self.streams, value, self.jq, compact=True)
            else:
                self.collected.append(value)
        elif request is not None:
            # Requests apart by a blank line, as HTTP messages are written; none after the last.
            self.streams.write(("\n" if self.requests_shown else "") + view.request_text(request))
            self.requests_shown += 1
        elif self.options.dry_run:
            # Stdout holds only the requests; what would not be sent is said on stderr.
            if target.stage is Stage.ENDED:
                self.streams.message(
                    f"maxjob: {target.instance_id}: {line.result}, {line.detail}; not killed"
                )
        elif self.fmt.name == "plain":
            self.streams.write(view.plain_line(line))
            if line.hint and line.hint not in self.hints_shown:
                self.hints_shown.add(line.hint)
                self.streams.message(f"maxjob: hint: {line.hint}")
        else:
            console = self.streams.console()
            console.print(view.terminal_line(line, self.width, console.width))

    def request_of(self, target: Target) -> dict[str, Any] | None:
        if target.stage is not Stage.PREVIEWED or target.job is None:
            return None
        project = (target.job.project or "").strip()
        return kill_request(self.client.settings.endpoint, target.instance_id, project)

    def finish(self) -> int:
        for target in self.targets:
            target.done = True
        self.flush()
        if self.fmt.name == "json":
            formats.emit_json(self.streams, self.collected, self.jq, compact=False)
        codes = [target.line(self.options.wait_timeout)[1] for target in self.targets]
        return exits.worst(codes)


def reader_gone(stream: TextIO) -> bool:
    """Whether `stream` is a pipe whose reader has closed it (the next write would fail)."""
    import select

    try:
        poller = select.poll()
        poller.register(stream.fileno(), 0)  # only POLLERR/POLLHUP, which are always reported
        return bool(poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no descriptor (a test's StringIO), no poll
        return False


def _says_success(data: Any) -> bool:
    return isinstance(data, str) and data.strip().lower() == "success"


def discard_typeahead(stdin: TextIO) -> None:
    """Drop what was typed on the terminal but not yet read: only an answer typed after the
    question is an answer to it."""
    try:
        import termios

        if stdin.isatty():
            termios.tcflush(stdin.fileno(), termios.TCIFLUSH)
    except (ImportError, OSError, ValueError, AttributeError):  # not a terminal after all
        pass


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _listed(instance_ids: Iterable[str]) -> str:
    shown = [display(i) for i in instance_ids]
    return ", ".join(shown[:10]) + (f" and {len(shown) - 10} more" if len(shown) > 10 else "")
