"""b4's cover-commit search, remembered per branch tip so that it does not walk a year of
history every time.

b4 finds a series' cover commit with `git log --grep=MARKER -F --since=1.year [--committer=
EMAIL] -n1 BRANCH`. On a b4 branch that stops at once (the cover is near the tip); on any other
branch (master, an old topic branch) it reads every commit of the last year: about 88,000 on
a mainline clone, ~0.6 s, for each branch the home screen lists and each `series` of a plain
branch. The answer only depends on the tip, the committer filter and the clock, and the clock
can only take a match away (it ages out of the year): so "no cover" at a tip stays true, and
a cover found is re-checked for its age. A moved tip whose old tip is an ancestor is searched
only over the new commits (`NEW ^OLD`). Kept in `.git/patchpilot/cover-search.json`
(best effort, the newest KEEP answers). Runs git through GitRepo; no UI.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from patchpilot.core.fs import write_atomic
from patchpilot.core.git.repo import CommitInfo, GitRepo
from patchpilot.core.paths import repo_state_dir

YEAR = 365 * 86400  # git's `1.year`
KEEP = 512  # answers kept: more than the branches of any one clone
# key "<tip> <committer or *>" -> {"branches": names seen at that tip, "cover": commit or "",
# "when": its committer time}
Entry = dict[str, Any]


def _file(repo: GitRepo) -> Path:
    return repo_state_dir(repo.git_dir) / "cover-search.json"


def _load(repo: GitRepo) -> dict[str, Entry]:
    try:
        data = json.loads(_file(repo).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)
            and isinstance(v.get("branches"), list) and isinstance(v.get("cover"), str)
            and isinstance(v.get("when"), int)}


def _remember(known: dict[str, Entry], key: str, branches: list[str], cover: str,
              when: int) -> None:
    """Record an answer (last, so that it is kept longest), with every branch name seen."""
    names = known.pop(key, {}).get("branches", [])
    known[key] = {"branches": sorted(set(names) | set(branches)), "cover": cover, "when": when}


def _save(repo: GitRepo, known: dict[str, Entry]) -> None:
    try:
        write_atomic(_file(repo), json.dumps(dict(list(known.items())[-KEEP:])))
    except OSError:
        pass


def _search(repo: GitRepo, revs: list[str], marker: str,
            committer: str | None) -> CommitInfo | None:
    found = repo.log(*revs, grep=marker, since="1.year", committer=committer, max_count=1)
    return found[0] if found else None


def _commit(repo: GitRepo, sha: str) -> CommitInfo | None:
    found = repo.log(sha, max_count=1)
    return found[0] if found else None


def _when(repo: GitRepo, commit: CommitInfo) -> int:
    """The committer time of `commit` (what `--since` compares)."""
    out = repo.try_run("log", "-1", "--format=%ct", commit.sha) or ""
    return int(out) if out.isdigit() else 0


def find(repo: GitRepo, branch: str, marker: str, committer: str | None) -> CommitInfo | None:
    """The newest commit of the last year on `branch` whose message holds `marker` (and
    committed by `committer`, if given): what b4's search finds."""
    tip = repo.rev_parse(f"refs/heads/{branch}") or repo.rev_parse(branch)
    if tip is None:
        return _search(repo, [branch], marker, committer)
    key = f"{tip} {committer if committer is not None else '*'}"
    known = _load(repo)
    if key in known:
        usable, found = _still(repo, known[key])
        if usable:
            return found
    else:  # an aged-out cover has aged out at the earlier tips too
        usable, found = _from_earlier_tip(repo, known, branch, key, marker, committer)
    if not usable:
        found = _search(repo, [tip], marker, committer)
    _remember(known, key, [branch], found.sha if found else "",
              _when(repo, found) if found else 0)
    _save(repo, known)
    return found


def _still(repo: GitRepo, entry: Entry) -> tuple[bool, CommitInfo | None]:
    """(usable, answer) of a remembered entry: "none" always holds; a cover until it is
    older than a year."""
    if not entry["cover"]:
        return True, None
    if entry["when"] >= time.time() - YEAR:
        found = _commit(repo, entry["cover"])
        return found is not None, found
    return False, None


def _from_earlier_tip(repo: GitRepo, known: dict[str, Entry], branch: str, key: str,
                      marker: str, committer: str | None) -> tuple[bool, CommitInfo | None]:
    """The answer at an earlier tip of `branch` (an ancestor of this one) after a search of
    the new commits only; (False, None) when there is none to build on."""
    tip, _, who = key.partition(" ")
    for old_key, entry in reversed(known.items()):
        old, _, owner = old_key.partition(" ")
        if branch not in entry["branches"] or owner != who or old == tip:
            continue
        if repo.try_run("merge-base", "--is-ancestor", old, tip) is None:
            continue
        newer = _search(repo, [tip, f"^{old}"], marker, committer)
        return (True, newer) if newer is not None else _still(repo, entry)
    return False, None


def warm(repo: GitRepo, branches: list[str], marker: str, committer: str | None) -> None:
    """Answer `find` for every branch not yet answered at its tip, with one search of the
    last year for all of them (the home screen lists every branch): the marker commits
    reachable from any of them, then, for each, the branches that contain it."""
    known = _load(repo)
    who = committer if committer is not None else "*"
    heads = repo.try_run("for-each-ref", "--format=%(refname:short) %(objectname)",
                         "refs/heads/") or ""
    tips = {b: t for b, _, t in (line.partition(" ") for line in heads.splitlines())
            if b in branches}
    todo = {b: t for b, t in tips.items() if f"{t} {who}" not in known}
    if len(todo) < 2:  # one branch: find() searches it as cheaply
        return
    args = ["log", "--format=%H %ct", "--fixed-strings", f"--grep={marker}", "--since=1.year"]
    if committer is not None:
        args.append(f"--committer={committer}")
    out = repo.try_run(*args, *dict.fromkeys(todo.values()), "--")
    if out is None:
        return
    best: dict[str, tuple[int, str]] = {}
    for line in out.splitlines():
        sha, _, when = line.partition(" ")
        holders = repo.try_run("for-each-ref", f"--contains={sha}", "--format=%(refname:short)",
                               "refs/heads/") or ""
        for branch in holders.splitlines():
            if branch in todo and int(when) > best.get(branch, (-1, ""))[0]:
                best[branch] = (int(when), sha)
    for branch, tip in todo.items():
        stamp, cover = best.get(branch, (0, ""))
        _remember(known, f"{tip} {who}", [branch], cover, stamp)
    _save(repo, known)
