"""Match a patch against parsed MAINTAINERS with get_maintainer.pl's semantics.

A port of get_maintainer.pl's get_maintainers() for the options b4 uses
(`--nogit --nogit-fallback --nogit-chief-penguins --norolestats`, with `--nol` or `--nom`):
the patch scan (files, K: keywords, Fixes:), F:/X:/N: matching with the pattern-depth ordering,
add_categories(), the name/address de-duplication, .mailmap, the chief-penguin filter, the
addresses of touched .yaml files, and the signers of `Fixes:` commits. Every address carries
the reasons that put it there. It must not depend on Textual, Rich or b4; git is reached only
through patchpilot.core.git.repo, and only when a patch has a `Fixes:` line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from patchpilot.core.recipients.maintainers import patterns
from patchpilot.core.recipients.maintainers.emails import format_email, parse_email
from patchpilot.core.recipients.maintainers.parse import (
    Entry,
    Field,
    Mailmap,
    perl_lines,
    read_text,
    scoped_regex,
)
from patchpilot.core.recipients.maintainers.patterns import (
    Pattern,
    Searches,
    TooLong,
    compile_value,
)


class Maintainers(Protocol):
    """What matching reads of a loaded MAINTAINERS (engine.Maintainers is the one there is)."""

    @property
    def fields(self) -> Sequence[Field]: ...
    @property
    def entries(self) -> Sequence[Entry]: ...
    @property
    def mailmap(self) -> Mailmap: ...
    @property
    def ignore(self) -> set[str]: ...

    def split_addresses(self, value: str) -> list[str]: ...
    def entry_of(self, pos: int) -> int: ...
    def entries_for(self, path: str) -> list[tuple[int, int, int]]: ...
    def keywords_in(self, line: str, in_diff: bool) -> list[int]: ...
    def file_emails(self, path: str) -> list[str]: ...


_MODE = re.compile(r" mode change [0-7]+ => [0-7]+ (\S+)\s*$")
_RENAME = re.compile(r"rename (?:from|to) (\S+)\s*$")
_DIFF_GIT = re.compile(r"diff --git a/(\S+) b/(\S+)\s*$")
_FIXES = re.compile(r"Fixes:\s+([0-9a-fA-F]{6,40})")
_HEADER = re.compile(r"(?:\+\+\+|---)\s+(\S+)")
_HUNK = re.compile(r"@@ -(\d+),(\d+)")
_CHIEF = re.compile(r"Linus Torvalds <torvalds@linux-foundation.org>")
_LIST_EXTRA = re.compile(r"([^\s]+)\s+(.*)$")
_MAX_FIX_SIGNERS = 5  # get_maintainer.pl's --git-max-maintainers default


@dataclass(frozen=True)
class Reason:
    """Why an address is a recipient: the entry, its line that matched, and the role."""

    entry: str
    line: str
    role: str
    path: str | None = None


@dataclass
class PatchScan:
    """What get_maintainer.pl reads from a patch: files, matched K: fields, Fixes: ids."""

    files: list[str]
    keywords: list[int]
    fixes: list[str]


def scan_patch(db: Maintainers, text: str) -> PatchScan:
    """The loop of get_maintainer.pl that reads a patch from stdin."""
    files: list[str] = []
    keywords: set[int] = set()
    fixes: list[str] = []
    in_diff = False
    for line in perl_lines(text):
        if match := _MODE.match(line) or _RENAME.match(line):
            files.append(match.group(1))
        elif match := _DIFF_GIT.match(line):
            files.extend(match.groups())
        elif match := _FIXES.match(line):
            fixes.append(match.group(1))
        elif match := _HEADER.match(line):
            files.append(re.sub(r"^[^/]*/", "", match.group(1), count=1))
            in_diff = True
        elif not _HUNK.match(line):
            keywords.update(db.keywords_in(line, in_diff))
    return PatchScan(sorted(set(files)), sorted(keywords, key=str), list(dict.fromkeys(fixes)))


@dataclass
class _Item:
    email: str
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Run:
    """One get_maintainer.pl run: its flags (-m, -r, -l) and the state it builds."""

    db: Maintainers
    maintainers: bool
    reviewers: bool
    lists: bool
    email_to: list[_Item] = field(default_factory=list)
    list_to: list[_Item] = field(default_factory=list)
    _names: dict[str, _Item] = field(default_factory=dict)
    _addresses: dict[str, _Item] = field(default_factory=dict)
    _lists: dict[str, _Item] = field(default_factory=dict)
    _dedup_name: dict[str, tuple[str, str]] = field(default_factory=dict)
    _dedup_address: dict[str, tuple[str, str]] = field(default_factory=dict)
    tied: bool = False

    def recipients(self, scan: PatchScan, fix_log: Callable[[str], str]) -> list[_Item]:
        """get_maintainers() followed by merge_email(): the printed lines, with reasons."""
        for path in scan.files:
            for entry, index, _depth in self.db.entries_for(path):
                self.add_categories(entry, Reason("", self.db.fields[index].text, "", path))
        for index in scan.keywords:
            self.add_categories(self.db.entry_of(index),
                                Reason("", self.db.fields[index].text, ""))
        for item in self.email_to + self.list_to:
            item.email = self.deduplicate(item.email)
        self.email_to = [item for item in self.email_to if not _CHIEF.search(item.email)]
        for path in scan.files:
            self.add_file_emails(path)
        for sha in scan.fixes:
            self.add_fix_signers(sha, fix_log(sha))
        return _merge(self.email_to + (self.list_to if self.lists else []))

    def add_categories(self, entry: int, why: Reason) -> None:
        """Push the lists, maintainers and reviewers of one entry."""
        spec = self.db.entries[entry]
        for index in range(spec.start + 1, spec.end):
            fld = self.db.fields[index]
            reason = Reason(spec.name, why.line, "", why.path)
            if fld.letter == "L" and self.lists:
                self.push_list(fld.value, reason)
            elif fld.letter == "M" and self.maintainers:
                for address in self.db.split_addresses(fld.value):
                    self.push_email(address, _with_role(reason, "maintainer"))
            elif fld.letter == "R" and self.reviewers:
                for address in self.db.split_addresses(fld.value):
                    self.push_email(address, _with_role(reason, "reviewer"))

    def push_list(self, value: str, reason: Reason) -> None:
        address, extra = value, ""
        if match := _LIST_EXTRA.search(value):
            address, extra = match.group(1), match.group(2)
        if "subscribers-only" in extra or not address.strip():
            return  # an empty `L:` prints an empty line, which b4 drops: no recipient
        role = "moderated list" if "moderated" in extra else "list"
        if (item := self._lists.get(address.lower())) is None:
            item = self._lists[address.lower()] = _Item(address)
            self.list_to.append(item)
        item.reasons.append(_with_role(reason, role))

    def push_email(self, line: str, reason: Reason) -> bool:
        """push_email_address(): skip a name or address already pushed."""
        name, address = parse_email(line)
        if not address:
            return False
        item = (self._names.get(name.lower()) if name else None) \
            or self._addresses.get(address.lower())
        if item is None:
            item = _Item(format_email(name, address))
            self.email_to.append(item)
            if name:
                self._names[name.lower()] = item
            self._addresses[address.lower()] = item
        item.reasons.append(reason)
        return True

    def deduplicate(self, email: str) -> str:
        """deduplicate_email(): mailmap, then the first name/address seen for a person."""
        email = self.db.mailmap.map(format_email(*parse_email(email)))
        name, address = parse_email(email)
        known = (self._dedup_name.get(name.lower()) if name else None) \
            or self._dedup_address.get(address.lower())
        if known:
            name, address = known
        else:
            self._dedup_name[name.lower()] = self._dedup_address[address.lower()] = \
                (name, address)
        return self.db.mailmap.map(format_email(name, address))

    def add_file_emails(self, path: str) -> None:
        """maintainers_in_file(): the addresses written in a touched .yaml file."""
        if not path.endswith(".yaml") or re.search(r"\bMAINTAINERS$", path):
            return
        for email in self.db.file_emails(path):
            email = format_email(*parse_email(self.db.mailmap.map(email)))
            self.push_email(email, Reason(path, "", "in file", path))

    def add_fix_signers(self, sha: str, log: str) -> None:
        """vcs_add_commit_signers(): up to five signers of the commit a Fixes: names."""
        signers = [self.deduplicate(self.deduplicate(s)) for s in _signatures(log)]
        mapped = sorted(self.db.mailmap.map(s) for s in signers)
        counts = Counter(mapped)
        # vcs_assign() walks equal counts in Perl's hash order, which changes between runs.
        self.tied = self.tied or len(set(counts.values())) < len(counts)
        count = 0
        for line, _n in sorted(counts.items(), key=lambda kv: -kv[1]):
            if line in self.db.ignore:
                continue
            count += 1
            if count > _MAX_FIX_SIGNERS:
                break
            self.push_email(line, Reason(f"Fixes: {sha}", "", "blamed_fixes"))


def _with_role(reason: Reason, role: str) -> Reason:
    return Reason(reason.entry, reason.line, role, reason.path)


def _merge(items: list[_Item]) -> list[_Item]:
    """merge_email(): drop exact repeats, keeping the first place and all reasons."""
    seen: dict[str, _Item] = {}
    for item in items:
        if item.email in seen:
            seen[item.email].reasons.extend(item.reasons)
        else:
            seen[item.email] = _Item(item.email, list(item.reasons))
    return list(seen.values())


_SIGNATURE = re.compile(r"[ \t]*(Signed-off-by:|Reviewed-by:|Acked-by:).*@.*$")


def _signatures(log: str) -> list[str]:
    """vcs_find_signers(): the signature lines of `git log` output, chief penguins dropped."""
    lines = re.sub(r"^\s*", "", log, flags=re.M).split("\n")
    found = [line for line in lines if _SIGNATURE.match(line)]
    found = [line for line in found if not re.search("(Linus Torvalds)", line, re.I)]
    return [re.sub(r"\s*.*:\s*(.+)\s*", r"\1", line, count=1) for line in found]


# -- addresses written in a file (get_maintainer.pl's maintainers_in_file) -------------------

_LETTER = r"[^\W\d_]"
_POSSIBLE = re.compile(
    rf"(?:{_LETTER}|[\"' ,.+-])*\s*[,]*\s*[(<{{]?[A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9]+"
    r"[)>}]?")
_ADDR_IN_TEXT = re.compile(r"[(<{]?([A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+)[)>}]?")
_NAME_SPLIT = re.compile(r"(?![',.+-])[\W\d_]")
# Characters no match of _POSSIBLE can contain: splitting there finds the same matches faster.
_BARRIER = re.compile(r"[^\w\s\"',.+\-(<{@)>}]")


def emails_in_file(path: Path) -> list[str]:
    """The addresses get_maintainer.pl finds in a file, cleaned as clean_file_emails() does."""
    if not path.is_file():
        return []
    text = read_text(path)
    if "@" not in text:
        return []
    pieces = [piece for piece in _BARRIER.split(text) if "@" in piece]
    return [_clean_file_email(found) for piece in pieces for found in _POSSIBLE.findall(piece)]


def _clean_file_email(email: str) -> str:
    email = _ADDR_IN_TEXT.sub(r"<\1>", email)
    name, address = parse_email(email)
    name = re.sub(r'^"(.*)"$', r"\1", name)
    words = _NAME_SPLIT.split(name)
    while words and words[-1] == "":
        words.pop()  # Perl's split drops trailing empty fields
    words = [w for w in words if not re.fullmatch(r"[',.+-]", w)]
    name = _best_name(words)
    if name[-1:] in (",", "."):
        name = name[:-1]
    if name[:1] in (",", "."):
        name = name[1:]
    return format_email(name, address)


def _best_name(words: list[str]) -> str:
    """The last two words, or three when one of them looks like an initial."""
    if len(words) <= 2:
        return " ".join(words)
    first, middle, last = words[-3:]
    initial = (len(first) == 1 and re.fullmatch(_LETTER, first)) or \
        (len(first) == 2 and first.endswith("."))
    if initial or len(middle) == 1 or (len(middle) == 2 and middle.endswith(".")):
        return f"{first} {middle} {last}"
    return f"{middle} {last}"


def recipients_items(db: Maintainers, scan: PatchScan, maintainers: bool, reviewers: bool,
                     lists: bool, fix_log: Callable[[str], str]
                     ) -> tuple[list[tuple[str, list[Reason]]], bool]:
    """One run's printed addresses with their reasons, and whether Fixes: signers tied."""
    run = Run(db, maintainers, reviewers, lists)
    items = [(item.email, item.reasons) for item in run.recipients(scan, fix_log)]
    return items, run.tied


def compiled_value(source: str) -> Pattern[str] | None:
    """An N:/K: value compiled; None when it cannot be (the index lists it as a problem)."""
    try:
        return compile_value(source)
    except (patterns.error, TooLong):
        return None


class Keywords:
    """The K: regexes, tried on a patch line as get_maintainer.pl tries them.

    get_maintainer.pl tries every K: line on every line of the patch (`m/$keyword/x`, and
    `m/^[+-].*$keyword/x` once the diff has begun). In the diff, a line that is neither added
    nor removed can only match a K: value with a `|` in it (a top-level alternation escapes
    the `^[+-]`), so only those are tried on it.
    """

    def __init__(self, keywords: list[tuple[int, str]], searches: Searches):
        plain = [(pos, scoped_regex(value)) for pos, value in keywords]
        self._searches = searches
        plain = [(pos, source) for pos, source in plain if compiled_value(source) is not None]
        self._plain = [(pos, compile_value(source)) for pos, source in plain]
        self._diff = [(pos, compile_value("^[+-].*" + source)) for pos, source in plain]
        self._context = [(pos, regex) for (pos, regex), (_pos, source) in zip(self._diff, plain)
                         if "|" in source]

    def matching(self, line: str, in_diff: bool) -> list[int]:
        if not in_diff:
            regexes = self._plain
        elif line[:1] in ("+", "-"):
            regexes = self._diff
        else:
            regexes = self._context
        return [pos for pos, regex in regexes if self._searches.search(pos, regex, line)]
