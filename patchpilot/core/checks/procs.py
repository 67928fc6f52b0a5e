"""Run a checker's subprocess with a time limit: a tool that hangs is killed, never waited on.

The process runs in its own session so that the kill reaches its children too (checkpatch.pl
starts python3 for spdxcheck.py). No git, no UI.
"""

from __future__ import annotations

import os
import signal
import subprocess
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


def run_tool(argv: list[str], timeout: float, cwd: Path | None = None,
             env: dict[str, str] | None = None, input: str | None = None) -> ToolResult:
    """Run `argv`; kill it (and its children) after `timeout` seconds."""
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, text=True, errors="replace",
                                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except FileNotFoundError:
        raise ToolMissing(argv[0]) from None
    try:
        out, err = proc.communicate(input, timeout=timeout)
        return ToolResult(argv, proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, err = proc.communicate()
        return ToolResult(argv, -signal.SIGKILL, out or "", err or "", timed_out=True)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
