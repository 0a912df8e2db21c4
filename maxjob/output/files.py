"""Files maxjob writes besides stdout (`--export`, `--junit`): checked before any request, then
written whole or not at all.

`start_export` is each command's `--export`: checked at once, the export module imported only
when the option is given (and rich only when it draws).

`check_target` refuses, as a usage error (exit 2) before anything is fetched, a file whose
directory does not exist or cannot be written, or a path that is a directory. `write_atomically`
writes a temporary file in the same directory and renames it over the target, so that a reader
(a CI system collecting a report) never sees half a file, even if maxjob is interrupted.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from maxjob.errors import MaxjobError, UsageError

if TYPE_CHECKING:
    from maxjob.output.export import Export
    from maxjob.output.streams import Streams


def check_target(path: str, flag: str) -> Path:
    """The file `path` can be written (its directory exists and is writable; a symbolic link
    leads to a regular file, or to none yet, in such a directory), or UsageError."""
    target = Path(path)
    if not path or target.is_dir():
        raise UsageError(f"{flag} {path}: is a directory, not a file")
    final = _followed(target)
    if final.exists() and not final.is_file():
        raise UsageError(f"{flag} {path}: {final} is not a regular file (a pipe or device?)")
    if target.exists() and not target.is_file():
        # A link no path names the end of (`/dev/stdout` to `/proc/self/fd/1`, a pipe).
        raise UsageError(f"{flag} {path}: not a regular file (a pipe or device?)")
    directory = final.parent
    if not directory.is_dir():
        raise UsageError(f"{flag} {path}: the directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: cannot write in the directory {directory}")
    return target


def _followed(path: Path) -> Path:
    """Where a symbolic link finally points (the path itself when it is none)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_atomically(path: Path, data: bytes, *, what: str) -> None:
    """Write `data` to `path` through a temporary file in its directory and a rename; an
    existing file keeps its permissions, a new one gets the usual (0666 less the umask). A
    symbolic link is written through, as `>` does: the regular file it points to is replaced,
    the link stays (a link to a pipe, device or directory is refused). Raises MaxjobError
    (exit 1) naming `what` when the file cannot be written."""
    shown = path
    path = _followed(path)
    if path.exists() and not path.is_file():
        raise MaxjobError(f"cannot write {what} to {shown}: {path} is not a regular file")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    import tempfile  # only when a file is written (it imports shutil, lzma, bz2, ...)

    temporary: Path | None = None
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        temporary = Path(name)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.chmod(mode)
        temporary.replace(path)
    except OSError as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()
        reason = exc.strerror or type(exc).__name__
        raise MaxjobError(f"cannot write {what} to {path}: {reason}") from None
    except BaseException:  # interrupted: leave no temporary file behind
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise


def _umask() -> int:
    # Read by setting it: there is no other way. Nothing else creates files at this moment.
    current = os.umask(0o022)
    os.umask(current)
    return current


def start_export(
    path: str | None,
    streams: Streams,
    *,
    command: str,
    width: int,
    utc: bool,
    view: str = "table",
    subject: str | None = None,
) -> Export | None:
    """The `--export PATH` of `command` (`maxjob info`), secrets masked as on `streams`, or None
    without the option. Checked now: a file that cannot be written is a UsageError (exit 2)
    before any request. `view` is the `-o` format (`timeline` draws jobs as the timeline)."""
    if path is None:
        return None
    from maxjob.output.export import Export

    return Export(
        path,
        output=view,
        utc=utc,
        width=width,
        command=command,
        mask=streams.mask,
        subject=subject,
    )
