"""The series as it was sent (its `sent/` tag) against the branch now, patch by patch.

`sent_range` finds what a revision was: the tag b4 made when sending it, the base-commit and
change-id written in that tag, the patches without b4's cover commit. `compare` pairs old and
new patches with `git range-diff` (so a rebase onto a new base still pairs them) and says for
each: unchanged, changed, new, dropped, reordered; a pair whose code is the same but whose
message differs is unchanged in code, with the message change noted (trailers picked up, or
the message edited). Reads only; no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from patchpilot.core.b4.tracking import MARKER, sent_tag_fields
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series, read_patches
from patchpilot.core.series.patches import Patch, without_review_trailers

_PAIR = re.compile(r"^\s*(\d+|-):\s+([0-9a-f]+|-+)\s+([=!<>])\s+(\d+|-):\s+([0-9a-f]+|-+)\s?(.*)$")
_FILE = re.compile(r"^ {4}[-+ ]? ?## (.+) ##$")
_HUNK = re.compile(r"^ {4}[-+ ]?@@ (.+?)(?: @@)?$")


@dataclass
class SentRange:
    """What revision N was, from its tag: base, tip and the patches (cover left out)."""

    revision: int
    tag: str
    base: str
    start: str
    end: str
    patches: list[Patch]


@dataclass(frozen=True)
class ChangedLine:
    """A line of a patch that differs between the two revisions: in the `new` patch or the
    `old` one, of `path`, with its sign inside that patch ("+", "-" or " ") and its text."""

    path: str
    side: str  # "old" or "new"
    sign: str
    text: str


@dataclass
class PatchChange:
    """One line of the comparison; indices are 1-based, None on the side that lacks it."""

    old: int | None
    new: int | None
    subject: str
    status: str  # unchanged, changed, new, dropped
    reordered: bool = False
    message: str | None = None  # None, "trailers", "edited"
    trailers_added: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    diff: str = ""
    changed: list[ChangedLine] = field(default_factory=list)  # what reroll.items names

    def to_json(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "subject": self.subject,
                "status": self.status, "reordered": self.reordered, "message": self.message,
                "trailers_added": self.trailers_added, "files": self.files,
                "functions": self.functions}


def previous_revision(series: Series, revision: int | None = None) -> int:
    """The revision to compare with: `revision`, else the last sent one before this."""
    sent = sorted(s.revision for s in series.sent if s.revision < series.revision)
    if revision is not None:
        return revision
    if not sent:
        raise PatchpilotError(f"{series.branch} has no sent revision before "
                              f"v{series.revision}", hint="send it first: patchpilot send")
    return sent[-1]


def sent_range(repo: GitRepo, series: Series, revision: int) -> SentRange:
    """The patches of sent revision `revision`, from its `sent/` tag."""
    sent = next((s for s in series.sent if s.revision == revision), None)
    if sent is None or sent.tag is None:
        where = "b4's history has it but there is no sent/ tag" if sent else "no sent/ tag"
        raise PatchpilotError(f"v{revision} of {series.branch} was never sent ({where})",
                              hint="patchpilot needs the tag b4 makes when it sends; "
                                   "git tag -l 'sent/*' lists them")
    base, change_id = sent_tag_fields(repo, sent.tag)
    if base is None or repo.rev_parse(f"{base}^{{commit}}") is None:
        raise PatchpilotError(f"tag {sent.tag} does not say which base v{revision} was on",
                              hint="it was not made by b4 send; compare by hand with "
                                   "git range-diff")
    if series.change_id and change_id and change_id != series.change_id:
        raise PatchpilotError(f"tag {sent.tag} belongs to change-id {change_id}, not to "
                              f"{series.change_id}", hint="the tag does not match the "
                                                          "series history; was it renamed?")
    tip = cast(str, repo.rev_parse(f"{sent.tag}^{{commit}}"))  # a listed sent/ tag
    commits = repo.log(f"{base}..{tip}")
    covers = [i for i, c in enumerate(commits) if MARKER in c.message]
    start, end = base, tip
    if covers == [0]:
        start = commits[0].sha
    elif covers == [len(commits) - 1] and commits:
        end = commits[-1].parents[0]
    elif covers:
        raise PatchpilotError(f"tag {sent.tag} has b4's cover inside the series",
                              hint="compare by hand with git range-diff")
    return SentRange(revision, sent.tag, base, start, end, read_patches(repo, start, end))


def compare(repo: GitRepo, old: SentRange, series: Series) -> list[PatchChange]:
    """Pair the sent patches with the branch's, in the branch's order (dropped ones last)."""
    patches = series.patches
    new = f"{patches[0].commit}~1..{patches[-1].commit}" if patches else \
        f"{series.head}..{series.head}"
    out = repo.run("range-diff", "--no-color", f"{old.start}..{old.end}", new, strip=False)
    changes: list[PatchChange] = []
    path: str | None = None
    for line in out.splitlines():
        match = _PAIR.match(line)
        if match:
            changes.append(_pair(match, old.patches, series.patches))
            path = None
        elif changes and line.startswith("    "):
            path = _detail(changes[-1], line, path)
    changes = _same_subject(repo, changes, old.patches, series.patches)
    _mark_reordered(changes)
    return sorted(changes, key=lambda c: (c.new is None, c.new or 0, c.old or 0))


def _same_subject(repo: GitRepo, changes: list[PatchChange], old: list[Patch],
                  new: list[Patch]) -> list[PatchChange]:
    """A dropped and a new patch with the same subject (each the only one with it) are one
    patch that changed: range-diff leaves a small patch unpaired when most of its lines
    changed (its creation factor), and "new + dropped" would misreport an amended patch."""
    dropped = _by_subject(c for c in changes if c.status == "dropped")
    added = _by_subject(c for c in changes if c.status == "new")
    for subject in sorted(dropped.keys() & added.keys()):
        gone, came = dropped[subject], added[subject]
        assert gone.old is not None and came.new is not None  # dropped / new by status
        pair = _changed(gone.old, came.new, subject, old, new)
        out = repo.run("range-diff", "--no-color", "--creation-factor=999",
                       f"{old[gone.old - 1].commit}^!", f"{new[came.new - 1].commit}^!",
                       strip=False)
        path: str | None = None
        for line in out.splitlines():
            if line.startswith("    "):
                path = _detail(pair, line, path)
        changes = [c for c in changes if c is not gone and c is not came] + [pair]
    return changes


def _by_subject(changes: Iterable[PatchChange]) -> dict[str, PatchChange]:
    found: dict[str, list[PatchChange]] = {}
    for change in changes:
        found.setdefault(change.subject, []).append(change)
    return {subject: c[0] for subject, c in found.items() if len(c) == 1}


def _pair(match: re.Match[str], old: list[Patch], new: list[Patch]) -> PatchChange:
    old_index, _, sign, new_index, _, subject = match.groups()
    o = int(old_index) if old_index != "-" else None
    n = int(new_index) if new_index != "-" else None
    if sign == "<":
        return PatchChange(o, None, subject, "dropped")
    if sign == ">":
        return PatchChange(None, n, subject, "new")
    assert o is not None and n is not None  # range-diff numbers both sides of = and !
    return _changed(o, n, subject, old, new)


def _changed(o: int, n: int, subject: str, old: list[Patch], new: list[Patch]) -> PatchChange:
    """Old patch `o` paired with new patch `n`: unchanged or changed, and its message."""
    before, after = old[o - 1], new[n - 1]
    change = PatchChange(o, n, subject, "unchanged" if before.patch_id == after.patch_id
                         else "changed")
    if before.message != after.message:
        added = _new_trailers(before, after)
        same = without_review_trailers(before.body) == without_review_trailers(after.body) and \
            before.subject == after.subject
        change.message = "trailers" if same and added else "edited"
        change.trailers_added = added
    return change


def _new_trailers(before: Patch, after: Patch) -> list[str]:
    old = {(t.name.lower(), t.value) for t in before.trailers}
    return [f"{t.name}: {t.value}" for t in after.trailers
            if (t.name.lower(), t.value) not in old]


def _detail(change: PatchChange, line: str, path: str | None) -> str | None:
    """Take one line of a pair's range-diff; returns the file it is in now (None: the
    commit message or metadata)."""
    change.diff += line[4:] + "\n"
    if change.status != "changed":
        return path
    file_match, hunk = _FILE.match(line), _HUNK.match(line)
    found = file_match or hunk
    if found is None:
        if path is not None:
            _changed_line(change, line, path)
        return path
    header = found.group(1)
    if header.startswith(("Commit message", "Metadata")):
        return None
    path, _, function = header.partition(": ")  # "@@ path: function" or "## path (new) ##"
    path = path.split(" (", 1)[0]
    if path not in change.files:
        change.files.append(path)
    # git's funcname for the hunk is only a guess at what holds the change (the nearest
    # "function-looking" line above the hunk); for Rust, reroll.items reads the syntax tree
    function = function.strip().rstrip("{").strip()
    if hunk and function and not path.endswith(".rs") and function not in change.functions:
        change.functions.append(function)
    return path


def _changed_line(change: PatchChange, line: str, path: str) -> None:
    """Record a line of the inner diff that one revision has and the other has not."""
    outer, inner, text = line[4:5], line[5:6], line[6:]
    if outer in ("+", "-") and inner in ("+", "-", " "):
        change.changed.append(ChangedLine(path, "new" if outer == "+" else "old", inner, text))


def _mark_reordered(changes: list[PatchChange]) -> None:
    """A kept patch is reordered when its place among the kept patches changed."""
    kept = [c for c in changes if c.old is not None and c.new is not None]
    by_old = sorted(kept, key=lambda c: c.old or 0)  # not None in `kept`
    by_new = sorted(kept, key=lambda c: c.new or 0)
    for position, change in enumerate(by_old):
        change.reordered = by_new[position] is not change
