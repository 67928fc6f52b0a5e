"""Who should receive a patch: a pure-Python MAINTAINERS engine with get_maintainer.pl parity.

`Maintainers.load(tree)` reads MAINTAINERS, .mailmap and .get_maintainer.ignore into an index
(maintainers_index, cached on disk when given a directory) and compiles the F:/X:/N:/K: lines
as matching needs them; `recipients(patch_text)` returns the To list (what
`get_maintainer.pl --nogit --nogit-fallback --nogit-chief-penguins --norolestats --nol` prints,
as b4 runs it) and the Cc list (the same with `--nom`), each address with its reasons.
`run_get_maintainer()` runs the real script the way b4 does, for users who want exactly it.

Parsing lives in maintainers_parse, the index and its cache in maintainers_index, matching in
maintainers_match. This module must not depend on Textual, Rich or b4, never prints, and
raises only PatchpilotError.
"""

from __future__ import annotations

import bisect
import shutil
import subprocess
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.recipients.maintainers.emails import split_addresses
from patchpilot.core.recipients.maintainers.index import Index, load_index
from patchpilot.core.recipients.maintainers.match import (
    Keywords,
    PatchScan,
    Reason,
    compiled_value,
    emails_in_file,
    recipients_items,
    scan_patch,
)
from patchpilot.core.recipients.maintainers.parse import (
    Entry,
    Field,
    FilePattern,
    Problem,
    compile_pattern,
    field_of_line,
    scoped_regex,
)
from patchpilot.core.recipients.maintainers.patterns import (
    Pattern,
    Searches,
)

__all__ = ["Maintainers", "Recipients", "Reason", "Problem", "run_get_maintainer",
           "B4_TO_ARGS", "B4_CC_ARGS"]

B4_BASE_ARGS = ["--nogit", "--nogit-fallback", "--nogit-chief-penguins", "--norolestats"]
B4_TO_ARGS = [*B4_BASE_ARGS, "--nol"]
B4_CC_ARGS = [*B4_BASE_ARGS, "--nom"]


@dataclass
class Recipients:
    """To and Cc addresses exactly as get_maintainer.pl prints them, with their reasons."""

    to: list[str]
    cc: list[str]
    reasons: dict[str, list[Reason]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # True when a file matched two entries at the same pattern depth, or signers of a Fixes:
    # commit have equal counts: get_maintainer.pl then orders them by Perl's hash order, which
    # changes from run to run (we keep MAINTAINERS order, and sorted order for signers).
    order_ties: bool = False


_T = TypeVar("_T")


def _position(pos: int, size: int) -> int:
    """A list index made non-negative, or IndexError (which also ends iteration)."""
    if pos < 0:
        pos += size
    if not 0 <= pos < size:
        raise IndexError(pos)
    return pos


class _Lazy(Sequence[_T], Generic[_T]):
    """A sequence whose items are made (by `_make`) when first asked for, then kept."""

    def __init__(self) -> None:
        self._made: dict[int, _T] = {}

    def _make(self, pos: int) -> _T:
        raise NotImplementedError

    @overload
    def __getitem__(self, pos: int) -> _T: ...
    @overload
    def __getitem__(self, pos: slice) -> list[_T]: ...

    def __getitem__(self, pos: int | slice) -> _T | list[_T]:
        if type(pos) is int and (made := self._made.get(pos)) is not None:
            return made
        if isinstance(pos, slice):
            return [self[i] for i in range(*pos.indices(len(self)))]
        pos = _position(pos, len(self))
        if (made := self._made.get(pos)) is None:
            made = self._made[pos] = self._make(pos)
        return made


class _Fields(_Lazy[Field]):
    """The typevalue list, each Field made from its MAINTAINERS line when first asked for."""

    def __init__(self, lines: list[str], linenos: array[int]):
        super().__init__()
        self._lines, self._linenos = lines, linenos

    def __len__(self) -> int:
        return len(self._linenos)

    def line(self, pos: int) -> str:
        """The MAINTAINERS line of one field, without making its Field."""
        return self._lines[self._linenos[pos] - 1]

    def _make(self, pos: int) -> Field:
        lineno = self._linenos[pos]
        return field_of_line(self._lines[lineno - 1], lineno)


class _Entries(_Lazy[Entry]):
    """The entries, each made from its (start, end, key) triple when first asked for."""

    def __init__(self, fields: _Fields, triples: array[int]):
        super().__init__()
        self._fields, self._triples = fields, triples
        self._starts: array[int] | None = None

    def __len__(self) -> int:
        return len(self._triples) // 3

    def _make(self, pos: int) -> Entry:
        start, end, key = self._triples[3 * pos:3 * pos + 3]
        head = self._fields[start]
        name = head.value if head.letter is None else head.raw
        return Entry(pos, name, start, end, key, list(range(start, end)))

    def named(self, name: str) -> Entry | None:
        """The first entry whose name line, stripped, is `name`."""
        fields = self._fields
        for pos, start in enumerate(self._triples[0::3]):
            # An entry's name is its first line as written (typevalue keeps it whole).
            if fields.line(start).strip() == name:
                return self[pos]
        return None

    def of_field(self, pos: int) -> int:
        """The entry holding typevalue position `pos`."""
        if self._starts is None:
            self._starts = self._triples[0::3]
        return bisect.bisect_right(self._starts, pos) - 1


class Maintainers:
    """A parsed MAINTAINERS with its tree's .mailmap and .get_maintainer.ignore.

    Built from a maintainers_index.Index; fields, entries and F:/X: patterns are made as
    matching asks for them, so a run pays for the entries its patches reach, not all 2,900.
    """

    def __init__(self, tree: Path, lines: list[str], index: Index):
        self.tree = tree
        self.fields = _Fields(lines, index.linenos)
        self.entries = _Entries(self.fields, index.entries)
        self.mailmap = index.mailmap
        self.ignore = set(index.ignore)
        self._index = index
        self._patterns: dict[int, FilePattern] = {}
        self._names: list[tuple[int, int, Pattern[str]]] | None = None
        self._keywords: Keywords | None = None
        self._searches = Searches()
        self._matched: dict[str, list[tuple[int, int, int]]] = {}
        self._by_name: dict[str, Entry | None] = {}

    @classmethod
    def load(cls, tree: str | Path, cache_dir: Path | None = None) -> Maintainers:
        """Parse `tree`/MAINTAINERS (and .mailmap, .get_maintainer.ignore if present).

        With `cache_dir`, the parsed index is kept there for the next run with the same files.
        """
        tree = Path(tree)
        path = tree / "MAINTAINERS"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PatchpilotError(f"cannot read {path}: {exc.strerror or exc}",
                                  hint="run inside a kernel tree, or pass its top directory")
        index = load_index(data, _optional_bytes(tree / ".mailmap"),
                           _optional_bytes(tree / ".get_maintainer.ignore"), cache_dir)
        return cls(tree, data.decode("utf-8", errors="replace").split("\n"), index)

    @property
    def problems(self) -> list[Problem]:
        """Malformed or suspicious MAINTAINERS lines, in file order (with the N:/K: patterns
        that overran their deadline in this run)."""
        late = [Problem(self.fields[pos].lineno, self.fields[pos].raw,
                        f"{self.fields[pos].letter}: {why}")
                for pos, why in self._searches.overran]
        return sorted(self._index.problems + late, key=lambda p: p.lineno) if late \
            else self._index.problems

    def entry_named(self, name: str) -> Entry | None:
        """The entry whose name line is `name` (surrounding blanks ignored)."""
        if name not in self._by_name:
            self._by_name[name] = self.entries.named(name)
        return self._by_name[name]

    def split_addresses(self, value: str) -> list[str]:
        """The addresses of one M:/R: value (maintainers_parse.split_addresses)."""
        return split_addresses(value, self._index.addresses)

    def entry_of(self, pos: int) -> int:
        """The entry a field (typevalue position) belongs to."""
        return self.entries.of_field(pos)

    def prepare(self) -> None:
        """Compile the N: and K: regexes now (matching would on its first patch)."""
        self._name_regexes()
        self._keyword_regexes()

    # -- matching --------------------------------------------------------------------------

    def _pattern(self, entry: int, pos: int) -> FilePattern:
        if (pattern := self._patterns.get(pos)) is None:
            pattern = compile_pattern(self.tree, entry, pos, self.fields[pos].value)
            self._patterns[pos] = pattern
        return pattern

    def entries_for(self, path: str) -> list[tuple[int, int, int]]:
        """(entry, field that matched, depth) for one file, deepest pattern first."""
        if path in self._matched:
            return self._matched[path]
        dirs = path.split("/")[:-1]
        candidates = []  # (field, entry)
        for size in range(len(dirs) + 1):
            flat: Sequence[Any] = self._index.files.get(tuple(dirs[:size]), ())  # see Index
            candidates += [(flat[i + 1], flat[i]) for i in range(0, len(flat), 3)
                           if path.startswith(flat[i + 2])]
        candidates.sort()  # file order, as get_maintainer.pl walks MAINTAINERS
        hits: dict[int, tuple[int, int]] = {}
        for pos, entry in candidates:
            pattern = self._pattern(entry, pos)
            if pattern.matches(path):
                hits[entry] = (pattern.depth, pos)
        self._match_names(path, hits)
        for entry in [e for e in hits if self._excluded(e, path)]:
            del hits[entry]
        # get_maintainer.pl sorts by depth only; equal depths come in Perl's hash order.
        order = sorted(hits, key=lambda e: (-hits[e][0], e))
        self._matched[path] = [(entry, hits[entry][1], hits[entry][0]) for entry in order]
        return self._matched[path]

    def _match_names(self, path: str, hits: dict[int, tuple[int, int]]) -> None:
        """N: regexes; like F:, the last matching line of an entry sets its depth."""
        for entry, pos, regex in self._name_regexes():
            if self._searches.search(pos, regex, path):
                previous = hits.get(entry)
                if previous is None or previous[1] < pos:
                    hits[entry] = (0, pos)

    def _name_regexes(self) -> list[tuple[int, int, Pattern[str]]]:
        if self._names is None:
            flat = self._index.names
            compiled = [(entry, pos, compiled_value(scoped_regex(self.fields[pos].value)))
                        for entry, pos in zip(flat[0::2], flat[1::2])]
            self._names = [(entry, pos, regex) for entry, pos, regex in compiled
                           if regex is not None]
        return self._names

    def _keyword_regexes(self) -> Keywords:
        if self._keywords is None:
            flat = self._index.keywords
            self._keywords = Keywords([(pos, self.fields[pos].value) for pos in flat[1::2]],
                                       self._searches)
        return self._keywords

    def _excluded(self, entry: int, path: str) -> bool:
        return any(self._pattern(entry, pos).matches(path)
                   for pos in self._index.excludes.get(entry, ()))

    def keywords_in(self, line: str, in_diff: bool) -> list[int]:
        """The K: fields whose regex matches one patch line."""
        return self._keyword_regexes().matching(line, in_diff)

    def file_emails(self, path: str) -> list[str]:
        """Addresses written in a tree file (get_maintainer.pl reads them from .yaml files)."""
        return _file_emails(self.tree / path)

    # -- recipients ------------------------------------------------------------------------

    def scan(self, patch_text: str) -> PatchScan:
        """Files, K: fields and Fixes: ids get_maintainer.pl reads from a patch."""
        return scan_patch(self, patch_text)

    def recipients(self, patch_text: str) -> Recipients:
        """To and Cc for one patch, as b4's two get_maintainer.pl calls would print them."""
        scan = self.scan(patch_text)
        to, to_tied = recipients_items(self, scan, True, True, False, self._fix_log)
        cc, cc_tied = recipients_items(self, scan, False, True, True, self._fix_log)
        reasons: dict[str, list[Reason]] = {}
        for address, why in to + cc:
            reasons.setdefault(address, [])
            reasons[address].extend(r for r in why if r not in reasons[address])
        ties = to_tied or cc_tied or any(self._has_ties(path) for path in scan.files)
        return Recipients([a for a, _ in to], [a for a, _ in cc], reasons, scan.files, ties)

    def _has_ties(self, path: str) -> bool:
        depths = [depth for _entry, _index, depth in self.entries_for(path)]
        return len(depths) != len(set(depths))

    def _fix_log(self, sha: str) -> str:
        """`git log` of a Fixes: commit, formatted as get_maintainer.pl asks for it."""
        if shutil.which("git") is None or not (self.tree / ".git").exists():
            return ""
        return _fix_log(str(self.tree), sha)


_FIX_FORMAT = ("--format=GitCommit: %H%nGitAuthor: %an <%ae>%nGitDate: %aD%n"
               "GitSubject: %s%n%b%n")


@lru_cache(maxsize=256)
def _fix_log(tree: str, sha: str) -> str:
    # Imported here: GitPython costs start-up time and only Fixes: lines need git.
    from patchpilot.core.git.repo import GitRepo
    out = GitRepo(tree).try_run("log", "--no-color", "--numstat", _FIX_FORMAT, "-1", sha)
    return out or ""


@lru_cache(maxsize=1024)
def _file_emails(path: Path) -> list[str]:
    return emails_in_file(path)


def _optional_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def run_get_maintainer(tree: str | Path, patch_text: str) -> Recipients:
    """Run the tree's scripts/get_maintainer.pl twice, exactly as `b4 prep --auto-to-cc`."""
    tree = Path(tree)
    to = _run_script(tree, B4_TO_ARGS, patch_text)
    cc = _run_script(tree, B4_CC_ARGS, patch_text)
    return Recipients(to, cc)


def _run_script(tree: Path, args: list[str], patch_text: str) -> list[str]:
    script = tree / "scripts" / "get_maintainer.pl"
    if not script.is_file():
        raise PatchpilotError(f"{script} not found",
                              hint="run inside a kernel tree, or pass its top directory")
    try:
        proc = subprocess.run(["perl", str(script), *args], cwd=tree, input=patch_text,
                              capture_output=True, text=True, encoding="utf-8", check=False)
    except FileNotFoundError:
        raise PatchpilotError("perl is not installed", hint="apt-get install perl")
    if proc.returncode != 0:
        raise PatchpilotError(f"get_maintainer.pl failed: {proc.stderr.strip()[-300:]}",
                              hint="check that the tree is a kernel top directory")
    return [line for line in proc.stdout.splitlines() if line.strip()]
