"""The locks of sending: one send per repository at a time, and a relay's hold on a message.

- The send lock (`.git/patchpilot/send.lock`) is held by the patchpilot process that mails
  (from the preview the CLI confirms, or from the TUI's send, to the end of b4's run); a
  second send says so at once and sends nothing. It is re-entrant within one thread.
- The relay lock (`.git/patchpilot/send-relay.lock`) is held by the relay while it hands one
  message to the server. A patchpilot killed with SIGKILL leaves its b4 and relay running; a
  new send refuses while such a relay is still talking to the server, and the relay itself
  refuses to send for a patchpilot that is gone (`owner_alive`), so nothing goes out that
  no live attempt journals and nobody confirmed.
Both are flock(2) locks: the kernel drops them with the process, so no stale lock survives.
No imports from the rest of patchpilot except the base; never prints.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.fs import cannot_write
from patchpilot.core.paths import repo_state_dir

_HELD: dict[tuple[Path, int], int] = {}  # (lock file, thread) -> depth


def _open(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise cannot_write("the send lock", path, exc, "; nothing was sent")


@contextmanager
def send_lock(git_dir: Path) -> Iterator[None]:
    """Hold the repository's send lock, or raise at once when another process holds it."""
    path = repo_state_dir(git_dir) / "send.lock"
    key = (path, threading.get_ident())
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    fd = _open(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PatchpilotError(
                f"another patchpilot send is running in this repository{_holder(fd)}",
                hint="let it finish, then run patchpilot send again; nothing was sent",
                exit_code=ExitCode.FAILURE) from None
        _note_holder(fd)
        _HELD[key] = 1
        try:
            yield
        finally:
            del _HELD[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f" (pid {pid})" if pid.isdigit() else ""


def _note_holder(fd: int) -> None:
    try:  # who holds it, for the other process's message; a full disk only loses the pid
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass


def relay_lock_path(git_dir: Path) -> Path:
    return repo_state_dir(git_dir) / "send-relay.lock"


@contextmanager
def relay_lock(path: Path) -> Iterator[None]:
    """Held by the relay around one message (waits for another relay of this repository)."""
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def relay_busy(git_dir: Path) -> bool:
    """Whether a relay (perhaps one left by a killed patchpilot) is delivering a message."""
    fd = _open(relay_lock_path(git_dir))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock this call took
    return False


def _start_time(pid: int) -> str | None:
    """When process `pid` started, in clock ticks since boot (Linux; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # state, ppid, ... starttime is the 20th
    if len(fields) <= 19 or fields[0] in ("Z", "X"):  # a zombie is gone, not yet reaped
        return None
    return fields[19]


def owner() -> dict[str, Any]:
    """This process, as the relay checks it is still alive (pid and start time: a pid that
    was reused by another program does not count)."""
    return {"pid": os.getpid(), "start": _start_time(os.getpid())}


def owner_alive(who: dict[str, Any] | None) -> bool:
    if not isinstance(who, dict) or not isinstance(who.get("pid"), int):
        return False
    pid, start = who["pid"], who.get("start")
    if start is not None or Path("/proc/self/stat").exists():
        return start is not None and _start_time(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
