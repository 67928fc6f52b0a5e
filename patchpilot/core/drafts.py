"""Drafts: text typed in an editor and not saved yet, kept so that nothing typed is lost.

A draft is one small JSON file under `.git/patchpilot/drafts/`, named by what it is a draft of
(`cover`, `changelog` ...) and the branch, written atomically (fs.write_atomic) while the user
types; it survives a crash or a quit and is offered back when that editor opens again. `saved`
(the text the editor started from) tells whether the stored text moved on since. Reading a
damaged draft gives None, never an error: a draft is a convenience, not state to trust.
Standard library and the base layer (fs, paths) only; no UI.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from patchpilot.core import paths
from patchpilot.core.fs import write_atomic

MAX_CHARS = 1_000_000  # a draft larger than this is not kept (nobody types that much)


@dataclass(frozen=True)
class Draft:
    """Unsaved text of one editor: `text` typed, `saved` what was stored when typing began."""

    kind: str
    branch: str
    text: str
    saved: str
    written: float  # seconds since the epoch

    @property
    def age(self) -> str:
        """When it was written, as local time (for "your draft from ...")."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.written))


def draft_file(git_dir: Path, kind: str, branch: str) -> Path:
    """Where the draft of `kind` for `branch` lives (a readable name plus a short hash, so
    `b4/x` and `b4-x` never share a file)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", branch).strip("-.")[:60] or "branch"
    digest = hashlib.sha1(f"{kind}\0{branch}".encode()).hexdigest()[:8]
    return paths.repo_state_dir(git_dir) / "drafts" / f"{kind}-{readable}-{digest}.json"


def save_draft(git_dir: Path, kind: str, branch: str, text: str, saved: str) -> Draft | None:
    """Keep `text` as the draft; when it equals `saved` there is nothing to keep (the draft
    is removed). Returns the draft kept, if any."""
    if text == saved or len(text) > MAX_CHARS:
        drop_draft(git_dir, kind, branch)
        return None
    draft = Draft(kind, branch, text, saved, time.time())
    write_atomic(draft_file(git_dir, kind, branch), json.dumps(asdict(draft)))
    return draft


def load_draft(git_dir: Path, kind: str, branch: str) -> Draft | None:
    """The kept draft, or None (none kept, or the file is damaged)."""
    path = draft_file(git_dir, kind, branch)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        draft = Draft(kind, branch, str(data["text"]), str(data["saved"]),
                      float(data["written"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return draft if data.get("kind") == kind and data.get("branch") == branch else None


def drop_draft(git_dir: Path, kind: str, branch: str) -> None:
    """Forget the draft (after a save, or when the user discards it)."""
    draft_file(git_dir, kind, branch).unlink(missing_ok=True)
