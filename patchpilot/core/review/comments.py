"""Review comments for the screens and the pre-flight: those still open on the sent revisions
(`open_comments`), and those on the patches of the branch now, for the series screen: "3
comments" on a patch, and each comment next to the line of the diff it is about
(`comments_by_patch`). Both read the one model (model.Review, model.Comment).

The comments come from the cached replies (a cache-only Reader: no network). A comment on a
patch as sent lands on the branch's patch with the same patch-id (the code did not change: its
file and line still hold), else on the patch with the same subject (the code changed since:
the line may have moved, and `exact` says so). Advisory: a broken cache gives no comments,
never an error. No UI.
"""

from __future__ import annotations

from typing import NamedTuple

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.mail import bare_subject
from patchpilot.core.review.model import Comment, Review
from patchpilot.core.review.replies import collect
from patchpilot.core.series.model import Series


def open_comments(repo: GitRepo, series: Series) -> list[Comment]:
    """Review comments still open on the sent revisions of `series` (cache only; for the
    pre-flight)."""
    if not series.b4_managed or not series.sent:
        return []
    try:
        review = collect(repo, series.branch, cache_only=True, series=series)
    except (PatchpilotError, OSError, ValueError):
        return []
    return review.open_comments()


class Placed(NamedTuple):
    """A comment on the branch's patch now; `exact` when that patch is as it was sent (its
    file and line still hold)."""

    comment: Comment
    exact: bool


def comments_by_patch(repo: GitRepo, series: Series,
                      review: Review | None = None) -> dict[int, list[Placed]]:
    """{patch index now: its reviewers' items with text}, oldest revision first."""
    if not series.sent or not series.patches:
        return {}
    if review is None:
        try:
            review = collect(repo, series.branch, cache_only=True, series=series)
        except (PatchpilotError, OSError, ValueError):
            return {}
    by_id = {p.patch_id: p.index for p in series.patches}
    by_subject = {bare_subject(p.subject): p.index for p in series.patches}
    found: dict[int, list[Placed]] = {}
    for reply in review.replies():
        if reply.patch == 0 or not reply.comments:
            continue
        index = by_id.get(reply.patch_id or "")
        exact = index is not None
        if index is None:
            index = by_subject.get(bare_subject(reply.subject))
        if index is not None:
            found.setdefault(index, []).extend(Placed(c, exact) for c in reply.comments)
    return found
