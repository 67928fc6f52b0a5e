"""Find what an answer needs, from the review as patchpilot models it: the reviewer's message
(its headers as it had them: From, To, Cc, Date, References, List-Post) and the comments
answered, as an answer.Source; who answers (git config); which revisions a draft names.

This is the one seam between answering and the review model: `_from_review` reads
replies.collect's Review (revisions, replies, items with their states) and the cached
thread (lore.py) for the headers the model does not carry. Reads the cache only: no network.
Message-IDs are untrusted (compared, never used as paths). No UI.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage

from patchpilot.core.addresses import parse_addresses
from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.answer import Asked, Me, Revisions, Source
from patchpilot.core.review.mail import clean_msgid, parse_mail, split_mbox
from patchpilot.core.review.model import Reply, Review
from patchpilot.core.review.replies import collect, make_client
from patchpilot.core.series.model import load_series

_HEADER_ERRORS = (ValueError, IndexError, TypeError, AttributeError, LookupError,
                  email.errors.MessageError)


@dataclass
class Target:
    """The comments answered and where they live in the review."""

    source: Source
    branch: str
    revision: int  # the sent revision the reviewer's message is on
    patch: int  # 0 the cover, k patch k
    patch_id: str | None
    revisions: Revisions
    cover_msgid: str | None  # of that revision's thread (where the answer will show up)

    @property
    def ids(self) -> list[str]:
        return [f"{self.source.msgid}:{c.n}" for c in self.source.comments]


def parse_ref(ref: str) -> tuple[str, list[int]]:
    """`MSGID:N[,N...]` (with or without <>) -> (MSGID, [N...]) in the reviewer's order."""
    msgid, sep, numbers = ref.strip().rpartition(":")
    words = [w.strip() for w in numbers.split(",")]
    if not sep or not words or not all(w.isdigit() and 0 < int(w) < 10_000 for w in words):
        shown = re.sub(r"[\x00-\x1f\x7f-\x9f]", "", ref)[:120]
        raise PatchpilotError(f"not a comment reference: {shown!r}",
                              hint="MSGID:N or MSGID:N,M (as `patchpilot replies` lists them)")
    bare = msgid.strip()
    bare = bare[1:-1] if bare.startswith("<") and bare.endswith(">") else bare
    return bare, sorted({int(w) for w in words})


def identity(repo: GitRepo) -> Me:
    """Who answers: sendemail.from, else user.name <user.email>; every address of the user
    (both of those) is left out of the recipients."""
    email_addr = (repo.config("user.email") or "").strip()
    if not email_addr:
        raise PatchpilotError("git config has no user.email: who answers?",
                              hint="git config user.email you@example.org")
    name, address = (repo.config("user.name") or "").strip(), email_addr
    configured = repo.config("sendemail.from")
    if configured:
        parsed = email.utils.parseaddr(configured)
        if "@" in parsed[1]:
            name, address = parsed[0] or name, parsed[1]
    return Me(name, address, frozenset({email_addr.lower(), address.lower()}))


def find_target(repo: GitRepo, ref: str, branch: str | None = None,
                config: Config | None = None) -> Target:
    """The comments `ref` names, in the replies of the series on `branch` (from the cache)."""
    msgid, numbers = parse_ref(ref)
    config = config or Config(repo)
    series = load_series(repo, branch, allow_empty=True)
    review = collect(repo, series.branch, config=config, cache_only=True, series=series)
    latest = max((r.revision for r in review.revisions), default=0)
    revisions = Revisions(latest, max(series.revision, latest + 1))
    return _from_review(repo, config, review, msgid, numbers, revisions)


def _from_review(repo: GitRepo, config: Config, review: Review, msgid: str,
                 numbers: list[int], revisions: Revisions) -> Target:
    for revision in review.revisions:
        for message in revision.replies:
            if message.msgid == msgid:
                raw = _raw_message(repo, config, revision.cover_msgid, msgid)
                source = _source(message, numbers, raw)
                return Target(source, review.branch, revision.revision, message.patch,
                              message.patch_id, revisions, revision.cover_msgid)
    shown = re.sub(r"[\x00-\x1f\x7f-\x9f]", "", msgid)[:120]
    raise PatchpilotError(f"no message {shown!r} in the replies of {review.branch}",
                          hint="list them (patchpilot replies --refresh) and use an id shown")


def _source(message: Reply, numbers: list[int], raw: EmailMessage | None) -> Source:
    by_n = {c.n: c for c in message.items}
    missing = [n for n in numbers if n not in by_n]
    if missing:
        have = ", ".join(str(n) for n in sorted(by_n)) or "none"
        raise PatchpilotError(f"the message has no comment {missing[0]} (its comments: {have})",
                              hint="patchpilot replies lists each comment as MSGID:N")
    asked = [Asked(n, by_n[n].context or by_n[n].quote, by_n[n].text, by_n[n].state,
                   by_n[n].addressed_in, by_n[n].note) for n in numbers]
    source = Source(message.msgid, message.subject, message.sender, message.date,
                    comments=asked)
    if raw is not None:
        _headers(source, raw)
    return source


def _raw_message(repo: GitRepo, config: Config, cover: str | None,
                 msgid: str) -> EmailMessage | None:
    """The reviewer's message as the cached thread holds it, headers parsed."""
    data = make_client(repo, config).cached(cover) if cover else None
    for raw in split_mbox(data.mbox) if data else []:
        try:
            if parse_mail(raw).msgid != msgid:
                continue
        except PatchpilotError:  # an oversized message: not the one answered
            continue
        return email.message_from_bytes(raw, policy=email.policy.default)
    return None


def _headers(source: Source, msg: EmailMessage) -> None:
    """The headers the review model does not carry, read as the mail had them."""
    source.to, source.cc = _addresses(msg, "To"), _addresses(msg, "Cc")
    source.date = _text(msg, "Date") or source.date
    source.subject = _text(msg, "Subject") or source.subject
    source.references = [m for m in re.findall(r"<([^<>\s]+)>", _text(msg, "References"))
                         if clean_msgid(m)]
    post = re.search(r"<mailto:([^<>?\s]+@[^<>?\s]+)", _text(msg, "List-Post"))
    source.list_post = post.group(1) if post else None


def _text(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
        return " ".join(str(value).split()) if value is not None else ""
    except _HEADER_ERRORS:
        return ""


def _addresses(msg: EmailMessage, name: str) -> list[str]:
    """Each address of a header as `Name <addr>`, read from the header as written by the
    one parser of list mail (core.addresses; answer.parse_addresses keeps the usable ones)."""
    raw = []
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            data = str(value).encode("utf-8", "surrogateescape")
            raw.append(data.decode("utf-8", "replace"))
    return [p.shown for p in parse_addresses(raw) if p.address]
