"""Trailers given in a reply (Reviewed-by, Acked-by, Tested-by, Nacked-by...), read with b4's
own rules through liblore (b4's lore library): a trailer is a `Name: value` line of the
reviewer's own text, a person trailer must name an address, a value wrapped onto the next line
is joined, a quoted one does not count. The value is kept as the reviewer wrote it, as b4
applies it (`Name (corp) <addr>`, `Last, First <addr>`: no quotes added, only a mail
client's `<mailto:...>` taken out). A `Link:`, `BugLink:` or `Closes:` with a URL counts
when the same reply gives a person trailer (a tester's `Tested-by` with the bug it closes),
as b4 applies them. What each name means comes from the one trailer vocabulary
(series.patches.trailer_role); whether the person it names is the sender is liblore's
Identity match (an address, a `+tag` address, or the name), as b4 decides it. No UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from liblore.series import Identity
from liblore.series import Trailer as LoreTrailer
from liblore.utils import find_trailers

from patchpilot.core.addresses import parse_sender
from patchpilot.core.series.patches import TrailerRole, canonical_name, trailer_role

# A longer line is never a trailer, and is kept away from liblore's regexes (one of them
# backtracks in the square of a line's length); past MAX_TRAILERS candidate lines in one
# reply the rest are not read as trailers (a hostile mail of a million of them).
MAX_LINE = 240
MAX_TRAILERS = 100
_LOOKS_LIKE = re.compile(r"^\s*\w\S*-by:\s+\S", re.I)  # `Name-by: value`, as b4 reads it
_LINK = re.compile(r"^\s*(link|buglink|closes):\s+\S+://\S", re.I)  # next to a person's tag
_MAILTO = re.compile(r"<mailto:[^>]+>")
_NAME_ADDR = re.compile(r"^(.*?)\s*<([^>]+)>\s*$")


@dataclass(frozen=True)
class GivenTrailer:
    """One trailer of a reply: its name (canonical), value, role and who it names."""

    name: str
    value: str
    role: TrailerRole
    address: str = ""  # the address the value names, lower-case ("" when it names none)
    person: str = ""  # the name the value names

    @property
    def line(self) -> str:
        return f"{self.name}: {self.value}"

    @property
    def names_person(self) -> bool:
        """Whether it names a person (a Link: or Closes: names none, and b4 takes it as is)."""
        return bool(self.address)

    def names(self, sender: str, address: str) -> bool:
        """Whether the trailer names the mail's sender (b4 applies only those unasked)."""
        if not self.address:
            return False
        return Identity.from_addr((self.person, self.address)).matches(
            (parse_sender(sender).name, address))


def trailer_lines(lines: list[str], bot: bool = False) -> tuple[list[GivenTrailer], set[int]]:
    """The trailers in `lines` (own text, unquoted) and the indexes of the lines they use.

    A bot's `| Reported-by: ...` (the kernel test robot's layout) counts without its `| `."""
    found: list[GivenTrailer] = []
    used: set[int] = set()
    links: list[tuple[int, GivenTrailer]] = []
    tried = 0
    for i, line in enumerate(lines):
        if i in used or len(line) > MAX_LINE or tried >= MAX_TRAILERS:
            continue
        text = line[2:] if bot and line.startswith("| ") else line
        if _LINK.match(text):
            tried += 1
            link = _link(text)
            if link is not None:
                links.append((i, link))
            continue
        wrapped = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].lstrip()[:1] == "<" \
            else None
        if not _LOOKS_LIKE.match(text) or ("@" not in text and wrapped is None):
            continue  # cheap: most lines are no trailer (a person trailer names an address)
        tried += 1
        trailer = _one(text) if wrapped is None else (_one(f"{text}\n{wrapped}") or _one(text))
        if trailer is None:
            continue
        used.add(i)
        if wrapped is not None and trailer.address and trailer.address in wrapped.lower():
            used.add(i + 1)
        if trailer not in found:
            found.append(trailer)
    if found and not bot:  # only beside a person's tag (else a reference in a comment)
        for i, link in links:
            used.add(i)
            if link not in found:
                found.append(link)
    return found, used


def _link(text: str) -> GivenTrailer | None:
    pairs, _ = find_trailers(text, followup=True)
    if len(pairs) != 1:
        return None
    name, value = pairs[0]
    return GivenTrailer(name.capitalize() if name.lower() != "buglink" else "BugLink",
                        value, "other")


def _one(text: str) -> GivenTrailer | None:
    """The review trailer `text` holds (one line, or one wrapped in two), else None."""
    pairs, _ = find_trailers(text, followup=True)
    if len(pairs) != 1:
        return None
    name, value = pairs[0]
    role = trailer_role(name)
    if role == "other":
        return None
    try:
        parsed = LoreTrailer.parse(name, value)
    except (UnicodeError, ValueError):  # liblore formats the address as ASCII: `b\xc0b@x`
        return None  # names no address mail can go to: the line stays the reviewer's text
    if not parsed.is_person or parsed.addr is None:
        return None
    person, address = parsed.addr
    return GivenTrailer(canonical_name(name), as_written(value), role, address.lower(), person)


def as_written(value: str) -> str:
    """A person trailer's value as b4 applies it: as the reviewer wrote it, without a mail
    client's `<mailto:...>`, spaces around `<address>` made one (liblore's value re-renders
    the name as a mail header would, quoting `(corp)` or `Last, First`)."""
    value = _MAILTO.sub("", value).strip()
    match = _NAME_ADDR.match(value)
    if match is None:
        return value
    name, address = match.group(1).strip(), match.group(2).strip()
    return f"{name} <{address}>" if name and name != address else address
