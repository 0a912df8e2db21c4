"""`maxjob kill` on a fake client and a fake clock: what is read, asked, sent and reported, and
the exit status, without a socket or a real second."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from maxjob.api.answers import Answer
from maxjob.commands import kill
from maxjob.errors import (
    CredentialsError,
    MaxjobError,
    NotFoundError,
    ResponseError,
    ServiceError,
    UsageError,
)
from maxjob.models import JobInfo
from maxjob.output.streams import Streams
from maxjob.polling import FakeClock
from tests.unit.fakes import ScriptedJobs, State

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
STARTED = int(NOW.timestamp()) - 750  # running for 12m 30s at NOW
RUNNING = {"status": "running", "project": "p1", "jobOwner": "RAM$ann", "runningAtTime": STARTED}
CANCELLED = {**RUNNING, "status": "cancelled"}
SUCCEEDED = {**RUNNING, "status": "success"}


class FakeClient(ScriptedJobs):
    """Scripted jobs; kills answered from `kills` (an error to raise, else success) and
    recorded."""

    def __init__(self, script: dict[str, list[State]], kills: dict[str, MaxjobError] | None = None):
        super().__init__(script)
        self.kill_answers = kills or {}
        self.kills: list[tuple[str, str]] = []

    def kill_job(self, instance_id: str, project: str) -> Any:
        self.kills.append((instance_id, project))
        answer = self.kill_answers.get(instance_id)
        if answer is not None:
            raise answer
        return Answer("success", f"req-kill-{instance_id}")


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Interrupting(Terminal):
    """A terminal whose reader presses Ctrl-C."""

    def readline(self, size: int | None = -1) -> str:
        raise KeyboardInterrupt


def streams(*, terminal: bool = False) -> Streams:
    err = Terminal() if terminal else io.StringIO()
    return Streams(io.StringIO(), err, environ={"COLUMNS": "100"})


def out_of(s: Streams) -> str:
    value: str = s.out.getvalue()  # type: ignore[attr-defined]
    return value


def err_of(s: Streams) -> str:
    value: str = s.err.getvalue()  # type: ignore[attr-defined]
    return value


def run(
    client: FakeClient,
    *refs: str,
    out: Streams | None = None,
    stdin: io.StringIO | None = None,
    clock: FakeClock | None = None,
    **options: Any,
) -> int:
    options.setdefault("output", "plain")
    return kill.run(
        kill.Options(refs=refs, **options),
        out or streams(),
        lambda *a, **k: client,
        stdin=stdin or io.StringIO(),
        clock=clock or FakeClock(),
        now=lambda: NOW,
    )


def lines(s: Streams) -> list[list[str]]:
    return [line.split("\t") for line in out_of(s).splitlines()]


# -- no terminal, no --yes: nothing at all ------------------------------------------------------


def test_without_a_terminal_it_needs_yes_and_sends_nothing() -> None:
    opened: list[int] = []

    def factory(*args: Any, **kwargs: Any) -> FakeClient:
        opened.append(1)
        return FakeClient({})

    with pytest.raises(UsageError, match="needs --yes") as raised:
        kill.run(kill.Options(refs=("a",)), streams(), factory, stdin=io.StringIO())
    assert raised.value.exit_code == 2
    assert "--dry-run" in (raised.value.hint or "")
    assert opened == []  # no client: not even a read
    # Ids from stdin leave no terminal to answer on, even when stdin is one.
    with pytest.raises(UsageError, match="stdin"):
        kill.run(kill.Options(refs=("-",)), streams(terminal=True), factory, stdin=Terminal())


# -- the single request, and what is left alone ---------------------------------------------------


def test_one_kill_per_job_with_its_project_and_the_ended_left_alone() -> None:
    client = FakeClient(
        {
            "a": [RUNNING, RUNNING, CANCELLED],
            "done": [SUCCEEDED],
            "b": [{**RUNNING, "project": " p2 "}, CANCELLED],
        }
    )
    out = streams()
    code = run(client, "a", "done", "b", "a", out=out, yes=True)
    assert code == 0
    assert client.kills == [("a", "p1"), ("b", "p2")]  # a once, though given twice
    assert lines(out) == [
        ["a", "cancelled", "cancelled (seen 2s after the kill)"],
        ["done", "already ended", "succeeded"],
        ["b", "cancelled", "cancelled"],
    ]


def test_a_bad_id_is_an_error_in_its_place_and_the_others_are_killed() -> None:
    client = FakeClient({"a": [RUNNING, CANCELLED]})
    out = streams()
    code = run(client, "a", "bad\x1bid", "missing", out=out, yes=True)
    assert client.kills == [("a", "p1")]
    assert [line[:2] for line in lines(out)] == [
        ["a", "cancelled"],
        ["bad\\x1bid", "error"],
        ["missing", "error"],
    ]
    assert code == 5  # not found outranks the bad id's 2
    assert "maxjob: error: missing: cannot read the job: job missing not found" in err_of(out)


def test_a_job_without_a_project_is_not_killed() -> None:
    client = FakeClient({"a": [{"status": "running"}]})
    out = streams()
    assert run(client, "a", out=out, yes=True) == 1
    assert client.kills == []
    assert "no project" in out_of(out)


# -- confirmation on a terminal -------------------------------------------------------------------


def two_running() -> FakeClient:
    return FakeClient(
        {
            "a": [RUNNING, CANCELLED],
            "b": [{**RUNNING, "project": "p2", "jobOwner": "RAM$bob"}, CANCELLED],
            "done": [SUCCEEDED],
        }
    )


def test_the_table_then_yes_kills() -> None:
    client = two_running()
    out = streams(terminal=True)
    code = run(client, "a", "b", "done", out=out, stdin=Terminal("y\n"))
    assert code == 0
    assert client.kills == [("a", "p1"), ("b", "p2")]
    shown = err_of(out)
    assert "About to kill 2 jobs at maxcompute.cn-hangzhou.aliyuncs.com:" in shown
    for text in ("ID", "project", "owner", "status", "running for", "RAM$bob", "12m 30s"):
        assert text in shown
    assert "They are in 2 projects, of 2 owners." in shown
    assert "done  already ended: succeeded" in shown
    assert shown.rstrip().endswith("Kill 2 jobs? [y/N]")


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "yes please\n", "no\n"])
def test_anything_but_yes_kills_nothing_and_exits_8(answer: str) -> None:
    client = two_running()
    out = streams(terminal=True)
    code = run(client, "a", "b", "done", out=out, stdin=Terminal(answer))
    assert code == 8  # the jobs still run
    assert client.kills == []
    assert "maxjob: nothing was killed" in err_of(out)
    assert [line[:2] for line in lines(out)] == [
        ["a", "not killed"],
        ["b", "not killed"],
        ["done", "already ended"],
    ]


def test_ctrl_c_at_the_prompt_kills_nothing_and_exits_130() -> None:
    client = two_running()
    out = streams(terminal=True)
    assert run(client, "a", "b", out=out, stdin=Interrupting()) == 130
    assert client.kills == []
    assert "interrupted; nothing was killed" in err_of(out)
    assert out_of(out) == ""


def test_yes_skips_the_question_and_nothing_to_kill_asks_nothing() -> None:
    client = two_running()
    out = streams(terminal=True)
    assert run(client, "a", out=out, stdin=Terminal(), yes=True) == 0
    assert "Kill" not in err_of(out) and client.kills == [("a", "p1")]
    ended = FakeClient({"done": [SUCCEEDED]})
    out = streams(terminal=True)
    assert run(ended, "done", out=out, stdin=Terminal()) == 0
    assert "Kill" not in err_of(out) and ended.kills == []


# -- dry run --------------------------------------------------------------------------------------


def test_dry_run_prints_the_requests_and_sends_none() -> None:
    client = two_running()
    out = streams()
    assert run(client, "a", "done", out=out, dry_run=True) == 0
    assert client.kills == []
    assert client.reads == {"a": 1, "done": 1}  # read once; not followed
    assert out_of(out) == (
        "POST https://maxcompute.cn-hangzhou.aliyuncs.com/api/v1/jobs/kill\n"
        "x-acs-action: KillJobs\n"
        "content-type: application/json; charset=utf-8\n"
        "\n"
        '[{"instanceId":"a","projectName":"p1"}]\n'
    )
    assert "maxjob: done: already ended, succeeded; not killed" in err_of(out)


def test_dry_run_requests_are_apart_by_one_blank_line_and_none_after_the_last() -> None:
    client = two_running()
    out = streams()
    assert run(client, "a", "b", out=out, dry_run=True) == 0
    requests = out_of(out).split("\n\nPOST ")
    assert len(requests) == 2 and not out_of(out).endswith("\n\n")


def test_dry_run_json_has_the_request_and_no_credential() -> None:
    client = two_running()
    out = streams()
    out.hide("the-secret")
    assert run(client, "a", "done", out=out, dry_run=True, output="json") == 0
    value = json.loads(out_of(out))
    assert [v["result"] for v in value] == ["would kill", "already ended"]
    assert value[0]["request"] == {
        "method": "POST",
        "url": "https://maxcompute.cn-hangzhou.aliyuncs.com/api/v1/jobs/kill",
        "headers": {
            "x-acs-action": "KillJobs",
            "content-type": "application/json; charset=utf-8",
        },
        "body": '[{"instanceId":"a","projectName":"p1"}]',
    }
    assert "authorization" not in out_of(out).lower()


# -- after the kill: the wait, its timeout, and kills whose answer was lost ----------------------


def test_the_wait_follows_each_job_until_it_ends() -> None:
    client = FakeClient({"a": [RUNNING, RUNNING, RUNNING, CANCELLED]})
    clock = FakeClock()
    out = streams()
    assert run(client, "a", out=out, clock=clock, yes=True, interval=2) == 0
    assert clock.sleeps == [2, 2]  # polled at once, then every 2 s
    assert client.reads == {"a": 4}


def test_the_wait_times_out_with_8_and_the_job_still_running() -> None:
    client = FakeClient({"a": [RUNNING]})
    clock = FakeClock()
    out = streams()
    code = run(client, "a", out=out, clock=clock, yes=True, wait_timeout=7, interval=2)
    assert code == 8
    assert sum(clock.sleeps) == pytest.approx(7)
    assert lines(out) == [["a", "still running", "running 7s after the kill, which was accepted"]]
    assert "hint: a job can take a while to stop: follow it with `maxjob wait a`" in err_of(out)


@pytest.mark.timed
def test_a_job_that_ends_otherwise_after_the_kill() -> None:
    client = FakeClient({"a": [RUNNING, SUCCEEDED]})
    out = streams()
    assert run(client, "a", out=out, yes=True) == 0
    assert lines(out) == [["a", "ended", "succeeded before the kill took effect"]]


def test_a_job_that_ends_with_no_word_on_how_is_not_said_to_have_beaten_the_kill() -> None:
    untold = {**RUNNING, "status": "terminated"}
    client = FakeClient({"a": [RUNNING, untold]})
    out = streams()
    assert run(client, "a", out=out, yes=True) == 0
    [[_, result, detail]] = lines(out)
    assert result == "ended" and "how is not known" in detail, detail
    assert "before the kill took effect" not in detail


def test_no_wait_reports_the_kill_sent() -> None:
    client = FakeClient({"a": [RUNNING]})
    clock = FakeClock()
    out = streams()
    assert run(client, "a", out=out, clock=clock, yes=True, wait=False) == 0
    assert lines(out) == [["a", "kill sent", "accepted; still running"]]
    assert client.reads == {"a": 1} and clock.sleeps == []


def lost() -> ServiceError:
    return ServiceError(
        "maxcompute did not answer in time (after 1 attempt; not sent again, as it may have "
        "reached the server)",
        request_id=None,
    )


def test_a_lost_answer_is_never_sent_again_the_status_is_read_instead() -> None:
    # The kill arrived: the job ends cancelled; exit 0, and the lost answer is said.
    client = FakeClient({"a": [RUNNING, RUNNING, CANCELLED]}, kills={"a": lost()})
    out = streams()
    assert run(client, "a", out=out, yes=True) == 0
    assert client.kills == [("a", "p1")]
    assert lines(out)[0][:2] == ["a", "cancelled"]
    assert "the kill's answer was lost" in lines(out)[0][2]
    assert "following the job's status for up to 1m 00s" in err_of(out)


def test_a_lost_answer_and_a_job_that_still_runs_is_the_error() -> None:
    unavailable = ServiceError(
        "The request has failed due to a temporary failure.",
        code="ServiceUnavailable",
        request_id="req-503",
    )
    client = FakeClient({"a": [RUNNING]}, kills={"a": unavailable})
    out = streams()
    assert run(client, "a", out=out, yes=True, wait_timeout=4) == 6
    assert client.kills == [("a", "p1")]
    result, detail = lines(out)[0][1:]
    assert result == "error"
    assert "request id req-503" in detail and "still running after 4s" in detail
    assert "hint: it may not have been killed: run `maxjob kill a --yes` again" in err_of(out)
    # With --no-wait: read once, and the same error.
    client = FakeClient({"a": [RUNNING]}, kills={"a": unavailable})
    assert run(client, "a", out=streams(), yes=True, wait=False) == 6
    assert client.kills == [("a", "p1")] and client.reads == {"a": 2}


def test_an_unreadable_answer_counts_as_lost() -> None:
    client = FakeClient({"a": [RUNNING, CANCELLED]}, kills={"a": ResponseError("unreadable")})
    assert run(client, "a", out=streams(), yes=True) == 0
    assert client.kills == [("a", "p1")]


def test_a_job_that_ended_between_the_read_and_the_kill_is_already_ended() -> None:
    refused = UsageError(
        "Only an instance in the Running state can be specified",
        code="ILLEGAL_ARGUMENT",
        request_id="req-400",
    )
    client = FakeClient({"a": [RUNNING, SUCCEEDED]}, kills={"a": refused})
    out = streams()
    assert run(client, "a", out=out, yes=True) == 0
    assert lines(out) == [["a", "already ended", "succeeded"]]
    assert client.kills == [("a", "p1")]


def test_a_refused_kill_is_the_error_with_its_request_id_and_hint() -> None:
    denied = CredentialsError(
        "You have no permission",
        code="NoPermission",
        request_id="req-403",
        hint="grant the RAM action odps:KillJobs on all resources (*); it applies to every "
        "project of the account (RAM cannot scope it to one)",
    )
    client = FakeClient({"a": [RUNNING], "b": [RUNNING]}, kills={"a": denied, "b": denied})
    out = streams()
    assert run(client, "a", "b", out=out, yes=True, output="json") == 4
    value = json.loads(out_of(out))
    assert value[0]["result"] == "error"
    assert value[0]["error"] == {
        "code": "NoPermission",
        "message": "You have no permission",
        "requestId": "req-403",
    }
    assert value[0]["kill"]["accepted"] is False
    assert err_of(out).count("maxjob: hint: grant the RAM action odps:KillJobs") == 1


def test_the_worst_exit_status_wins() -> None:
    client = FakeClient(
        {"a": [RUNNING], "b": [RUNNING, CANCELLED]},
        kills={"a": ServiceError("down", code="ServiceUnavailable")},
    )
    assert run(client, "a", "b", out=streams(), yes=True, wait_timeout=2) == 6
    client = FakeClient({"a": [RUNNING], "b": [RUNNING, CANCELLED], "c": [SUCCEEDED]})
    assert run(client, "a", "b", "c", out=streams(), yes=True, wait_timeout=2) == 8


def test_jsonl_is_one_object_per_job_in_the_order_given() -> None:
    client = FakeClient({"a": [RUNNING, CANCELLED], "done": [SUCCEEDED]})
    out = streams()
    assert run(client, "a", "done", "nope", out=out, yes=True, output="jsonl") == 5
    values = [json.loads(line) for line in out_of(out).splitlines()]
    assert [(v["instanceId"], v["result"], v["outcome"]) for v in values] == [
        ("a", "cancelled", "cancelled"),
        ("done", "already ended", "succeeded"),
        ("nope", "error", None),
    ]
    assert values[0]["kill"] == {"accepted": True, "requestId": "req-kill-a", "error": None}
    assert values[1]["kill"] is None
    assert values[2]["error"]["code"] == "OBJECT_NOT_EXIST"


def test_bad_options_are_usage_errors() -> None:
    for options in ({"wait_timeout": -1}, {"concurrency": 0}):
        with pytest.raises(UsageError):
            run(FakeClient({}), "a", yes=True, **options)


# -- untrusted text -------------------------------------------------------------------------------

HOSTILE = {
    **RUNNING,
    "project": "p\x1b[31m[bold]\u202e",
    "jobOwner": "o\x07wn:smile:",
    "status": "running\x1b]0;title\x07",
}


@pytest.mark.parametrize(("output", "colour"), [("plain", "NO_COLOR"), ("table", "FORCE_COLOR")])
def test_server_text_is_escaped_in_the_table_lines_and_requests(output: str, colour: str) -> None:
    client = FakeClient({"a": [HOSTILE, {**HOSTILE, "status": "cancelled"}]})
    out = Streams(Terminal(), Terminal(), environ={"COLUMNS": "200", colour: "1"})
    assert run(client, "a", out=out, stdin=Terminal("y\n"), output=output) == 0
    dry = streams()
    run(FakeClient({"a": [HOSTILE]}), "a", out=dry, dry_run=True)
    for text in (err_of(out), out_of(out), out_of(dry)):
        for raw in ("\x1b[31m[bold]", "\x1b]0;", "\x07", "\u202e"):
            assert raw not in text
    assert "p\\x1b[31m[bold]\\u202e" in err_of(out)
    assert "o\\x07wn:smile:" in err_of(out)
    # The project name is sent exactly; the body printed is JSON that means the same.
    assert client.kills == [("a", "p\x1b[31m[bold]\u202e")]
    assert '"projectName":"p\\u001b[31m[bold]\\u202e"' in out_of(dry)


# -- the views at several widths ------------------------------------------------------------------


def render(renderable: Any, width: int) -> str:
    from rich.console import Console

    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize("width", [60, 80, 160])
def test_the_confirmation_fits_and_keeps_each_id_whole(width: int) -> None:
    from maxjob.render import kill as view

    jobs = [
        ("20230410071055424gqt9ulc2yuo", JobInfo.from_api(RUNNING)),
        ("20230410071055424gqt9ulc2yup", JobInfo.from_api({**RUNNING, "jobOwner": "RAM$b"})),
    ]
    skipped = [view.Skipped("done", "already ended: succeeded")]
    text = render(view.confirmation(jobs, skipped, where="h", now=NOW, width=width), width)
    assert all(len(line) <= width for line in text.splitlines())
    for instance_id, _ in jobs:
        assert instance_id in text
    assert "12m 30s" in text and "RAM$ann" in text and "done" in text


@pytest.mark.parametrize("width", [60, 80, 160])
def test_a_line_fits_and_says_its_result(width: int) -> None:
    from maxjob.render import kill as view

    line = view.Line("20230410071055424gqt9ulc2yuo", "error", "x " * 100, hint="grant it")
    text = render(view.terminal_line(line, 28, width), width)
    assert all(len(row) <= width for row in text.splitlines())
    assert "20230410071055424gqt9ulc2yuo" in text.replace("\n", "")
    assert "error" in text and "hint: grant it" in text


def test_a_narrow_card_labels_a_job_that_has_not_started_waited() -> None:
    from maxjob.render import kill as view

    waiting = JobInfo.from_api({"project": "p", "jobOwner": "o", "status": "waiting",
                                "submittedAtTime": STARTED})  # fmt: skip
    text = render(view.confirmation([("w", waiting)], [], where="h", now=NOW, width=60), 60)
    assert "  waited   12m 30s" in text and "running for" not in text, text


def test_running_for() -> None:
    from maxjob.render.kill import running_for

    assert running_for(JobInfo.from_api(RUNNING), NOW) == "12m 30s"
    waiting = JobInfo.from_api({"submittedAtTime": STARTED})
    assert running_for(waiting, NOW) == "waited 12m 30s"
    assert running_for(JobInfo.from_api({}), NOW) == ""


# -- when reading again fails too, and Ctrl-C after the kills ----------------------------------


def test_a_lost_answer_and_a_failed_read_again_is_the_kill_error() -> None:
    down = ServiceError("unreachable", code="ServiceUnavailable", request_id="req-k")
    client = FakeClient({"a": [RUNNING, ServiceError("still down", request_id="req-g")]})
    client.kill_answers["a"] = down
    out = streams()
    assert run(client, "a", out=out, yes=True) == 6
    assert client.kills == [("a", "p1")]
    (line,) = lines(out)
    assert line[1] == "error"
    assert "the kill's outcome is unknown (reading the job failed too: still down" in line[2]
    assert "request id req-k" in line[2] and "request id req-g" in line[2]


def test_a_failed_poll_after_an_accepted_kill() -> None:
    client = FakeClient({"a": [RUNNING, NotFoundError("job a not found", request_id="req-p")]})
    out = streams()
    assert run(client, "a", out=out, yes=True) == 5
    assert lines(out) == [
        [
            "a",
            "error",
            "the kill was accepted; reading the job failed: job a not found (request id req-p)",
        ]
    ]


def test_a_refusal_of_a_job_still_running_is_the_error() -> None:
    refused = UsageError("Bad project", code="ILLEGAL_ARGUMENT", request_id="req-400")
    client = FakeClient({"a": [RUNNING]}, kills={"a": refused})
    out = streams()
    assert run(client, "a", out=out, yes=True) == 2
    assert lines(out) == [
        ["a", "error", "the kill was refused: Bad project (ILLEGAL_ARGUMENT, request id req-400)"]
    ]
    assert err_of(out).count("maxjob: error: a: the kill was refused") == 1


def test_ctrl_c_while_following_says_what_was_sent_and_how_to_follow() -> None:
    client = FakeClient({"a": [RUNNING], "b": [RUNNING]})
    polls = {"n": 0}
    read = client.get_job_info

    def interrupted(instance_id: str, *, deadline: float | None = None) -> JobInfo:
        polls["n"] += 1
        if polls["n"] > 2:  # the two reads pass; the first poll is interrupted
            raise KeyboardInterrupt
        return read(instance_id)

    client.get_job_info = interrupted  # type: ignore[method-assign]
    out = streams()
    assert run(client, "a", "b", out=out, yes=True) == 130
    assert client.kills == [("a", "p1"), ("b", "p1")]
    assert "interrupted; a kill was sent for a, b" in err_of(out)
    assert "follow them with: maxjob wait a b" in err_of(out)
