"""Secrets masked whenever the console is made, and text an exported picture cannot hold."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from maxjob.output.streams import Streams
from maxjob.render.sanitize import display

SECRET = "emulator-key-secret-0123456789"


def test_a_console_made_before_the_secrets_are_known_still_masks_them() -> None:
    out = io.StringIO()
    streams = Streams(out, io.StringIO(), environ={})
    console = streams.console(width=80)  # as `list` makes its table before the client opens
    streams.hide(SECRET)
    console.print(f"project {SECRET} here")
    assert SECRET not in out.getvalue() and "project **** here" in out.getvalue()


def test_noncharacters_are_shown_as_escapes_so_xml_can_hold_the_text() -> None:
    shown = display("a\ufffeb\uffffc")
    assert "\ufffe" not in shown and "\uffff" not in shown
    ET.fromstring(f"<t>{shown}</t>")  # noqa: S314 - our own text, to see it is well-formed
