"""The reroll plan: from revision N as sent and its review to revision N+1.

`make_plan` gathers, without touching the network unless asked (`refresh`): the comparison
of the sent revision with the branch (rangediff, with the Rust items it changed named from the
syntax tree by items), the trailers collected on the list (trailers), the review comments
marked addressed and those still open (the one review model, model.Review), and the drafted
changelog (changelog). The TUI and the CLI show the plan and ask
before anything is written; writing goes through apply.apply_trailers and
changelog.write_changelog. `recheck` runs the checks and says which results were reused.
No UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from patchpilot.core.b4 import ignores
from patchpilot.core.checks.runner import check_series
from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.reroll.changelog import draft, patch_notes
from patchpilot.core.reroll.items import name_items
from patchpilot.core.reroll.stale import StaleTags, dropped, stale_tags
from patchpilot.core.reroll.trailers import TrailerItem, collect_trailers, ignored_senders
from patchpilot.core.review.lore import LoreClient
from patchpilot.core.review.model import Comment
from patchpilot.core.review.replies import collect, make_client
from patchpilot.core.series import rangediff
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.series.rangediff import PatchChange

if TYPE_CHECKING:  # the checks are imported by recheck, when it runs
    from patchpilot.core.checks.runner import CheckReport


@dataclass
class RerollPlan:
    """Everything the reroll view shows (see the module docstring)."""

    series: Series
    previous: int
    tag: str
    changes: list[PatchChange]
    trailers: list[TrailerItem]
    addressed: list[Comment]
    open_comments: list[Comment]
    changelog: list[str]
    moved: dict[str, int | None] = field(default_factory=dict)  # comment id -> patch now
    covers: dict[int, str] = field(default_factory=dict)
    offline: str | None = None
    warnings: list[str] = field(default_factory=list)
    stale: list[StaleTags] = field(default_factory=list)  # tags given before a change

    def notes(self) -> dict[int, list[str]]:
        """Per-patch changelog lines (changelog.patch_notes) of this plan."""
        return patch_notes(self.changes, self.addressed, self.moved)

    @property
    def collected(self) -> list[TrailerItem]:
        """The trailers collected on the list (the home screen's count of them)."""
        return [t for t in self.trailers if t.collected]

    def to_json(self) -> dict[str, Any]:
        return {"branch": self.series.branch, "revision": self.series.revision,
                "previous": self.previous, "tag": self.tag, "offline": self.offline,
                "patches": [c.to_json() for c in self.changes],
                "trailers": [t.to_json() for t in self.trailers],
                "addressed": [{"id": c.id, "reviewer": c.reviewer, "text": c.text,
                               "old_patch": c.patch, "new_patch": self.moved.get(c.id),
                               "revision": c.revision} for c in self.addressed],
                "open_comments": [{"id": c.id, "reviewer": c.reviewer, "revision": c.revision,
                                   "patch": c.patch, "file": c.file, "line": c.line,
                                   "text": c.text, "kind": c.kind} for c in self.open_comments],
                "changelog": self.changelog, "warnings": self.warnings,
                "stale_tags": [t.to_json() for t in self.stale]}


def make_plan(repo: GitRepo, branch: str | None = None, revision: int | None = None,
              refresh: bool = False, config: Config | None = None,
              client: LoreClient | None = None) -> RerollPlan:
    config = config or Config(repo)
    series = load_series(repo, branch)
    if not series.b4_managed:
        raise PatchpilotError(f"{series.branch} is not managed by b4: no sent revisions to "
                              "reroll from", hint="enroll it first: patchpilot enroll BASE")
    previous = rangediff.previous_revision(series, revision)
    old = rangediff.sent_range(repo, series, previous)
    changes = rangediff.compare(repo, old, series)
    name_items(repo, old, series, changes)
    client = client or make_client(repo, config)
    review = collect(repo, series.branch, refresh=refresh, config=config, client=client,
                     cache_only=not refresh, series=series)
    sent_ids = {previous: {p.index: p for p in old.patches}}
    warnings = list(review.warnings)
    for sent in series.sent:
        if sent.revision != previous and sent.tag:
            try:
                rng = rangediff.sent_range(repo, series, sent.revision)
                sent_ids[sent.revision] = {p.index: p for p in rng.patches}
            except PatchpilotError as exc:
                warnings.append(str(exc))
    if not any(r.fetched_at for r in review.revisions):
        warnings.append("no replies fetched yet: patchpilot replies --refresh")
    addressed = [c for c in review.comments() if c.state == "addressed"
                 and c.addressed_in in (None, series.revision)]
    moved = _moved(addressed, changes, previous)
    return RerollPlan(series, previous, old.tag, changes,
                      collect_trailers(series, review, sent_ids, _rejected(repo, warnings),
                                       ignored_senders(repo)),
                      addressed, review.open_comments(),
                      draft(changes, addressed, moved, dropped(repo, series)), moved,
                      {r.revision: r.cover_msgid for r in review.revisions if r.cover_msgid},
                      review.offline, warnings, stale_tags(repo, series, changes, previous))


def _rejected(repo: GitRepo, warnings: list[str]) -> set[ignores.Key]:
    """b4's rejected trailers; an unreadable file is a warning (b4 goes on without it too)."""
    try:
        return ignores.load(repo)
    except PatchpilotError as exc:
        warnings.append(f"{exc.message} ({exc.hint})")
        return set()


def _moved(addressed: list[Comment], changes: list[PatchChange],
           previous: int) -> dict[str, int | None]:
    """Where each addressed comment's patch is now (only a comment on the revision compared
    with can be followed through the range-diff)."""
    to_new = {c.old: c.new for c in changes if c.old is not None}
    return {c.id: to_new.get(c.patch) if c.revision == previous and c.patch else None
            for c in addressed}


@dataclass
class Recheck:
    """Which patches' check results were reused and which were run again."""

    reused: list[int]
    rerun: list[int]
    report: CheckReport


def recheck(repo: GitRepo, series: Series, config: Config | None = None) -> Recheck:
    report = check_series(repo, series, config or Config(repo))
    reused = [r.index for r in report.results if r.cached]
    return Recheck(reused, [r.index for r in report.results if not r.cached], report)
