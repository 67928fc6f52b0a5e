"""Per-patch changelogs: a "Changes in vN" note below a `---` line of a commit message.

`git format-patch` (and so b4) mails the note between the message and the diffstat, and
`git am` drops it, so reviewers see it and the applied commit does not carry it. Writing the
notes rewrites commit messages only: each commit from the first one touched to the branch tip
is recreated with `git commit-tree` (same tree, parents remapped, author and committer kept),
inside rewrite.guarded (backup ref, journal, undo). No UI.
"""

from __future__ import annotations

from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git import rewrite
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series
from patchpilot.core.series.patches import split_notes
from patchpilot.core.series.prep import require_b4_checkout


def with_note(message: str, revision: int, lines: list[str]) -> str:
    """`message` with its "Changes in v`revision`" note set to `lines` (other notes kept)."""
    subject, _, body = message.partition("\n")
    text, notes = split_notes(body)
    header = f"Changes in v{revision}:"
    kept = _without_block(notes.split("\n"), header)
    block = "\n".join([header, *lines]) + "\n"
    notes = ("\n".join(kept).strip("\n") + "\n\n" if "".join(kept).strip() else "") + block
    return f"{subject}\n{text.rstrip()}\n---\n{notes}"


def _without_block(lines: list[str], header: str) -> list[str]:
    """`lines` without the block under `header` (its bullet and indented lines)."""
    if header not in lines:
        return lines
    start = end = lines.index(header)
    end += 1
    while end < len(lines) and lines[end].strip() and lines[end][:1] in "- \t":
        end += 1
    return lines[:start] + lines[end:]


def write_patch_notes(repo: GitRepo, series: Series, notes: dict[int, list[str]]) -> str:
    """Write each patch's note (by 1-based index); return the backup ref."""
    require_b4_checkout(repo, series, "write per-patch changelogs")
    wanted = {series.patches[i - 1].commit: lines for i, lines in notes.items() if lines}
    if not wanted:
        raise PatchpilotError("no patch has changes to note", hint="nothing was written")
    first = series.patches[min(i for i, lines in notes.items() if lines) - 1].commit
    with b4state.guarded(repo, series.branch, f"per-patch changelogs for v{series.revision}") \
            as entry:
        rewrite.reword(repo, series.branch, first, lambda sha, message: with_note(
            message, series.revision, wanted[sha]) if sha in wanted else message)
    return entry.backup
