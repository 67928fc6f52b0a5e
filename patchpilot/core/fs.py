"""One way to write a file so that a reader sees the old content or the new, never half.

Every state file patchpilot keeps (send log, rewrite journal, recipient choices, caches) is
written through `write_atomic`: a temporary file in the same directory, flushed and fsynced,
then renamed into place; on any failure the temporary file is removed, so a full disk leaves
nothing behind. Damaged state is moved aside with `keep_aside`, never deleted.
Standard library only; no imports from the rest of patchpilot.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


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
