"""Follow the review of a series: for each sent revision, its thread from the public-inbox
server (lore.py) or the cache, analysed once (threads.py), joined with the user's state
(db.py, with the answers patchpilot sent) into the one model (model.Review), with whether a
maintainer applied each revision (applied.py, read in threads.py). Offline, the cached thread
is used and the review says so, with its age; a server that does not hold a cover says so in
one line.

A Reader holds one client and one database connection for as many series as it is asked
about (the home screen reads every series through one); `collect` is one series, one Reader.
No UI, no printing.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from types import TracebackType

from patchpilot.core import paths
from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.db import CommentState, ReviewDB
from patchpilot.core.review.lore import (
    DEFAULT_BASE,
    CoverNotFound,
    LoreClient,
    LoreUnreachable,
    ThreadData,
    base_from_midmask,
    subject_terms,
)
from patchpilot.core.review.model import Comment, Reply, Review, Revision, SentSeries, as_state
from patchpilot.core.review.thread import subject_info
from patchpilot.core.review.threads import analysed, mails_of, patch_ids
from patchpilot.core.series.model import SentRevision, load_series
from patchpilot.core.text import safe_text


def server_base(repo: GitRepo, config: Config) -> tuple[str, str]:
    """(base URL, where it came from): replies.server, else b4.midmask, else lore/all."""
    setting = config.get("replies.server")
    if setting.value.strip():
        return setting.value.strip().rstrip("/"), setting.source
    midmask = base_from_midmask(repo.config("b4.midmask"))
    if midmask:
        return midmask, "b4.midmask"
    return DEFAULT_BASE, "default"


def make_client(repo: GitRepo, config: Config) -> LoreClient:
    base, _ = server_base(repo, config)
    return LoreClient(base, paths.cache_dir() / "lore",
                      timeout=config.number("replies.timeout"),
                      retries=config.integer("replies.retries"),
                      full_every=config.number("replies.full-refresh"),
                      margin=config.number("replies.overlap"))


def open_db(repo: GitRepo) -> ReviewDB:
    return ReviewDB.for_state_dir(paths.repo_state_dir(repo.git_dir))


def own_addresses(repo: GitRepo) -> tuple[str, ...]:
    """Your addresses (user.email): your own mail in a thread is never a review."""
    return tuple(a for a in [(repo.config("user.email") or "").strip().lower()] if a)


class Reader:
    """Reads reviews of series of one repository: one client, one database connection."""

    def __init__(self, repo: GitRepo, config: Config | None = None,
                 client: LoreClient | None = None):
        self.repo = repo
        self.config = config or Config(repo)
        self.client = client or make_client(repo, self.config)
        self.own = own_addresses(repo)
        self._db: ReviewDB | None = None

    @property
    def db(self) -> ReviewDB:
        if self._db is None:
            self._db = open_db(self.repo)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def review(self, series: SentSeries, refresh: bool = False, cache_only: bool = False,
               with_patch_ids: bool = True) -> Review:
        """The review of every sent revision of `series`; `cache_only` never touches the
        network (a revision with nothing cached has no replies); without `with_patch_ids`
        no `git patch-id` runs (counts need none)."""
        if not series.sent:
            raise PatchpilotError(f"{series.branch} has no sent revision to follow",
                                  hint="send the series first (b4 send)")
        review = Review(series.change_id, series.branch, [], self.client.base)
        for sent in series.sent:
            review.revisions.append(self._revision(sent, refresh and not cache_only,
                                                   cache_only, review, with_patch_ids))
        if self.db.notice:  # after the revisions: an offline warning stays the first
            review.warnings.append(self.db.notice)
        checked = bool(refresh and not cache_only and review.offline is None
                       and series.change_id)
        if checked:
            before = len(review.warnings)
            review.newer_revisions = self._newer(series, review)
            checked = len(review.warnings) == before  # the search itself answered
        self._remember_newer(series, review, checked)
        return review

    def _revision(self, sent: SentRevision, refresh: bool, cache_only: bool, review: Review,
                  with_patch_ids: bool) -> Revision:
        cover = sent.msgids[0].strip("<>") if sent.msgids else None
        view = Revision(sent.revision, cover, None)
        if cover is None:
            return view
        # once the server is found unreachable, the other revisions show their cache at once
        data = self.client.cached(cover) if cache_only or review.offline else \
            self._fetch(cover, refresh, review, view)
        if data is None:
            return view
        if not data.complete:
            review.warnings.append(f"the v{sent.revision} thread arrived cut short: showing the "
                                   "messages that arrived whole; the next refresh fetches it "
                                   "again")
        view.fetched_at = data.fetched_at
        thread = analysed(self.client.base, cover, data.mbox, self.own, review.warnings)
        for msgid in dict.fromkeys(thread.duplicates):
            review.warnings.append(f"two messages of the v{sent.revision} thread have the "
                                   f"Message-ID {safe_text(msgid, 200)}; the first is shown")
        ids = patch_ids(self.repo, thread) if with_patch_ids else {}
        self.db.seen([r.msgid for r in thread.replies if r.kind != "own"])
        view.replies = self._joined(thread.replies, sent.revision, ids)
        view.applied = thread.applied
        return view

    def _fetch(self, cover: str, refresh: bool, review: Review,
               view: Revision) -> ThreadData | None:
        old = self.client.cached(cover)
        if old is not None and not refresh:
            return old
        try:
            subjects = subject_terms(_thread_subjects(old)) if old else ()
            return self.client.thread(cover, refresh=True, subjects=subjects,
                                      addresses=self.own, old=old)
        except CoverNotFound as exc:
            view.missing = exc.message
            review.warnings.append(f"v{view.revision}: {exc.message}")
            return old
        except LoreUnreachable as exc:
            age = f"cached data from {_age(old.fetched_at)} ago" if old else "no cached data"
            review.offline = f"{self.client.base} is unreachable ({exc.why}); showing {age}"
            review.warnings.append(str(exc))
            return old

    def _joined(self, replies: list[Reply], revision: int, ids: dict[int, str]) -> list[Reply]:
        """The analysed replies (shared, never changed) as this revision's, with state."""
        msgids = [r.msgid for r in replies]
        unread, states = self.db.unread(msgids), self.db.states(msgids)
        answers = self.db.answers(msgids)
        joined = []
        for reply in sorted(replies, key=lambda r: (r.patch, r.date)):
            pid = ids.get(reply.patch)
            items = [replace(_with_state(c, revision, pid, states.get((c.msgid, c.n))),
                             answer=answers.get((c.msgid, c.n)))
                     for c in reply.items]
            joined.append(replace(reply, revision=revision, patch_id=pid, items=items,
                                  unread=reply.kind != "own" and reply.msgid in unread,
                                  trailers=list(reply.trailers), to=list(reply.to),
                                  cc=list(reply.cc), references=list(reply.references)))
        return joined

    def _newer(self, series: SentSeries, review: Review) -> list[int]:
        """Revisions of this change-id on the list newer than any sent from here."""
        assert series.change_id is not None  # review() asks only for a series with one
        if not re.fullmatch(r"[\w.-]+", series.change_id):
            return []
        try:
            found, _ = self.client.search(f'nq:"change-id: {series.change_id}"')
        except LoreUnreachable as exc:
            review.warnings.append(str(exc))
            return []
        sent = max(s.revision for s in series.sent)
        revisions = {info.revision for mail in mails_of(found, None)
                     if (info := subject_info(mail.subject)) and not info.reply}
        return sorted(r for r in revisions if r > sent)

    def _remember_newer(self, series: SentSeries, review: Review, checked: bool) -> None:
        """Store what a refresh found newer on the list; any other view (the cache alone, an
        offline refresh) shows what was found last that is still newer than anything sent."""
        if not series.change_id:
            return
        if checked:
            self.db.set_newer(series.change_id, review.newer_revisions)
            return
        sent = max(s.revision for s in series.sent)
        review.newer_revisions = [r for r in self.db.newer(series.change_id) if r > sent]


def _with_state(comment: Comment, revision: int, patch_id: str | None,
                state: CommentState | None) -> Comment:
    if state is None:
        return replace(comment, revision=revision, patch_id=patch_id)
    return replace(comment, revision=revision, patch_id=patch_id, state=as_state(state.state),
                   addressed_in=state.revision, note=state.note)


def _thread_subjects(data: ThreadData) -> list[str]:
    """Subjects of the cover and patch mails: what replies to them keep."""
    return [mail.subject for mail in mails_of(data.mbox, None)
            if (info := subject_info(mail.subject)) and not info.reply]


def _age(stamp: float) -> str:
    seconds = max(int(time.time() - stamp), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def collect(repo: GitRepo, branch: str | None = None, refresh: bool = False,
            config: Config | None = None, client: LoreClient | None = None,
            cache_only: bool = False, series: SentSeries | None = None,
            with_patch_ids: bool = True) -> Review:
    """The review of the series on `branch` (or of `series`, when the caller has it loaded
    already): Reader.review with a Reader of its own."""
    # a light load would skip the sent history
    series = series or load_series(repo, branch, allow_empty=True)
    with Reader(repo, config, client) as reader:
        return reader.review(series, refresh, cache_only, with_patch_ids)


def set_comment_state(repo: GitRepo, comment_id: str, state: str, note: str | None = None,
                      branch: str | None = None, revision: int | None = None) -> Comment:
    """Set the state of item `MSGID:N` of the series (from the cached threads)."""
    series = load_series(repo, branch, allow_empty=True, light=False)
    with Reader(repo) as reader:
        review = reader.review(series, cache_only=True)
        found = review.find(comment_id)
        if found is None:
            raise PatchpilotError(f"no comment {comment_id[:120]!r} in the replies of "
                                  f"{review.branch}", hint="list them: patchpilot replies")
        reply, comment = found
        if state == "addressed" and revision is None:
            revision = series.revision
        reader.db.set_state(reply.msgid, comment.n, state, reply.patch_id, revision, note)
        reader.db.mark_read([reply.msgid])
    return replace(comment, state=as_state(state), addressed_in=revision, note=note)


def mark_read(repo: GitRepo, msgids: list[str], read: bool = True) -> None:
    db = open_db(repo)
    try:
        db.mark_read(msgids, read)
    finally:
        db.close()
