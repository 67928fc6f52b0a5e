"""Compose the author's answer to a reviewer's message, as a kernel contributor writes one.

Threading (In-Reply-To the reviewer's Message-ID, References theirs plus it), a `Re: `
subject never doubled, reply-all recipients as the reviewer's mail had them (To the reviewer,
Cc the rest and the list it came through; never Bcc; your own addresses dropped; each address
once), one attribution line ("On DATE, NAME wrote:") and, for each comment answered, in the
reviewer's order, its quote trimmed to the part answered and the reviewer's words, both as
`> ` quotes, with the answer below. A draft answer comes from the comment's state (addressed,
addressed in the revision in progress, won't fix). Plain text only; the answer is wrapped at
72 columns, quotes are never touched, nothing (no trailer, no signature) is added.

Reads only `Source` (the reviewer's message and the comments answered: answer_source.py
fills it from the review model) and returns data; the message is rendered by `render`.
Everything from the reviewer's mail is untrusted: addresses are parsed, names cleaned of
control characters, Message-IDs checked. Standard library only; no git, no network, no UI.
"""

from __future__ import annotations

import email.policy
import re
import textwrap
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage

from patchpilot.core import addresses
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.mail import SYNTHETIC_DOMAIN

WIDTH = 72  # the answer's lines; quotes keep theirs
QUOTE_LINES = 6  # lines of the reviewer's quote kept above their words
MAX_REFERENCES = 20  # the first and the latest ones, as mail clients trim them
MAX_ADDRESSES = 2000
SLUG = 28  # characters of the subject in a Message-ID
# RFC 5322 msg-id: dot-atom-text "@" dot-atom-text (what every mail tool threads on)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_MSGID = re.compile(rf"{_ATOM}@{_ATOM}")
# public-inbox's own Message-ID for a mail with none (or a reused one): Import.pm digest2mid
_ARCHIVE_MADE = re.compile(r"\d{14}\.[A-Za-z0-9_-]{20,}@z")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv)\s*:\s*)+", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ESCAPE = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_LINE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TRAILER_LINE = re.compile(r"^[A-Z][A-Za-z-]+-by: ")


@dataclass(frozen=True)
class Asked:
    """One comment of the reviewer's message: the quote it follows, their words, its state."""

    n: int
    quote: str  # the quoted lines as the reviewer wrote them ("> ...")
    text: str
    state: str = "open"
    revision: int | None = None  # with "addressed": the revision it is addressed in
    note: str | None = None  # with "wontfix": why


@dataclass
class Source:
    """The reviewer's message answered (headers as it had them) and its comments answered."""

    msgid: str
    subject: str
    sender: str  # "Name <addr>" (the From header)
    date: str  # the Date header as written (the attribution line shows it)
    references: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    list_post: str | None = None  # the list it came through (List-Post), when it says
    comments: list[Asked] = field(default_factory=list)


@dataclass(frozen=True)
class Me:
    """Who answers: the From of the answer and every address that is the user's."""

    name: str
    address: str
    own: frozenset[str] = frozenset()

    @property
    def addresses(self) -> frozenset[str]:
        return self.own | {self.address.lower()}


@dataclass(frozen=True)
class Revisions:
    """What the draft names: the latest revision sent and the one in progress."""

    latest_sent: int
    in_progress: int


@dataclass
class Answer:
    """The answer as composed: headers and the body the user edits."""

    sender: str
    to: list[str]
    cc: list[str]
    subject: str
    in_reply_to: str
    references: list[str]
    msgid: str
    body: str
    dropped: list[str] = field(default_factory=list)  # addresses no mail could go to


def usable_msgid(msgid: str) -> bool:
    """Whether a Message-ID can be threaded on in a header (RFC 5322, bounded)."""
    return bool(msgid) and len(msgid) <= 250 and bool(_MSGID.fullmatch(msgid))


def require_msgid(msgid: str) -> str:
    """The reviewer's Message-ID, or one clear error: an answer must thread under it."""
    if not msgid:
        raise PatchpilotError("the reviewer's mail has no Message-ID: an answer could not be "
                              "threaded under it", hint="answer it from your mail client")
    if msgid.endswith(f"@{SYNTHETIC_DOMAIN}"):  # review.mail's stand-in: nobody else has it
        raise PatchpilotError("the reviewer's mail has no usable Message-ID (patchpilot "
                              f"stands in {msgid[:80]!r} for it): an answer would thread "
                              "for nobody", hint="answer it from your mail client")
    if _ARCHIVE_MADE.fullmatch(msgid):
        raise PatchpilotError("the reviewer's mail has no Message-ID of its own (the archive "
                              f"made up {msgid[:80]!r}): an answer would not thread for anyone "
                              "but the archive", hint="answer it from your mail client")
    if not usable_msgid(msgid):
        shown = _CONTROL.sub("", msgid)[:80]
        raise PatchpilotError(f"the reviewer's Message-ID {shown!r} is not a valid Message-ID",
                              hint="answer it from your mail client")
    return msgid


def reply_subject(subject: str) -> str:
    """`Re: ` and the subject, however many Re:/Aw:/Sv: it had."""
    bare = _REPLY_PREFIX.sub("", " ".join(_CONTROL.sub(" ", subject).split()))
    return f"Re: {bare}"


def references(source: Source) -> list[str]:
    """Their References (the usable ones, each once) and their Message-ID, trimmed to the
    first and the latest when the chain is long."""
    chain: list[str] = []
    for msgid in [*source.references, source.msgid]:
        if usable_msgid(msgid) and msgid not in chain:
            chain.append(msgid)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1):]]
    return chain


def parse_addresses(values: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """((name, address) each usable one, the unusable ones as written): core.addresses, the
    one parser of list mail (a name, however encoded, is never an address)."""
    found: list[tuple[str, str]] = []
    dropped: list[str] = []
    for person in addresses.parse_addresses(values):
        if not person.usable:
            dropped.append(person.shown[:200])
            continue
        found.append((person.name, person.address))
    return found, dropped


def reply_all(source: Source, me: Me) -> tuple[list[str], list[str], list[str]]:
    """(To, Cc, dropped): To the reviewer, Cc everyone else their mail went to and the list;
    your own addresses left out, each address once (by address, case-insensitively)."""
    mine = me.addresses
    sender, bad_sender = parse_addresses([source.sender])
    others, bad = parse_addresses([*source.to, *source.cc])
    if source.list_post:
        others += parse_addresses([source.list_post])[0]
    seen: set[str] = set()
    to = _unique(sender, seen, mine)
    if not to:  # answering your own message: its To are the ones to answer
        to = _unique(parse_addresses(source.to)[0], seen, mine)
    cc = _unique(others, seen, mine)
    if len(to) + len(cc) > MAX_ADDRESSES:
        raise PatchpilotError(f"the reviewer's mail went to {len(to) + len(cc)} addresses, "
                              f"more than {MAX_ADDRESSES}", hint="answer it from your mail client")
    return to, cc, bad_sender + bad


def _unique(pairs: list[tuple[str, str]], seen: set[str], mine: frozenset[str]) -> list[str]:
    out = []
    for name, addr in pairs:
        key = addr.lower()
        if key in seen or key in mine:
            continue
        seen.add(key)
        out.append(format_address(name, addr))
    return out


def format_address(name: str, addr: str) -> str:
    """`Name <addr>` quoted as RFC 5322 wants it (a name with a comma, a dot...)."""
    if not name:
        return addr
    username, _, domain = addr.rpartition("@")
    return str(Address(display_name=name, username=username, domain=domain))


def attribution(source: Source) -> str:
    """`On DATE, NAME wrote:` (the reviewer's name, else their address)."""
    person = addresses.parse_sender(source.sender)
    who = " ".join(_CONTROL.sub(" ", person.name or person.address).split())[:200]
    when = " ".join(_CONTROL.sub(" ", source.date).split())[:100]
    return f"On {when}, {who} wrote:" if when else f"{who} wrote:"


def trim_quote(quote: str, keep: int = QUOTE_LINES) -> list[str]:
    """The last `keep` lines of the quote the comment follows (what it answers), with no
    empty quote lines at either end; lines are kept as written."""
    lines = [l.rstrip() for l in quote.splitlines()][-keep:]
    while lines and not lines[0].lstrip("> ").strip():
        lines.pop(0)
    while lines and not lines[-1].lstrip("> ").strip():
        lines.pop()
    return lines


def quoted(line: str) -> str:
    """One more quote level, kernel style: `> ` before a line, `>` alone on an empty one;
    terminal escapes and control characters (never part of what a reviewer meant) dropped."""
    line = _LINE_CONTROL.sub("", _ESCAPE.sub("", line))
    return f"> {line}" if line.strip() else ">"


def draft_text(comment: Asked, revisions: Revisions) -> str:
    """The answer a comment's state suggests: "Fixed in v3." / "Will do in v4." / the note."""
    if comment.state == "addressed" and comment.revision:
        if comment.revision > revisions.latest_sent:
            return f"Will do in v{comment.revision}."
        return f"Fixed in v{comment.revision}" + (f": {comment.note}" if comment.note else ".")
    if comment.state == "wontfix" and comment.note:
        return comment.note
    return ""


def compose_body(source: Source, revisions: Revisions,
                 answers: dict[int, str] | None = None) -> str:
    """The attribution, then each comment (in the reviewer's order) quoted with the answer
    below it: `answers[n]` when given, else the draft its state suggests."""
    if not source.comments:
        raise PatchpilotError("no comment to answer", hint="name one: patchpilot reply MSGID:N")
    parts = [attribution(source)]
    for comment in sorted(source.comments, key=lambda c: c.n):
        block = [quoted(l) for l in trim_quote(comment.quote)]
        words = [quoted(l) for l in comment.text.strip("\n").splitlines()]
        if block and words:
            block.append(">")
        block += words
        answer = (answers or {}).get(comment.n)
        answer = draft_text(comment, revisions) if answer is None else answer
        parts.append("\n".join(block) + "\n\n" + answer.strip("\n") + "\n")
    return "\n".join(parts)


def compose(source: Source, me: Me, revisions: Revisions, now: datetime,
            answers: dict[int, str] | None = None) -> Answer:
    """The whole answer to `source` (see the module docstring); raises on a reviewer's mail
    that cannot be answered (no usable Message-ID, nobody left to send to)."""
    require_msgid(source.msgid)
    to, cc, dropped = reply_all(source, me)
    if not to:
        raise PatchpilotError("nobody to answer: the reviewer's mail has no usable address",
                              hint="answer it from your mail client")
    return Answer(format_address(me.name, me.address), to, cc, reply_subject(source.subject),
                  source.msgid, references(source), make_msgid(source.subject, me.address, now),
                  compose_body(source, revisions, answers), dropped)


def make_msgid(subject: str, address: str, now: datetime) -> str:
    """`DATE-SLUG-HASH@DOMAIN` as b4 makes them: the day, words of the subject, a random
    part (Message-IDs must not be predictable) and the sender's domain."""
    words = re.sub(r"[^a-z0-9]+", "-", _REPLY_PREFIX.sub("", subject).lower()).strip("-")
    words = re.sub(r"^(patch|rfc)(-v?\d+)*(-\d+-\d+)?-", "", words)  # [PATCH v2 1/3]
    slug = ""
    for word in words.split("-"):  # whole words, short enough for one header line
        if len(slug) + len(word) >= SLUG:
            break
        slug = f"{slug}-{word}" if slug else word
    slug = slug or "reply"
    domain = address.rpartition("@")[2].lower()
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", domain):
        domain = "patchpilot"
    return f"{now:%Y%m%d}-{slug}-{uuid.uuid4().hex[:12]}@{domain}"


def wrap_answer(body: str, width: int = WIDTH) -> str:
    """The body with the author's long lines wrapped at `width`; quotes, the attribution,
    indented lines (code), trailers and unbreakable lines (a URL) are kept as written."""
    out: list[str] = []
    for i, line in enumerate(body.split("\n")):
        line = line.rstrip()
        if (len(line) <= width or line.startswith((">", " ", "\t")) or " " not in line
                or (i == 0 and line.endswith("wrote:")) or _TRAILER_LINE.match(line)):
            out.append(line)
            continue
        out += textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(out)


def answer_slots(body: str) -> list[int]:
    """The line (0-based) where each answer goes: the line below each quoted block and the
    empty line after it (compose_body's layout; a body the user edited is read the same way),
    in order, so an editor opens with the cursor below the quote, never above it."""
    lines = body.split("\n")
    slots = []
    i = 1 if lines and lines[0].rstrip().endswith("wrote:") else 0
    while i < len(lines):
        if not lines[i].startswith(">"):
            i += 1
            continue
        while i < len(lines) and lines[i].startswith(">"):
            i += 1
        slots.append(min(i + 1 if i < len(lines) and not lines[i].strip() else i,
                         len(lines) - 1))
    return slots


def has_answer(body: str) -> bool:
    """Whether the body holds the author's own words, not just the attribution and quotes."""
    lines = [l for l in body.splitlines() if l.strip() and not l.startswith(">")]
    return bool(lines[1:] if lines and lines[0].rstrip().endswith("wrote:") else lines)


def render(answer: Answer, date: str) -> bytes:
    """The message as it goes out: plain text, UTF-8, the body wrapped (wrap_answer)."""
    msg = EmailMessage(policy=email.policy.default)
    msg["From"] = answer.sender
    msg["To"] = ", ".join(answer.to)
    if answer.cc:
        msg["Cc"] = ", ".join(answer.cc)
    msg["Subject"] = answer.subject
    msg["Date"] = date
    msg["Message-ID"] = f"<{answer.msgid}>"
    msg["In-Reply-To"] = f"<{answer.in_reply_to}>"
    msg["References"] = " ".join(f"<{m}>" for m in answer.references)
    body = wrap_answer(answer.body).rstrip("\n") + "\n"
    long_lines = any(len(l.encode()) > 990 for l in body.splitlines())
    cte = "quoted-printable" if long_lines else "7bit" if body.isascii() else "8bit"
    msg.set_content(body, charset="utf-8", cte=cte)
    return msg.as_bytes(policy=email.policy.default)


def recipients(answer: Answer) -> list[str]:
    """The envelope: every To and Cc address (there is no Bcc)."""
    return [p.address for p in addresses.parse_addresses([*answer.to, *answer.cc]) if p.usable]
