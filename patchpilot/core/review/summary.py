"""Review counts per series for the home screen: unread replies, open comments, trailers
collected, newer revisions on the list and whether it was applied (and NAKed), from the lore
cache and the review database alone (a Reader with cache_only): this never touches the
network and runs no `git patch-id`.

Every series is read through one Reader (one database connection); each thread is analysed
once per process (threads.py), so coming back to the home screen re-reads nothing that did not
change. The counts are the model's own definitions (model.Review.open_comments and
collected_trailers), the ones the replies and reroll screens show. Counts are advisory: a
broken cache or database gives a series no counts, never an error. No UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.lore import LoreClient
from patchpilot.core.review.model import Review, SentSeries
from patchpilot.core.review.replies import Reader, make_client
from patchpilot.core.series.model import SeriesSummary, load_series


@dataclass
class ReviewCounts:
    """The review of one series as far as the cache knows it."""

    branch: str
    latest_sent: int | None = None
    cached: bool = False  # some sent revision has its thread in the cache
    unread: int = 0
    open_comments: int = 0
    trailers: int = 0  # collected (model.Review.collected_trailers)
    newer_revisions: list[int] = field(default_factory=list)
    problem: str | None = None
    applied: str | None = None  # "applied to rust-next (main)": a maintainer applied it
    naks: int = 0  # NAKs on the latest sent revision (shown even when applied)


def count_report(branch: str, review: Review) -> ReviewCounts:
    """Unread replies, open comments and trailers collected over every sent revision."""
    latest = max((r.revision for r in review.revisions), default=None)
    return ReviewCounts(
        branch, latest, cached=any(r.fetched_at for r in review.revisions),
        unread=sum(r.unread for r in review.replies()),
        open_comments=len(review.open_comments()),
        trailers=len(review.collected_trailers()),
        newer_revisions=list(review.newer_revisions),
        applied=_applied_label(review),
        naks=sum(r.kind == "nak" for rev in review.revisions if rev.revision == latest
                 for r in rev.replies))


def _applied_label(review: Review) -> str | None:
    """What the home screen says of an applied series (`v2 applied to rust-next`)."""
    applied = review.applied
    if applied is None:
        return None
    revision, what = applied
    return what.label if len(review.revisions) == 1 else f"v{revision} {what.label}"


def _counts(reader: Reader, series: SentSeries) -> ReviewCounts:
    try:
        review = reader.review(series, cache_only=True, with_patch_ids=False)
    except Exception as exc:  # noqa: BLE001  (a broken cache or database costs the counts only)
        return ReviewCounts(series.branch, problem=str(exc) or type(exc).__name__)
    return count_report(series.branch, review)


def review_counts(repo: GitRepo, branch: str, config: Config | None = None,
                  client: LoreClient | None = None) -> ReviewCounts:
    """The counts of the series on `branch`, from the cache; never raises."""
    try:
        series = load_series(repo, branch, allow_empty=True)
        reader = Reader(repo, config, client)
    except Exception as exc:  # noqa: BLE001  (as above)
        return ReviewCounts(branch, problem=str(exc) or type(exc).__name__)
    with reader:
        return _counts(reader, series)


def summarize_reviews(repo: GitRepo, summaries: Iterable[SeriesSummary],
                      config: Config | None = None) -> Iterator[ReviewCounts]:
    """Counts of each summarized series that has a sent revision, one at a time, all read
    through one Reader."""
    config = config or Config(repo)
    try:
        client = make_client(repo, config)
    except (PatchpilotError, ValueError) as exc:  # a bad replies.* setting
        for summary in summaries:
            if summary.sent and not summary.problem:
                yield ReviewCounts(summary.branch, problem=str(exc))
        return
    with Reader(repo, config, client) as reader:
        for summary in summaries:
            if summary.sent and not summary.problem:
                yield _counts(reader, summary)
