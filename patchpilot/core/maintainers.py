"""Who should receive a patch: a pure-Python MAINTAINERS engine with get_maintainer.pl parity.

`Maintainers.load(tree)` parses MAINTAINERS, .mailmap and .get_maintainer.ignore once and
precompiles every F:/X:/N:/K: line; `recipients(patch_text)` returns the To list (what
`get_maintainer.pl --nogit --nogit-fallback --nogit-chief-penguins --norolestats --nol` prints,
as b4 runs it) and the Cc list (the same with `--nom`), each address with its reasons.
`run_get_maintainer()` runs the real script the way b4 does, for users who want exactly it.

Parsing lives in maintainers_parse, matching in maintainers_match. This module must not depend
on Textual, Rich or b4, never prints, and raises only PatchpilotError.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.maintainers_match import (
    PatchScan, Reason, emails_in_file, recipients_items, scan_patch,
)
from patchpilot.core.maintainers_parse import (
    KNOWN_LETTERS, Entry, Field, FilePattern, Mailmap, Problem, compile_pattern,
    parse_email, parse_ignore, parse_mailmap, read_text, split_entries, typevalue,
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


@dataclass
class _Keyword:
    index: int
    plain: re.Pattern
    in_diff: re.Pattern


class Maintainers:
    """A parsed MAINTAINERS with its tree's .mailmap and .get_maintainer.ignore."""

    def __init__(self, tree: Path, fields: list[Field], mailmap: Mailmap, ignore: list[str]):
        self.tree = tree
        self.fields = fields
        self.entries: list[Entry] = split_entries(fields)
        self.entry_of: dict[int, int] = {i: e.index for e in self.entries for i in e.fields}
        self.mailmap = mailmap
        self.ignore = set(ignore)
        self._problems: list[Problem] = []
        self._index: dict[tuple[str, ...], list[FilePattern]] = {}
        self._excludes: dict[int, list[FilePattern]] = {}
        self._names: list[tuple[int, int, re.Pattern]] = []
        self._keywords: list[_Keyword] = []
        self._matched: dict[str, list[tuple[int, int, int]]] = {}
        self._compile()
        self._checked = False

    @classmethod
    def load(cls, tree: str | Path) -> Maintainers:
        """Parse `tree`/MAINTAINERS (and .mailmap, .get_maintainer.ignore if present)."""
        tree = Path(tree)
        path = tree / "MAINTAINERS"
        try:
            text = read_text(path)
        except OSError as exc:
            raise PatchpilotError(f"cannot read {path}: {exc.strerror or exc}",
                                  hint="run inside a kernel tree, or pass its top directory")
        mailmap = parse_mailmap(_optional_text(tree / ".mailmap"))
        ignore = parse_ignore(_optional_text(tree / ".get_maintainer.ignore"))
        return cls(tree, typevalue(text), mailmap, ignore)

    # -- compiling -------------------------------------------------------------------------

    def _compile(self) -> None:
        for entry in self.entries:
            for index in entry.fields:
                fld = self.fields[index]
                try:
                    self._compile_field(entry.index, index, fld)
                except re.error as exc:
                    self._problem(fld, f"{fld.letter}: pattern does not compile: {exc}")

    def _compile_field(self, entry: int, index: int, fld: Field) -> None:
        if fld.letter == "F":
            pattern = compile_pattern(self.tree, entry, index, fld.value)
            self._index.setdefault(pattern.key, []).append(pattern)
        elif fld.letter == "X":
            pattern = compile_pattern(self.tree, entry, index, fld.value)
            self._excludes.setdefault(entry, []).append(pattern)
        elif fld.letter == "N":
            self._names.append((entry, index, re.compile(_scoped(fld.value), re.X)))
        elif fld.letter == "K":
            value = _scoped(fld.value)
            self._keywords.append(_Keyword(index, re.compile(value, re.X),
                                           re.compile("^[+-].*" + value, re.X)))

    def _problem(self, fld: Field, message: str) -> None:
        self._problems.append(Problem(fld.lineno, fld.raw, message))

    @property
    def problems(self) -> list[Problem]:
        """Malformed or suspicious MAINTAINERS lines, in file order (checked on first use)."""
        if not self._checked:
            self._checked = True
            self._check_structure()
            self._problems.sort(key=lambda p: p.lineno)
        return self._problems

    def _check_structure(self) -> None:
        """Lines get_maintainer.pl accepts but probably misreads."""
        first = self.entries[0].start if self.entries else len(self.fields)
        for pos, fld in enumerate(self.fields[first:], start=first):
            self._check_field(pos, fld)

    def _check_field(self, pos: int, fld: Field) -> None:
        if fld.letter is None:
            prev = self.fields[pos - 1] if pos > 0 else None
            nxt = self.fields[pos + 1] if pos + 1 < len(self.fields) else None
            if prev is not None and prev.letter is not None and prev.lineno == fld.lineno - 1:
                self._problem(fld, "not a `X: value` field; get_maintainer.pl starts a new "
                                   "entry named by this line")
            elif nxt is None or nxt.letter is None:
                self._problem(fld, "entry name without any field")
        elif fld.letter not in KNOWN_LETTERS:
            self._problem(fld, f"unknown field letter {fld.letter}: (kept for display)")
        elif fld.letter in "FXNK" and not fld.value.strip():
            self._problem(fld, f"empty {fld.letter}: pattern (matches every file)")
        elif fld.letter in "MR" and not parse_email(fld.value)[1]:
            self._problem(fld, f"{fld.letter}: without an e-mail address")

    # -- matching --------------------------------------------------------------------------

    def entries_for(self, path: str) -> list[tuple[int, int, int]]:
        """(entry, field that matched, depth) for one file, deepest pattern first."""
        if path in self._matched:
            return self._matched[path]
        dirs = path.split("/")[:-1]
        keys = [tuple(dirs[:n]) for n in range(len(dirs) + 1)]
        candidates = [p for key in keys for p in self._index.get(key, ())]
        hits: dict[int, tuple[int, int]] = {}
        for pattern in sorted(candidates, key=lambda p: p.field_index):
            if pattern.matches(path):
                hits[pattern.entry] = (pattern.depth, pattern.field_index)
        self._match_names(path, hits)
        for entry in [e for e in hits if self._excluded(e, path)]:
            del hits[entry]
        # get_maintainer.pl sorts by depth only; equal depths come in Perl's hash order.
        order = sorted(hits, key=lambda e: (-hits[e][0], e))
        self._matched[path] = [(entry, hits[entry][1], hits[entry][0]) for entry in order]
        return self._matched[path]

    def _match_names(self, path: str, hits: dict[int, tuple[int, int]]) -> None:
        """N: regexes; like F:, the last matching line of an entry sets its depth."""
        for entry, index, regex in self._names:
            if regex.search(path):
                previous = hits.get(entry)
                if previous is None or previous[1] < index:
                    hits[entry] = (0, index)

    def _excluded(self, entry: int, path: str) -> bool:
        return any(p.matches(path) for p in self._excludes.get(entry, ()))

    def keywords_in(self, line: str, in_diff: bool) -> list[int]:
        """The K: fields whose regex matches one patch line."""
        if in_diff:
            return [k.index for k in self._keywords if k.in_diff.search(line)]
        return [k.index for k in self._keywords if k.plain.search(line)]

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


_LEADING_FLAGS = re.compile(r"\(\?([a-zA-Z]+)\)(.*)", re.S)


def _scoped(value: str) -> str:
    """Perl applies a leading `(?i)` from where it stands; Python wants it scoped there."""
    if match := _LEADING_FLAGS.match(value):
        return f"(?{match.group(1)}:{match.group(2)})"
    return value


_FIX_FORMAT = ("--format=GitCommit: %H%nGitAuthor: %an <%ae>%nGitDate: %aD%n"
               "GitSubject: %s%n%b%n")


@lru_cache(maxsize=256)
def _fix_log(tree: str, sha: str) -> str:
    # Imported here: GitPython costs start-up time and only Fixes: lines need git.
    from patchpilot.core.gitrepo import GitRepo
    out = GitRepo(tree).try_run("log", "--no-color", "--numstat", _FIX_FORMAT, "-1", sha)
    return out or ""


@lru_cache(maxsize=1024)
def _file_emails(path: Path) -> list[str]:
    return emails_in_file(path)


def _optional_text(path: Path) -> str:
    try:
        return read_text(path)
    except OSError:
        return ""


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
