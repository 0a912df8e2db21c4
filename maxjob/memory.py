"""Memory that stays flat over a long listing.

A page of jobs is read from its socket 64 KiB at a time: each read makes a buffer of a little
over 64 KiB and shrinks it to what came. glibc's malloc raises its mmap threshold above the first
such buffer freed and then serves them from the heap, where each one shrunk leaves a hole that
the page's other buffers (the body, its text, what is written out) only partly fill: `list
--limit 0 -o jsonl` over 100,000 jobs grew to 87 MB this way. Fixing the threshold at 64 KiB
keeps those read buffers on mmap (and anything bigger, as a page with longer jobs makes),
returned to the system when freed, and the rest on the heap: 50 MB. (At 32 KiB, 46 MB, but every
buffer of a page of 64 KB came from fresh pages of the system, about 7% of the work of a listing
at 20 ms a page.)
"""

from __future__ import annotations

import sys

_M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>
_THRESHOLD = 64 * 1024
_done = False


def large_buffers_from_the_system() -> None:
    """Serve big allocations by mmap from now on (glibc on Linux; elsewhere nothing). Loads
    ctypes (a few milliseconds): call it only before many pages."""
    global _done
    if _done or not sys.platform.startswith("linux"):
        return
    _done = True
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):  # no ctypes, or a C library without mallopt
        return
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)
