"""Read MAINTAINERS, .mailmap and e-mail addresses the way scripts/get_maintainer.pl does.

This module turns text into data: the MAINTAINERS "typevalue" list (every non-blank,
non-comment line, in order, as get_maintainer.pl keeps it), its entries, precompiled F:/X:
patterns and N:/K: regexes, the mailmap, and Perl-faithful ports of get_maintainer.pl's
address helpers (in emails.py). Line-level problems are
collected, never raised. It must not depend on matching, git, b4, Textual or Rich.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from patchpilot.core.recipients.maintainers.emails import format_email, parse_email, rfc822_valid
from patchpilot.core.recipients.maintainers.patterns import Pattern, compile_glob

KNOWN_LETTERS = frozenset("MRLSWQBCPTFXNK")
_TYPE_LINE = re.compile(r"([A-Z]):\s*(.*)")
_COMMENT_OR_BLANK = re.compile(r"\s*(#.*)?")
# A character after which a pattern's literal prefix ends (regex syntax live in F:/X:).
_META = set("*?[]{}()+^$|\\")
_LIVE_REGEX = _META - {"*", "?"}


class Field(NamedTuple):
    """One typevalue entry: a `X: value` field (letter set) or any other kept line."""

    letter: str | None
    value: str
    raw: str
    lineno: int

    @property
    def text(self) -> str:
        """The line as written in MAINTAINERS, for showing as a reason."""
        return self.raw.strip()


@dataclass(slots=True)
class FilePattern:
    """An F: or X: line compiled as get_maintainer.pl uses it.

    get_maintainer.pl appends `/` to a pattern naming an existing directory. That takes a
    stat per pattern, so it is decided here on the first path the pattern could match.
    """

    entry: int
    field_index: int
    source: str
    literal: str | None
    prefix: str
    depth: int
    key: tuple[str, ...]
    tree: Path
    _dir: bool | None = None
    _regex: Pattern[str] | None = None
    # The literal pieces between the `*`s of a pattern with no other regex syntax: matched
    # with str.find, as `A.*B` matches (from the start, unanchored at the end), without re.
    _pieces: tuple[str, ...] | None = None

    def matches(self, path: str) -> bool:
        """get_maintainer.pl's file_match_pattern()."""
        if not self._base_match(path):
            return False
        if self.source.endswith("/"):
            return True
        if self._dir is None:
            self._dir = bool(self.source) and "\\" not in self.source \
                and (self.tree / self.source).is_dir()
        if self._dir:
            if self.literal is not None:
                return path.startswith(self.literal + "/")
            return compile_glob(self.source + "/").match(path) is not None
        return path.count("/") == self.source.count("/")

    def _base_match(self, path: str) -> bool:
        if self.literal is not None:
            return path.startswith(self.literal)
        if not path.startswith(self.prefix):
            return False
        if self._pieces is not None:
            pos = len(self.prefix)
            for piece in self._pieces:
                found = path.find(piece, pos)
                if found < 0:
                    return False
                pos = found + len(piece)
            return True
        if self._regex is None:
            self._regex = compile_glob(self.source)
        return self._regex.match(path) is not None


@dataclass
class Entry:
    """One MAINTAINERS entry: the fields from typevalue[start] up to typevalue[end]."""

    index: int
    name: str
    start: int
    end: int
    key: int
    fields: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """A line of MAINTAINERS that get_maintainer.pl would misread or skip."""

    lineno: int
    line: str
    message: str


def read_text(path: Path) -> str:
    """A file as get_maintainer.pl reads it (UTF-8, undecodable bytes replaced)."""
    return path.read_bytes().decode("utf-8", errors="replace")


def perl_lines(text: str) -> list[str]:
    """Split like Perl's `<$fh>`: on "\\n" only, each line keeping its newline."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def typevalue(text: str) -> list[Field]:
    """get_maintainer.pl's read_maintainer_file(), without the F:/X: rewriting."""
    fields = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line[1:2] == ":" and "A" <= line[0] <= "Z":  # as field_of_line (inlined: 25k lines)
            fields.append(Field(line[0], line[2:].lstrip(), line, lineno))
        elif line and not _COMMENT_OR_BLANK.fullmatch(line):
            fields.append(Field(None, line, line, lineno))
    return fields


def field_of_line(line: str, lineno: int) -> Field:
    """The Field of a line typevalue() keeps (a `X: value` line or an entry name)."""
    if line[1:2] == ":" and "A" <= line[0] <= "Z":
        return Field(line[0], line[2:].lstrip(), line, lineno)
    return Field(None, line, line, lineno)


def split_entries(fields: list[Field]) -> list[Entry]:
    """Runs of type lines, each with the non-type line before it as its name."""
    entries: list[Entry] = []
    i = 0
    while i < len(fields):
        if fields[i].letter is None:
            i += 1
            continue
        start = i - 1 if i > 0 else 0
        end = i
        while end < len(fields) and fields[end].letter is not None:
            end += 1
        name = fields[start].value if fields[start].letter is None else fields[start].raw
        entries.append(Entry(len(entries), name, start, end, i, list(range(start, end))))
        i = end
    return entries


def glob_to_regex(value: str) -> str:
    """The F:/X: rewriting: `.` to `\\.`, `*` to `.*`, `?` to `.` (other regex stays live)."""
    return value.replace(".", "\\.").replace("*", ".*").replace("?", ".")


def literal_prefix(raw: str) -> str:
    """The text every path a pattern matches starts with (regex syntax in F:/X: is live)."""
    if "|" in raw:
        return ""
    if _META.isdisjoint(raw):
        return raw
    cut = min(pos for pos, char in enumerate(raw) if char in _META)
    if raw[cut] in "+{":
        cut = max(cut - 1, 0)  # a quantifier may make the character before it optional
    return raw[:cut]


def pattern_key(prefix: str) -> tuple[str, ...]:
    """The leading directories of a literal prefix: where the pattern sits in the index."""
    return tuple(prefix.split("/")[:-1])


def pattern_prefix(value: str) -> str:
    """The literal prefix of an F:/X: value; raises regex.error for syntax Python lacks."""
    if not _LIVE_REGEX.isdisjoint(value):
        compile_glob(glob_to_regex(value))  # `*` and `?` alone always compile
    return literal_prefix(value)


def compile_pattern(tree: Path, entry: int, index: int, value: str) -> FilePattern:
    """One F:/X: value as a FilePattern; raises regex.error for syntax Python lacks."""
    converted = glob_to_regex(value)
    # Appending `/` to a directory leaves the depth as it is: one more slash, no +1.
    depth = converted.count("/") + (0 if converted.endswith("/") else 1)
    if converted.startswith(".*"):
        depth = -1
    prefix = pattern_prefix(value)
    literal = value if _META.isdisjoint(value) else None
    pieces = None
    if literal is None and _META.isdisjoint(value.replace("*", "")):
        pieces = tuple(value.split("*")[1:])  # the first piece is the prefix
    return FilePattern(entry, index, converted, literal, prefix, depth, pattern_key(prefix),
                       tree, _pieces=pieces)


_LEADING_FLAGS = re.compile(r"\(\?([a-zA-Z]+)\)(.*)", re.S)


def scoped_regex(value: str) -> str:
    """An N:/K: value for Python: Perl applies a leading `(?i)` from where it stands, Python
    wants it scoped there."""
    if match := _LEADING_FLAGS.match(value):
        return f"(?{match.group(1)}:{match.group(2)})"
    return value


# -- .mailmap --------------------------------------------------------------------------------

@dataclass
class Mailmap:
    """get_maintainer.pl's mailmap: names and addresses keyed by address or `Name <addr>`."""

    names: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)

    def map(self, text: str) -> str:
        """mailmap_email(): the real `Name <address>` for one address."""
        name, address = parse_email(text)
        email = format_email(name, address)
        real_name, real_address = name, address
        key = email if (email in self.names or email in self.addresses) else address
        real_name = self.names.get(key, real_name)
        real_address = self.addresses.get(key, real_address)
        return format_email(real_name, real_address)


_MM_NAME = re.compile(r"([^<]+)<([^>]+)>")
_MM_ADDR_ADDR = re.compile(r"<([^>]+)>\s*<([^>]+)>")
_MM_NAME_ADDR_ADDR = re.compile(r"(.+)<([^>]+)>\s*<([^>]+)>")
_MM_FULL = re.compile(r"(.+)<([^>]+)>\s*(.+)\s*<([^>]+)>")


def parse_mailmap(text: str) -> Mailmap:
    """read_mailmap(): the four line shapes of git-shortlog's mailmap."""
    mailmap = Mailmap()
    for line in perl_lines(text):
        line = re.sub(r"#.*", "", line.removesuffix("\n"), count=1).strip()
        if line:
            _mailmap_line(mailmap, line)
    return mailmap


def _mailmap_line(mailmap: Mailmap, line: str) -> None:
    if match := _MM_NAME.fullmatch(line):
        name, address = parse_email(f"{match.group(1).rstrip()} <{match.group(2)}>")
        mailmap.names[address] = name
    elif match := _MM_ADDR_ADDR.fullmatch(line):
        mailmap.addresses[match.group(2)] = match.group(1)
    elif match := _MM_NAME_ADDR_ADDR.fullmatch(line):
        name, address = parse_email(f"{match.group(1).rstrip()} <{match.group(2)}>")
        mailmap.names[match.group(3)] = name
        mailmap.addresses[match.group(3)] = address
    elif match := _MM_FULL.fullmatch(line):
        name, address = parse_email(f"{match.group(1).rstrip()} <{match.group(2)}>")
        wrong = format_email(*parse_email(f"{match.group(3).rstrip()} <{match.group(4)}>"))
        mailmap.names[wrong] = name
        mailmap.addresses[wrong] = address


def parse_ignore(text: str) -> list[str]:
    """.get_maintainer.ignore: one RFC 822 address per line, `#` comments."""
    kept = []
    for line in perl_lines(text):
        line = re.sub(r"#.*", "", line.strip(), count=1)
        if line.strip() and rfc822_valid(line):
            kept.append(line)
    return kept
