"""Rewrites of the user's branch, made safe: a backup ref first, a journal, and an undo.

Every rewrite patchpilot makes (trailers applied, the changelog written into the cover) runs
inside `guarded(...)`: the branch tip is saved as `refs/patchpilot/backup/<branch>/<n>`, a
journal entry marks the rewrite as started, and on any failure the branch is put back where it
was. A rewrite killed halfway leaves a started entry: `recover` finds it the next time and puts
the branch back (keeping a backup of the half-done state), so a branch is only ever as before
or as after a rewrite.

Recovery must never take back work done since the rewrite was killed (a send that tagged the
series and moved it to the next revision keeps the tree, as do cover edits), so it proves
first that the branch is exactly where the interrupted rewrite left it:
- the tip is the last one the rewrite journaled (at its start, or at a `checkpoint` after each
  step), or one update later according to git's reflog (the step that was running when it
  was killed) and on the same tree;
- the caller's `marks` (b4's tracking: revision, change-id, sent history; given by b4.state)
  are what they were at that point.
Otherwise the entry is "abandoned" and the branch left alone. `undo` takes back the last
finished rewrite. No UI.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.fs import cannot_write, write_atomic
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir

BACKUP_PREFIX = "refs/patchpilot/backup"
_FIELDS = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
           "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE")
_ACTIVE: dict[str, Rewrite] = {}  # branch -> the outer rewrite in progress


# A journal entry's life: started, then done or failed; a started entry found later is
# recovered (branch put back) or abandoned (worked on since); a done one may be undone.
RewriteState = Literal["started", "done", "failed", "recovered", "abandoned", "undone"]


@dataclass
class Rewrite:
    """One rewrite of one branch: what, from which tip to which, and its backup ref."""

    branch: str
    what: str
    before: str
    backup: str
    started: float
    after: str | None = None
    state: RewriteState = "started"
    # b4's cover and tracking when they live in git config (branch-description strategy)
    config_before: dict[str, str | None] | None = None
    config_after: dict[str, str | None] | None = None
    # where the rewrite had the branch at its last checkpoint: the tip, how many updates
    # git's reflog held then, and the caller's marks (b4's tracking); see `recover`
    tip: str | None = None
    reflog: int | None = None
    marks: str | None = None
    note: str | None = None  # why a started entry was abandoned


Marks = Callable[[GitRepo, str], str]


def _journal_path(repo: GitRepo) -> Path:
    return repo_state_dir(repo.git_dir) / "rewrites.json"


def history(repo: GitRepo) -> list[Rewrite]:
    """Every rewrite recorded in this repository, oldest first (an unreadable journal is
    an error: it is what undo relies on)."""
    path = _journal_path(repo)
    if not path.exists():
        return []
    try:
        return [Rewrite(**item) for item in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError) as exc:
        raise PatchpilotError(f"cannot read the rewrite journal {path}: {exc}",
                              hint="the backup refs are intact: git for-each-ref "
                                   f"{BACKUP_PREFIX}") from None


def _save(repo: GitRepo, entries: list[Rewrite]) -> None:
    path = _journal_path(repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps([asdict(e) for e in entries], indent=1))


def _update(repo: GitRepo, entry: Rewrite) -> None:
    entries = history(repo)
    for i, old in enumerate(entries):
        if old.backup == entry.backup:
            entries[i] = entry
    _save(repo, entries)


def backup(repo: GitRepo, branch: str, tip: str) -> str:
    """Save `tip` under a new backup ref for `branch`; return the ref."""
    existing = repo.run("for-each-ref", "--format=%(refname)", f"{BACKUP_PREFIX}/{branch}/")
    numbers = [int(r.rsplit("/", 1)[1]) for r in existing.splitlines()
               if r.rsplit("/", 1)[1].isdigit()]
    ref = f"{BACKUP_PREFIX}/{branch}/{max(numbers, default=0) + 1}"
    repo.run("update-ref", ref, tip, "")
    return ref


def config_values(repo: GitRepo, keys: Iterable[str]) -> dict[str, str | None]:
    """The git config values a rewrite also journals (None: unset), such as b4's cover and
    tracking for its branch-description strategy (b4.state names them)."""
    return {key: repo.try_run("config", "--get", key, strip=False) for key in keys}


def restore_config(repo: GitRepo, values: dict[str, str | None] | None) -> None:
    for key, value in (values or {}).items():
        if value is None:
            repo.try_run("config", "--unset", key)
        else:
            repo.run("config", key, value.removesuffix("\n"))


def tip_of(repo: GitRepo, branch: str) -> str:
    tip = repo.rev_parse(f"refs/heads/{branch}")
    if tip is None:
        raise PatchpilotError(f"no branch {branch}", hint="git branch -a lists them")
    return tip


def move_branch(repo: GitRepo, branch: str, target: str, expected: str) -> None:
    """Point `branch` at `target` if it is still at `expected`; the work tree follows when
    the branch is checked out (`git reset --keep` refuses to lose local changes)."""
    if repo.current_branch() == branch:
        if repo.rev_parse("HEAD") != expected:
            raise PatchpilotError(f"{branch} moved while patchpilot was working on it",
                                  hint="nothing was changed; look at git reflog")
        repo.run("reset", "--quiet", "--keep", target)
    else:
        repo.run("update-ref", "-m", "patchpilot: restore", f"refs/heads/{branch}", target,
                 expected)


@contextmanager
def _locked(repo: GitRepo) -> Iterator[bool]:
    """Hold the repository's rewrite lock (one rewrite at a time across processes); yields
    False at once when another process holds it."""
    path = repo_state_dir(repo.git_dir) / "rewrite.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")
    except OSError as exc:
        raise cannot_write("the rewrite lock", path, exc, "; nothing was changed") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _reflog_length(repo: GitRepo, branch: str) -> int | None:
    entries = repo.reflog(f"refs/heads/{branch}")
    return None if entries is None else len(entries)


_MARKS: dict[str, Marks | None] = {}  # branch -> the marks of the rewrite in progress


def checkpoint(repo: GitRepo, branch: str) -> None:
    """Journal where the rewrite in progress has `branch` now (after one of its steps), so a
    kill during the next step is recovered from here."""
    entry = _ACTIVE.get(branch)
    if entry is None:
        return
    marks = _MARKS.get(branch)
    entry.tip, entry.reflog = tip_of(repo, branch), _reflog_length(repo, branch)
    entry.marks = marks(repo, branch) if marks else None
    _update(repo, entry)


@contextmanager
def guarded(repo: GitRepo, branch: str, what: str, config_keys: tuple[str, ...] = (),
            marks: Marks | None = None) -> Iterator[Rewrite]:
    """Run a rewrite of `branch`: back up, journal, and restore on any failure. Nested
    rewrites of the same branch are part of the outer one (one backup, all or nothing).
    The git config values under `config_keys` are journaled and restored with the branch;
    `marks` says what recovery must find unchanged (see the module docstring)."""
    if branch in _ACTIVE:
        yield _ACTIVE[branch]
        return
    with _locked(repo) as got:
        if not got:
            raise PatchpilotError("another patchpilot is rewriting a branch of this repository",
                                  hint="let it finish, then try again; nothing was changed")
        _recover(repo, branch, marks)
        before = tip_of(repo, branch)
        entry = Rewrite(branch, what, before, backup(repo, branch, before), time.time(),
                        config_before=config_values(repo, config_keys), tip=before,
                        reflog=_reflog_length(repo, branch),
                        marks=marks(repo, branch) if marks else None)
        try:  # journaled before anything changes: a disk that is full stops it here
            _save(repo, history(repo) + [entry])
        except OSError as exc:
            raise cannot_write("the rewrite journal", _journal_path(repo), exc,
                               "; nothing was changed") from None
        _MARKS[branch] = marks
        _ACTIVE[branch] = entry
        try:
            yield entry
        except BaseException:
            _ACTIVE.pop(branch, None)
            _MARKS.pop(branch, None)
            now = repo.rev_parse(f"refs/heads/{branch}")
            if now is not None and now != before:
                move_branch(repo, branch, before, now)
            restore_config(repo, entry.config_before)
            entry.state = "failed"
            _update(repo, entry)
            raise
        _ACTIVE.pop(branch, None)
        _MARKS.pop(branch, None)
        entry.after, entry.state = tip_of(repo, branch), "done"
        entry.config_after = config_values(repo, config_keys)
        _update(repo, entry)


def recover(repo: GitRepo, branch: str, marks: Marks | None = None) -> Rewrite | None:
    """Put `branch` back before a rewrite that was interrupted (killed) halfway, once it is
    proven to be exactly where that rewrite left it (else the entry is abandoned, its note
    says why, and the branch is left alone); the entry either way, to be reported; None when
    nothing was interrupted or another process is rewriting right now (its rewrite is not
    interrupted). `marks` as given to `guarded` (b4.state.recover passes b4's). With
    nothing interrupted it only reads: no lock, nothing written (listings run on a read-only
    .git/patchpilot)."""
    if not any(e.branch == branch and e.state == "started" for e in history(repo)):
        return None
    with _locked(repo) as got:
        return _recover(repo, branch, marks) if got else None


def _recover(repo: GitRepo, branch: str, marks: Marks | None) -> Rewrite | None:
    entries = [e for e in history(repo) if e.branch == branch and e.state == "started"]
    if not entries:
        return None
    entry = entries[-1]
    now = repo.rev_parse(f"refs/heads/{branch}")
    moved_on = _moved_on(repo, entry, now, marks)
    if moved_on:
        entry.state, entry.note = "abandoned", moved_on
        _update(repo, entry)
        return entry
    if now is not None and now != entry.before:
        backup(repo, branch, now)  # keep the half-done state too: nothing is lost
        move_branch(repo, branch, entry.before, now)
    entry.config_after = config_values(repo, entry.config_before or {})  # half-done
    restore_config(repo, entry.config_before)
    entry.state = "recovered"
    _update(repo, entry)
    return entry


def _moved_on(repo: GitRepo, entry: Rewrite, now: str | None,
              marks: Marks | None) -> str | None:
    """Why `entry.branch` is not where the interrupted rewrite left it (None: it is)."""
    if now is None:
        return "the branch is gone"
    if entry.marks is not None and (marks is None or marks(repo, entry.branch) != entry.marks):
        return "b4's tracking changed since (a send or a reroll)"
    tip = entry.tip or entry.before
    if now == tip:
        return None
    if _tree(repo, now) != _tree(repo, entry.before):
        return "new work was committed since"  # patchpilot's rewrites keep the tree
    log = repo.reflog(f"refs/heads/{entry.branch}")
    if entry.reflog is None or log is None or len(log) < entry.reflog:
        return "the branch moved, and git's reflog cannot tell by whom"
    since = log[entry.reflog:]
    if since != [(tip, now)]:  # the step in flight moves it once, from the journaled tip
        return f"the branch moved {len(since)} time(s) since the rewrite's last step"
    return None


def _tree(repo: GitRepo, commit: str) -> str | None:
    return repo.try_run("rev-parse", f"{commit}^{{tree}}")


def last_undoable(repo: GitRepo, branch: str) -> Rewrite | None:
    done = [e for e in history(repo) if e.branch == branch and e.state == "done"]
    return done[-1] if done else None


def moved_since(repo: GitRepo, entry: Rewrite) -> bool:
    """The branch is no longer where `entry` left it (so undoing it would lose work)."""
    return tip_of(repo, entry.branch) != entry.after


def undo(repo: GitRepo, branch: str) -> Rewrite:
    """Take back the last finished rewrite of `branch` (only if nothing moved it since)."""
    with _locked(repo) as got:
        if not got:
            raise PatchpilotError("another patchpilot is rewriting a branch of this repository",
                                  hint="let it finish, then try again; nothing was changed")
        return _undo(repo, branch)


def _undo(repo: GitRepo, branch: str) -> Rewrite:
    entry = last_undoable(repo, branch)
    if entry is None:
        raise PatchpilotError(f"no patchpilot rewrite of {branch} to undo",
                              hint=f"backups are under {BACKUP_PREFIX}/{branch}/")
    now = tip_of(repo, branch)
    if now != entry.after or (entry.config_after is not None and
                              config_values(repo, entry.config_after) != entry.config_after):
        raise PatchpilotError(
            f"{branch} changed after the last rewrite ({entry.what}); undo would lose that work",
            hint=f"the state before it is kept at {entry.backup}", exit_code=ExitCode.FAILURE)
    if repo.current_branch() == branch and repo.is_dirty():
        raise PatchpilotError("the work tree has uncommitted changes",
                              hint="commit or stash them first; nothing was changed")
    backup(repo, branch, now)
    if now != entry.before:
        move_branch(repo, branch, entry.before, now)
    restore_config(repo, entry.config_before)
    entry.state = "undone"
    _update(repo, entry)
    return entry


def reword(repo: GitRepo, branch: str, first: str, edit: Callable[[str, str], str]) -> None:
    """Give commits `first`..tip of `branch` the messages `edit(sha, message)` returns,
    re-created on the same trees, authors and committers (their SHAs change, nothing else);
    the caller holds `guarded` (backup ref, journal, restore on failure)."""
    tip = tip_of(repo, branch)
    commits = repo.log(f"{first}~1..{tip}")
    if not commits or commits[0].sha != first or any(len(c.parents) != 1 for c in commits):
        raise PatchpilotError(f"cannot rewrite {first[:12]} on {branch}: not a straight line "
                              "of commits", hint="nothing was changed")
    mapped: dict[str, str] = {}
    for commit in commits:
        mapped[commit.sha] = recreate_commit(repo, commit.sha, edit(commit.sha, commit.message),
                                             mapped)
    if _tree(repo, mapped[tip]) != _tree(repo, tip):
        raise PatchpilotError("rewriting commit messages changed a tree",
                              hint="nothing was changed")
    move_branch(repo, branch, mapped[tip], tip)
    checkpoint(repo, branch)


def recreate_commit(repo: GitRepo, sha: str, message: str | None, mapped: dict[str, str],
                    tree: str | None = None) -> str:
    """Commit `sha` again with `message` (None: its own) on `tree` (None: its own): the same
    author and committer (names, emails, dates), parents remapped through `mapped` (old id ->
    new id); return the new id."""
    info = repo.run("log", "-1", "--date=raw", "--format=%T%x00%P%x00%an%x00%ae%x00%ad%x00"
                    "%cn%x00%ce%x00%cd%x00%B", sha, strip=False).split("\0")
    parents, values = info[1].split(), info[2:8]
    tree = tree or info[0]
    message = info[8] if message is None else message
    argv = ["git", "commit-tree", tree]
    for parent in parents:
        argv += ["-p", mapped.get(parent, parent)]
    env = dict(os.environ, **dict(zip(_FIELDS, values)))
    proc = subprocess.run(argv, cwd=repo.top, env=env, input=message, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise PatchpilotError(f"git commit-tree failed: {proc.stderr.strip()[-300:]}",
                              hint="the branch was put back as it was")
    return proc.stdout.strip()
