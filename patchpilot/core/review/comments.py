"""Review comments for the screens and the pre-flight: those still open on the sent
revisions (`still_open`, `open_comments`), and those on the patches of the branch now, for the
series screen: "3 comments" on a patch, and each comment next to the line of the diff it is
about (`comments_by_patch`).

The comments come from the cached replies (replies.collect with cache_only: no network). A
comment on a patch as sent lands on the branch's patch with the same patch-id (the code did
not change: its file and line still hold), else on the patch with the same subject (the
code changed since: the line may have moved, and `exact` says so). Advisory: a broken
cache gives no comments, never an error. No UI.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.mail import bare_subject
from patchpilot.core.review.replies import RepliesReport, collect
from patchpilot.core.series.model import Series


@dataclass
class OpenComment:
    """A reviewer's comment not yet addressed, replied to or declined."""

    id: str
    reviewer: str
    revision: int
    patch: int
    file: str | None
    line: int | None
    text: str


def still_open(report: RepliesReport) -> list[OpenComment]:
    """The open comments of every revision in `report`, the author's own mail left out."""
    return [OpenComment(comment.id, message.sender, rev.revision, message.patch, comment.file,
                        comment.line, comment.text)
            for rev in report.revisions for message in rev.messages if message.kind != "own"
            for comment in message.comments if comment.state == "open"]


def open_comments(repo: GitRepo, series: Series) -> list[OpenComment]:
    """Review comments still open on the sent revisions of `series` (cache only; for the
    pre-flight)."""
    if not series.b4_managed:
        return []
    try:
        report = collect(repo, series.branch, cache_only=True, series=series)
    except PatchpilotError:
        return []
    return still_open(report)


@dataclass
class PatchComment:
    """One review comment, placed on a patch of the branch now."""

    id: str
    revision: int
    sender: str
    state: str
    file: str | None
    line: int | None
    text: str
    exact: bool  # the patch is unchanged since it was sent: file and line still hold


def comments_by_patch(repo: GitRepo, series: Series) -> dict[int, list[PatchComment]]:
    """{patch index now: its comments}, oldest revision first."""
    if not series.sent or not series.patches:
        return {}
    try:
        report = collect(repo, series.branch, cache_only=True, series=series)
    except (PatchpilotError, OSError, ValueError):
        return {}
    by_id = {p.patch_id: p.index for p in series.patches}
    by_subject = {bare_subject(p.subject): p.index for p in series.patches}
    found: dict[int, list[PatchComment]] = {}
    for revision in sorted(report.revisions, key=lambda r: r.revision):
        for message in revision.messages:
            if message.patch == 0 or message.kind == "own" or not message.comments:
                continue
            index = by_id.get(message.patch_id or "")
            exact = index is not None
            if index is None:
                index = by_subject.get(bare_subject(message.subject))
            if index is None:
                continue
            found.setdefault(index, []).extend(
                PatchComment(c.id, revision.revision, message.sender, c.state, c.file, c.line,
                             c.text, exact) for c in message.comments)
    return found
