"""`--export`: SVG and HTML documents of the terminal view, safe to attach, written atomically."""

from __future__ import annotations

import os
import re
import stat
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from maxjob.emulator.seed import FAILED_DATA
from maxjob.errors import MaxjobError, NotFoundError, UsageError
from maxjob.models import JobInfo
from maxjob.output import export, files
from maxjob.render.sanitize import display

HOSTILE = (
    "<script>alert(1)</script><img src=x onerror=alert(1)>"
    "<svg onload=alert(1)>{code}{{x}}&amp;\x1b[31m\u202e[bold]x[/bold]:smile:"
)


def hostile_job() -> JobInfo:
    data: dict[str, Any] = dict(FAILED_DATA)
    data.update(
        instanceId="evil-1",
        project=HOSTILE,
        jobOwner=HOSTILE,
        quotaNickname=HOSTILE,
        sceneResults=[{"type": "critical", "summary": HOSTILE, "description": HOSTILE}],
        jobSubStatusList=[
            {"code": 1054, "startTime": "2025-11-30 02:26:11 +0000", "description": HOSTILE}
        ],
    )
    return JobInfo.from_api(data)


class Tags(HTMLParser):
    """Every start tag and its attributes (an HTML5-style tokenizer, as a browser reads it)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_safe_page(page: str) -> None:
    parser = Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert names <= {"html", "head", "meta", "title", "style", "body", "pre", "code", "span"}
    for _tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.lower().startswith("on"), name
            assert "javascript:" not in (value or "").lower()
    assert "<script" not in page.lower() and "href" not in page.lower()
    assert "\x1b" not in page and "\u202e" not in page
    assert "Content-Security-Policy" in page


def assert_safe_picture(picture: str) -> ET.Element:
    root = ET.fromstring(picture)  # noqa: S314 (well-formed XML: maxjob's own picture)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        assert local not in ("script", "foreignObject", "a", "image", "use"), local
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "javascript:" not in value.lower()
    # Nothing fetched when it is opened: no web font, no link but the namespace.
    assert re.findall(r"https?://[^\s\"')]+", picture) == ["http://www.w3.org/2000/svg"]
    assert "\x1b" not in picture and "\u202e" not in picture
    return root


def picture_text(root: ET.Element) -> str:
    return "".join(root.itertext()).replace("\xa0", " ")


@pytest.mark.parametrize("view", ["table", "timeline"])
def test_svg_is_valid_xml_inert_and_shows_the_job(view: str, tmp_path: Path) -> None:
    saved = export.Export(str(tmp_path / "job.svg"), output=view, utc=True)
    saved.add("evil-1", hostile_job())
    saved.add("missing<x>", NotFoundError("job missing<x> not found", code="OBJECT_NOT_EXIST"))
    saved.save()
    picture = (tmp_path / "job.svg").read_text(encoding="utf-8")
    root = assert_safe_picture(picture)
    shown = picture_text(root)
    assert "evil-1" in shown
    assert "missing<x>: error: job missing<x> not found" in shown
    # Server text drawn as it is sanitised in the terminal: never markup, escapes visible.
    assert "[bold]x[/bold]:smile:" in shown and "\\x1b[31m\\u202e" in shown
    assert "maxjob (2 jobs)" in shown  # the window title


def test_html_has_no_script_no_handlers_and_shows_the_job(tmp_path: Path) -> None:
    saved = export.Export(
        str(tmp_path / "job.HTML"), output="table", utc=True, command="maxjob info"
    )
    saved.add(HOSTILE, hostile_job())
    page = saved.render()
    assert_safe_page(page)
    assert "evil-1" in page
    assert "&lt;script&gt;" in page  # shown, as text
    # The title (the id, here hostile) is escaped too, and cannot reach the template's fields.
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title and title.group(1).startswith("maxjob info &lt;script&gt;")
    assert "{code}" in page


def test_the_width_is_fixed_whatever_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")  # which rich would otherwise draw 80 columns wide
    lines = {}
    for width in (60, 100):
        saved = export.Export(str(tmp_path / "a.html"), output="table", utc=True, width=width)
        saved.add("failed", JobInfo.from_api(FAILED_DATA))
        page = saved.render()
        code = re.search(r"<code[^>]*>(.*)</code>", page, re.S)
        assert code is not None
        text = re.sub(r"<[^>]+>", "", code.group(1))
        lines[width] = max(len(line) for line in text.splitlines())
        assert "color:" in page or "background-color" in page  # in colour, NO_COLOR or not
    assert lines == {60: 60, 100: 100}


def test_secrets_are_masked_in_the_document(tmp_path: Path) -> None:
    data = dict(FAILED_DATA, project="leaked-secret-value-123456")
    saved = export.Export(
        str(tmp_path / "a.svg"),
        output="table",
        utc=True,
        mask=lambda text: text.replace("leaked-secret-value-123456", "****"),
    )
    saved.add("failed", JobInfo.from_api(data))
    assert "leaked-secret" not in saved.render()


@pytest.mark.parametrize(
    ("name", "width", "message"),
    [
        ("job.png", 100, "must end in .svg, .html or .htm"),
        ("job", 100, "must end in .svg, .html or .htm"),
        ("job.svg", 39, "--width must be between 40 and 400"),
        ("nowhere/job.svg", 100, "does not exist"),
    ],
)
def test_refused_before_anything_is_fetched(
    name: str, width: int, message: str, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        export.Export(str(tmp_path / name), output="table", utc=True, width=width)
    assert caught.value.exit_code == 2


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "d.svg").mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        export.check(str(tmp_path / "d.svg"), 100)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty directory of its own (the test's home is in tmp_path)."""
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def test_atomic_write_replaces_whole_and_leaves_no_temporary(out: Path) -> None:
    target = out / "report.xml"
    target.write_text("old")
    target.chmod(0o640)
    files.write_atomically(target, b"new", what="the report")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # an existing file keeps its mode
    assert sorted(p.name for p in out.iterdir()) == ["report.xml"]
    fresh = out / "fresh.svg"
    files.write_atomically(fresh, b"x", what="the export")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_a_symbolic_link_is_written_through_and_stays_a_link(out: Path) -> None:
    real = out / "shared" / "latest.svg"
    real.parent.mkdir()
    real.write_text("old")
    link = out / "latest.svg"
    link.symlink_to(real)
    files.write_atomically(link, b"new", what="the export")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_bytes() == b"new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["latest.svg"]


def test_a_link_to_a_pipe_or_directory_is_refused_before_and_at_the_write(out: Path) -> None:
    fifo = out / "fifo"
    os.mkfifo(fifo)
    piped = out / "piped.svg"
    piped.symlink_to(fifo)
    with pytest.raises(UsageError, match="is not a regular file"):
        files.check_target(str(piped), "--export")
    with pytest.raises(MaxjobError, match="is not a regular file"):
        files.write_atomically(piped, b"x", what="the export")
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a pipe, not replaced by a file
    (out / "dir").mkdir()
    into_dir = out / "d.svg"
    into_dir.symlink_to(out / "dir")
    with pytest.raises(UsageError):
        files.check_target(str(into_dir), "--export")


def test_dev_stdout_into_a_pipe_is_refused_before_any_request() -> None:
    """`/dev/stdout` leads to `/proc/self/fd/1`, and that to a pipe no path names: it was
    refused only after the wait, the report lost."""
    import subprocess
    import sys

    code = (
        "from maxjob.output import files\n"
        "from maxjob.errors import UsageError\n"
        "try:\n"
        "    files.check_target('/dev/stdout', '--junit')\n"
        "except UsageError as exc:\n"
        "    print('refused:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("refused: --junit /dev/stdout: not a regular file"), done


def test_a_write_that_fails_is_exit_1_and_leaves_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = out / "report.xml"
    target.write_text("old")

    def fail(self: Path, other: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(MaxjobError, match=r"cannot write the report to .*No space left") as caught:
        files.write_atomically(target, b"new", what="the report")
    assert caught.value.exit_code == 1
    assert target.read_text() == "old"
    assert sorted(p.name for p in out.iterdir()) == ["report.xml"]


def test_an_interrupted_write_leaves_no_temporary(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: Path, mode: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "chmod", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomically(out / "a.svg", b"x", what="the export")
    assert list(out.iterdir()) == []


def test_a_directory_removed_after_the_check_is_exit_1(tmp_path: Path) -> None:
    directory = tmp_path / "out"
    directory.mkdir()
    saved = export.Export(str(directory / "job.svg"), output="table", utc=True)
    saved.add("failed", JobInfo.from_api(FAILED_DATA))
    directory.rmdir()
    with pytest.raises(MaxjobError, match="cannot write the export") as caught:
        saved.save()
    assert caught.value.exit_code == 1


def test_any_renderables_are_drawn_in_order_under_the_subject(tmp_path: Path) -> None:
    from rich.table import Table
    from rich.text import Text

    saved = export.Export(
        str(tmp_path / "why.html"), utc=True, command="maxjob why", subject="evil<1>"
    )
    table = Table("run", "outcome")
    table.add_row("r-1", Text(display(HOSTILE)))  # sanitised, as the views do
    saved.draw(Text("first: the explanation"))
    saved.draw(table)
    page = saved.render()
    assert_safe_page(page)
    assert "<title>maxjob why evil&lt;1&gt;</title>" in page
    assert page.index("first: the explanation") < page.index("r-1")
    assert "&lt;script&gt;" in page and "[bold]x[/bold]:smile:" in page


def test_a_picture_of_nothing_but_renderables_is_titled_by_the_command(tmp_path: Path) -> None:
    from rich.text import Text

    saved = export.Export(str(tmp_path / "list.svg"), utc=True, command="maxjob list")
    saved.draw(Text("ID  OUTCOME"))
    root = assert_safe_picture(saved.render())
    assert "maxjob list" in picture_text(root) and "ID  OUTCOME" in picture_text(root)


def test_start_export_checks_now_and_masks_as_the_streams_do(tmp_path: Path) -> None:
    import io

    from maxjob.output.streams import Streams

    streams = Streams(io.StringIO(), io.StringIO(), environ={})
    streams.hide("leaked-secret-value-123456")
    assert files.start_export(None, streams, command="maxjob list", width=100, utc=True) is None
    with pytest.raises(UsageError, match=r"must end in \.svg, \.html or \.htm"):
        files.start_export(str(tmp_path / "a.png"), streams, command="x", width=100, utc=True)
    saved = files.start_export(
        str(tmp_path / "a.svg"), streams, command="maxjob info", width=80, utc=True
    )
    assert saved is not None and saved.width == 80 and saved.view == "table"
    saved.add("failed", JobInfo.from_api(dict(FAILED_DATA, project="leaked-secret-value-123456")))
    assert "leaked-secret" not in saved.render()
