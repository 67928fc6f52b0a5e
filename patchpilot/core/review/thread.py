"""Read a review thread: which patch each reply answers, each reply's items (model.Comment:
the reviewer's words split from their quotes by quotes.py, read by classify.py, anchored to
the file and new-file line of the quoted diff), trailers given (tags.py), NAKs and bot reports.

Works on decoded mail (mail.py) and the diffs of the patch mails as they were sent, so it
needs no local commit. Pure functions over untrusted text; no git, no network, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from liblore.series import email_matches

from patchpilot.core.addresses import parse_sender
from patchpilot.core.review import classify
from patchpilot.core.review.anchor import DiffIndex
from patchpilot.core.review.applied import Applied, read_applied, summary_line
from patchpilot.core.review.mail import Mail
from patchpilot.core.review.model import Comment, Reply, ReplyKind
from patchpilot.core.review.quotes import Segment, segments, unquote
from patchpilot.core.review.tags import GivenTrailer, trailer_lines

_BRACKET = re.compile(r"\[([^\]]*)\]")
_NAK = re.compile(r"^\s*(NAK|NACK)\b", re.M)
_REPLY = re.compile(r"^\s*(re|aw|sv|fwd?)\s*:", re.I)
_DIFF = re.compile(r"^diff --git a/\S", re.M)  # unquoted
BOT_ADDRESSES = ("lkp@intel.com", "syzbot", "noreply@", "ci_notify@", "patchwork-bot",
                 "bot@kernel.org", "kernelci")
QUOTE_KEEP = 12  # lines of quote shown with a comment
CONTEXT_LINES = 400  # lines of quote kept as a comment's context
MAX_TEXT = 20_000


@dataclass(frozen=True)
class SubjectInfo:
    """What `[PATCH v2 3/5]` says: revision, index (0 for the cover) and total."""

    revision: int
    index: int | None
    total: int | None
    reply: bool


@dataclass
class Thread:
    """A sent revision's thread: its cover, its patch mails and every reply, analysed."""

    cover: Mail | None
    patches: dict[int, Mail]
    replies: list[Reply]
    diffs: dict[int, str]
    duplicates: list[str] = field(default_factory=list)  # Message-IDs seen more than once
    patch_ids: dict[int, str] | None = None  # filled once, by threads.patch_ids
    raw: dict[str, bytes] = field(default_factory=dict)  # the cover and patch mails as sent
    applied: Applied | None = None  # a maintainer said they applied it (threads.py fills it)


def subject_info(subject: str) -> SubjectInfo | None:
    """Parse the `[PATCH ...]` prefix; None when the subject has none."""
    for inner in _BRACKET.findall(subject[:500]):
        words = inner.replace(",", " ").split()
        if not any(w.upper().startswith("PATCH") for w in words):
            continue
        revision, index, total = 1, None, None
        for word in words:
            if re.fullmatch(r"[vV]\d{1,6}", word):
                revision = int(word[1:])
            elif re.fullmatch(r"\d{1,6}/\d{1,6}", word):
                index, total = (int(x) for x in word.split("/"))
        reply = bool(re.match(r"\s*(re|aw|sv)\s*:", subject, re.I))
        return SubjectInfo(revision, index, total, reply)
    return None


def patch_diff(body: str) -> str:
    """The diff inside a patch mail (from `diff --git` up to the signature)."""
    start = body.find("diff --git ")
    if start < 0:
        return ""
    diff = body[start:]
    sig = re.search(r"^-- $", diff, re.M)
    return diff[:sig.start()] if sig else diff


def analyse_thread(mails: list[Mail], cover_msgid: str,
                   own: tuple[str, ...] = ()) -> Thread:
    """Split a thread into cover, patch mails and analysed replies (each Message-ID once)."""
    unique, duplicates = _unique(mails)
    cover = next((m for m in unique if m.msgid == cover_msgid), None)
    patches: dict[int, Mail] = {}
    for mail in unique:
        info = subject_info(mail.subject)
        if (mail is not cover and info and not info.reply and info.index
                and info.index not in patches and _descends(mail, cover_msgid)):
            patches[info.index] = mail
    where = {cover_msgid: 0} | {m.msgid: k for k, m in patches.items()}
    diffs = {k: patch_diff(m.body) for k, m in patches.items()}
    indexes = {k: DiffIndex(d) for k, d in diffs.items()}
    replies = [analyse_reply(mail, patch, indexes.get(patch), own)
               for mail in unique if mail is not cover and mail.msgid not in where
               and not is_patch_mail(mail) for patch in [_answers(mail, where)]]
    link_followups(replies)
    return Thread(cover, patches, replies, diffs, duplicates)


def is_patch_mail(mail: Mail) -> bool:
    """A patch posted in the thread (a later revision's, sent in reply to the one it
    replaces): no `Re:` and a diff. As for b4, it is no reply: its trailers were not given
    by a reviewer, its text is no review."""
    return not _REPLY.match(mail.subject) and _DIFF.search(mail.body) is not None


def _unique(mails: list[Mail]) -> tuple[list[Mail], list[str]]:
    """The first mail of each Message-ID (an archive or a merge may hold one twice)."""
    seen: set[str] = set()
    unique, duplicates = [], []
    for mail in mails:
        if mail.msgid and mail.msgid in seen:
            duplicates.append(mail.msgid)
            continue
        seen.add(mail.msgid)
        unique.append(mail)
    return unique, duplicates


def _descends(mail: Mail, root: str) -> bool:
    return mail.in_reply_to == root or root in mail.references


def _answers(mail: Mail, where: dict[str, int]) -> int:
    """The patch a reply answers: its nearest known ancestor, else its subject, else cover."""
    parents = ([mail.in_reply_to] if mail.in_reply_to else []) + mail.references[::-1]
    for parent in parents:
        if parent in where:
            return where[parent]
    info = subject_info(mail.subject)
    return info.index if info and info.index else 0


def is_bot(mail: Mail) -> bool:
    name = (mail.name or parse_sender(mail.sender).name).lower()
    return any(b in mail.address for b in BOT_ADDRESSES) or "robot" in name \
        or "bot" in name.split()


def analyse_reply(mail: Mail, patch: int, index: DiffIndex | None,
                  own: tuple[str, ...] = ()) -> Reply:
    """Items, trailers and kind of one reply."""
    reply = Reply(mail.msgid, mail.sender, mail.address, mail.date, mail.subject, patch,
                  "other", in_reply_to=mail.in_reply_to, references=list(mail.references),
                  to=list(mail.to), cc=list(mail.cc))
    applied = read_applied(mail, patch) is not None
    if is_bot(mail) and not _is_own(mail, own):
        cut = segments(mail.body)
        body = "\n".join(s.text for s in cut if s.kind != "signature")
        reply.trailers = trailer_lines(body.splitlines(), bot=True)[0]
        found = classify.report(body)
        reply.items = [_item(reply, 1, "applied" if applied else found.kind, found.text)]
        reply.kind = "bot"
        return reply
    parts = segments(mail.body)
    texts = [s for s in parts if s.kind == "text"]
    reply.trailers, reply.items = _read(reply, parts, index)
    if applied:
        _summary_read(reply.items)
    reply.kind = _kind(mail, reply, texts, own)
    for item in reply.items if reply.kind == "own" else ():
        item.own = True  # your answer asks nothing of you
    return reply


def _summary_read(items: list[Comment]) -> None:
    """In a maintainer's "applied" mail, what lists the applied patches (and asks nothing
    beside it) is the applied summary, not a comment."""
    for item in items:
        if item.kind != "comment":
            continue
        lines = item.text.splitlines()
        rest = "\n".join(line for line in lines if not summary_line(line)).strip("\n")
        if not classify.asks(rest):
            item.kind = "applied"
            item.text = "\n\n".join(p for p in (item.text, item.aside) if p)
            item.aside = ""
        else:  # what it asks is the comment; the summary is set aside
            summary = "\n".join(line for line in lines if line.strip() and summary_line(line))
            item.text = re.sub(r"\n{3,}", "\n\n", rest)
            item.aside = "\n\n".join(p for p in (summary, item.aside) if p)


def _is_own(mail: Mail, own: tuple[str, ...]) -> bool:
    return bool(mail.address) and any(email_matches(mail.address, a) for a in own)


def _item(reply: Reply, n: int, kind: classify.ItemKind, text: str, *, quote: str = "",
          context: str = "", aside: str = "", file: str | None = None,
          line: int | None = None) -> Comment:
    return Comment(reply.msgid, n, kind, text[:MAX_TEXT], quote, context, aside[:MAX_TEXT],
                   file, line, reviewer=reply.sender, patch=reply.patch)


def _read(reply: Reply, parts: list[Segment],
          index: DiffIndex | None) -> tuple[list[GivenTrailer], list[Comment]]:
    """The trailers and the items of a reply's segments, in order."""
    trailers: list[GivenTrailer] = []
    items: list[Comment] = []
    quote: list[str] = []
    texts = [i for i, s in enumerate(parts) if s.kind == "text"]
    first_text, last_text = (texts[0], texts[-1]) if texts else (-1, -1)
    for i, seg in enumerate(parts):
        if seg.kind in ("quote", "original"):
            if quote:  # the quote before was not answered
                items.append(_quote_item(reply, len(items) + 1, quote))
            quote = seg.lines if seg.kind == "quote" else [f"> {x}" for x in seg.lines]
            continue
        if seg.kind == "signature":
            items.append(_item(reply, len(items) + 1, "signature", seg.text))
            continue
        found, used = trailer_lines(seg.lines)
        trailers += [t for t in found if t not in trailers]
        reading = classify.read_run(seg.lines, used, last=i == last_text,
                                    first=i == first_text)
        if reading is not None:
            items.append(_text_item(reply, len(items) + 1, reading, quote, index))
        quote = []
    if quote:
        _trailing_quote(reply, items, quote)
    return trailers, items


def _text_item(reply: Reply, n: int, reading: classify.Reading, quote: list[str],
               index: DiffIndex | None) -> Comment:
    unquoted = [unquote(line) for line in quote]
    file, line = index.locate(unquoted) if index and unquoted and \
        reading.kind == "comment" else (None, None)
    return _item(reply, n, reading.kind, reading.text, aside=reading.aside,
                 quote=_shown(quote), context=_context(quote), file=file, line=line)


def _trailing_quote(reply: Reply, items: list[Comment], quote: list[str]) -> None:
    """Quoted text nobody answered below it: a top-posted answer's context, else an item."""
    top = [c for c in items if c.kind not in ("signature", "greeting")]
    if len(top) == 1 and not top[0].quote and top[0].counted:
        top[0].context = _context(quote)  # top-posting: the answer is above the quote
        return
    items.append(_quote_item(reply, len(items) + 1, quote))


def _quote_item(reply: Reply, n: int, quote: list[str]) -> Comment:
    return _item(reply, n, "quote", "", quote=_shown(quote), context=_context(quote))


def _shown(quote: list[str]) -> str:
    return "\n".join(line[:MAX_TEXT] for line in quote[-QUOTE_KEEP:]).strip("\n")


def _context(quote: list[str]) -> str:
    return "\n".join(quote[-CONTEXT_LINES:]).strip("\n")[-MAX_TEXT * 5:]


def _kind(mail: Mail, reply: Reply, texts: Sequence[Segment],
          own: tuple[str, ...]) -> ReplyKind:
    """own, nak, review, ack or other (bots are found before)."""
    if _is_own(mail, own):
        return "own"
    if any(_NAK.search(s.text) for s in texts) or any(t.role == "nak" for t in reply.trailers):
        return "nak"
    if reply.comments:
        return "review"
    return "ack" if reply.trailers else "other"


def link_followups(replies: list[Reply]) -> None:
    """A reviewer answering their own comment (a reply to their reply that quotes it) goes on
    with that comment: `follows` names it, and an unanchored item takes its file and line."""
    by_id = {r.msgid: r for r in replies if r.msgid}
    for reply in replies:
        parent = by_id.get(reply.in_reply_to or "")
        if parent is None or parent is reply or not reply.address or \
                not email_matches(reply.address, parent.address):
            continue
        for item in reply.comments:
            earlier = _quoted_comment(item, parent)
            if earlier is not None:
                item.follows = earlier.id
                if item.file is None:
                    item.file, item.line = earlier.file, earlier.line


def _quoted_comment(item: Comment, parent: Reply) -> Comment | None:
    quoted = " ".join(unquote(line).strip() for line in item.context.splitlines())
    for earlier in parent.comments:
        first = earlier.text.strip().splitlines()[0].strip() if earlier.text.strip() else ""
        if first and first in quoted:
            return earlier
    return None
