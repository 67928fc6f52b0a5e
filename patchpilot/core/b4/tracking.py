"""Read b4's series state (cover letter and tracking JSON) ourselves, for all three strategies.

b4 keeps it in an empty commit at the start of the series ("commit"), at its tip
("tip-commit"), or in `branch.<name>.description` / `branch.<name>.b4-tracking`
("branch-description"). This module only reads; b4 writes (through b4.cli), and b4.state
holds the few writes patchpilot makes in b4's format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from patchpilot.core.b4 import coversearch
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import CommitInfo, GitRepo

MARKER = "--- b4-submit-tracking ---"
STRATEGIES = ("commit", "branch-description", "tip-commit")


@dataclass
class Tracking:
    """What b4 knows about a prep branch."""

    branch: str
    strategy: str
    cover_commit: str | None
    cover_subject: str
    cover_body: str
    revision: int
    change_id: str
    prefixes: list[str] = field(default_factory=list)
    presubject: str = ""
    history: dict[str, list[str]] = field(default_factory=dict)
    prerequisites: list[str] = field(default_factory=list)
    base_branch: str | None = None
    cover_parent: str | None = None  # the commit under the cover commit, when there is one


def config_keys(branch: str) -> tuple[str, str]:
    """Where the branch-description strategy keeps the cover and the tracking JSON."""
    return (f"branch.{branch}.description", f"branch.{branch}.b4-tracking")


def strategy_of(repo: GitRepo, branch: str) -> str:
    """The cover strategy of a branch: its own setting, else b4.prep-cover-strategy."""
    value = (repo.config(f"branch.{branch}.b4-prep-cover-strategy")
             or repo.config("b4.prep-cover-strategy") or "commit")
    if value not in STRATEGIES:
        raise PatchpilotError(f"branch {branch} uses an unknown b4 cover strategy {value!r}",
                              hint=f"set branch.{branch}.b4-prep-cover-strategy to one of "
                                   + ", ".join(STRATEGIES))
    return value


def find_cover_commit(repo: GitRepo, branch: str) -> CommitInfo | None:
    """The cover commit as b4 finds it: marker in the message, committed by us, within a year
    (remembered per branch tip: on a plain branch the search reads a year of history)."""
    return coversearch.find(repo, branch, MARKER, repo.config("user.email") or "")


def warm_cover_search(repo: GitRepo, branches: list[str]) -> None:
    """find_cover_commit's answers for many branches from one search (for listings)."""
    coversearch.warm(repo, branches, MARKER, repo.config("user.email") or "")


def foreign_cover_email(repo: GitRepo, branch: str) -> str | None:
    """The committer of a cover commit that b4 ignores because user.email changed."""
    found = coversearch.find(repo, branch, MARKER, None)
    return found.committer_email if found else None


def read_tracking(repo: GitRepo, branch: str) -> Tracking | None:
    """b4's state for `branch`, or None when b4 does not manage it."""
    strategy = strategy_of(repo, branch)
    if strategy == "branch-description":
        raw = repo.config(f"branch.{branch}.b4-tracking")
        if not raw:
            return None
        cover = repo.config(f"branch.{branch}.description") or ""
        return _build(branch, strategy, None, cover, _load_json(raw, branch))
    commit = find_cover_commit(repo, branch)
    if commit is None:
        return None
    cover, _, rest = commit.message.partition(MARKER)
    tracking = _build(branch, strategy, commit.sha, cover, _load_json(rest, branch))
    tracking.cover_parent = commit.parents[0] if commit.parents else None
    return tracking


def _load_json(text: str, branch: str) -> dict[str, Any]:
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError as exc:
        data = exc
    if not isinstance(data, dict) or not isinstance(data.get("series"), dict):
        raise PatchpilotError(
            f"b4 tracking data of branch {branch} is corrupt",
            hint="repair the JSON after '--- b4-submit-tracking ---' in the cover commit "
                 "(git rebase -i, reword) or in branch.<name>.b4-tracking")
    series: dict[str, Any] = data["series"]
    return series


def clean_cover(text: str) -> tuple[str, str]:
    """(subject, body) of a cover as b4 sends it: comment lines dropped, '>#' unescaped."""
    text = re.sub(r"^#.*$", "", text, flags=re.M)
    text = re.sub(r"^>(#.*)$", r"\1", text, flags=re.M)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip()


def _build(branch: str, strategy: str, commit: str | None, cover: str,
           series: dict[str, Any]) -> Tracking:
    subject, body = clean_cover(cover)
    try:
        revision = int(series.get("revision", 1))
    except (TypeError, ValueError):
        raise PatchpilotError(f"b4 tracking data of branch {branch} has a bad revision",
                              hint="fix the \"revision\" number in the tracking JSON")
    return Tracking(
        branch=branch, strategy=strategy, cover_commit=commit, cover_subject=subject,
        cover_body=body, revision=revision, change_id=str(series.get("change-id", "")),
        prefixes=list(series.get("prefixes") or []),
        presubject=str(series.get("presubject") or ""),
        history=dict(series.get("history") or {}),
        prerequisites=list(series.get("prerequisites") or []),
        base_branch=series.get("base-branch"),
    )


def sent_tag_fields(repo: GitRepo, tag: str) -> tuple[str | None, str | None]:
    """(base-commit, change-id) as `b4 send` writes them into a `sent/` tag's message."""
    text = repo.try_run("cat-file", "tag", tag) or ""
    return _tag_field(text, "base-commit"), _tag_field(text, "change-id")


def _tag_field(text: str, name: str) -> str | None:
    match = re.search(rf"^{name}:\s*(\S+)\s*$", text, flags=re.M | re.I)
    return match.group(1) if match else None
