"""Fault injection for the reliability tests, with real processes, signals and filesystems.

- `spawn`: patchpilot as a process of its own (so a test can signal it with os.kill).
- `b4_that_signals`: the environment for a patchpilot whose b4 is a wrapper around the real
  one that sends a signal to patchpilot before or after one chosen b4 command (a regular
  expression on its arguments), once; the real b4 runs as it would (after a SIGKILL it goes
  on alone, as b4 really does when its parent dies). `git_that_signals` does the same for a
  git command patchpilot runs itself. `nth` picks a later run of the same
  command (the changelog reads the cover with `prep --edit-cover`, then writes it).
- `small_disk`: a tmpfs of a few kilobytes mounted on a directory (`mount -t tmpfs`, which
  needs root: the tests run as root here; elsewhere they fail saying so), with `fill()` to
  use up every byte and `free()` to give the space back; its contents are copied back to
  the directory after the unmount, for the test's last look.
- `wait_idle`: wait until no process works in a tree any more (b4 and its relay outlive a
  patchpilot killed with SIGKILL).
- `leftovers`: temporary files and empty files a failed write left behind.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from patchpilot.core.b4 import cli as b4cli

PATCHPILOT = [sys.executable, "-c", "from patchpilot.cli.main import run; run()"]
SIGNALS = {"SIGINT": signal.SIGINT, "SIGHUP": signal.SIGHUP, "SIGTERM": signal.SIGTERM,
           "SIGKILL": signal.SIGKILL}


def default_signals() -> None:
    """In the child before exec: SIGINT and SIGQUIT as a terminal would deliver them. A suite
    started in the background (`make test &`) inherits both ignored (POSIX: a shell's
    background job), and a child keeps an ignored signal across exec, so the signal tests
    would signal a process that cannot hear them."""
    for sig in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)


def spawn(tree: Path, *argv: str, env: dict[str, str] | None = None,
          stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen([*PATCHPILOT, "-C", str(tree), *argv], stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, preexec_fn=default_signals)


WRAPPER = '''\
import os, re, signal, subprocess, sys, time
spec = {k[len("FAULT_"):]: v for k, v in os.environ.items() if k.startswith("FAULT_")}
args = " ".join(sys.argv[1:])
hit = False
if re.fullmatch(spec["MATCH"], args) and not os.path.exists(spec["ONCE"]):
    with open(spec["ONCE"] + ".count", "a+") as count:
        count.write("x")
        count.seek(0)
        hit = len(count.read()) == int(spec["NTH"])
sig = int(spec["SIGNAL"])
parent = os.getppid()


def strike():
    open(spec["ONCE"], "w").close()
    os.kill(parent, sig)
    if sig != signal.SIGKILL:  # patchpilot stops what it started: wait for it
        time.sleep(120)
        sys.exit(99)


if hit and spec["WHEN"] == "before":
    strike()
code = subprocess.call([spec["REAL"], *sys.argv[1:]])
if hit and spec["WHEN"] == "after":
    strike()
sys.exit(code)
'''


def _wrapper(directory: Path, name: str, real: str, match: str, when: str, sig: int,
             nth: int) -> dict[str, str]:
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = directory / name
    wrapper.write_text(f"#!{sys.executable}\n{WRAPPER}")
    wrapper.chmod(0o755)
    return {"FAULT_REAL": real, "FAULT_MATCH": match, "FAULT_WHEN": when,
            "FAULT_SIGNAL": str(int(sig)), "FAULT_ONCE": str(directory / "struck"),
            "FAULT_NTH": str(nth)}


def b4_that_signals(directory: Path, match: str, when: str, sig: int,
                    nth: int = 1) -> dict[str, str]:
    """Environment for `spawn`: b4 signals patchpilot `before` or `after` the `nth` b4
    command whose arguments fullmatch `match` (e.g. `prep --auto-to-cc`)."""
    env = _wrapper(directory, "b4", b4cli.executable(), match, when, sig, nth)
    return {**env, "PATCHPILOT_B4": str(directory / "b4")}


def git_that_signals(directory: Path, match: str, when: str, sig: int,
                     nth: int = 1) -> dict[str, str]:
    """The same for a git command patchpilot runs itself (first on PATH: a rewrite's
    `commit-tree`); b4 and git's own children run git too, so `match` must be one only
    patchpilot runs."""
    real = shutil.which("git")
    assert real, "git is not installed (apt-get install git)"
    env = _wrapper(directory, "git", real, match, when, sig, nth)
    return {**env, "PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


def struck(env: dict[str, str]) -> bool:
    """Whether the wrapper's signal went out."""
    return Path(env["FAULT_ONCE"]).exists()


class Disk:
    """A mounted tmpfs; `fill()` takes every free byte, `free()` gives them back."""

    def __init__(self, path: Path):
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            for size in (65536, 4096, 512, 64, 1):  # down to the last byte
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


def _size(directory: Path) -> int:
    return sum(-(-p.stat().st_size // 4096) * 4096 for p in directory.rglob("*") if p.is_file())


@contextmanager
def small_disk(directory: Path, room: int = 256 * 1024) -> Iterator[Disk]:
    """Mount a tmpfs on `directory` with its present contents copied in and `room` bytes
    to spare (a few pages: the caches already there, such as the MAINTAINERS index, fit)."""
    saved = directory.with_name(directory.name + ".before-tmpfs")
    size = room
    if directory.exists():
        shutil.copytree(directory, saved, symlinks=True)
        shutil.rmtree(directory)
        size += _size(saved)
    directory.mkdir(parents=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                           str(directory)], capture_output=True, text=True)
    assert proc.returncode == 0, (
        f"cannot mount a tmpfs on {directory} ({proc.stderr.strip()}): the full-disk tests "
        "mount a small filesystem and need root (or CAP_SYS_ADMIN)")
    try:
        if saved.exists():
            shutil.copytree(saved, directory, symlinks=True, dirs_exist_ok=True)
        yield Disk(directory)
    finally:  # what the test left there stays readable after the unmount
        Disk(directory).free()
        after = directory.with_name(directory.name + ".on-tmpfs")
        shutil.copytree(directory, after, symlinks=True)
        subprocess.run(["umount", "-l", str(directory)], capture_output=True)
        shutil.rmtree(saved, ignore_errors=True)
        shutil.copytree(after, directory, symlinks=True, dirs_exist_ok=True)
        shutil.rmtree(after)


def processes_in(tree: Path) -> list[str]:
    """Processes (other than this one) whose working directory is in `tree`."""
    found = []
    top = str(tree.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cwd == top or cwd.startswith(top + "/"):
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def wait_idle(tree: Path, limit: float = 180.0) -> None:
    """Wait until nothing runs in `tree` (a bound, not a timing: it fails only on a hang)."""
    deadline = time.monotonic() + limit
    while True:
        running = processes_in(tree)
        if not running:
            return
        assert time.monotonic() < deadline, f"still running in {tree}: {running}"
        time.sleep(0.1)


def leftovers(directory: Path) -> list[Path]:
    """Temporary files, and empty files other than locks (empty by design), under it."""
    return [p for p in directory.rglob("*") if p.is_file() and not p.is_symlink() and (
        ".tmp" in p.name or (p.stat().st_size == 0 and not p.name.endswith(".lock")))]


def journal_lines(git_dir: Path) -> list[dict]:
    """Every line of every send journal of the repository."""
    lines = []
    for path in sorted((git_dir / "patchpilot" / "sendlog").glob("*.d/*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                lines.append(json.loads(line))
    return lines
