"""Trailers given in a reply (Reviewed-by, Acked-by, Tested-by, Nacked-by...), read with b4's
own rules through liblore (b4's lore library): a trailer is a `Name: value` line of the
reviewer's own text, a person trailer must name an address, a value wrapped onto the next line
is joined, a quoted one does not count. What each name means comes from the one trailer
vocabulary (series.patches.trailer_role); whether the person it names is the sender is
liblore's Identity match (an address, a `+tag` address, or the name), as b4 decides it.
No UI.
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
    tried = 0
    for i, line in enumerate(lines):
        if i in used or len(line) > MAX_LINE or tried >= MAX_TRAILERS:
            continue
        text = line[2:] if bot and line.startswith("| ") else line
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
    return found, used


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
    return GivenTrailer(canonical_name(name), parsed.value, role, address.lower(), person)
