"""Follow the review of a series: for each sent revision, fetch its thread from the
public-inbox server (lore.py), analyse it (mail.py, review.py) and join the user's state
(reviewdb.py), and whether a maintainer applied it (applied.py). Offline, the cached thread is
used and the report says so, with its age.

Returns data (RepliesReport, with the `patchpilot replies --json` contract in to_json);
no UI, no printing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from patchpilot.core import paths
from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.applied import Applied, find_applied
from patchpilot.core.review.db import ReviewDB
from patchpilot.core.review.lore import (
    DEFAULT_BASE,
    LoreClient,
    LoreUnreachable,
    ThreadData,
    base_from_midmask,
    subject_terms,
)
from patchpilot.core.review.mail import Mail, MailTooLarge, bare_subject, parse_mail, split_mbox
from patchpilot.core.review.thread import Thread, analyse_thread, subject_info
from patchpilot.core.series.model import SentRevision, Series, load_series


@dataclass
class CommentView:
    id: str
    n: int
    file: str | None
    line: int | None
    quote: str
    text: str
    state: str = "open"
    revision: int | None = None
    note: str | None = None
    answer: str | None = None  # the Message-ID of the author's answer, when patchpilot sent it


@dataclass
class MessageView:
    msgid: str
    sender: str
    date: str
    subject: str
    patch: int
    patch_id: str | None
    unread: bool
    kind: str
    trailers: list[tuple[str, str]] = field(default_factory=list)
    comments: list[CommentView] = field(default_factory=list)


@dataclass
class RevisionView:
    revision: int
    cover_msgid: str | None
    fetched_at: float | None
    messages: list[MessageView] = field(default_factory=list)
    applied: Applied | None = None  # a maintainer said they applied it (applied.py)


@dataclass
class RepliesReport:
    change_id: str | None
    branch: str
    revisions: list[RevisionView]
    server: str
    offline: str | None = None
    newer_revisions: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `patchpilot replies --json` contract (README)."""
        applied = self.applied
        return {"series": self.change_id, "branch": self.branch, "server": self.server,
                "offline": self.offline, "newer_revisions": self.newer_revisions,
                "applied": {"revision": applied[0], **applied[1].to_json()} if applied
                else None,
                "revisions": [_revision_json(r) for r in self.revisions]}

    @property
    def applied(self) -> tuple[int, Applied] | None:
        """(revision, what was applied) of the latest revision a maintainer applied."""
        found = [(r.revision, r.applied) for r in self.revisions if r.applied]
        return max(found, key=lambda f: f[0]) if found else None

    def comments(self) -> Iterator[tuple[MessageView, CommentView]]:
        """Every (message, comment) of every revision."""
        for revision in self.revisions:
            for message in revision.messages:
                for comment in message.comments:
                    yield message, comment


def _iso(stamp: float | None) -> str | None:
    return datetime.fromtimestamp(stamp, UTC).isoformat() if stamp else None


def _revision_json(rev: RevisionView) -> dict[str, Any]:
    return {"revision": rev.revision, "cover_msgid": rev.cover_msgid,
            "fetched_at": _iso(rev.fetched_at),
            "applied": rev.applied.to_json() if rev.applied else None,
            "messages": [{"msgid": m.msgid, "from": m.sender, "date": m.date, "patch": m.patch,
                          "subject": m.subject, "unread": m.unread, "kind": m.kind,
                          "trailers": [{"name": n, "value": v} for n, v in m.trailers],
                          "comments": [{"id": c.id, "file": c.file, "line": c.line,
                                        "quote": c.quote, "text": c.text, "state": c.state,
                                        "revision": c.revision, "note": c.note,
                                        "answer": c.answer}
                                       for c in m.comments]}
                         for m in rev.messages]}


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
                      full_every=config.number("replies.full-refresh"))


def open_db(repo: GitRepo) -> ReviewDB:
    return ReviewDB.for_state_dir(paths.repo_state_dir(repo.git_dir))


def collect(repo: GitRepo, branch: str | None = None, refresh: bool = False,
            config: Config | None = None, client: LoreClient | None = None,
            cache_only: bool = False, series: Series | None = None) -> RepliesReport:
    """The review of every sent revision of the series on `branch` (or of `series`, when the
    caller has it loaded already); `cache_only` never touches the network (a revision with
    nothing cached has no messages)."""
    config = config or Config(repo)
    client = client or make_client(repo, config)
    # a light load would skip the sent history
    series = series or load_series(repo, branch, allow_empty=True)
    if not series.sent:
        raise PatchpilotError(f"{series.branch} has no sent revision to follow",
                              hint="send the series first (b4 send)")
    report = RepliesReport(series.change_id, series.branch, [], client.base)
    own = tuple(a for a in [(repo.config("user.email") or "").lower()] if a)
    db = open_db(repo)
    try:
        for sent in series.sent:
            report.revisions.append(_revision(repo, client, db, sent, refresh, own, report,
                                              cache_only))
        checked = bool(refresh and not cache_only and report.offline is None
                       and series.change_id)
        if checked:
            before = len(report.warnings)
            report.newer_revisions = _newer(client, series, report)
            checked = len(report.warnings) == before  # the search itself answered
        _remember_newer(db, series, report, checked)
    finally:
        db.close()
    return report


def _revision(repo: GitRepo, client: LoreClient, db: ReviewDB, sent: SentRevision,
              refresh: bool, own: tuple[str, ...], report: RepliesReport,
              cache_only: bool = False) -> RevisionView:
    cover = sent.msgids[0].strip("<>") if sent.msgids else None
    view = RevisionView(sent.revision, cover, None)
    if cover is None:
        return view
    # once the server is found unreachable, the other revisions show their cache at once
    data = client.cached(cover) if cache_only or report.offline else \
        _fetch(client, cover, refresh, report, own)
    if data is None:
        return view
    view.fetched_at = data.fetched_at
    thread = analyse_thread(_mails(data.mbox, report), cover, own)
    ids = _patch_ids(repo, thread)
    db.seen([r.mail.msgid for r in thread.replies])
    view.messages = _views(db, thread, ids)
    view.applied = find_applied(((r.mail, r.patch) for r in thread.replies),
                                max(thread.patches, default=0) or None,
                                {k: bare_subject(m.subject) for k, m in thread.patches.items()})
    return view


def _fetch(client: LoreClient, cover: str, refresh: bool, report: RepliesReport,
           own: Iterable[str] = ()) -> ThreadData | None:
    old = client.cached(cover)
    if old is not None and not refresh:
        return old
    try:
        subjects = subject_terms(_thread_subjects(old)) if old else ()
        return client.thread(cover, refresh=True, subjects=subjects, addresses=tuple(own),
                             old=old)
    except LoreUnreachable as exc:
        age = f"cached data from {_age(old.fetched_at)} ago" if old else "no cached data"
        report.offline = f"{client.base} is unreachable; showing {age}"
        report.warnings.append(str(exc))
        return old


def _age(stamp: float) -> str:
    seconds = max(int(time.time() - stamp), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _thread_subjects(data: ThreadData) -> list[str]:
    """Subjects of the cover and patch mails: what replies to them keep."""
    subjects = []
    for mail in _mails(data.mbox, None):
        info = subject_info(mail.subject)
        if info and not info.reply:
            subjects.append(mail.subject)
    return subjects


def _mails(mbox: bytes, report: RepliesReport | None) -> list[Mail]:
    mails = []
    for raw in split_mbox(mbox):
        try:
            mails.append(parse_mail(raw))
        except MailTooLarge as exc:
            if report is not None:
                report.warnings.append(str(exc))
    return mails


def _patch_ids(repo: GitRepo, thread: Thread) -> dict[int, str]:
    """`git patch-id --stable` of each patch as mailed (stable across rerolls)."""
    diffs = {f"{k:040x}": d for k, d in thread.diffs.items() if d}
    if not diffs:
        return {}
    ids = repo.patch_ids({k: d if d.endswith("\n") else d + "\n" for k, d in diffs.items()})
    return {int(k, 16): v for k, v in ids.items()}


def _views(db: ReviewDB, thread: Thread, ids: dict[int, str]) -> list[MessageView]:
    msgids = [r.mail.msgid for r in thread.replies]
    unread, states, answers = db.unread(msgids), db.states(msgids), db.answers(msgids)
    views = []
    for reply in sorted(thread.replies, key=lambda r: (r.patch, r.mail.date)):
        mail = reply.mail
        view = MessageView(mail.msgid, mail.sender, mail.date, mail.subject, reply.patch,
                           ids.get(reply.patch), mail.msgid in unread, reply.kind,
                           [(t.name, t.value) for t in reply.trailers])
        for c in reply.comments:
            state = states.get((mail.msgid, c.n))
            view.comments.append(CommentView(
                f"{mail.msgid}:{c.n}", c.n, c.file, c.line, c.quote, c.text,
                *((state.state, state.revision, state.note) if state else ("open", None, None)),
                answers.get((mail.msgid, c.n))))
        views.append(view)
    return views


def _newer(client: LoreClient, series: Series, report: RepliesReport) -> list[int]:
    """Revisions of this change-id on the list that are newer than any sent from here."""
    assert series.change_id is not None  # collect() asks only for a series with one
    if not re.fullmatch(r"[\w.-]+", series.change_id):
        return []
    try:
        found, _ = client.search(f'nq:"change-id: {series.change_id}"')
    except LoreUnreachable as exc:
        report.warnings.append(str(exc))
        return []
    sent = max(s.revision for s in series.sent)
    revisions = {info.revision for mail in _mails(found, None)
                 if (info := subject_info(mail.subject)) and not info.reply}
    return sorted(r for r in revisions if r > sent)


def _remember_newer(db: ReviewDB, series: Series, report: RepliesReport,
                    checked: bool) -> None:
    """Store what a refresh found newer on the list; any other view (the cache alone, an
    offline refresh) shows what was found last that is still newer than anything sent."""
    if not series.change_id:
        return
    if checked:
        db.set_newer(series.change_id, report.newer_revisions)
        return
    sent = max(s.revision for s in series.sent)
    report.newer_revisions = [r for r in db.newer(series.change_id) if r > sent]


def set_comment_state(repo: GitRepo, comment_id: str, state: str, note: str | None = None,
                      branch: str | None = None, revision: int | None = None) -> CommentView:
    """Set the state of comment `MSGID:N` of the series (from the cached threads)."""
    report = collect(repo, branch, refresh=False)
    found = next(((m, c) for m, c in report.comments() if c.id == comment_id.strip("<>")
                  or c.id == comment_id), None)
    if found is None:
        raise PatchpilotError(f"no comment {comment_id[:120]!r} in the replies of "
                              f"{report.branch}", hint="list them: patchpilot replies")
    message, comment = found
    if state == "addressed" and revision is None:
        revision = load_series(repo, report.branch, light=True, allow_empty=True).revision
    db = open_db(repo)
    try:
        db.set_state(message.msgid, comment.n, state, message.patch_id, revision, note)
        db.mark_read([message.msgid])
    finally:
        db.close()
    comment.state, comment.revision, comment.note = state, revision, note
    return comment


def mark_read(repo: GitRepo, msgids: list[str], read: bool = True) -> None:
    db = open_db(repo)
    try:
        db.mark_read(msgids, read)
    finally:
        db.close()
