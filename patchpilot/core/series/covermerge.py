"""Saving an editor's cover when the stored cover moved on meanwhile: a three-way merge.

The editor started from `base` (the cover as stored when it was loaded), the user typed
`mine`, and meanwhile something else stored `theirs` (`patchpilot recipients --write` adding a
Cc, `b4 prep --edit-cover` in another terminal). Saving `mine` as it is would lose their
change; `git merge-file` merges the two edits line by line. A clean merge is saved; a conflict
is handed back with git's markers, both sides kept, and nothing is stored until the user has
chosen (has_markers tells a text still holding them). Standard library and git only.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.process import git
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series import cover
from patchpilot.core.series.model import Series

MINE, THEIRS = "your text", "stored meanwhile"
_RECIPIENT = re.compile(r"^(To|Cc): \S", re.I)
_MARKERS = (re.compile(rf"^<{{7}} {MINE}$", re.M), re.compile(rf"^>{{7}} {THEIRS}$", re.M))


@dataclass(frozen=True)
class Merged:
    text: str
    conflicts: int  # 0: a clean merge

    @property
    def clean(self) -> bool:
        return self.conflicts == 0


def merge(base: str, mine: str, theirs: str, cwd: Path) -> Merged:
    """Both edits made to `base`: the text merged by `git merge-file` (conflicts marked, both
    kept), the To:/Cc: block at its end (b4's recipients) merged address by address."""
    parts = [split_recipients(t) for t in (base, mine, theirs)]
    if not any(lines for _, lines in parts):
        return _merge_text(base, mine, theirs, cwd)
    (base_text, base_lines), (my_text, my_lines), (their_text, their_lines) = parts
    merged = _merge_text(base_text, my_text, their_text, cwd)
    gone = {ln for ln in base_lines if ln not in my_lines or ln not in their_lines}
    lines = [ln for ln in their_lines if ln not in gone]
    lines += [ln for ln in my_lines if ln not in gone and ln not in lines]
    text = merged.text.rstrip("\n") + ("\n\n" + "\n".join(lines) if lines else "") + "\n"
    return Merged(text, merged.conflicts)


def split_recipients(text: str) -> tuple[str, list[str]]:
    """(the text, the To:/Cc: lines of its last paragraph when that is all it holds)."""
    head, _, last = text.rstrip("\n").rpartition("\n\n")
    lines = last.splitlines()
    if head and lines and all(_RECIPIENT.match(ln) for ln in lines):
        return head + "\n", lines
    return text, []


def _merge_text(base: str, mine: str, theirs: str, cwd: Path) -> Merged:
    if theirs == base or theirs == mine:
        return Merged(mine, 0)
    if mine == base:
        return Merged(theirs, 0)
    with tempfile.TemporaryDirectory(prefix="patchpilot-") as tmp:
        files = []
        for name, text in (("mine", mine), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_text(_ended(text), encoding="utf-8")
            files.append(str(path))
        proc = git(("merge-file", "-p", "-L", MINE, "-L", "as loaded", "-L", THEIRS, *files),
                   cwd, subprocess.DEVNULL)
    if proc.returncode < 0 or proc.returncode > 127:
        raise PatchpilotError("git merge-file failed: "
                              + proc.stderr.decode("utf-8", "replace").strip()[-300:],
                              hint="your text is kept in the editor; save it again")
    return Merged(proc.stdout.decode("utf-8", "surrogateescape"), proc.returncode)


def save_merged(repo: GitRepo, series: Series, base: str, mine: str) -> Merged:
    """Store `mine` (typed over `base`) through b4, merged with whatever was stored since;
    a conflict stores nothing and comes back marked for the user to settle."""
    theirs = cover.raw_cover(repo, series)
    merged = merge(base, mine, theirs, repo.top)
    if merged.clean:
        cover.set_cover(repo, series, merged.text)
    return merged


def has_markers(text: str) -> bool:
    """Whether a text still holds the conflict markers of a merge."""
    return any(marker.search(text) for marker in _MARKERS)


def _ended(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"
