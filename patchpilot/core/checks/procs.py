"""Run a checker's subprocess with a time limit: a tool that hangs is killed, never waited on.

The process runs in its own session so that the kill reaches its children too (checkpatch.pl
starts python3 for spdxcheck.py). No git, no UI.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ToolResult:
    """What a tool did: exit status and output, or `timed_out` when it was killed."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


class ToolMissing(Exception):
    """The program named in argv[0] is not installed."""


class Cancelled(Exception):
    """The user cancelled the checks: the running tool was killed."""


POLL = 0.2  # seconds between looks at the cancel flag while a tool runs


def run_tool(argv: list[str], timeout: float, cwd: Path | None = None,
             env: dict[str, str] | None = None, input: str | None = None,
             cancel: threading.Event | None = None) -> ToolResult:
    """Run `argv`; kill it (and its children) after `timeout` seconds, or as soon as
    `cancel` is set (then Cancelled is raised)."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, text=True, errors="replace",
                                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except FileNotFoundError:
        raise ToolMissing(argv[0]) from None
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            out, err = proc.communicate(input, timeout=max(0.0, min(left, POLL) if cancel
                                                           else left))
            return ToolResult(argv, proc.returncode, out, err)
        except subprocess.TimeoutExpired:
            input = None  # communicate() keeps what it already wrote
            if cancel is not None and cancel.is_set():
                _kill(proc)
                proc.communicate()
                raise Cancelled() from None
            if time.monotonic() >= deadline:
                _kill(proc)
                out, err = proc.communicate()
                return ToolResult(argv, -signal.SIGKILL, out or "", err or "", timed_out=True)


def _kill(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
