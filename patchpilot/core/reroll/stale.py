"""Review tags given before a patch's code changed: said, and the user chooses per patch.

A Reviewed-by, Acked-by or Tested-by on a patch vouches for its code as it was. While the next
revision is prepared, every such tag a changed patch carries (`changed` in the comparison with
the revision as sent) was given on older code: the kernel's habit is to drop it, or to have
it confirmed again, when the patch changed substantially. Only the author can judge that, so
`stale_tags` lists them per patch, and the author keeps them (`keep`: remembered for this
patch's code, by its patch-id, so a further change asks again) or drops them (`drop`: the
lines taken out of the commit message in a guarded rewrite, remembered so the changelog can
say so). Decisions live in .git/patchpilot/tags/. No UI.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.fs import write_atomic
from patchpilot.core.git import rewrite
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir
from patchpilot.core.series.model import Series
from patchpilot.core.series.patches import trailer_role
from patchpilot.core.series.prep import require_b4_checkout
from patchpilot.core.series.rangediff import PatchChange


@dataclass
class StaleTags:
    """The review tags of patch `patch` (now) given before its code changed since v`since`."""

    patch: int
    since: int
    subject: str
    patch_id: str
    trailers: list[str] = field(default_factory=list)
    kept: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"patch": self.patch, "since": self.since, "subject": self.subject,
                "trailers": self.trailers, "kept": self.kept}


def _path(repo: GitRepo, series: Series) -> Path:
    key = re.sub(r"[^\w.-]", "_", series.change_id or series.branch)
    return repo_state_dir(repo.git_dir) / "tags" / f"{key}-v{series.revision}.json"


def _load(repo: GitRepo, series: Series) -> dict[str, Any]:
    path = _path(repo, series)
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        data = {}  # a damaged file asks again: nothing is kept without the user
    if not isinstance(data, dict):
        data = {}
    data.setdefault("kept", {})
    data.setdefault("dropped", {})
    return data


def _save(repo: GitRepo, series: Series, data: dict[str, Any]) -> None:
    path = _path(repo, series)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def stale_tags(repo: GitRepo, series: Series, changes: list[PatchChange],
               since: int) -> list[StaleTags]:
    """Per changed patch, the review tags it carries (see the module docstring)."""
    kept = _load(repo, series)["kept"]
    found = []
    for change in changes:
        if change.status != "changed" or change.new is None:
            continue
        patch = series.patches[change.new - 1]
        lines = [f"{t.name}: {t.value}" for t in patch.trailers
                 if trailer_role(t.name) == "review"]
        if lines:
            found.append(StaleTags(change.new, since, patch.subject, patch.patch_id, lines,
                                   kept=set(lines) <= set(kept.get(patch.patch_id, []))))
    return found


def _chosen(stale: list[StaleTags], patches: list[int]) -> list[StaleTags]:
    chosen = [s for s in stale if s.patch in patches]
    missing = sorted(set(patches) - {s.patch for s in chosen})
    if missing:
        raise PatchpilotError(f"patch {missing[0]} carries no review tag given before its code "
                              "changed", hint="patchpilot reroll lists the ones that do")
    return chosen


def keep(repo: GitRepo, series: Series, stale: list[StaleTags], patches: list[int]) -> None:
    """Keep the tags of `patches` for their code as it is now."""
    data = _load(repo, series)
    for item in _chosen(stale, patches):
        data["kept"][item.patch_id] = item.trailers
        item.kept = True
    _save(repo, series, data)


def drop(repo: GitRepo, series: Series, stale: list[StaleTags], patches: list[int]) -> str:
    """Take the tags of `patches` out of their commit messages; return the backup ref."""
    chosen = _chosen(stale, patches)
    require_b4_checkout(repo, series, "drop review tags")
    gone = {series.patches[s.patch - 1].commit: set(s.trailers) for s in chosen}
    first = series.patches[min(s.patch for s in chosen) - 1].commit
    with b4state.guarded(repo, series.branch, "drop review tags given before a change") \
            as entry:
        rewrite.reword(repo, series.branch, first, lambda sha, message: _without(
            message, gone[sha]) if sha in gone else message)
    data = _load(repo, series)
    for item in chosen:
        data["dropped"][item.subject] = sorted(set(data["dropped"].get(item.subject, [])) |
                                               set(item.trailers))
    _save(repo, series, data)
    return entry.backup


def dropped(repo: GitRepo, series: Series) -> dict[str, list[str]]:
    """{subject: tags dropped} for this revision (what the changelog says)."""
    return {str(k): list(v) for k, v in _load(repo, series)["dropped"].items()}


def _without(message: str, lines: set[str]) -> str:
    kept = [line for line in message.split("\n") if line.strip() not in lines]
    return "\n".join(kept)
