"""The reroll plan: from revision N as sent and its review to revision N+1.

`make_plan` gathers, without touching the network unless asked (`refresh`): the comparison
of the sent revision with the branch (rangediff), the trailers collected on the list
(trailers), the review comments marked addressed and those still open (replies + the review
database), and the drafted changelog (changelog). The TUI and the CLI show the plan and ask
before anything is written; writing goes through trailers.apply_trailers and
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
from patchpilot.core.reroll.changelog import Addressed, draft
from patchpilot.core.reroll.trailers import TrailerItem, collect_trailers
from patchpilot.core.review.comments import OpenComment, still_open
from patchpilot.core.review.lore import LoreClient
from patchpilot.core.review.replies import RepliesReport, collect, make_client
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
    addressed: list[Addressed]
    open_comments: list[OpenComment]
    changelog: list[str]
    covers: dict[int, str] = field(default_factory=dict)
    offline: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"branch": self.series.branch, "revision": self.series.revision,
                "previous": self.previous, "tag": self.tag, "offline": self.offline,
                "patches": [c.to_json() for c in self.changes],
                "trailers": [t.to_json() for t in self.trailers],
                "addressed": [{"reviewer": a.reviewer, "text": a.text,
                               "old_patch": a.old_patch, "new_patch": a.new_patch}
                              for a in self.addressed],
                "open_comments": [vars(c) for c in self.open_comments],
                "changelog": self.changelog, "warnings": self.warnings}


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
    client = client or make_client(repo, config)
    report = collect(repo, series.branch, refresh=refresh, config=config, client=client,
                     cache_only=not refresh, series=series)
    sent_ids = {previous: {p.index: p.patch_id for p in old.patches}}
    warnings = list(report.warnings)
    for sent in series.sent:
        if sent.revision != previous and sent.tag:
            try:
                rng = rangediff.sent_range(repo, series, sent.revision)
                sent_ids[sent.revision] = {p.index: p.patch_id for p in rng.patches}
            except PatchpilotError as exc:
                warnings.append(str(exc))
    if not any(r.fetched_at for r in report.revisions):
        warnings.append("no replies fetched yet: patchpilot replies --refresh")
    addressed = _addressed(report, changes, series.revision, previous)
    return RerollPlan(series, previous, old.tag, changes,
                      collect_trailers(series, report, sent_ids, _rejected(repo, warnings)),
                      addressed, still_open(report),
                      draft(changes, addressed),
                      {r.revision: r.cover_msgid for r in report.revisions if r.cover_msgid},
                      report.offline, warnings)


def _rejected(repo: GitRepo, warnings: list[str]) -> set[ignores.Key]:
    """b4's rejected trailers; an unreadable file is a warning (b4 goes on without it too)."""
    try:
        return ignores.load(repo)
    except PatchpilotError as exc:
        warnings.append(f"{exc.message} ({exc.hint})")
        return set()


def _addressed(report: RepliesReport, changes: list[PatchChange], revision: int,
               previous: int | None) -> list[Addressed]:
    """The comments marked addressed in the revision in progress, on the patches now."""
    to_new = {c.old: c.new for c in changes if c.old is not None}
    addressed = []
    for rev in report.revisions:
        for message in rev.messages:
            if message.kind == "own":
                continue
            for comment in message.comments:
                if comment.state == "addressed" and comment.revision in (None, revision):
                    new = to_new.get(message.patch) if rev.revision == previous else None
                    addressed.append(Addressed(message.sender, comment.text, message.patch,
                                               new if message.patch else None))
    return addressed


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
