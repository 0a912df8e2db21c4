"""`maxjob why` in this process, against the emulator's stories: the stage from the last substatus,
the queue under FIFO and priority and Fair, pay-as-you-go, what could not be seen, finished jobs
(longest phase, diagnostics, history), every format, and `info`'s pointer to `why`."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from maxjob import diagnosis
from maxjob.commands import why
from maxjob.emulator import seed
from maxjob.models import JobInfo
from maxjob.output.streams import Streams
from maxjob.render import markdown as md
from maxjob.render import why as render
from maxjob.render.table import job_view
from tests.unit.test_top_quota import Emulated

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC).timestamp()


def _sub(code: int, at: float, description: str = "") -> dict[str, Any]:
    when = datetime.fromtimestamp(T0 + at, UTC).strftime("%Y-%m-%d %H:%M:%S.000000 +0000")
    return {"code": code, "startTime": when, "description": description or f"step {code}"}


def _job(status: str, *codes: int, **extra: Any) -> JobInfo:
    subs = [_sub(code, 10 * index) for index, code in enumerate(codes)]
    return JobInfo.from_api(
        {"instanceId": "j", "status": status, "jobSubStatusList": subs, **extra}
    )


@pytest.mark.parametrize(
    ("job", "stage", "since"),
    [
        (_job("waiting", 1010), diagnosis.CONTROL_PLANE, 0),
        (_job("waiting", 1010, 1220, 1230), diagnosis.COMPILING, 10),
        (_job("waiting", 1010, 1220, 1011), diagnosis.WAITING, 20),
        (_job("waiting", 1010, 1011, 1041), diagnosis.WAITING, 10),
        (_job("running", 1010, 1011, 1032), diagnosis.RUNNING, 20),
        (_job("terminated", 1010, 1032, 1054), diagnosis.FINISHED, 20),
        (_job("running"), diagnosis.RUNNING, None),
        (_job("waiting"), diagnosis.UNKNOWN, None),
        (_job("waiting", 1010, 1999), diagnosis.UNKNOWN, 10),
    ],
)
def test_the_stage_comes_from_the_last_substatus(
    job: JobInfo, stage: str, since: float | None
) -> None:
    found = diagnosis.stage_of(job)
    assert found.name == stage
    assert (found.since.timestamp() - T0 if found.since else None) == since
    assert found.inferred or stage == diagnosis.FINISHED  # codes are indicative


def _explain(emulated: Emulated, instance_id: str) -> diagnosis.Explanation:
    with emulated.client() as client:
        job = client.get_job_info(instance_id)
        return diagnosis.explain(client, job, now=emulated.now)


def _kinds(explanation: diagnosis.Explanation) -> list[str]:
    return [reason.kind for reason in explanation.reasons]


@pytest.fixture
def emulated() -> Emulated:
    return Emulated()


def test_a_job_waiting_on_a_fifo_quota_is_third_in_line(emulated: Emulated) -> None:
    explanation = _explain(emulated, "queued")
    assert explanation.stage.name == diagnosis.WAITING
    assert _kinds(explanation) == ["stage", "capacity", "queue", "consumers"]
    stage, capacity, queue, consumers = explanation.reasons
    assert '1011 "Waiting for cluster resource"' in stage.text and "usually" in stage.text
    assert stage.inferred
    assert capacity.text.startswith("Quota os_bigdata has 196 of its 200 cores in use (98%)")
    assert "this job asks for 48 cores, more than the 4 free" in capacity.text
    assert not capacity.inferred
    assert capacity.evidence["maxCU"] == 200 and capacity.evidence["cpuUsage"] == 196
    assert "QueryQuota os_bigdata_p" in capacity.source
    assert queue.text.startswith("2 waiting jobs are ahead of it: 1 with a higher priority")
    assert "bd-urgent-fix, priority 0" in queue.text and "(bd-early-batch)" in queue.text
    assert "it is #3 in line, 2 more wait behind it" in queue.text
    assert "schedules Fifo, priority first" in queue.text
    assert [a["instanceId"] for a in explanation.ahead or []] == ["bd-urgent-fix", "bd-early-batch"]
    assert [a["why"] for a in explanation.ahead or []] == [
        "higher priority",
        "same priority, submitted earlier",
    ]
    assert [c["instanceId"] for c in explanation.consumers or []] == [
        "bd-etl-nightly",
        "bd-feature-backfill",
        "running",
    ]
    assert "ALIYUN$etl-bot@example.com, 90 cores, running 2h" in consumers.text
    value = explanation.as_json()
    assert set(value) >= {"stage", "since", "reasons", "quota", "ahead", "consumers"}
    assert value["quota"]["level1"] == "os_bigdata_p" and value["quota"]["cpuUsage"] == 196
    assert all(set(r) >= {"kind", "text", "evidence", "inferred"} for r in value["reasons"])


def test_the_lowest_priority_counts_everyone_more_urgent(emulated: Emulated) -> None:
    explanation = _explain(emulated, "bd-low-prio")
    queue = next(r for r in explanation.reasons if r.kind == "queue")
    assert queue.text.startswith("4 waiting jobs are ahead of it: 4 with a higher priority")
    assert "#5 in line" in queue.text and "and 1 more" in queue.text


def _jobs_on(quota: str, **extra: Any) -> list[dict[str, Any]]:
    base = {**seed.BIGDATA, "quotaNickname": quota, "jobOwner": "RAM$a@example.com", **extra}
    return [
        seed.story(
            "big",
            {**base, "priority": 2},
            submitted=3600,
            wait=5,
            resources={"cpuUsage": 45, "cpuRequest": 50},
        ),
        seed.story(
            "first",
            {**base, "priority": 9},
            submitted=900,
            wait=None,
            resources={"cpuUsage": 0, "cpuRequest": 10},
        ),
        seed.story(
            "mine",
            {**base, "priority": 9},
            submitted=600,
            wait=None,
            resources={"cpuUsage": 0, "cpuRequest": 10},
        ),
        seed.story(
            "urgent",
            {**base, "priority": 1},
            submitted=300,
            wait=None,
            resources={"cpuUsage": 0, "cpuRequest": 10},
        ),
    ]


def test_under_fair_scheduling_it_is_a_share_not_a_position() -> None:
    emulated = Emulated(_jobs_on("adhoc"))  # adhoc: Fair, enablePriority false
    explanation = _explain(emulated, "mine")
    queue = next(r for r in explanation.reasons if r.kind == "queue")
    assert queue.text.startswith(
        "Quota adhoc schedules Fair: its resources are shared among the 4 jobs, so there is no "
        "position in line"
    )
    assert queue.evidence["position"] is None and queue.evidence["fairAmong"] == 4
    assert explanation.ahead == []
    priority = next(r for r in explanation.reasons if r.kind == "priority")
    assert priority.text == (
        "Quota adhoc does not honour priorities (enablePriority is false): this job's priority "
        "9 changes nothing."
    )


def test_the_lowest_priority_is_said() -> None:
    explanation = _explain(Emulated(_jobs_on("os_bigdata")), "mine")
    priority = next(r for r in explanation.reasons if r.kind == "priority")
    assert priority.text.startswith("Its priority 9 is the lowest")
    queue = next(r for r in explanation.reasons if r.kind == "queue")
    assert "#3 in line" in queue.text  # urgent (priority 1), then first (9, earlier)


def test_pay_as_you_go_is_a_shared_pool_with_no_position(emulated: Emulated) -> None:
    explanation = _explain(emulated, "payg-waiting")
    assert _kinds(explanation) == ["stage", "pool", "pool"]
    assert explanation.reasons[1].text.startswith("Quota etl_payg is pay-as-you-go: a shared pool")
    assert "no position in line" in explanation.reasons[1].text
    assert explanation.reasons[2].inferred and explanation.reasons[2].text.startswith("Usually")
    assert explanation.ahead is None and explanation.consumers is None
    assert SNAPSHOTS_ASKED(emulated) == 0


def SNAPSHOTS_ASKED(emulated: Emulated) -> int:  # noqa: N802 - reads as a quantity
    return emulated.actions().count("ListJobSnapshotInfos")


def test_it_says_what_it_could_not_see_and_why(emulated: Emulated) -> None:
    explanation = _explain(emulated, "restricted-queued")
    unseen = [r.text for r in explanation.reasons if r.kind == "unseen"]
    assert unseen == [
        "Could not see the capacity of quota os_restricted: no permission for odps:QueryQuota "
        "on os_restricted_p (NoPermission).",
        "Could not see the jobs of quota os_restricted: no permission for "
        "odps:ListJobSnapshotInfos on quota os_restricted (NoPermission).",
    ]
    counts = next(r for r in explanation.reasons if r.kind == "queue")
    assert counts.text.startswith("On quota os_restricted, 1 job running and no other job waiting;")
    assert "its position is unknown" in counts.text and "GetRunningJobs" in counts.source
    assert explanation.ahead is None


def test_no_snapshot_yet_is_said_not_guessed() -> None:
    emulated = Emulated(lag=3600)
    explanation = _explain(emulated, "queued")
    unseen = next(r for r in explanation.reasons if r.kind == "unseen")
    assert unseen.text.startswith("Could not see the jobs of quota os_bigdata: no snapshot between")
    assert "queue" not in _kinds(explanation) and explanation.ahead is None


def test_a_job_newer_than_the_snapshot_is_placed_from_it_and_says_so() -> None:
    emulated = Emulated(settle=0)  # bd-late-adhoc was submitted after the newest snapshot
    explanation = _explain(emulated, "bd-late-adhoc")
    note = next(r for r in explanation.reasons if r.kind == "queue" and r.inferred)
    assert note.text.startswith("This job is not in that snapshot (it was submitted after it)")
    assert [a["instanceId"] for a in explanation.ahead or []] == [
        "bd-urgent-fix",
        "bd-early-batch",
        "queued",
    ]


def test_a_running_job_says_how_long_it_waited_first(emulated: Emulated) -> None:
    explanation = _explain(emulated, "running")
    assert explanation.stage.name == diagnosis.RUNNING
    assert explanation.reasons[1].text == "It waited 5m 00s before it started running."


def test_a_finished_job_its_longest_phase_its_diagnostics(emulated: Emulated) -> None:
    explanation = _explain(emulated, "failed")
    assert explanation.stage.name == diagnosis.FINISHED and not explanation.stage.inferred
    texts = [r.text for r in explanation.reasons]
    assert texts[0].startswith("Finished: failed at 2025-11-30 02:26:11 UTC, after 26m 11s")
    assert texts[1] == (
        "The longest phase was waiting: 21m 00s of 26m 11s (80%); the longest substatus was "
        "1011 Waiting for cluster resource (20m 56s)."
    )
    assert texts[2] == (
        "Diagnosis (warning, LackResource / SubscriptionLackResource): Insufficient computing "
        "resources available for the job."
    )
    assert texts[3].startswith("Diagnosis (critical, DataSkew / DataSkew): Data skew")
    # A year ago: past what can be listed; why says so without asking (and being refused).
    assert texts[4].startswith("Could not see its history: this run was submitted about 45")


def test_a_finished_job_compares_with_its_history_in_one_line(emulated: Emulated) -> None:
    regressed = _explain(emulated, "hist-regressed")
    history = next(r for r in regressed.reasons if r.kind == "history")
    assert history.text.startswith("Ran 41m 00s, 3.4x the median 12m 00s")
    assert "\n" not in history.text and history.evidence["successfulRuns"] == 9
    few = _explain(emulated, "hist-few")
    line = next(r for r in few.reasons if r.kind == "history")
    assert line.text.startswith("Only 1 earlier successful run") and "too few" in line.text
    none = next(r for r in few.reasons if r.kind == "diagnosis")
    assert none.text.startswith("No diagnostics: sceneResults is empty")


# -- formats --------------------------------------------------------------------------------------


def _run(emulated: Emulated, instance_id: str, output: str | None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    streams = Streams(out, err, environ={})
    code = why.run(
        why.Options(ref=instance_id, output=output), streams, emulated.factory(), wall=emulated.wall
    )
    return code, out.getvalue(), err.getvalue()


def test_json_has_the_documented_keys(emulated: Emulated) -> None:
    code, out, _ = _run(emulated, "queued", "json")
    value = json.loads(out)
    assert code == 0
    assert list(value)[:6] == ["instanceId", "status", "outcome", "stage", "since", "substatus"]
    assert value["stage"] == "waiting for resources" and value["since"].endswith("Z")
    assert value["ahead"][0] == {
        "instanceId": "bd-urgent-fix",
        "priority": 0,
        "submittedAtTime": value["ahead"][0]["submittedAtTime"],
        "jobOwner": "ALIYUN$etl-bot@example.com",
        "cpuRequest": 32,
        "why": "higher priority",
    }
    assert value["consumers"][0]["cpuUsage"] == 90  # a whole number, not 90.0


def test_plain_is_key_tab_value_lines(emulated: Emulated) -> None:
    _, out, _ = _run(emulated, "queued", None)
    pairs = [line.split("\t", 1) for line in out.splitlines()]
    keys = [key for key, _ in pairs]
    assert keys[:3] == ["instanceId", "status", "stage"]
    assert "reasons.1.text" in keys and "ahead.0.instanceId" in keys
    assert dict(pairs)["stage"] == "waiting for resources"


def test_table_marks_readings_and_puts_what_it_could_not_see_last(emulated: Emulated) -> None:
    explanation = _explain(emulated, "restricted-queued")
    console = Console(width=100, record=True, color_system=None)
    console.print(render.view(explanation.as_json(), width=100))
    text = console.export_text()
    lines = text.splitlines()
    assert lines[0].split() == ["restricted-queued", "waiting", "for", "resources"]
    assert lines[2].startswith("≈ Stage: waiting for resources since")
    assert text.index("On quota os_restricted") < text.index("Could not see the capacity")
    assert lines[-1].startswith("≈ maxjob's reading of the data")


def test_a_finished_job_says_how_it_ended_in_the_first_line(emulated: Emulated) -> None:
    """Without colour, `finished` alone did not say that it failed (`info` says `→ failed`)."""
    explanation = _explain(emulated, "failed")
    console = Console(width=100, record=True, color_system=None)
    console.print(render.view(explanation.as_json(), width=100))
    assert console.export_text().splitlines()[0].split() == ["failed", "finished", "→", "failed"]
    assert render.markdown(explanation.as_json(), md=md).startswith("**failed**: finished → failed")


def test_an_ended_job_is_not_drawn_in_the_colour_of_success() -> None:
    value = {"instanceId": "j", "stage": "finished", "outcome": "ended", "reasons": []}
    console = Console(width=100, record=True, color_system="standard", force_terminal=True)
    console.print(render.view(value, width=100))
    first = console.export_text(styles=True).splitlines()[0]
    assert "\x1b[1;7;33m" in first and "32m" not in first, repr(first)


def test_markdown_when_the_helper_is_there(emulated: Emulated) -> None:
    if "markdown" not in why.accepted_formats():
        pytest.skip("maxjob.render.markdown is not there")
    _, out, _ = _run(emulated, "queued", "markdown")
    assert out.startswith("**queued**: waiting for resources\n")
    assert "- ≈ Stage\\: waiting for resources since" in out
    assert "\\(bd\\-early\\-batch\\)" in out  # server text escaped


def test_server_text_in_the_explanation_is_escaped() -> None:
    hostile = {
        "instanceId": "h\x1b[2Jx",
        "stage": "running",
        "reasons": [
            {"kind": "stage", "text": "owner \u202eevil [bold]x[/bold]", "source": "s\x07"}
        ],
    }
    console = Console(width=100, record=True, color_system=None)
    console.print(render.view(hostile, width=100))
    text = console.export_text()
    for shown in (text, render.plain(hostile)):
        assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
        assert "\\u202e" in shown
    assert "[bold]x[/bold]" in text


# -- info points to why ---------------------------------------------------------------------------


def _waiting(seconds: float, status: str = "waiting", **extra: Any) -> JobInfo:
    return JobInfo.from_api(
        {
            "instanceId": "slow-job",
            "status": status,
            "submittedAtTime": int(T0 - seconds),
            "jobSubStatusList": [_sub(1011, -seconds)],
            **extra,
        }
    )


def _info_text(job: JobInfo) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(job_view(job, utc=True, width=100, now=datetime.fromtimestamp(T0, UTC)))
    return console.export_text()


def test_info_points_to_why_for_a_job_that_has_waited_long() -> None:
    assert "why so long? maxjob why slow-job" in _info_text(_waiting(400))
    assert "maxjob why" not in _info_text(_waiting(200))
    started = _waiting(900, "running", runningAtTime=int(T0 - 100), waitingTime=800)
    assert "maxjob why" not in _info_text(started)


def test_watch_points_to_why_as_info_does() -> None:
    from maxjob.render.live import live_view

    def frame(job: JobInfo) -> str:
        console = Console(width=100, record=True, color_system=None)
        at = datetime.fromtimestamp(T0, UTC)
        console.print(live_view(job, utc=True, watched_for=9, next_poll=1, width=100, now=at))
        return console.export_text()

    assert "why so long? maxjob why slow-job" in frame(_waiting(400))
    assert "maxjob why" not in frame(_waiting(200))


def test_plain_writes_times_in_rfc_3339_utc_and_leaves_durations_alone() -> None:
    from maxjob.render import why as render_why

    value = {
        "substatus": {"code": 1011, "startTime": "2026-12-01 12:04:34.935761 +0800"},
        "quota": {"snapshotTime": 1796098140},
        "consumers": [{"instanceId": "c", "runningTime": 7351}],
    }
    lines = render_why.plain(value).splitlines()
    assert "substatus.startTime\t2026-12-01T04:04:34.935761Z" in lines
    assert "quota.snapshotTime\t2026-12-01T04:09:00Z" in lines
    assert "consumers.0.runningTime\t7351" in lines


def test_a_substatus_time_past_the_calendar_in_utc_is_no_time_and_no_crash() -> None:
    from maxjob.models import parse_substatus_time
    from maxjob.render import why as render_why

    far = "9999-12-31 23:59:59.999999 -2359"
    assert parse_substatus_time(far) is None
    lines = render_why.plain({"substatus": {"startTime": far}}).splitlines()
    assert lines == [f"substatus.startTime\t{far}"]


@pytest.mark.parametrize(
    ("submitted", "said"),
    [
        ((), "no other job waiting;"),
        ((-60,), "1 other job waiting, submitted before this one;"),
        ((60,), "1 other job waiting, submitted after this one;"),
        ((-60, 60), "2 other jobs waiting, 1 of them submitted before this one;"),
        ((-60, -30), "2 other jobs waiting, all of them submitted before this one;"),
        ((30, 60), "2 other jobs waiting, none of them submitted before this one;"),
    ],
)
def test_running_counts_say_plainly_which_waiting_jobs_came_first(
    submitted: tuple[int, ...], said: str
) -> None:
    from maxjob.quota import RUNNING_JOBS, QuotaJob, Snapshot

    at = 1_800_000_000
    job = JobInfo.from_api({"instanceId": "me", "status": "waiting", "submittedAtTime": at})
    others = [
        QuotaJob.from_running({"instanceId": f"o{n}", "submittedAtTime": at + delta}, at + 100)
        for n, delta in enumerate(submitted)
    ]
    running = QuotaJob.from_running(
        {"instanceId": "r", "submittedAtTime": at - 99, "runningAtTime": at - 90}, at + 100
    )
    snapshot = Snapshot("q", RUNNING_JOBS, None, at + 100, (running, *others))
    gatherer = diagnosis.Gatherer(None, job, now=at + 100, utc=True)  # type: ignore[arg-type]
    gatherer.running_counts("q", snapshot)
    assert gatherer.reasons[0].text.startswith(f"On quota q, 1 job running and {said}")


def test_a_huge_server_string_is_cut_in_a_reason() -> None:
    from maxjob.render.sanitize import FIELD_LIMIT

    job = JobInfo.from_api({"instanceId": "j", "status": "running", "project": "p" * 200_000})
    gatherer = diagnosis.Gatherer(None, job, now=0, utc=True)  # type: ignore[arg-type]
    gatherer.add("x", f"In project {job.project}, it runs.", {})
    text = gatherer.reasons[0].text
    assert text.startswith("In project ppp") and len(text) <= 2 * FIELD_LIMIT + 40
    assert text.endswith(" more characters)")
