"""Running git as a subprocess, and finding the repository a path is in (core.git.repo's
plumbing). Knows nothing of series, b4 or screens; only the base below it.

git runs with LANGUAGE=C and LC_ALL=C (its messages are read); output is bytes, decoded by
the caller (UTF-8 with surrogate escapes).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from patchpilot.core.errors import PatchpilotError


def git(args: tuple[str, ...], cwd: Path, stdin: Any,
        stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, env=dict(os.environ, LANGUAGE="C", LC_ALL="C"))


def failed(args: tuple[str, ...], stderr: bytes) -> PatchpilotError:
    detail = stderr.decode("utf-8", "surrogateescape").strip().replace("\n", " ")[-300:]
    return PatchpilotError(f"git {args[0]} failed: {detail}",
                           hint="check the revision names and the repository state")


def discover(where: Path) -> tuple[Path, Path] | str | None:
    """(work tree, common git dir) of the repository at or above `where`, "bare" for a bare
    one, None outside any; from inside a .git directory, its work tree (as GitPython did).
    The work tree is spelled as the caller spelled `where` (no symlinks resolved)."""
    for _ in range(2):
        proc = git(("rev-parse", "--is-bare-repository", "--git-common-dir", "--show-toplevel"),
                   where, subprocess.DEVNULL)
        lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
        if len(lines) < 2:
            return None
        common = Path(os.path.normpath(where / lines[1]))
        if proc.returncode == 0 and len(lines) == 3:
            top = _spelled(where, Path(lines[2]))
            return top, _spelled_under(top, common)
        if lines[0] == "true":
            return "bare"
        where = common.parent  # inside the git dir: ask its work tree
    return None


def _spelled(where: Path, top: Path) -> Path:
    """`top` as an ancestor of `where` spelled the caller's way, when it is one."""
    real = os.path.realpath(top)
    for candidate in (where, *where.parents):
        if os.path.realpath(candidate) == real:
            return candidate
    return top


def _spelled_under(top: Path, common: Path) -> Path:
    dotgit = top / ".git"
    return dotgit if os.path.realpath(dotgit) == os.path.realpath(common) else common
