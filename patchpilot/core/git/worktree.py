"""Scratch space for patches that are not on any branch, under .git/patchpilot/worktrees/:

- `scratch`: a detached checkout of one commit (a full one: the checks read the tree's own
  scripts and files), where `am` applies patches and the checks run; removed afterwards;
- `applies`: whether patches apply, one after the other, on a commit, with a scratch index
  and no checkout at all (what `git am` would say, in a fraction of the time on a full tree).

The user's own work tree, index, HEAD, branches and config are never touched: the scratch tree
has its own detached HEAD and index, `git am` there makes commits no ref points at, and
`applies` writes only a temporary index file. Signing and hooks are off, as in b4's own scratch
worktrees. Raises PatchpilotError; never prints. Imports the base and repo only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir

SCRATCH_OPTS = ("-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null",
                "-c", "submodule.recurse=false")


def scratch_root(repo: GitRepo) -> Path:
    return repo_state_dir(repo.git_dir) / "worktrees"


@contextmanager
def scratch(repo: GitRepo, commit: str) -> Iterator[GitRepo]:
    """A scratch worktree checked out (detached) at `commit`, removed on the way out."""
    root = scratch_root(repo)
    root.mkdir(parents=True, exist_ok=True)
    repo.try_run("worktree", "prune")  # one left by a killed run
    path = Path(tempfile.mkdtemp(prefix=f"scratch-{os.getpid()}-", dir=root))
    try:
        repo.run(*SCRATCH_OPTS, "worktree", "add", "--quiet", "--detach", str(path), commit)
        yield GitRepo(path)
    finally:
        repo.try_run("worktree", "remove", "--force", str(path))
        shutil.rmtree(path, ignore_errors=True)
        repo.try_run("worktree", "prune")


def am(tree: GitRepo, mbox: bytes) -> str | None:
    """`git am` the mbox in a scratch tree; None when every patch applied, else git's reason
    (the am is aborted, the tree left at the last patch that applied)."""
    if not mbox.strip():
        return None
    proc = subprocess.run(["git", *SCRATCH_OPTS, "am"], cwd=tree.top, input=mbox,
                          capture_output=True)
    if proc.returncode == 0:
        return None
    tree.try_run("am", "--abort")
    said = (proc.stdout + proc.stderr).decode("utf-8", "replace").splitlines()
    wanted = [ln.strip() for ln in said if ln.startswith(("error:", "Patch failed", "fatal:"))]
    return "; ".join(wanted or said[-2:]) or f"git am exited {proc.returncode}"


def applies(repo: GitRepo, commit: str, mails: list[bytes]) -> str | None:
    """None when every mail's patch applies in turn on `commit`, else which did not and why.

    Each mail is decoded as `git am` decodes it (`git mailinfo`), then applied to a scratch
    index only (`git apply --cached`), so nothing is checked out."""
    root = scratch_root(repo)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"index-{os.getpid()}-", dir=root) as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        read = subprocess.run(["git", "read-tree", commit], cwd=repo.top, env=env,
                              capture_output=True)
        if read.returncode:
            return read.stderr.decode("utf-8", "replace").strip() or "git read-tree failed"
        for number, mail in enumerate(mails, start=1):
            message, patch = Path(tmp) / "msg", Path(tmp) / "patch"
            info = subprocess.run(["git", "mailinfo", str(message), str(patch)], input=mail,
                                  cwd=repo.top, env=env, capture_output=True)
            subject = next((ln.removeprefix(b"Subject: ").decode("utf-8", "replace")
                            for ln in info.stdout.splitlines() if ln.startswith(b"Subject: ")),
                           f"patch {number}")
            done = subprocess.run(["git", "apply", "--cached", str(patch)], cwd=repo.top,
                                  env=env, capture_output=True) if info.returncode == 0 else info
            if done.returncode:
                said = done.stderr.decode("utf-8", "replace").strip().splitlines()
                return f"patch {number} ({subject}) does not apply: " \
                       f"{said[0] if said else 'git mailinfo failed'}"
    return None


def mbox_of(mails: list[bytes]) -> bytes:
    """An mbox `git am` reads, as b4 writes one (save_git_am_mbox): a `From` line before each
    message, bodies unescaped."""
    return b"".join(b"From git@z Thu Jan  1 00:00:00 1970\n" + mail.rstrip(b"\n") + b"\n\n"
                    for mail in mails)
