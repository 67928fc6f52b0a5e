"""Addresses from untrusted mail headers: the one parser every reader of list mail uses (who
sent a reply, whom an answer goes to, whether a trailer names its sender).

The addresses are taken from the header as written first (RFC 5322: quoted strings,
comments, angle brackets, groups), with encoded words left as they are; only then is each
display name decoded (RFC 2047), once. So a name cannot become an address: a From of
`=?utf-8?q?Linus_=3Ctorvalds=40linux-foundation=2Eorg=3E?= <mallory@evil.example>` is
mallory@evil.example, whose name reads "Linus <torvalds@linux-foundation.org>", and an
encoded CR/LF (`=?utf-8?q?Evil=0D=0ABcc=3A_victim=40evil=2Eexample?=`) is a space in a name.

A decoded name holds no control character (each is a space), folded whitespace, at most
MAX_NAME characters. An address is usable when it is one bounded ASCII `local@domain` with no
space or special character; anything else is kept as written (cleaned) for the user to see,
never mailed. `Person.shown` writes one back so that parsing it again gives the same Person
(tests/core/test_addresses.py fuzzes both). Standard library only; never raises on input.
"""

from __future__ import annotations

import base64
import codecs
import email.errors
import email.header
import re
from dataclasses import dataclass

MAX_NAME = 200
MAX_ADDRESS = 254
MAX_HEADER = 200_000  # characters of a header read; the rest is not
MAX_ADDRESSES = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
_USABLE = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?")
_PLAIN_NAME = re.compile(r'[^()<>\[\]:;@\\,."]+')  # RFC 5322 specials need quotes
# Python codecs that are no mail charsets: idna and punycode refuse "replace", "undefined"
# refuses everything, the escape codecs read backslashes (and warn about them)
_NOT_CHARSETS = {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"}


@dataclass(frozen=True)
class Person:
    """One mailbox of a header: its decoded display name and its address as written."""

    name: str
    address: str

    @property
    def usable(self) -> bool:
        """Whether mail can go to the address (one plain ASCII `local@domain`)."""
        return len(self.address) <= MAX_ADDRESS and bool(_USABLE.fullmatch(self.address))

    @property
    def key(self) -> str:
        return self.address.lower()

    @property
    def shown(self) -> str:
        """`Name <addr>` (the name quoted when it must be), or the bare address."""
        if not self.name:  # a bare address that would read as another one goes in <>
            return self.address if self.usable or not self.address else f"<{self.address}>"
        name = self.name
        if "=?" in name:  # a decoded name that looks encoded: encoded again, so that it is
            name = _encoded(name)  # read as it is
        elif not _PLAIN_NAME.fullmatch(name) or name != name.strip():
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>"


def parse_addresses(values: list[str] | str, limit: int = MAX_ADDRESSES) -> list[Person]:
    """Every mailbox of the header values (as written: raw, encoded words not decoded), in
    order, at most `limit`; an element with neither name nor address is left out."""
    found: list[Person] = []
    for value in [values] if isinstance(values, str) else values:
        for element in _elements(_unfold(value[:MAX_HEADER])):
            person = _person(element)
            if person.name or person.address:
                found.append(person)
                if len(found) >= limit:
                    return found
    return found


def parse_sender(value: str) -> Person:
    """The first mailbox of a From header (as written); Person("", "") when it has none."""
    found = parse_addresses(value, limit=1)
    return found[0] if found else Person("", "")


def decode_words(value: str) -> str:
    """A header text with its encoded words decoded (each in its own charset; an unknown or
    unusable charset reads as latin-1), whitespace folded."""
    try:
        chunks = email.header.decode_header(value)
    except (ValueError, LookupError, email.errors.MessageError):
        return " ".join(value.split())
    text = "".join(chunk if isinstance(chunk, str)
                   # decode_header hands the unencoded runs back as raw-unicode-escape bytes
                   else chunk.decode("raw-unicode-escape", "replace") if charset is None
                   else decode_bytes(chunk, charset)
                   for chunk, charset in chunks)
    return " ".join(_SURROGATES.sub("\ufffd", text).split())


def decode_bytes(data: bytes, charset: str) -> str:
    """`data` as text in `charset`; latin-1 when the charset is unknown or unusable."""
    try:
        if codecs.lookup(charset).name in _NOT_CHARSETS:
            return data.decode("latin-1")
        return _SURROGATES.sub("\ufffd", data.decode(charset, errors="replace"))
    except (LookupError, UnicodeError, ValueError):
        # a charset Python does not know, or one that cannot decode mail text: "utf-8\0" is
        # no name, rot13 and base64 are no text encodings
        return data.decode("latin-1")


def clean_name(text: str) -> str:
    """A display name: every control character a space, whitespace folded, bounded."""
    return " ".join(_CONTROL.sub(" ", _SURROGATES.sub("\ufffd", text)).split())[:MAX_NAME]


def _encoded(text: str) -> str:
    """`text` as RFC 2047 encoded words (UTF-8, base64), whole characters in each; written
    here, not with email.header: b4 changes the email package's charset table on import."""
    words, chunk = [], b""
    for char in text:
        data = char.encode("utf-8", "surrogatepass")
        if len(chunk) + len(data) > 45:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def _elements(value: str) -> list[list[tuple[str, str]]]:
    """The header split into mailboxes, each a list of (kind, text) tokens: `atom`,
    `quoted`, `comment`, `angle`; group names and the `;` ending a group are dropped."""
    elements: list[list[tuple[str, str]]] = []
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c == '"':
            text, i = _delimited(value, i + 1, '"')
            tokens.append(("quoted", text))
        elif c == "(":
            text, i = _comment(value, i + 1)
            tokens.append(("comment", text))
        elif c == "<":
            end = value.find(">", i + 1)
            end = n if end < 0 else end
            tokens.append(("angle", value[i + 1:end]))
            i = end + 1
        elif c in ",;":
            elements.append(tokens)
            tokens, i = [], i + 1
        elif c == ":" and not any(k == "angle" for k, _ in tokens):
            tokens, i = [], i + 1  # a group's name ("undisclosed-recipients:")
        elif c.isspace():
            tokens.append(("space", " "))
            i += 1
        else:
            start, i = i, i + 1  # at least one character (a `:` after an address)
            while i < n and value[i] not in '"(<,;:' and not value[i].isspace():
                i += 1
            tokens.append(("atom", value[start:i]))
    elements.append(tokens)
    return elements


def _delimited(value: str, i: int, close: str) -> tuple[str, int]:
    """The text of a quoted string from `i` to its closing quote (backslash escapes)."""
    out = []
    while i < len(value) and value[i] != close:
        if value[i] == "\\" and i + 1 < len(value):
            i += 1
        out.append(value[i])
        i += 1
    return "".join(out), i + 1


def _comment(value: str, i: int) -> tuple[str, int]:
    """The text of a (nested) comment from `i`, and where it ends."""
    out, depth = [], 1
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        depth += (c == "(") - (c == ")")
        if depth == 0:
            return "".join(out), i + 1
        out.append(c)
        i += 1
    return "".join(out), i


def _person(tokens: list[tuple[str, str]]) -> Person:
    angles = [text for kind, text in tokens if kind == "angle"]
    words = [(kind, text) for kind, text in tokens if kind in ("atom", "quoted", "space")]
    if angles:
        address = _addr_spec(angles[-1])
        name = _phrase(words)
    else:  # `bob@example.com (Bob)`: the address is the words, the name its comment
        address = _addr_spec("".join(text for kind, text in words))
        name = " ".join(text for kind, text in tokens if kind == "comment")
        if "@" not in address:  # a name alone ("Bob"), or something no address
            name, address = _phrase(words) or name, ""
    return Person(clean_name(decode_words(name)), _clean_address(address))


def _clean_address(text: str) -> str:
    """No space; a control character, a lone surrogate or an angle bracket becomes U+FFFD,
    so the address is shown as it was and can never be another, usable one."""
    text = _SURROGATES.sub("\ufffd", "".join(text.split()))
    return _CONTROL.sub("\ufffd", text).replace("<", "\ufffd").replace(">", "\ufffd")


def _phrase(words: list[tuple[str, str]]) -> str:
    return "".join(text for _kind, text in words).strip()


def _addr_spec(text: str) -> str:
    """The address inside `<...>`, without an obsolete route (`@a,@b:`) or spaces."""
    text = "".join(text.split())
    while text.startswith("@") and "@" in text.partition(":")[2]:
        text = text.partition(":")[2]
    return text
