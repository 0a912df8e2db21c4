"""`maxjob top` in this process: every format, the fallback to GetRunningJobs, `--job`, an unknown
quota, the refresh loop on a fake clock (keys, jitter, one blocking wait between events), the live
view's refreshes and failures, and the layout of the screen."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from rich.console import Console

from maxjob.commands import top
from maxjob.errors import NotFoundError, UsageError
from maxjob.output.streams import Streams
from maxjob.polling import FakeClock
from maxjob.quota import SNAPSHOTS, Capacity, QuotaJob, Snapshot
from maxjob.render import top as render
from tests.unit.test_top_quota import Emulated

HOSTILE = "evil\x1b]52;c;SGVsbG8=\x07owner\x1b[2J \u202eexe.txt [bold]x[/bold]"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _streams(terminal: bool = False) -> tuple[Streams, io.StringIO, io.StringIO]:
    out: io.StringIO = Terminal() if terminal else io.StringIO()
    err = io.StringIO()
    return Streams(out, err, environ={"COLUMNS": "120", "TZ": "UTC"}), out, err


def _run(emulated: Emulated, **options: Any) -> tuple[int, str, str]:
    streams, out, err = _streams()
    code = top.run(top.Options(**options), streams, emulated.factory(), wall=emulated.wall)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def emulated() -> Emulated:
    return Emulated()


# -- formats --------------------------------------------------------------------------------------


def test_plain_is_one_tab_separated_line_per_job_without_a_header(emulated: Emulated) -> None:
    code, out, err = _run(emulated, quota="os_bigdata")
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert all(len(line) == len(render.COLUMNS) for line in lines)
    assert [line[0] for line in lines[:4]] == [
        "bd-etl-nightly",
        "bd-feature-backfill",
        "running",
        "bd-report-daily",
    ]
    first = dict(zip(render.COLUMNS, lines[0], strict=True))
    assert first["state"] == "running" and first["cpuUsage"] == "90" and first["share"] == "0.45"
    queued = next(
        dict(zip(render.COLUMNS, line, strict=True)) for line in lines if line[0] == "queued"
    )
    assert (
        queued["state"] == "queued" and queued["runningTime"] == "" and queued["cpuRequest"] == "48"
    )
    assert queued["submittedAtTime"].endswith("Z")
    assert err.startswith("maxjob: quota os_bigdata, snapshot ")
    assert "4 running · 5 queued · cores 196 / 200 (98%)" in err


def test_json_is_the_apis_items_as_returned_in_the_chosen_order(emulated: Emulated) -> None:
    code, out, _ = _run(emulated, quota="os_bigdata", output="json", sort="priority")
    assert code == 0
    items = json.loads(out)
    assert [item["instanceId"] for item in items][:3] == [
        "bd-urgent-fix",
        "bd-etl-nightly",
        "running",
    ]
    assert all(item["status"] == "running" and "snapshotTime" in item for item in items)
    assert "runningTime" not in next(i for i in items if i["instanceId"] == "queued")


def test_jsonl_is_one_item_a_line_and_jq_filters_each(emulated: Emulated) -> None:
    _, out, _ = _run(emulated, quota="os_bigdata", output="jsonl", sort="wait")
    items = [json.loads(line) for line in out.splitlines()]
    assert len(items) == 9 and items[0]["instanceId"] == "bd-low-prio"  # the longest wait
    _, ids, _ = _run(emulated, quota="os_bigdata", output="jsonl", jq=".instanceId")
    assert ids.splitlines()[0] == "bd-etl-nightly"
    _, queued, _ = _run(
        emulated, quota="os_bigdata", jq="[.[] | select(.runningTime == null) | .instanceId]"
    )
    assert set(json.loads(queued)) == {
        "bd-low-prio",
        "queued",
        "bd-urgent-fix",
        "bd-early-batch",
        "bd-late-adhoc",
    }


def test_csv_has_a_header_of_field_names_and_rfc4180_rows(emulated: Emulated) -> None:
    _, out, _ = _run(emulated, quota="os_bigdata", output="csv")
    assert out.startswith(",".join(render.COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert len(rows) == 9
    assert rows[0]["instanceId"] == "bd-etl-nightly" and rows[0]["memoryUsage"] == "368640"


def test_table_once_shows_the_header_and_the_rows(
    emulated: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    _, out, _ = _run(emulated, quota="os_bigdata", output="table", once=True, utc=True)
    lines = out.splitlines()
    assert lines[0] == "os_bigdata · subscription · level-1 os_bigdata_p · Fifo · priorities on"
    assert lines[1].startswith("snapshot ") and lines[1].endswith("s old")
    assert lines[2] == "4 running · 5 queued · cores 196 / 200 (98%) · memory 784 / 800 GB (98%)"
    assert lines[4].split() == [
        "ID",
        "STATE",
        "PRI",
        "OWNER",
        "PROJECT",
        "WAITED",
        "RAN",
        "CORES",
        "MEM",
        "GB",
        "SHARE",
    ]
    etl = next(line for line in lines if line.startswith("bd-etl-nightly"))
    assert "90/100" in etl and "45%" in etl and "running" in etl
    assert lines[-1] == "share: of the 200-core capacity"


def test_markdown_when_the_helper_is_there(emulated: Emulated) -> None:
    if "markdown" not in top.accepted_formats():
        with pytest.raises(UsageError):
            _run(emulated, quota="os_bigdata", output="markdown")
        return
    _, out, _ = _run(emulated, quota="os_bigdata", output="markdown")
    assert "| ID | STATE | PRI |" in out and "bd\\-etl\\-nightly" in out
    assert "| ---: |" in out and out.startswith("os\\_bigdata · subscription")
    # maxjob's own lines go in as they are: nothing in them that Markdown reads.
    snapshot = next(line for line in out.splitlines() if line.startswith("snapshot "))
    assert "\\" not in snapshot and " old" in snapshot
    assert out.rstrip().endswith("\nshare: of the 200-core capacity")


def test_markdown_escapes_the_services_text_inside_maxjobs_lines() -> None:
    md = pytest.importorskip("maxjob.render.markdown")
    capacity = Capacity("q", level1="[l1](https://evil.example)", scheduler="*fair*")
    frame = render.Frame("q_1", Snapshot("q_1", SNAPSHOTS, 1, 61, ()), capacity)
    failed = frame._replace(error="<b>refused</b>", failed_at=61)
    header = render.markdown(failed, now=120, md=md).split("\n\n")[0].splitlines()
    assert header[0].startswith("q\\_1 · level-1 \\[l1\\]\\(https")
    assert "\\*fair\\*" in header[0]
    assert header[-1] == "refresh at 00:01:01 failed: &lt;b&gt;refused&lt;\\/b&gt;"


def test_server_text_is_escaped_in_the_table_plain_and_csv() -> None:
    job = QuotaJob.from_snapshot(
        {"instanceId": "h\x1bx", "jobOwner": HOSTILE, "project": "[bold]x[/bold]", "runningTime": 5}
    )
    frame = render.Frame("q", Snapshot("q", SNAPSHOTS, 1, 61, (job,)), Capacity("q"))
    text = _draw(frame, width=200)
    plain = render.plain(frame)
    table_csv = render.csv_text(frame)
    for shown in (text, plain, table_csv):
        assert "\x1b" not in shown and "\u202e" not in shown
        assert "evil\\x1b]52;c;SGVsbG8=" in shown
    assert "[bold]x[/bold]" in text
    tabbed = QuotaJob.from_snapshot({"instanceId": "t", "project": "p\tq", "runningTime": 5})
    plain_tab = render.plain(frame._replace(snapshot=frame.snapshot._replace(jobs=(tabbed,))))
    assert plain_tab.count("\t") == len(render.COLUMNS) - 1  # a tab inside a value is escaped
    assert "p\\tq" in plain_tab


def test_plain_and_csv_never_cut_a_value() -> None:
    job = QuotaJob.from_snapshot({"instanceId": "t", "project": "p" * 3000, "runningTime": 5})
    frame = render.Frame("q", Snapshot("q", SNAPSHOTS, 1, 61, (job,)), Capacity("q"))
    assert "\t" + "p" * 3000 + "\t" in render.plain(frame)
    row = list(csv.reader(io.StringIO(render.csv_text(frame))))[1]
    assert "p" * 3000 in row


def test_csv_quotes_server_text_a_spreadsheet_would_run_as_a_formula() -> None:
    job = QuotaJob.from_snapshot(
        {
            "instanceId": "=cmd|' /C calc'!A0",
            "jobOwner": "@SUM(1)",
            "project": "+p",
            "runningTime": 5,
        }
    )
    frame = render.Frame("q", Snapshot("q", SNAPSHOTS, 1, 61, (job,)), Capacity("q"))
    row = list(csv.reader(io.StringIO(render.csv_text(frame))))[1]
    record = dict(zip(render.COLUMNS, row, strict=True))
    assert [v for v in record.values() if v and v[0] in "=+@"] == []
    assert row[0].startswith("'=cmd") and "'@SUM(1)" in row and "'+p" in row
    assert render.plain(frame).startswith("=cmd")  # plain is data for scripts: as sent


# -- fallback, --job, errors ----------------------------------------------------------------------


def test_without_snapshot_permission_it_falls_back_and_says_which_columns_lack(
    emulated: Emulated,
) -> None:
    code, out, err = _run(emulated, quota="os_restricted")
    assert code == 0
    assert (
        "maxjob: warning: no permission for odps:ListJobSnapshotInfos on quota os_restricted "
        "(NoPermission): showing GetRunningJobs instead, without the columns priority, cores "
        "and memory"
    ) in err
    assert err.count("warning") == 1
    rows = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()}
    assert set(rows) == {"restricted-running", "restricted-queued"}
    running = dict(zip(render.COLUMNS, rows["restricted-running"], strict=True))
    assert running["priority"] == running["cpuUsage"] == running["memoryUsage"] == ""
    assert running["share"] == "0.6" and running["waitingTime"] == "30"
    assert "capacity unknown: no permission for odps:QueryQuota on os_restricted_p" in err


def test_the_fallback_header_names_its_source_and_the_missing_capacity(
    emulated: Emulated,
) -> None:
    _, out, _ = _run(emulated, quota="os_restricted", output="table", once=True)
    assert "GetRunningJobs at " in out
    assert "capacity unknown: no permission for odps:QueryQuota on os_restricted_p" in out
    assert "no priority, cores or memory" in out


def test_job_takes_that_jobs_quota(emulated: Emulated) -> None:
    code, out, _ = _run(emulated, job="queued", output="json")
    assert code == 0
    assert {item["quotaNickname"] for item in json.loads(out)} == {"os_bigdata"}
    assert emulated.actions()[0] == "GetJobInfo"


def test_an_unknown_quota_is_not_found_with_the_closest_names(emulated: Emulated) -> None:
    with pytest.raises(NotFoundError) as missing:
        _run(emulated, quota="os_bigdat")
    assert missing.value.exit_code == 5
    assert missing.value.hint is not None and "os_bigdata" in missing.value.hint


def test_a_level1_quota_names_its_level2_quotas_where_its_jobs_run(emulated: Emulated) -> None:
    with pytest.raises(UsageError) as level1:
        _run(emulated, quota="os_bigdata_p")
    assert level1.value.message == (
        "os_bigdata_p is a level-1 quota: its jobs run on its level-2 quotas, "
        "adhoc, demo_quota, os_bigdata"
    )
    assert level1.value.hint == "maxjob top --quota adhoc"


def test_a_quota_with_no_snapshot_yet_is_said_not_called_idle() -> None:
    emulated = Emulated(lag=3600)
    code, out, err = _run(emulated, quota="os_bigdata", output="json")
    assert code == 0 and json.loads(out) == []
    assert "no snapshot of quota os_bigdata in the 10 minutes asked" in err
    _, table, _ = _run(emulated, quota="os_bigdata", output="table", once=True)
    assert "no snapshot between" in table and "may be idle" in table


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "give --quota NICK or --job ID"),
        ({"quota": "a", "job": "b"}, "give --quota NICK or --job ID"),
        ({"quota": "a", "interval": 0.5}, "--interval must be at least 1s"),
        ({"quota": "a", "sort": "memory"}, "--sort must be one of cpu, wait, priority"),
        ({"quota": " "}, "--quota cannot be empty"),
    ],
)
def test_usage_errors(emulated: Emulated, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _run(emulated, **options)
    assert emulated.calls == []


# -- the refresh loop on a fake clock -------------------------------------------------------------


class ScriptedKeys:
    """Keys pressed at given seconds after the start; `wait` sleeps the fake clock."""

    def __init__(self, clock: FakeClock, script: list[tuple[float, str]]) -> None:
        self.clock = clock
        self.start = clock.now
        self.script = list(script)
        self.waits: list[float] = []

    def wait(self, timeout: float) -> str | None:
        self.waits.append(timeout)
        if self.script:
            at, key = self.script[0]
            due = self.start + at
            if due <= self.clock.now + timeout:
                self.script.pop(0)
                self.clock.sleep(max(due - self.clock.now, 0.0))
                if key == "^C":
                    raise KeyboardInterrupt
                return key
        self.clock.sleep(timeout)
        return None


class RecordingScreen:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sort = "cpu"
        self.start = clock.now
        self.refreshes: list[float] = []
        self.shows: list[tuple[float, str]] = []

    def refresh(self) -> None:
        self.refreshes.append(self.clock.now - self.start)

    def show(self) -> None:
        self.shows.append((self.clock.now - self.start, self.sort))


def test_it_refreshes_every_interval_and_keys_act_at_once() -> None:
    clock = FakeClock()
    screen = RecordingScreen(clock)
    keys = ScriptedKeys(clock, [(45, "w"), (50, "r"), (70, "P"), (95, "q")])

    top.refresh_loop(screen, keys, clock, 30)

    assert screen.refreshes == [30, 50, 80]  # `r` refreshes now; the next one is 30 s after it
    assert screen.shows == [(45, "wait"), (70, "priority")]
    assert clock.now - screen.start == 95
    # One blocking wait per event: never a poll or a tick in between.
    assert len(keys.waits) == 6


def test_the_interval_is_jittered() -> None:
    clock = FakeClock()
    clock.uniform = lambda low, high: high  # the longest jitter: +10%
    screen = RecordingScreen(clock)
    top.refresh_loop(screen, ScriptedKeys(clock, [(100, "q")]), clock, 30)
    assert screen.refreshes == pytest.approx([33, 66, 99])


def test_escape_and_unknown_keys_and_resizes() -> None:
    clock = FakeClock()
    screen = RecordingScreen(clock)
    keys = ScriptedKeys(clock, [(1, "x"), (2, ""), (3, top.RESIZE), (4, "\x1b")])
    top.refresh_loop(screen, keys, clock, 30)
    assert screen.refreshes == [] and screen.shows == [(3, "cpu")]


def test_the_live_view_refreshes_on_a_fake_clock_and_ends_with_q(emulated: Emulated) -> None:
    clock = FakeClock()
    streams, out, _ = _streams(terminal=True)
    keys = ScriptedKeys(clock, [(65, "p"), (70, "q")])

    def wall() -> float:
        return emulated.now + (clock.now - 1000.0)

    emulated_wall = emulated.wall
    emulated.wall = wall  # type: ignore[method-assign]
    try:
        code = top.run(
            top.Options(quota="os_bigdata", interval=30),
            streams,
            emulated.factory(),
            clock=clock,
            wall=wall,
            keys=keys,
        )
    finally:
        emulated.wall = emulated_wall  # type: ignore[method-assign]
    assert code == 0
    # The first read, then one a refresh (at 30 and 60 s): each a snapshot (stepping back
    # over the lag), capacity only once.
    assert emulated.actions().count("ListQuotas") == 1
    assert emulated.actions().count("QueryQuota") == 1
    reads = [q for action, q, _ in emulated.calls if action == SNAPSHOTS and q["pageNumber"] == "1"]
    assert len(reads) >= 3
    text = out.getvalue()
    assert "sorted by cpu" in text and "sorted by priority" in text
    assert "q quit" in text and "every 30s" in text


def test_ctrl_c_in_the_live_view_exits_0(emulated: Emulated) -> None:
    clock = FakeClock()
    streams, _, err = _streams(terminal=True)
    code = top.run(
        top.Options(quota="os_bigdata"),
        streams,
        emulated.factory(),
        clock=clock,
        wall=emulated.wall,
        keys=ScriptedKeys(clock, [(5, "^C")]),
    )
    assert code == 0 and "interrupted" not in err.getvalue()


class FakeLive:
    def __init__(self) -> None:
        self.console = Console(width=100, height=40, record=True, color_system=None)
        self.frames: list[str] = []

    def update(self, renderable: Any, refresh: bool = False) -> None:
        self.console.print(renderable)
        self.frames.append(self.console.export_text())


def test_a_failed_refresh_keeps_the_last_snapshot_and_says_why(emulated: Emulated) -> None:
    streams, _, _ = _streams()
    with emulated.client() as client:
        reader = top.TopReader(client, "os_bigdata", streams, emulated.wall)
        frame = render.Frame("os_bigdata", reader.snapshot(), reader.capacity(), interval=30)
        live = FakeLive()
        screen = top.LiveScreen(reader, frame, live, utc=True)
        emulated.refuse[SNAPSHOTS] = 500
        screen.refresh()
    assert "refresh at " in live.frames[-1] and "failed" in live.frames[-1]
    assert "bd-etl-nightly" in live.frames[-1]  # the last snapshot is still shown
    assert screen.frame.snapshot is frame.snapshot


def test_a_refresh_refused_later_switches_to_get_running_jobs(emulated: Emulated) -> None:
    streams, _, err = _streams()
    with emulated.client() as client:
        reader = top.TopReader(client, "os_bigdata", streams, emulated.wall)
        frame = render.Frame("os_bigdata", reader.snapshot(), reader.capacity(), interval=30)
        live = FakeLive()
        screen = top.LiveScreen(reader, frame, live, utc=True)
        emulated.refuse[SNAPSHOTS] = 403
        screen.refresh()
        screen.refresh()
    assert screen.frame.snapshot.source == "GetRunningJobs"
    assert err.getvalue().count("showing GetRunningJobs instead") == 1
    assert "from GetRunningJobs (no permission for odps:ListJobSnapshotInfos" in live.frames[-1]


# -- layout ---------------------------------------------------------------------------------------


def _frame(emulated: Emulated, quota: str = "os_bigdata", **extra: Any) -> render.Frame:
    streams, _, _ = _streams()
    with emulated.client() as client:
        reader = top.TopReader(client, quota, streams, emulated.wall)
        return render.Frame(quota, reader.snapshot(), reader.capacity(), **extra)


def _draw(frame: render.Frame, *, width: int, height: int | None = None) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(
        render.top_view(frame, now=frame.snapshot.read_at, utc=True, width=width, height=height)
    )
    return console.export_text()


@pytest.mark.parametrize("width", [50, 60, 80, 100, 120, 160])
def test_the_table_fits_the_width_and_keeps_ids_and_states(emulated: Emulated, width: int) -> None:
    text = _draw(_frame(emulated), width=width)
    rows = [line for line in text.splitlines() if line.startswith(("bd-", "running ", "queued "))]
    assert len(rows) == 9
    assert all(len(line.rstrip()) <= min(width, 120) for line in text.splitlines())
    assert any("bd-etl-nightly" in row and "running" in row for row in rows)
    if width >= 100:
        assert "SHARE" in text and "PROJECT" in text


def test_owners_too_wide_for_their_column_lose_their_account_type_first(
    emulated: Emulated,
) -> None:
    """At 80 columns every owner read `ALIYUN$…` or `RAM$ml-…`: what tells them apart is after
    the `$`; at 160 they are whole."""
    narrow = _draw(_frame(emulated), width=80)
    assert "etl-bot" in narrow and "ml-team" in narrow and "ALIYUN$" not in narrow
    wide = _draw(_frame(emulated), width=160)
    assert "ALIYUN$etl-bot@example.com" in wide


def test_the_header_breaks_between_its_phrases(emulated: Emulated) -> None:
    text = _draw(_frame(emulated, interval=30), width=60)
    lines = text.splitlines()
    assert any(line.startswith("memory 784 / 800 GB") for line in lines), text
    assert not any(line.rstrip().endswith(("/", "·")) for line in lines), text


@pytest.mark.parametrize(("sort", "heading"), [("priority", "PRI"), ("wait", "WAITED")])
def test_a_narrow_table_keeps_the_column_it_is_sorted_by(
    emulated: Emulated, sort: str, heading: str
) -> None:
    text = _draw(_frame(emulated, sort=sort), width=50)
    assert heading in text.split()
    assert all(len(line.rstrip()) <= 50 for line in text.splitlines())


def test_a_short_screen_shows_as_many_rows_as_fit_and_says_how_many_more(
    emulated: Emulated,
) -> None:
    text = _draw(_frame(emulated, interval=30.0), width=120, height=16)
    assert "… " in text and " more" in text
    assert len(text.rstrip("\n").splitlines()) <= 16


@pytest.mark.parametrize(
    ("width", "height", "error"),
    [(60, 12, None), (50, 14, None), (80, 12, None), (120, 16, None), (53, 18, "y" * 30 + " "),
     (80, 9, None), (200, 8, None), (75, 15, "x" * 40 + " ")],
)  # fmt: skip
def test_a_short_narrow_screen_keeps_the_keys_in_view(
    emulated: Emulated, width: int, height: int, error: str | None
) -> None:
    extra: dict[str, Any] = {"interval": 30.0}
    if error:
        extra.update(error=error * 5, failed_at=0.0)
    text = _draw(_frame(emulated, **extra), width=width, height=height)
    lines = text.rstrip("\n").splitlines()
    assert len(lines) <= height, text
    assert "q quit" in text and (" more" in text or "no room to list them" in text), text


@pytest.mark.parametrize("width", [50, 60, 80, 120])
def test_the_share_line_comes_only_with_the_share_column(emulated: Emulated, width: int) -> None:
    text = _draw(_frame(emulated), width=width)
    assert ("SHARE" in text.split()) == ("share: of the 200-core capacity" in text), text


def test_the_live_footer_names_the_keys(emulated: Emulated) -> None:
    text = _draw(_frame(emulated, interval=30.0, sort="wait"), width=120)
    assert text.rstrip().splitlines()[-1] == (
        "sorted by wait · c cpu  w wait  p priority  r refresh  q quit · every 30s"
    )


def test_pay_as_you_go_says_shared_pool_and_shares_of_cores_in_use(emulated: Emulated) -> None:
    text = _draw(_frame(emulated, "etl_payg"), width=120)
    assert "etl_payg · pay-as-you-go · level-1 etl_payg_p" in text
    assert "pay-as-you-go: a shared pool, no capacity of its own" in text
    assert "share: of the cores in use (capacity unknown)" in text


def test_one_quota_type_however_the_jobs_spell_it() -> None:
    jobs = tuple(
        QuotaJob.from_snapshot({"instanceId": f"j{n}", "quotaType": kind})
        for n, kind in enumerate(["payasyougo", "PayAsYouGo", "payasyougo"])
    )
    frame = render.Frame("q", Snapshot("q", SNAPSHOTS, 1, 61, jobs), Capacity("q"))
    assert frame.quota_type == "pay-as-you-go"
    mixed = (*jobs, QuotaJob.from_snapshot({"instanceId": "s", "quotaType": "subscription"}))
    assert (
        render.Frame("q", Snapshot("q", SNAPSHOTS, 1, 61, mixed), Capacity("q")).quota_type is None
    )
