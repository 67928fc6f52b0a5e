"""B2's best guide: the subject prefix the history of the touched files uses.

`history_prefix` reads the subjects of the last commits (before the series) that touched the
same files and returns the prefix most of them share ("net: phy: ax88796b_rust"), or None when
there is too little history to tell. The history is read through history.HistoryIndex: among
the newest `depth` commits below the base only, so its cost does not grow with the clone. No UI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from patchpilot.core.checks.history import DEFAULT_DEPTH, HistoryIndex
from patchpilot.core.git.repo import GitRepo


def subject_prefix(subject: str) -> str | None:
    """`net: phy: foo` of `net: phy: foo: add bar`; None without a `prefix: ` part."""
    if subject.startswith(("Revert ", "Merge ")) or ": " not in subject:
        return None
    prefix = subject.rpartition(": ")[0].strip()
    return prefix or None


def agreed_prefix(subjects: Iterable[str]) -> str | None:
    """The prefix at least two of `subjects` (and a third of those with one) agree on."""
    counts = Counter(p for p in map(subject_prefix, subjects) if p)
    if not counts:
        return None
    prefix, seen = counts.most_common(1)[0]
    return prefix if seen >= 2 and seen * 3 >= sum(counts.values()) else None


def index_prefix(index: HistoryIndex, paths: Sequence[str]) -> str | None:
    """The prefix the recent commits touching `paths` agree on (see agreed_prefix)."""
    return agreed_prefix(t.subject for t in index.touches(paths)) if paths else None


def history_prefix(tree: Path, base: str, paths: Sequence[str],
                   depth: int = DEFAULT_DEPTH) -> str | None:
    """The prefix recent commits touching `paths` (up to `base`) agree on."""
    return index_prefix(HistoryIndex(GitRepo(tree), base, depth), paths)
