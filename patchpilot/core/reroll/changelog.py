"""The "Changes in vN" block drafted from the comparison and the addressed review comments.

`draft` turns the range-diff (rangediff.PatchChange, its `functions` named from the Rust
syntax tree by reroll.items) and the comments marked addressed (model.Comment) into bullet
lines in the kernel's usual terse style; `fill_cover` puts them into the cover in place of
b4's EDITME lines (or of patchpilot's previous draft), leaving b4's `Link to vN` line as b4
wrote it. `write_changelog` stores the result through b4 (cover.set_cover) inside a guarded
rewrite. No UI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir
from patchpilot.core.review.classify import headline
from patchpilot.core.review.model import Comment
from patchpilot.core.series import cover
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.series.notes import write_patch_notes
from patchpilot.core.series.rangediff import PatchChange
from patchpilot.core.text import safe_text

QUOTE_LEN = 70


def landing(comment: Comment, moved: Mapping[str, int | None]) -> int | None:
    """The patch of the revision in progress an addressed comment lands on (None: the cover,
    or a patch that was dropped)."""
    return moved.get(comment.id) if comment.patch else None


def _name(sender: str) -> str:
    name = sender.split("<", 1)[0].strip().strip('"')
    return name or sender.strip("<>")


def _what_item(comment: Comment) -> str:
    return "report" if comment.kind == "report" else "comment"


def _excerpt(text: str) -> str:
    first = " ".join(safe_text(headline(text), 400).split())
    return first if len(first) <= QUOTE_LEN else first[:QUOTE_LEN - 3].rstrip() + "..."


def draft(changes: list[PatchChange], addressed: list[Comment],
          moved: Mapping[str, int | None],
          dropped: Mapping[str, list[str]] | None = None) -> list[str]:
    """The bullet lines of the changelog (each starts with "- "); `moved` says where each
    addressed comment's patch is now (comment id -> new patch index); `dropped` the review
    tags taken off a changed patch, by its subject (reroll.stale)."""
    lines: list[str] = []
    by_patch: dict[int | None, list[Comment]] = {}
    for item in addressed:
        by_patch.setdefault(landing(item, moved) if item.patch else 0, []).append(item)
    for item in by_patch.pop(0, []):
        lines.append(f'- Addressed {_name(item.reviewer)}\'s {_what_item(item)} on the '
                     f'cover: "{_excerpt(item.text)}"')
    tags: list[str] = []
    for change in changes:
        lines += _patch_lines(change, by_patch.pop(change.new, []) if change.new else [])
        for tag in (dropped or {}).get(change.subject, []) if change.new else []:
            name, _, who = tag.partition(":")
            lines.append(f"- {safe_text(change.subject, 120)} (patch {change.new}): dropped "
                         f"{name} from {_name(who)}, given before the code changed")
        tags += [t for t in change.trailers_added if t not in tags]
    for items in by_patch.values():  # comments on patches that were dropped
        for item in items:
            lines.append(f'- Addressed {_name(item.reviewer)}\'s {_what_item(item)}: '
                         f'"{_excerpt(item.text)}"')
    if tags:
        people = "; ".join(f"{t.split(':', 1)[0]} from {_name(t.split(':', 1)[1])}"
                           for t in tags)
        lines.append(f"- Collected tags: {people}")
    return lines or ["- No changes to the patches"]


def _what(change: PatchChange) -> str:
    what = ", ".join(change.files) or "the code"
    if change.functions:
        what += " (" + "; ".join(change.functions[:3]) + ")"
    return what


def _patch_lines(change: PatchChange, addressed: list[Comment]) -> list[str]:
    where = f"patch {change.new}" if change.new else f"patch {change.old} of the last version"
    subject = safe_text(change.subject, 120)
    out = []
    if change.status == "new":
        out.append(f"- New {where}: {subject}")
    elif change.status == "dropped":
        out.append(f"- Dropped {subject}")
    elif change.status == "changed":
        out.append(f"- {subject} ({where}): changed {_what(change)}")
    if change.message == "edited":
        out.append(f"- {subject} ({where}): reworded the commit message")
    if change.reordered:
        out.append(f"- Moved {subject} to {where}")
    for item in addressed:
        out.append(f'  - addresses {_name(item.reviewer)}\'s {_what_item(item)}: '
                   f'"{_excerpt(item.text)}"')
    if addressed and len(out) == len(addressed):  # comment addressed, patch unchanged
        out.insert(0, f"- {subject} ({where}):")
    return out


def patch_notes(changes: list[PatchChange], addressed: list[Comment],
                moved: Mapping[str, int | None]) -> dict[int, list[str]]:
    """Per-patch changelog lines (for below the `---` of each changed patch), by new index."""
    notes: dict[int, list[str]] = {}
    for change in changes:
        if change.new is None:
            continue
        lines = []
        if change.status == "new":
            lines.append("- New patch")
        elif change.status == "changed":
            lines.append(f"- Changed {_what(change)}")
        if change.message == "edited":
            lines.append("- Reworded the commit message")
        lines += [f'- Addressed {_name(a.reviewer)}\'s {_what_item(a)}: "{_excerpt(a.text)}"'
                  for a in addressed if a.patch and landing(a, moved) == change.new]
        if lines:
            notes[change.new] = lines
    return notes


# -- the cover ----------------------------------------------------------------------------

def _header(revision: int) -> re.Pattern[str]:
    return re.compile(rf"^Changes in v{revision}:\s*$", re.M)


def _memory(repo: GitRepo, series: Series) -> Path:
    key = re.sub(r"[^\w.-]", "_", series.change_id or series.branch)
    return repo_state_dir(repo.git_dir) / "changelog" / f"{key}-v{series.revision}.txt"


class HandWritten(PatchpilotError):
    """The Changes block holds text patchpilot did not write: replacing it needs force."""


def edited_lines(text: str) -> list[str]:
    """A changelog as the user edited it, as lines for the cover: blank lines dropped; every
    line a bullet ("- ...") or its indented continuation (check_lines)."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise PatchpilotError("the changelog is empty", hint="put the draft back, or write "
                                                             "\"- \" lines")
    check_lines(lines)
    return lines


def check_lines(lines: list[str]) -> None:
    """Changelog lines must be bullets ("- ...") or their indented continuations: any other
    line would end b4's Changes block."""
    if not any(line.startswith("- ") for line in lines):
        raise PatchpilotError("the changelog has no \"- \" bullet line",
                              hint="write at least one line starting with \"- \"")
    for number, line in enumerate(lines, 1):
        if not line.strip() or not line.startswith(("- ", "  ")):
            raise PatchpilotError(f"changelog line {number} is not a bullet: "
                                  f"{safe_text(line, 80)!r}",
                                  hint="start it with \"- \" (or indent it to continue the "
                                       "bullet above); no blank lines")


def fill_cover(text: str, revision: int, lines: list[str], previous: str | None,
               force: bool = False) -> str:
    """`text` with `lines` in its "Changes in vN" block (see the module docstring)."""
    match = _header(revision).search(text)
    if match is None:
        raise PatchpilotError(f"the cover has no \"Changes in v{revision}:\" block",
                              hint="b4 writes it when the series is rerolled; add the line "
                                   "under --- in the cover")
    head, rest = text[:match.end()], text[match.end():]
    block, tail = _split_block(rest)
    entries = [ln for ln in block if not ln.lstrip().startswith("- Link to v")]
    links = [ln for ln in block if ln.lstrip().startswith("- Link to v")]
    own = previous is not None and "\n".join(entries).strip() == previous.strip()
    placeholder = cover.only_editme("\n".join(entries))
    if not (own or placeholder or force):
        raise HandWritten(f"the Changes in v{revision} block was written by hand",
                          hint="edit it in the cover, or replace it (reroll "
                               "--write-changelog --force)")
    return head + "\n" + "\n".join([*lines, *links]) + "\n" + tail


def _split_block(rest: str) -> tuple[list[str], str]:
    """The changelog lines right after the header, and what follows them."""
    lines = rest.lstrip("\n").split("\n")
    block = []
    while lines and (lines[0].startswith(("-", " ")) and lines[0].strip()):
        block.append(lines.pop(0))
    return block, "\n".join(lines)


def write_changelog(repo: GitRepo, series: Series, lines: list[str], force: bool = False,
                    notes: dict[int, list[str]] | None = None) -> str:
    """Write `lines` into the cover (through b4), and each patch's `notes` below its `---`
    (notes.write_patch_notes), as one guarded rewrite; return the new cover text."""
    check_lines(lines)
    memory = _memory(repo, series)
    previous = memory.read_text() if memory.exists() else None
    text = fill_cover(cover.raw_cover(repo, series), series.revision, lines, previous, force)
    with b4state.guarded(repo, series.branch, f"changelog for v{series.revision}"):
        cover.set_cover(repo, series, text)
        b4state.checkpoint(repo, series.branch)
        if notes:  # the cover rewrite moved the commits: read them again
            write_patch_notes(repo, load_series(repo, series.branch, light=True), notes)
    memory.parent.mkdir(parents=True, exist_ok=True)
    memory.write_text("\n".join(lines))
    return text
