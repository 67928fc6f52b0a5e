"""B2's best guide: the subject prefix the history of the touched files uses.

`history_prefix` reads the subjects of the last commits (before the series) that touched the
same files and returns the prefix most of them share ("net: phy: ax88796b_rust"), or None when
there is too little history to tell. Reads git through gitrepo; no UI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from patchpilot.core.git.repo import GitRepo

LIMIT = 40


def subject_prefix(subject: str) -> str | None:
    """`net: phy: foo` of `net: phy: foo: add bar`; None without a `prefix: ` part."""
    if subject.startswith(("Revert ", "Merge ")) or ": " not in subject:
        return None
    prefix = subject.rpartition(": ")[0].strip()
    return prefix or None


def history_prefix(tree: Path, base: str, paths: Sequence[str]) -> str | None:
    """The prefix at least two recent commits touching `paths` (up to `base`) agree on."""
    if not paths:
        return None
    out = GitRepo(tree).try_run("log", f"-n{LIMIT}", "--no-merges", "--format=%s", base,
                                "--", *paths) or ""
    counts = Counter(p for p in map(subject_prefix, out.splitlines()) if p)
    if not counts:
        return None
    prefix, seen = counts.most_common(1)[0]
    return prefix if seen >= 2 and seen * 3 >= sum(counts.values()) else None
