"""Read a review thread: which patch each reply answers, the reviewer's comments split from
their quotes and anchored to file and new-file line of the quoted diff, trailers given, NAKs
and bot reports.

Works on decoded mail (mail.py) and the diffs of the patch mails as they were sent, so it
needs no local commit. Pure functions over untrusted text; no git, no network, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from patchpilot.core.review.mail import Mail

TRAILER_NAMES = ("Reviewed-by", "Acked-by", "Tested-by", "Suggested-by", "Reported-by",
                 "Nacked-by", "Reviewed-and-tested-by", "Co-developed-by")
_TRAILER = re.compile(r"^\s*(" + "|".join(TRAILER_NAMES) + r")\s*:\s*(\S.*)$", re.I)
_CANON = {name.lower(): name for name in TRAILER_NAMES}
_BRACKET = re.compile(r"\[([^\]]*)\]")
_GREETING = re.compile(r"^\s*((hi|hello|hey|dear)\b[^.!?]{0,40}[,!]?|thanks[,!.]?|)\s*$", re.I)
_NAK = re.compile(r"^\s*(NAK|NACK|Nacked-by:)", re.M)
_ATTRIBUTION = re.compile(r"(wrote|writes|a écrit|schrieb)\s*:\s*$", re.I)
BOT_ADDRESSES = ("lkp@intel.com", "syzbot", "noreply@", "ci_notify@", "patchwork-bot",
                 "bot@kernel.org", "kernelci")
QUOTE_KEEP = 12  # lines of quote shown with a comment


@dataclass(frozen=True)
class SubjectInfo:
    """What `[PATCH v2 3/5]` says: revision, index (0 for the cover) and total."""

    revision: int
    index: int | None
    total: int | None
    reply: bool


@dataclass
class Comment:
    """A piece of the reviewer's own text, with the quote it follows and where that points."""

    n: int
    quote: str
    text: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class GivenTrailer:
    name: str
    value: str


@dataclass
class Reply:
    """One reply of the thread, analysed; `patch` is 0 for the cover, k for patch k."""

    mail: Mail
    patch: int
    trailers: list[GivenTrailer] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    kind: str = "other"


@dataclass
class Thread:
    """A sent revision's thread: its cover, its patch mails and every reply."""

    cover: Mail | None
    patches: dict[int, Mail]
    replies: list[Reply]
    diffs: dict[int, str]


def subject_info(subject: str) -> SubjectInfo | None:
    """Parse the `[PATCH ...]` prefix; None when the subject has none."""
    for inner in _BRACKET.findall(subject):
        words = inner.replace(",", " ").split()
        if not any(w.upper().startswith("PATCH") for w in words):
            continue
        revision, index, total = 1, None, None
        for word in words:
            if re.fullmatch(r"[vV]\d+", word):
                revision = int(word[1:])
            elif re.fullmatch(r"\d+/\d+", word):
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
    """Split a thread into cover, patch mails and analysed replies."""
    cover = next((m for m in mails if m.msgid == cover_msgid), None)
    patches: dict[int, Mail] = {}
    for mail in mails:
        info = subject_info(mail.subject)
        if (mail is not cover and info and not info.reply and info.index
                and info.index not in patches and _descends(mail, cover_msgid)):
            patches[info.index] = mail
    where = {cover_msgid: 0} | {m.msgid: k for k, m in patches.items()}
    diffs = {k: patch_diff(m.body) for k, m in patches.items()}
    indexes = {k: DiffIndex(d) for k, d in diffs.items()}
    replies = []
    for mail in mails:
        if mail is cover or mail.msgid in where:
            continue
        patch = _answers(mail, where)
        replies.append(analyse_reply(mail, patch, indexes.get(patch), own))
    return Thread(cover, patches, replies, diffs)


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


def analyse_reply(mail: Mail, patch: int, index: DiffIndex | None,
                  own: tuple[str, ...] = ()) -> Reply:
    """Comments, trailers and kind of one reply."""
    blocks = split_blocks(mail.body)
    reply = Reply(mail, patch, trailers=find_trailers(blocks))
    reply.comments = extract_comments(blocks, index)
    reply.kind = classify(mail, blocks, reply, own)
    return reply


def split_blocks(body: str) -> list[tuple[bool, list[str]]]:
    """(quoted, lines) runs of the body, up to the signature; attribution lines dropped."""
    blocks: list[tuple[bool, list[str]]] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.rstrip() == "--" and line.startswith("-- "):
            break
        quoted = line.startswith(">")
        if blocks and blocks[-1][0] == quoted:
            blocks[-1][1].append(line)
        else:
            blocks.append((quoted, [line]))
    for i, (quoted, lines) in enumerate(blocks):
        if not quoted and i + 1 < len(blocks):
            _drop_attribution(lines)
    return blocks


def _drop_attribution(lines: list[str]) -> None:
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _ATTRIBUTION.search(lines[-1]):
        lines.pop()
        if lines and lines[-1].strip() and not lines[-1].strip().endswith("."):
            if lines[-1].lstrip().lower().startswith("on "):
                lines.pop()  # "On Mon, 1 Jan 2024, Name" wrapped before "wrote:"


def find_trailers(blocks: Sequence[tuple[bool, list[str]]]) -> list[GivenTrailer]:
    """Trailers in the reviewer's own (unquoted) text, once each."""
    found: list[GivenTrailer] = []
    for quoted, lines in blocks:
        if quoted:
            continue
        for line in lines:
            match = _TRAILER.match(line)
            if match:
                trailer = GivenTrailer(_CANON[match.group(1).lower()], match.group(2).strip())
                if trailer not in found:
                    found.append(trailer)
    return found


def extract_comments(blocks: Sequence[tuple[bool, list[str]]],
                     index: DiffIndex | None) -> list[Comment]:
    """Each unquoted run with real text becomes a comment tied to the quote before it."""
    comments: list[Comment] = []
    quote: list[str] = []
    for quoted, lines in blocks:
        if quoted:
            quote = lines
            continue
        text = "\n".join(l for l in lines if not _TRAILER.match(l)).strip("\n")
        if all(_GREETING.match(l) for l in text.splitlines()):
            continue  # nothing but greetings or blank lines
        unq = [_unquote(l) for l in quote]
        file, line = index.locate(unq) if index and unq else (None, None)
        shown = "\n".join(quote[-QUOTE_KEEP:]).strip("\n")
        comments.append(Comment(len(comments) + 1, shown, text.rstrip(), file, line))
        quote = []
    return comments


def _unquote(line: str) -> str:
    line = line[1:]
    return line[1:] if line.startswith(" ") else line


def classify(mail: Mail, blocks: Sequence[tuple[bool, list[str]]], reply: Reply,
             own: tuple[str, ...]) -> str:
    """own, bot, nak, review, ack or other."""
    if mail.address and mail.address in own:
        return "own"
    name = mail.sender.lower()
    if any(b in mail.address for b in BOT_ADDRESSES) or "robot" in name or "bot" in name.split():
        return "bot"
    own_text = "\n".join(l for quoted, lines in blocks if not quoted for l in lines)
    if _NAK.search(own_text) or any(t.name == "Nacked-by" for t in reply.trailers):
        return "nak"
    if reply.comments:
        return "review"
    return "ack" if reply.trailers else "other"


class DiffIndex:
    """The lines of one patch's diff, to find where a quoted diff line sits."""

    def __init__(self, diff: str):
        self.entries: list[tuple[str, str, int | None, int | None]] = []
        try:
            patchset = PatchSet(diff)
        except UnidiffParseError:
            patchset = PatchSet("")
        for pf in patchset:
            path = pf.path
            for hunk in pf:
                for line in hunk:
                    text = (str(line.line_type) + line.value.rstrip("\n")).rstrip()
                    self.entries.append((text, path, line.target_line_no, line.source_line_no))
        self.by_text: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            self.by_text.setdefault(entry[0], []).append(i)

    def locate(self, quote: list[str]) -> tuple[str | None, int | None]:
        """(file, new-file line) of the last quoted diff line, best context match."""
        lines = [q.rstrip() for q in quote]
        for back in range(len(lines) - 1, -1, -1):
            hits = self.by_text.get(lines[back]) if lines[back] else None
            if hits:
                best = max(hits, key=lambda i: (self._score(i, lines[:back]), -i))
                return self._position(best)
        return None, None

    def _score(self, i: int, before: list[str]) -> int:
        score = 0
        for k, text in enumerate(reversed(before[-5:]), start=1):
            if i - k >= 0 and self.entries[i - k][0] == text:
                score += 1
        return score

    def _position(self, i: int) -> tuple[str, int | None]:
        _, path, target, _source = self.entries[i]
        for j in range(i, len(self.entries)):  # a removed line: the next new-file line
            if self.entries[j][1] != path:
                break
            if self.entries[j][2] is not None:
                return path, self.entries[j][2]
        return path, target
