"""`maxjob history`'s renderings: plain columns, CSV and Markdown tables parsed back, hostile
server text kept inert, the sparkline, and the terminal view at 60, 80 and 160 columns."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from maxjob.history_stats import Run, Scope, Summary, summarize
from maxjob.render import history as render
from tests.unit.test_markdown import unescape

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
GIB = 1024**3
LINK = "[a](https://e.example) ![i](https://e.example/i.png)"
HOSTILE = f"q|x`c` {LINK} <b>\n| c\x1b[2J www.e.example"


def item(n: int, wait: float, run: float, status: str = "success", **extra: Any) -> dict[str, Any]:
    submitted = 1795000000 - n * 86400
    return {
        "instanceId": f"run-{n:02d}",
        "status": status,
        "project": "sales_dw",
        "quotaNickname": "os_bigdata",
        "priority": 3,
        "submittedAtTime": submitted,
        "endAtTime": submitted + int(wait + run),
        "waitingTime": wait,
        "runningTime": run,
        "totalTime": wait + run,
        "cuUsage": 32 * run / 100,
        "inputBytes": 40 * GIB,
        **extra,
    }


SCOPE = Scope("signature", "abc=", ("sales_dw",), 1795000000 - 14 * 86400, 1795000000, 14, 20)


def history(this_extra: dict[str, Any] | None = None) -> tuple[Run, list[Run], Summary]:
    this = Run.from_item(item(0, 35, 2460, **(this_extra or {})), NOW)
    earlier = [Run.from_item(item(n, 30 + n, 720), NOW) for n in range(1, 9)]
    earlier.append(Run.from_item(item(9, 30, 60, status="failed"), NOW))
    return this, earlier, summarize(this, earlier)


def test_plain_is_one_line_a_run_with_fixed_columns() -> None:
    this, earlier, _ = history()
    lines = [render.plain_line(this, this=True)] + [
        render.plain_line(r, this=False) for r in earlier
    ]
    rows = [line.rstrip("\n").split("\t") for line in lines]
    assert all(len(row) == len(render.PLAIN_COLUMNS) for row in rows)
    first = dict(zip(render.PLAIN_COLUMNS, rows[0], strict=True))
    assert first == {
        "instanceId": "run-00",
        "run": "this",
        "submitted": "2026-11-18T11:06:40Z",
        "outcome": "succeeded",
        "waited": "35",
        "ran": "2460",
        "total": "2495",
        "cuHours": "21.8667",
        "inputBytes": str(40 * GIB),
        "priority": "3",
        "quota": "os_bigdata",
        "project": "sales_dw",
    }
    assert rows[-1][1:4] == ["earlier", "2026-11-09T11:06:40Z", "failed"]


def test_plain_escapes_server_text_and_leaves_what_is_unknown_empty() -> None:
    run = Run.from_item({"instanceId": "a\tb\x1b[31m", "status": "terminated"}, NOW)
    line = render.plain_line(run, this=False)
    assert line.count("\t") == len(render.PLAIN_COLUMNS) - 1
    assert "\x1b" not in line
    assert line.startswith("a\\tb\\x1b[31m\tearlier\t\tended\t")
    # As `list` and `top` write it: an unknown value is an empty field; text is never cut.
    assert line.rstrip("\n").split("\t")[4:] == ["", "", "", "", "", "", "", ""]
    long = Run.from_item({"instanceId": "x", "project": "p" * 5000}, NOW)
    assert render.plain_line(long, this=False).rstrip("\n").endswith("\t" + "p" * 5000)


def test_csv_never_cuts_a_value() -> None:
    this, earlier, _ = history({"project": "p" * 5000})
    rows = list(csv.reader(io.StringIO(render.csv_text(this, earlier))))
    assert rows[1][-1] == "p" * 5000


def test_csv_parses_back_with_the_api_field_names() -> None:
    this, earlier, _ = history({"quotaNickname": '=HYPERLINK("x")', "project": 'p,"q"\nr'})
    text = render.csv_text(this, earlier)
    assert text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == list(render.CSV_COLUMNS)
    assert len(rows) == 10
    assert rows[0]["instanceId"] == "run-00" and rows[0]["run"] == "this"
    assert rows[0]["submittedAtTime"] == "2026-11-18T11:06:40Z"
    assert (rows[0]["status"], rows[0]["outcome"]) == ("success", "succeeded")
    assert (rows[0]["waitingTime"], rows[0]["runningTime"], rows[0]["totalTime"]) == (
        "35",
        "2460",
        "2495",
    )
    assert rows[0]["cuUsage"] == "787.2" and rows[0]["cuHours"] == "21.8667"
    # A cell a spreadsheet would run as a formula is quoted; commas, quotes and line breaks
    # stay inside their field.
    assert rows[0]["quotaNickname"] == '\'=HYPERLINK("x")'
    assert rows[0]["project"] == 'p,"q"\\nr'
    assert [r["run"] for r in rows[1:]] == ["earlier"] * 9
    assert rows[-1]["outcome"] == "failed"


def _cells(row: str) -> list[str]:
    """A GFM table row split on its unescaped pipes."""
    assert row.startswith("| ") and row.endswith(" |"), row
    return [c.strip() for c in re.split(r"(?<!\\)\|", row[1:-1])]


def test_markdown_is_a_table_that_server_text_cannot_break_or_link_from() -> None:
    this, earlier, summary = history({"quotaNickname": HOSTILE, "instanceId": "id]<x>"})
    text = render.markdown(this, earlier, summary, SCOPE)
    lines = text.splitlines()
    assert lines[0] == "### maxjob history id\\]&lt;x&gt;"
    assert lines[2] == (
        "**Ran 41m 00s, 3.4x the median 12m 00s, on 1.0x the usual input; "
        "used 3.4x the usual CU-hours; waited as usual.**"
    )
    table = [line for line in lines if line.startswith("|")]
    header = _cells(table[0])
    assert header == [
        "",
        "Submitted (UTC)",
        "Outcome",
        "Waited",
        "Ran",
        "CU-hours",
        "Input",
        "Priority",
        "Quota",
        "ID",
    ]
    assert all(len(_cells(row)) == len(header) for row in table)
    assert len(table) == 2 + 10
    first = dict(zip(header, _cells(table[2]), strict=True))
    assert first[""] == "**this run**"
    assert (first["Waited"], first["Ran"], first["Input"]) == ("35s", "41m 00s", "40.0 GiB")
    quota = first["Quota"]
    # Nothing left that Markdown would read: every [, ], `, |, ! and : is escaped, < and > are
    # entities, and
    # the line break and the escape sequence are gone.
    assert not re.search(r"(?<!\\)[\[\]<>`|!:]", quota), quota
    assert "\n" not in quota and "\x1b" not in quota
    assert unescape(quota) == f"q|x`c` {LINK} <b> | c\\x1b[2J www.e.example"
    assert first["ID"] == "id\\]&lt;x&gt;"
    assert _cells(table[3])[0] == ""


def test_markdown_without_a_verdict_says_why() -> None:
    this, earlier, _ = history()
    summary = summarize(this, earlier[:2])
    text = render.markdown(this, earlier[:2], summary, SCOPE)
    assert "*Only 2 earlier successful runs: too few to compare (at least 3 needed).*" in text
    assert "Median of" not in text


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 4, 8], "▁▅█"),
        ([10, 10, 10], "███"),
        ([1, None, 8], "▂·█"),
        ([0, 0], "▁▁"),
        ([], ""),
    ],
)
def test_sparkline_scales_from_zero_to_the_largest(
    values: list[float | None], expected: str
) -> None:
    assert render.sparkline(values) == expected


def test_flow_breaks_between_parts_only() -> None:
    parts = ["median of 9 successful runs: wait 38s (p90 46s)", "run 12m 00s (p90 12m 45s)"]
    assert render.flow(parts, 60) == [parts[0], "· " + parts[1]]
    assert render.flow(parts, 100) == [" · ".join(parts)]


def _view(width: int, utc: bool = True) -> list[str]:
    this, earlier, summary = history()
    console = Console(record=True, width=width, color_system=None)
    console.print(render.view(this, earlier, summary, SCOPE, utc=utc, width=width))
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [60, 80, 160])
def test_the_view_fits_its_width_and_its_numbers_agree(width: int) -> None:
    lines = _view(width)
    assert all(len(line.rstrip()) <= width for line in lines), "\n".join(lines)
    text = "\n".join(lines)
    assert lines[0].split() == ["run-00", "succeeded"]
    assert "3.4x the median 12m 00s" in " ".join(text.split())
    assert "9 earlier runs with this SQL signature in sales_dw in the 14 days before it: " in (
        " ".join(text.split()) + " "
    )
    assert "8 succeeded, 1 failed" in " ".join(text.split())
    # The median in the summary lines is the one the verdict compares with.
    assert "run 12m 00s (p90 12m 00s)" in text
    # Sparkline: oldest on the left, this run on the right, apart and marked.
    spark = next(line for line in lines if line.startswith("total time"))
    assert "▁" + "▃" * 8 + " █ ◂ this run 41m 35s" in spark
    rows = [line for line in lines if re.match(r"^(▶ | {2}) *2026-", line)]
    assert len(rows) == 10
    assert rows[0].startswith("▶") and "41m 00s" in rows[0] and "35s" in rows[0]
    assert "failed" in rows[-1]


def test_narrow_views_drop_the_least_wanted_columns_first() -> None:
    headers = {
        width: next(line for line in _view(width) if "Submitted" in line).split()
        for width in (60, 80, 160)
    }
    assert headers[60] == ["Submitted", "(UTC)", "Outcome", "Waited", "Ran", "Input"]
    assert "CU-hours" in headers[80] and "ID" not in headers[80]
    assert headers[160][-3:] == ["Prio", "Quota", "ID"]


def test_the_view_shows_hostile_server_text_as_text() -> None:
    hostile = {"quotaNickname": "[bold]q\x1b[2J", "status": "we\u202eird", "project": "[red]p"}
    this, earlier, _ = history(hostile)
    summary = summarize(this, earlier)
    scope = SCOPE._replace(projects=("[red]p\x1b]8;;x\x07",))
    console = Console(record=True, width=160, color_system="truecolor", force_terminal=True)
    console.print(render.view(this, earlier, summary, scope, utc=True, width=160))
    text = console.export_text()
    assert "[bold]q\\x1b[2J" in text and "we\\u202eird" in text
    assert "in [red]p\\x1b]8;;x\\x07 in the 14 days" in text
    assert "\x1b" not in text and "\u202e" not in text
    assert summary.verdict is not None and summary.verdict.endswith(
        "This run has a status maxjob does not know: its figures may be so far."
    )


def test_a_run_still_going_is_measured_in_whole_seconds_in_plain_and_csv() -> None:
    submitted = NOW.timestamp() - 1500
    going = {"instanceId": "going", "status": "running", "submittedAtTime": int(submitted)}
    going["runningAtTime"] = int(submitted) + 300
    run = Run.from_item(going, NOW.replace(microsecond=639_000))
    fields = render.plain_line(run, this=True).rstrip("\n").split("\t")
    assert fields[4:7] == ["300", "1200", "1500"]  # not 1200.639
    assert all("." not in field for field in fields[4:7])


def test_plain_and_csv_write_cu_hours_as_numbers_without_grouping() -> None:
    from maxjob.models import JobInfo
    from maxjob.render.units import decimal

    assert decimal(1234.56789) == "1234.5679" and decimal(2.0) == "2" and decimal(None) == ""
    big = Run.of(JobInfo.from_api({"instanceId": "b", "cuUsage": 10**7}), NOW)
    assert render._cu_figure(big) == "277777.7778"  # (amount() would write 277,778)
