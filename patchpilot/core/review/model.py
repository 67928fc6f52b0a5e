"""The one model of a review that every consumer reads (the CLI, the home, series, replies and
reroll screens, the pre-flight, the changelog): a Review holds the sent Revisions, each with
its Replies, each with its trailers and its items (Comment).

A Comment is one piece of a reply: what the reviewer wrote after a quote (or on top of one),
with the quote it answers, where that points (file and new-file line of the patch as mailed),
who gave it on which revision and patch, and its state. Its `kind` says what it is (see
classify.py): only a "comment" or a bot's "report" is `counted`, and only a counted one is ever
open; greetings, sign-offs, "Looks good" and the words around a trailer, signatures and quoted
text nobody answered are kept as items too (the reply shows them), never counted.

`Review.replies()` is the one walk over revisions x replies and its own filter (your own mail
is never a review); `Review.collected_trailers()` is the one definition of "trailers
collected". The `patchpilot replies --json` contract is `Review.to_json`. No UI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from patchpilot.core.review.applied import Applied
from patchpilot.core.review.classify import COUNTED, ItemKind
from patchpilot.core.review.tags import GivenTrailer
from patchpilot.core.series.model import SentRevision

State = Literal["open", "addressed", "wontfix", "replied"]
ReplyKind = Literal["review", "ack", "nak", "bot", "own", "other"]
_STATES: dict[str, State] = {"open": "open", "addressed": "addressed", "wontfix": "wontfix",
                             "replied": "replied"}
COLLECTED_ROLES = ("review", "credit")  # a NAK is not collected into a commit
NOT_COLLECTED_FROM = ("bot", "nak")  # a bot's Reported-by is for a separate fix


class SentSeries(Protocol):
    """What reading a review needs of a series: a Series, or a SeriesSummary."""

    branch: str
    change_id: str | None
    sent: list[SentRevision]


@dataclass
class Comment:
    """One item of a reply (see the module docstring); its id is `MSGID:N`."""

    msgid: str
    n: int
    kind: ItemKind
    text: str
    quote: str = ""  # the last lines of the quote it answers, as written
    context: str = ""  # the whole quote it answers, as written (what an answer quotes)
    aside: str = ""  # greetings or a sign-off set aside from a comment's text
    file: str | None = None
    line: int | None = None
    reviewer: str = ""  # "Name <addr>" of the reply's sender
    revision: int = 0  # the sent revision it was given on
    patch: int = 0  # 0: the cover, k: patch k of that revision
    patch_id: str | None = None  # of that patch as mailed
    follows: str | None = None  # the reviewer's own earlier comment this one goes on with
    state: State = "open"
    addressed_in: int | None = None  # with state "addressed"
    note: str | None = None  # with state "wontfix"
    answer: str | None = None  # the Message-ID of the author's answer, when patchpilot sent it
    own: bool = False  # the author's own words (an answer in the thread): never open

    @property
    def id(self) -> str:
        return f"{self.msgid}:{self.n}"

    @property
    def counted(self) -> bool:
        """A comment or a bot's report: something the author has to act on or answer."""
        return self.kind in COUNTED

    @property
    def is_open(self) -> bool:
        return self.counted and not self.own and self.state == "open"

    @property
    def where(self) -> str:
        """"cover", "patch 2" or "patch 2 rust/kernel/x.rs:12"."""
        at = "cover" if self.patch == 0 else f"patch {self.patch}"
        return f"{at} {self.file}:{self.line}" if self.file else at

    def to_json(self) -> dict[str, Any]:
        """One entry of `comments` (or `asides`) in `replies --json`: `revision` is the one
        it was addressed in (the contract's meaning), `sent_revision` the one it was given on."""
        return {"id": self.id, "n": self.n, "kind": self.kind, "counted": self.counted,
                "file": self.file, "line": self.line, "quote": self.quote, "text": self.text,
                "aside": self.aside, "context": self.context, "state": self.state,
                "revision": self.addressed_in, "note": self.note, "reviewer": self.reviewer,
                "sent_revision": self.revision, "patch": self.patch, "follows": self.follows,
                "answer": self.answer, "own": self.own}


@dataclass
class Reply:
    """One message of a revision's thread other than the cover and the patches."""

    msgid: str
    sender: str
    address: str
    date: str
    subject: str
    patch: int
    kind: ReplyKind
    revision: int = 0
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    trailers: list[GivenTrailer] = field(default_factory=list)
    items: list[Comment] = field(default_factory=list)
    patch_id: str | None = None
    unread: bool = True

    @property
    def comments(self) -> list[Comment]:
        """The counted items: what the reviewer asked for."""
        return [c for c in self.items if c.counted]

    @property
    def asides(self) -> list[Comment]:
        return [c for c in self.items if not c.counted]

    def to_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "from": self.sender, "date": self.date,
                "patch": self.patch, "subject": self.subject, "unread": self.unread,
                "kind": self.kind, "address": self.address, "revision": self.revision,
                "in_reply_to": self.in_reply_to, "references": self.references,
                "to": self.to, "cc": self.cc,
                "trailers": [{"name": t.name, "value": t.value, "role": t.role}
                             for t in self.trailers],
                "comments": [c.to_json() for c in self.comments],
                "asides": [c.to_json() for c in self.asides]}


@dataclass
class Revision:
    """A sent revision and its thread as far as the cache (or the server) knows it."""

    revision: int
    cover_msgid: str | None
    fetched_at: float | None
    replies: list[Reply] = field(default_factory=list)
    missing: str | None = None  # the server does not hold the cover: why, in one line
    applied: Applied | None = None  # a maintainer said they applied it (applied.py)


@dataclass
class Review:
    """The review of every sent revision of one series."""

    change_id: str | None
    branch: str
    revisions: list[Revision]
    server: str
    offline: str | None = None
    newer_revisions: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def replies(self, own: bool = False) -> Iterator[Reply]:
        """Every reply of every revision, oldest revision first; your own only with `own`."""
        for revision in sorted(self.revisions, key=lambda r: r.revision):
            for reply in revision.replies:
                if own or reply.kind != "own":
                    yield reply

    def items(self) -> Iterator[Comment]:
        """Every item the reviewers wrote, counted or not."""
        for reply in self.replies():
            yield from reply.items

    def comments(self) -> Iterator[Comment]:
        """Every counted comment of the reviewers, whatever its state."""
        return (c for c in self.items() if c.counted)

    def open_comments(self) -> list[Comment]:
        return [c for c in self.items() if c.is_open]

    def find(self, comment_id: str) -> tuple[Reply, Comment] | None:
        """The item with id `MSGID:N` (`<MSGID>:N` too), in any reply (yours included)."""
        wanted = {comment_id, comment_id.replace("<", "").replace(">", "")}
        for reply in self.replies(own=True):
            for comment in reply.items:
                if comment.id in wanted:
                    return reply, comment
        return None

    def given(self) -> list[tuple[Reply, GivenTrailer]]:
        """Each trailer the reviewers (bots included) gave, once per revision and patch."""
        seen: set[tuple[int, int, str, str]] = set()
        found = []
        for reply in self.replies():
            for trailer in reply.trailers:
                key = (reply.revision, reply.patch, trailer.name.lower(),
                       trailer.address or trailer.value)
                if key not in seen:
                    seen.add(key)
                    found.append((reply, trailer))
        return found

    def collected_trailers(self) -> list[tuple[Reply, GivenTrailer]]:
        """The trailers collected on the list: review and credit tags from reviewers; not a
        NAK, not a bot's tag. The home screen counts these and the reroll screen lists them."""
        return [(reply, trailer) for reply, trailer in self.given() if collected(reply, trailer)]

    @property
    def applied(self) -> tuple[int, Applied] | None:
        """(revision, what was applied) of the latest revision a maintainer applied."""
        found = [(r.revision, r.applied) for r in self.revisions if r.applied]
        return max(found, key=lambda f: f[0]) if found else None

    def to_json(self) -> dict[str, Any]:
        """The `patchpilot replies --json` contract (docs/review.md)."""
        applied = self.applied
        return {"series": self.change_id, "branch": self.branch, "server": self.server,
                "offline": self.offline, "newer_revisions": self.newer_revisions,
                "warnings": self.warnings,
                "applied": {"revision": applied[0], **applied[1].to_json()} if applied
                else None,
                "revisions": [{"revision": r.revision, "cover_msgid": r.cover_msgid,
                               "fetched_at": _iso(r.fetched_at), "missing": r.missing,
                               "applied": r.applied.to_json() if r.applied else None,
                               "messages": [m.to_json() for m in r.replies]}
                              for r in self.revisions]}


def as_state(value: str) -> State:
    """A stored state word as a State ("open" for one this version does not know)."""
    return _STATES.get(value, "open")


def collected(reply: Reply, trailer: GivenTrailer) -> bool:
    """Whether a trailer given in `reply` counts as collected (see Review.collected_trailers)."""
    return trailer.role in COLLECTED_ROLES and reply.kind not in NOT_COLLECTED_FROM \
        and reply.kind != "own"


def _iso(stamp: float | None) -> str | None:
    return datetime.fromtimestamp(stamp, UTC).isoformat() if stamp else None
