"""Run a long build command, line by line: each output line goes to a callback as it comes (the
progress a user sees), the whole output is kept for the diagnostics, and the command with all
its children (make, rustc, clippy-driver, QEMU) is killed at once on cancel or timeout.

stdout and stderr are read from one pipe, in the order the tools wrote them. The command runs
in its own session, so one killpg reaches every process it started. No git, no UI.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.checks.procs import Cancelled, ToolMissing

POLL = 0.2


@dataclass(frozen=True)
class Run:
    argv: list[str]
    returncode: int
    output: str
    timed_out: bool = False
    seconds: float = 0.0


def run_lines(argv: list[str], timeout: float, cwd: Path | None = None,
              env: dict[str, str] | None = None,
              on_line: Callable[[str], None] | None = None,
              cancel: threading.Event | None = None) -> Run:
    """Run `argv`; kill its process group after `timeout` s or when `cancel` is set (then
    Cancelled is raised after the group is gone)."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()
    start = time.monotonic()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, text=True, errors="replace",
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
    except FileNotFoundError:
        raise ToolMissing(argv[0]) from None
    lines: list[str] = []
    reader = threading.Thread(target=_read, args=(proc, lines, on_line), daemon=True)
    reader.start()
    try:
        timed_out = _wait(proc, start + timeout, cancel)
    except BaseException:  # Ctrl-C (KeyboardInterrupt) or a cancel: the whole group goes
        kill_group(proc)
        proc.wait()
        reader.join(5)
        raise
    proc.wait()
    kill_group(proc)  # what the command left running in its session (a QEMU, a make job)
    reader.join(5)
    return Run(argv, proc.returncode, "".join(lines), timed_out, time.monotonic() - start)


def _wait(proc: subprocess.Popen[str], deadline: float,
          cancel: threading.Event | None) -> bool:
    """Wait for the command; True when it was killed at the deadline."""
    timed_out = False
    while proc.poll() is None:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if time.monotonic() >= deadline:
            kill_group(proc)
            timed_out = True
            break
        try:
            proc.wait(POLL)
        except subprocess.TimeoutExpired:
            pass
    return timed_out


def _read(proc: subprocess.Popen[str], lines: list[str],
          on_line: Callable[[str], None] | None) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if on_line is not None:
            try:
                on_line(line.rstrip("\n"))
            except Exception:  # a progress display must never stop the build
                pass


def kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
