"""One series state for every face: a cheap fingerprint of each branch, so a screen (or any
long-running caller) can tell that a series changed under it.

A branch's fingerprint is its tip and b4's tracking kept in git config (the
branch-description strategy); the cover commit of the commit strategies is part of the tip.
The key ALL covers what concerns every series: the checked-out branch and the `sent/` tags.
Three git calls, whatever the number of branches; reads only, never raises for an odd ref.
"""

from __future__ import annotations

import hashlib

from patchpilot.core.git.repo import GitRepo

ALL = "*"  # the key of what concerns every branch (HEAD, sent tags)


def fingerprints(repo: GitRepo) -> dict[str, str]:
    """{branch: fingerprint} for every local branch, plus ALL (see the module docstring)."""
    refs = repo.try_run("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads",
                        "refs/tags/sent") or ""
    head = repo.try_run("symbolic-ref", "--quiet", "HEAD") or ""
    tracking = repo.config_regexp(r"^branch\..*\.(b4-tracking|description)$")
    found: dict[str, str] = {}
    tags: list[str] = [head]
    for line in refs.splitlines():
        ref, _, sha = line.partition(" ")
        if ref.startswith("refs/heads/"):
            branch = ref.removeprefix("refs/heads/")
            state = [sha] + [tracking.get(f"branch.{branch}.{k}", "")
                             for k in ("b4-tracking", "description")]
            found[branch] = _digest(state)
        else:
            tags.append(line)
    found[ALL] = _digest(tags)
    return found


def changed(before: dict[str, str], now: dict[str, str]) -> set[str]:
    """The keys whose fingerprint differs (a branch made, moved or deleted; ALL)."""
    return {key for key in before.keys() | now.keys() if before.get(key) != now.get(key)}


def _digest(parts: list[str]) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()
