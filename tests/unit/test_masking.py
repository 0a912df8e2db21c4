"""Secrets masked whenever the console is made, and text an exported picture cannot hold."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest

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


AK_SECRET = "Kq3vXz9LmP2rT8wYb5NcH1dF6gJ4sA"  # an AccessKey secret is 30 characters


@pytest.mark.parametrize(
    "echoed",
    [
        "denied (Kq3vXz9LmP2rT8w, request id Yb5NcH1dF6gJ4sA)",  # split in two fields
        "KQ3VXZ9LMP2RT8WYB5NCH1DF6GJ4SA",  # upper-cased
        "kq3vxz9lmp2rt8wyb5nch1df6gj4sa",
        "Kq3\x01vXz9LmP2rT8wYb5NcH1dF6gJ4sA",  # a character put in it
        "".join(f"%{byte:02X}" for byte in AK_SECRET.encode()),  # every byte percent-encoded
        "".join(f"%{byte:02x}" for byte in AK_SECRET.encode()),
        AK_SECRET.encode().hex(),
        AK_SECRET.encode().hex().upper(),
        "".join(f"&#{ord(ch)};" for ch in AK_SECRET),  # HTML character references
        "".join(f"&#x{ord(ch):x};" for ch in AK_SECRET),
    ],
)
def test_an_echoed_secret_is_masked_in_its_odd_forms_too(echoed: str) -> None:
    from maxjob.masking import forms, mask

    shown = mask(f"error: {echoed} (end)", forms([AK_SECRET]))
    assert "****" in shown, shown
    for run in range(len(AK_SECRET) - 13):  # no 14 characters of it are left anywhere
        assert AK_SECRET[run : run + 14].lower() not in shown.lower(), shown


def test_what_only_looks_like_a_piece_of_the_secret_is_left_alone() -> None:
    from maxjob.masking import forms, mask

    hidden = forms(["emulator-key-secret"])
    assert mask("key id emulator-key-id", hidden) == "key id emulator-key-id"
    assert mask("Kq3vXz9LmP2rT", forms([AK_SECRET])) == "Kq3vXz9LmP2rT"  # 13: too short to tell


def test_a_secret_repeated_half_a_million_times_is_masked_fast_and_flat() -> None:
    """One span a run was kept (2.3 million of them: 5.6 s and 387 MB for one 9 MB field);
    past `MOST_RUNS` runs the windows are replaced in C."""
    import time
    import tracemalloc

    from maxjob.masking import forms, mask

    text = "emulator-key-secre|" * 470_000
    tracemalloc.start()
    started = time.perf_counter()
    shown = mask(text, forms(["emulator-key-secret"]))
    elapsed, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "emulator-key-s" not in shown and elapsed < 2 and peak < 40 * 2**20


def test_a_secret_that_starts_with_a_mark_is_still_masked_in_pieces() -> None:
    from maxjob.masking import forms, mask

    secret = "&" + AK_SECRET
    assert mask(f"echo: {AK_SECRET[:20]} end", forms([secret])) == "echo: **** end"
