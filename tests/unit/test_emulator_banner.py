"""`maxjob emulator` on a terminal wraps its banner between words; in a pipe each line is whole."""

from __future__ import annotations

from maxjob.commands.emulator import wrapped
from maxjob.emulator.server import banner, make_server


def test_the_banner_wraps_between_words_at_the_terminals_width() -> None:
    server = make_server(port=0)
    try:
        text = banner(server)
    finally:
        server.server_close()
    assert max(len(line) for line in text.splitlines()) > 200  # the jobs line, whole
    for width in (60, 80):
        shown = wrapped(text, width).splitlines()
        assert all(len(line) <= width for line in shown)
        # Nothing is lost or cut inside a word: the words are the same, in order.
        assert " ".join(shown).split() == text.split()
        assert shown[0].startswith("maxjob emulator listening on http://127.0.0.1:")
