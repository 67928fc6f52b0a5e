"""Parse real mail into plain data: headers we need and the body as text.

Survives MIME multipart, quoted-printable/base64, any charset (unknown or unusable ones, such
as idna, punycode or "utf-8\\0", decode as latin-1), raw 8-bit headers (UTF-8, else
latin-1), encoded words in charsets that do not exist, MIME nested past any sense (parts below
MAX_DEPTH are not read), format=flowed, and HTML-only messages (text extracted with the
standard library's html.parser, <blockquote> turned into "> " quotes). Sizes are bounded: an
oversized message is refused with MailTooLarge; nothing else raises (tests/core/
test_mail_fuzz.py fuzzes it, tests/samples/mail/ keeps what it ever found).

A message without a usable Message-ID (missing, quoted, folded, over 900 characters, holding
control or invisible characters) gets a stable synthetic one, a hash of the raw message
(`nomsgid.<hash>@patchpilot.invalid`), so that its read mark and comment states are its own.
The From, To and Cc addresses come from core.addresses (taken from the raw header, then each
name decoded once). Everything here is untrusted input; nothing is executed or used as a path.
Standard library only (and core.text, core.addresses); no UI, no network.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC
from email.message import Message
from html.parser import HTMLParser
from typing import cast

from patchpilot.core.addresses import decode_bytes, decode_words, parse_addresses, parse_sender
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.text import is_clean

MAX_MESSAGE = 10 * 1024 * 1024  # one review mail; a 50 MB one is refused
MAX_DEPTH = 20  # MIME nesting read; real mail nests two or three levels
MAX_PARTS = 500  # MIME parts looked at
MAX_BOUNDARIES = 200  # more multipart declarations: a hostile nest, its body is not read
SYNTHETIC_DOMAIN = "patchpilot.invalid"
_MSGID = re.compile(r"<([^<>\s]{1,900})>")
_FROM_LINE = re.compile(rb"^From [^\n]*\n", re.M)
_MBOXRD = re.compile(rb"^>(>*From )", re.M)
_BOUNDARY = re.compile(rb"boundary\s*=", re.I)
_SUBJECT_PREFIXES = re.compile(r"^\s*((re|aw|sv)\s*:\s*)*(\[[^\]]*\]\s*)*", re.I)


class MailTooLarge(PatchpilotError):
    """A message over the size limit; it is skipped, never parsed."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"a message of {size} bytes is over the {limit}-byte limit",
                         hint="it was skipped", exit_code=ExitCode.FAILURE)
        self.size = size


@dataclass
class Mail:
    """One message, decoded."""

    msgid: str
    subject: str
    sender: str  # "Name <addr>"
    address: str  # the bare, lower-case address
    date: str  # ISO 8601 (UTC) or "" when unparseable
    in_reply_to: str | None
    references: list[str] = field(default_factory=list)
    body: str = ""
    html: bool = False
    size: int = 0
    to: list[str] = field(default_factory=list)  # "Name <addr>" each, as the mail had them
    cc: list[str] = field(default_factory=list)
    name: str = ""  # the sender's display name, decoded once (core.addresses)


def clean_msgid(value: str | None) -> str | None:
    """The bare Message-ID inside `<...>` (or the trimmed value), None when unusable."""
    if not value:
        return None
    match = _MSGID.search(value)
    bare = match.group(1) if match else value.strip().strip("<>")
    if not bare or len(bare) > 900 or any(c.isspace() for c in bare) or not is_clean(bare):
        return None
    return bare


def synthetic_msgid(raw: bytes) -> str:
    """The stable stand-in ID of a message without a usable one: a hash of its bytes."""
    return f"nomsgid.{hashlib.sha256(raw).hexdigest()[:32]}@{SYNTHETIC_DOMAIN}"


def all_msgids(value: str | None) -> list[str]:
    """Every `<id>` in a References-style header, in order."""
    return [m for m in _MSGID.findall(value or "") if clean_msgid(m)]


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mboxrd file (as public-inbox serves), un-escaped."""
    starts = [m.start() for m in _FROM_LINE.finditer(data)
              if m.start() == 0 or data[m.start() - 1:m.start()] == b"\n"]
    messages = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        chunk = data[start:end]
        chunk = chunk[chunk.index(b"\n") + 1:]
        messages.append(_MBOXRD.sub(rb"\1", chunk))
    return messages


def join_mbox(messages: list[bytes]) -> bytes:
    """An mboxrd file holding `messages` (the inverse of split_mbox)."""
    parts = []
    for raw in messages:
        escaped = re.sub(rb"^(>*From )", rb">\1", raw, flags=re.M)
        parts.append(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + escaped.rstrip(b"\n")
                     + b"\n\n")
    return b"".join(parts)


def parse_mail(raw: bytes, limit: int = MAX_MESSAGE) -> Mail:
    """Decode one RFC 822 message; MailTooLarge when it is over `limit` bytes."""
    if len(raw) > limit:
        raise MailTooLarge(len(raw), limit)
    msg, body, is_html = _parse(raw)
    sender = parse_sender(_raw_header(msg, "From") or "")
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return Mail(
        msgid=clean_msgid(_header(msg, "Message-ID")) or synthetic_msgid(raw),
        subject=_header(msg, "Subject"),
        sender=sender.shown, address=sender.key, name=sender.name,
        date=_iso_date(_header(msg, "Date")), in_reply_to=clean_msgid(_header(msg, "In-Reply-To")),
        references=all_msgids(_header(msg, "References")), body=body, html=is_html,
        size=len(raw), to=_addresses(msg, "To"), cc=_addresses(msg, "Cc"))


MAX_ADDRESSES = 1000  # a reply-all list; past that the rest is dropped


def _addresses(msg: Message, name: str) -> list[str]:
    """The addresses of a To/Cc header as "Name <addr>" (or the bare address), each once."""
    found: list[str] = []
    for person in parse_addresses(_raw_headers(msg, name)):
        if "@" not in person.address or len(person.address) > 320:
            continue
        entry = person.shown
        if entry not in found:
            found.append(entry)
        if len(found) >= MAX_ADDRESSES:
            break
    return found


def _parse(raw: bytes) -> tuple[Message, str, bool]:
    """(message, body text, html?); a hostile nest of multiparts is read for its headers."""
    # the parser is quadratic in the nesting and recurses: hundreds of multipart
    # declarations (no mail client writes them) are not parsed as MIME at all
    if len(_BOUNDARY.findall(raw)) <= MAX_BOUNDARIES:
        try:
            msg = email.message_from_bytes(raw, policy=email.policy.compat32)
            return (msg, *_body(msg))
        except RecursionError:  # nested deeper than the parser's stack
            pass
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw), "", False


def _raw_header(msg: Message, name: str) -> str | None:
    """The first `name` header as written: raw 8-bit bytes read as UTF-8, else latin-1."""
    values = _raw_headers(msg, name)
    return values[0] if values else None


def _raw_headers(msg: Message, name: str) -> list[str]:
    """Every `name` header as written (encoded words not decoded; 8-bit read as UTF-8,
    else latin-1)."""
    wanted, found = name.lower(), []
    for key, value in msg.raw_items():
        if key.lower() != wanted:
            continue
        data = str(value).encode("ascii", "surrogateescape")  # the parser's stand-in for 8-bit
        try:
            found.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            found.append(data.decode("latin-1"))
    return found


def _header(msg: Message, name: str) -> str:
    """A header's text: encoded words decoded (each in its own charset), whitespace folded."""
    value = _raw_header(msg, name)
    return "" if value is None else _header_text(value)


def _header_text(value: str) -> str:
    """One header value's text: encoded words decoded, whitespace folded."""
    return decode_words(value)


def _iso_date(value: str) -> str:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


def _body(msg: Message) -> tuple[str, bool]:
    """The text of the first text/plain part; else the first text/html part as text."""
    plain = html = None
    for part in _leaves(msg):
        if part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
    if plain is not None:
        return _unflow(_decode(plain), plain), False
    if html is not None:
        return html_to_text(_decode(html)), True
    return "", False


def _leaves(msg: Message) -> list[Message]:
    """The non-multipart parts in order, MAX_DEPTH levels deep at most (Message.walk
    recurses, and a hostile message nests a thousand levels)."""
    leaves: list[Message] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        if not part.is_multipart():
            leaves.append(part)
        elif depth < MAX_DEPTH:
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((c, depth + 1) for c in reversed(children)
                             if isinstance(c, Message))
    return leaves


def _charset(part: Message) -> str:
    try:  # "utf-8\0" and " utf-8 " are utf-8 all the same
        return (part.get_content_charset() or "").replace("\0", "").strip() or "us-ascii"
    except (LookupError, UnicodeError, ValueError):
        return "latin-1"


def _decode(part: Message) -> str:
    # a leaf part (_body skips multiparts): decode=True gives its bytes, or None
    return _text(cast(bytes, part.get_payload(decode=True) or b""), _charset(part))


_text = decode_bytes


def _unflow(text: str, part: Message) -> str:
    """RFC 3676 format=flowed: a soft line break (a trailing space) joins a line to the next
    one of the same quote depth; quoted lines come back as `> ` per level."""
    # typeshed also allows an RFC 2231 (charset, language, value) tuple; taken as a str here
    if (cast(str | None, part.get_param("format")) or "").lower() != "flowed":
        return text
    delsp = (cast(str | None, part.get_param("delsp")) or "").lower() == "yes"
    out: list[str] = []
    carry, carry_depth = "", 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        stripped = raw.lstrip(">")
        depth = len(raw) - len(stripped)
        line = stripped[1:] if stripped.startswith(" ") else stripped  # space-stuffing
        if carry and depth != carry_depth:  # a flowed line never continues at another depth
            out.append(_quoted(carry_depth, carry))
            carry = ""
        if line.endswith(" ") and line != "-- ":
            carry, carry_depth = carry + (line[:-1] if delsp else line), depth
            continue
        out.append(_quoted(depth, carry + line))
        carry = ""
    if carry:
        out.append(_quoted(carry_depth, carry))
    return "\n".join(out)


def _quoted(depth: int, line: str) -> str:
    return "> " * depth + line if depth else line


class _HtmlText(HTMLParser):
    """Text of an HTML mail: block tags end lines, <blockquote> nests "> " quotes."""

    BLOCKS = {"p", "div", "br", "tr", "li", "pre", "h1", "h2", "h3", "h4", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.depth = 0
        self.current = ""
        self.skip = 0
        self.pre = 0

    def _flush(self) -> None:
        self.lines.append((self.depth, self.current))
        self.current = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag == "blockquote":
            self._flush()
            self.depth += 1
        elif tag in self.BLOCKS:
            self.pre += tag == "pre"
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(self.skip - 1, 0)
        elif tag == "blockquote":
            self._flush()
            self.depth = max(self.depth - 1, 0)
        elif tag in self.BLOCKS:
            self.pre -= tag == "pre" and self.pre > 0
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            lines = data.split("\n")
            self.current += lines[0]
            for line in lines[1:]:
                self._flush()
                self.current = line
        else:
            self.current += re.sub(r"\s+", " ", data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML body; quotes become "> " lines."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    parser._flush()
    lines = [("> " * depth + text.strip()).rstrip() if depth else text.strip()
             for depth, text in parser.lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def bare_subject(subject: str) -> str:
    """A subject without its Re: and [PATCH ...] prefixes."""
    return _SUBJECT_PREFIXES.sub("", subject).strip()
