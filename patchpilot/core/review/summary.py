"""Review counts per series for the home screen: unread replies, open comments, trailers
collected, newer revisions on the list, and whether it was applied (and NAKed), from the lore
cache and the review database alone (replies.collect with cache_only): this never touches the
network.

Counts are advisory: a broken cache or database gives a series no counts, never an error.
No UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.lore import LoreClient
from patchpilot.core.review.replies import RepliesReport, RevisionView, collect, make_client
from patchpilot.core.series.model import SeriesSummary

# A NAK is not collected into a commit; bots' Reported-by are for separate fixes only.
NOT_COLLECTED = frozenset({"Nacked-by"})
NOT_REVIEWERS = frozenset({"bot", "own"})


@dataclass
class ReviewCounts:
    """The review of one series as far as the cache knows it."""

    branch: str
    latest_sent: int | None = None
    cached: bool = False  # some sent revision has its thread in the cache
    unread: int = 0
    open_comments: int = 0
    trailers: int = 0
    newer_revisions: list[int] = field(default_factory=list)
    problem: str | None = None
    applied: str | None = None  # "applied to rust-next (main)": a maintainer applied it
    naks: int = 0  # NAKs on the latest sent revision (shown even when applied)


def collected_trailers(revision: RevisionView) -> set[tuple[int, str, str]]:
    """(patch, name, value) of the trailers reviewers gave on one revision, each once."""
    return {(m.patch, name, value) for m in revision.messages if m.kind not in NOT_REVIEWERS
            for name, value in m.trailers if name not in NOT_COLLECTED}


def count_report(branch: str, report: RepliesReport) -> ReviewCounts:
    """Unread and open comments over every sent revision; trailers of the latest one (the
    older ones' should already be in the commits)."""
    latest = max(report.revisions, key=lambda r: r.revision, default=None)
    messages = [m for r in report.revisions for m in r.messages]
    return ReviewCounts(
        branch, latest.revision if latest else None,
        cached=any(r.fetched_at for r in report.revisions),
        unread=sum(m.unread for m in messages),
        open_comments=sum(c.state == "open" for m in messages if m.kind != "own"
                          for c in m.comments),
        trailers=len(collected_trailers(latest)) if latest else 0,
        newer_revisions=list(report.newer_revisions),
        applied=_applied_label(report),
        naks=sum(m.kind == "nak" for m in latest.messages) if latest else 0)


def _applied_label(report: RepliesReport) -> str | None:
    """What the home screen says of an applied series (`v2 applied to rust-next`)."""
    applied = report.applied
    if applied is None:
        return None
    revision, what = applied
    return what.label if len(report.revisions) == 1 else f"v{revision} {what.label}"


def review_counts(repo: GitRepo, branch: str, config: Config | None = None,
                  client: LoreClient | None = None) -> ReviewCounts:
    """The counts of the series on `branch`, from the cache; never raises."""
    try:
        report = collect(repo, branch, config=config, client=client, cache_only=True)
    except Exception as exc:  # noqa: BLE001  (a broken cache or database costs the counts only)
        return ReviewCounts(branch, problem=str(exc) or type(exc).__name__)
    return count_report(branch, report)


def summarize_reviews(repo: GitRepo, summaries: Iterable[SeriesSummary],
                      config: Config | None = None) -> Iterator[ReviewCounts]:
    """Counts of each summarized series that has a sent revision, one at a time."""
    config = config or Config(repo)
    try:
        client = make_client(repo, config)
    except (PatchpilotError, ValueError):  # a bad replies.* setting: collect will say so
        client = None
    for summary in summaries:
        if summary.sent_revisions and not summary.problem:
            yield review_counts(repo, summary.branch, config, client)
