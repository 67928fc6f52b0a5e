"""Apply rustfmt's fix to the patch that brought the badly formatted lines: that patch's
file gets rustfmt's text for them, and the commits after it are made again on the new tree.

A guarded rewrite (core.git.rewrite through b4.state: backup ref, journal, undo), refused
with one clear message when a later patch of the series changes the same file too (its own
change would have to be merged: do that by hand) or when the fix no longer fits the file.
Messages, authors and dates stay as they were. No UI.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from patchpilot.core.b4 import state as b4state
from patchpilot.core.checks.model import Finding, apply_fixes
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git import rewrite
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series


def fixable(findings: list[Finding], path: str) -> list[Finding]:
    """rustfmt's findings on `path` that carry a fix."""
    return [f for f in findings if f.tool == "rustfmt" and f.file == path and f.fix is not None]


def apply_rustfmt(repo: GitRepo, series: Series, index: int, path: str,
                  findings: list[Finding]) -> str:
    """Apply rustfmt's fixes for `path` to patch `index` of `series` (the current branch or
    not); return the backup ref."""
    fixes = fixable(findings, path)
    if not fixes:
        raise PatchpilotError(f"rustfmt has no fix for {path} in patch {index}",
                              hint="run the checks again (r)")
    commit = series.patches[index - 1].commit
    later = [p for p in series.patches[index:] if path in _changed(repo, p.commit)]
    if later:
        raise PatchpilotError(f"patch {later[0].index} changes {path} too: rustfmt's fix "
                              f"cannot be applied to patch {index} alone",
                              hint="apply it by hand (git rebase -i), then check again")
    old = repo.run("show", f"{commit}:{path}", strip=False)
    new = apply_fixes(old, fixes)
    if new == old:
        raise PatchpilotError("rustfmt's fix changes nothing in the file as it is",
                              hint="run the checks again (r)")
    guard = b4state.guarded if series.b4_managed else rewrite.guarded
    with guard(repo, series.branch, f"apply rustfmt's fix to {path} in patch {index}") \
            as entry:
        tip = rewrite.tip_of(repo, series.branch)
        blob = _blob(repo, new)
        mode = repo.run("ls-tree", commit, "--", path).split()[0]
        chain = repo.log(f"{commit}~1..{tip}")
        if not chain or chain[0].sha != commit or any(len(c.parents) != 1 for c in chain):
            raise PatchpilotError(f"{series.branch} is not a straight line of commits after "
                                  f"patch {index}", hint="nothing was changed")
        mapped: dict[str, str] = {}
        for info in chain:
            mapped[info.sha] = rewrite.recreate_commit(
                repo, info.sha, None, mapped, tree=_with_file(repo, info.sha, path, mode, blob))
        rewrite.move_branch(repo, series.branch, mapped[tip], tip)
        rewrite.checkpoint(repo, series.branch)
    return entry.backup


def _changed(repo: GitRepo, commit: str) -> set[str]:
    return set(repo.run("diff-tree", "--no-commit-id", "--name-only", "-r", commit)
               .splitlines())


def _blob(repo: GitRepo, text: str) -> str:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", delete=False) as tmp:
        tmp.write(text)
    try:
        return repo.run("hash-object", "-w", tmp.name)
    finally:
        os.unlink(tmp.name)


def _with_file(repo: GitRepo, commit: str, path: str, mode: str, blob: str) -> str:
    """The tree of `commit` with `path` replaced by `blob` (a scratch index: the user's
    index and work tree are not touched here)."""
    with tempfile.TemporaryDirectory(prefix="patchpilot-") as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=str(Path(tmp) / "index"))
        for argv in (["read-tree", commit], ["update-index", "--cacheinfo",
                                               f"{mode},{blob},{path}"], ["write-tree"]):
            proc = subprocess.run(["git", *argv], cwd=repo.top, env=env, capture_output=True,
                                  text=True)
            if proc.returncode:
                raise PatchpilotError(f"git {argv[0]} failed: {proc.stderr.strip()[-300:]}",
                                      hint="the branch was put back as it was")
        return proc.stdout.strip()
