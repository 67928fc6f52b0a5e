"""One way to write a file so that a reader sees the old content or the new, never half.

Every state file patchpilot keeps (send log, rewrite journal, recipient choices, caches) is
written through `write_atomic`: a temporary file in the same directory, flushed and fsynced,
then renamed into place; on any failure the temporary file is removed, so a full disk leaves
nothing behind. Damaged state is moved aside with `keep_aside`, never deleted.
`cannot_write` words a failed write of state in one line (a file where a directory should
be, a full disk, no permission). Standard library only (and core.errors).
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
from pathlib import Path

from patchpilot.core.errors import PatchpilotError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` (text is written as UTF-8), creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def keep_aside(path: Path) -> Path:
    """Rename damaged state out of the way, to `NAME.damaged-TIME` beside it, so that it is
    kept for the user and no longer read; return the new name (OSError when it cannot move)."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while os.path.lexists(target):
        number += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    os.replace(path, target)
    return target


def move_aside(path: Path, what: str) -> Path:
    """keep_aside, or one clear line when the damaged file cannot be moved."""
    try:
        return keep_aside(path)
    except OSError as exc:
        raise PatchpilotError(f"{what} {path} is damaged and cannot be moved aside "
                              f"({exc.strerror or exc})",
                              hint=f"move it aside yourself (mv {path} {path}.damaged)")


def cannot_write(what: str, path: Path, exc: OSError, then: str = "") -> PatchpilotError:
    """One line on why `what` (at `path`) could not be written, and what to do; `then`
    says what that means (", nothing was changed")."""
    blocker = _file_in_the_way(path)
    if blocker is not None:
        return PatchpilotError(f"cannot write {what}: {blocker} is a file, not a directory"
                               f"{then}", hint=f"move it aside (mv {blocker} {blocker}.old), "
                                               "then try again")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return PatchpilotError(f"cannot write {what} in {path.parent}: the disk is full{then}",
                               hint="free some space, then try again")
    return PatchpilotError(f"cannot write {what} in {path.parent}: {exc.strerror or exc}{then}",
                           hint=f"make {path.parent} writable, then try again")


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest parent of `path` that exists and is no directory."""
    for parent in reversed(path.parents):
        if os.path.lexists(parent) and not parent.is_dir():
            return parent
    return None
