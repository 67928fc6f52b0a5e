"""Where a series is built: a build home per kernel line and configuration kind, never the
user's work tree or build directory.

    <build.dir>/<line>-<kind>/src      a private checkout (its own git repository, reading the
                                       user's objects through git's alternates)
    <build.dir>/<line>-<kind>/out      the persistent O= directory
    <build.dir>/<line>-<kind>/results  one JSON file per built state (the cache)
    <build.dir>/<line>-<kind>/lock     held while a build runs (one build per home at a time)

The line is the tree's VERSION.PATCHLEVEL, so every clone of one kernel line shares one warm
build. Moving the checkout from one commit to another rewrites only the files that differ (git
read-tree on the index), so make rebuilds only what a patch changed. No UI.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo


@dataclass(frozen=True)
class BuildHome:
    path: Path

    @property
    def src(self) -> Path:
        return self.path / "src"

    @property
    def out(self) -> Path:
        return self.path / "out"

    @property
    def results(self) -> Path:
        return self.path / "results"


def kernel_line(repo: GitRepo, commit: str) -> str:
    """'6.12' from the top Makefile at `commit`."""
    text = repo.try_run("show", f"{commit}:Makefile") or ""
    fields = dict(re.findall(r"^(VERSION|PATCHLEVEL)\s*=\s*(\d+)", text, re.MULTILINE))
    if "VERSION" not in fields or "PATCHLEVEL" not in fields:
        raise PatchpilotError(f"{commit[:12]} has no kernel Makefile (VERSION, PATCHLEVEL)",
                              hint="build runs in a Linux kernel tree")
    return f"{fields['VERSION']}.{fields['PATCHLEVEL']}"


def home_for(root: Path, line: str, kind: str, create: bool = True) -> BuildHome:
    """The home of `line` and `kind`; `create` makes its directories (a look into the cache
    leaves the disk as it was)."""
    home = BuildHome(root / f"linux-{line}-{kind}")
    if create:
        for sub in (home.out, home.results):
            sub.mkdir(parents=True, exist_ok=True)
    return home


@contextmanager
def holding(home: BuildHome) -> Iterator[None]:
    """One build per home at a time (another patchpilot, or a parallel test, waits here)."""
    with open(home.path / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _git(src: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_DIR": str(src / ".git"), "GIT_WORK_TREE": str(src)}
    return subprocess.run(["git", *args], cwd=src, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def checkout(home: BuildHome, repo: GitRepo, commit: str) -> None:
    """Make the private checkout hold `commit` of `repo`; files that do not change keep their
    time stamps (make's view of what is up to date)."""
    src = home.src
    if not (src / ".git").is_dir():
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir(parents=True)
        _git(src, "init", "-q")
    objects = Path(repo.run("rev-parse", "--git-common-dir").strip())
    objects = (objects if objects.is_absolute() else repo.top / objects).resolve() / "objects"
    (src / ".git" / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (src / ".git" / "objects" / "info" / "alternates").write_text(f"{objects}\n")
    done = _git(src, "read-tree", "-u", "--reset", commit)
    if done.returncode != 0:
        if "No space left" in done.stderr:
            raise PatchpilotError(f"no space left on the device under {home.path}",
                                  hint="free some space (the build needs about 2 GB), "
                                       "or set build.dir elsewhere")
        raise PatchpilotError(f"cannot check out {commit[:12]} in {src}: "
                              f"{done.stderr.strip()[-300:]}",
                              hint=f"remove {home.path} to start the build over")
    _git(src, "update-ref", "--no-deref", "HEAD", commit)
