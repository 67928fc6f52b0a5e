"""The MAINTAINERS index: what the engine needs from MAINTAINERS as plain data, cached on disk.

Parsing the kernel's MAINTAINERS (25,000 lines, 8,000 F: patterns) takes about 100 ms; what
matching needs from it fits in plain ints, strings, lists and dicts: the line of every field,
the field ranges of the entries, the F: patterns by the directory their literal prefix names,
the X:/N:/K: fields, the line problems, the mailmap and the ignore list. `load_index()` builds
that from the text, or reads it back with marshal in a few milliseconds.

The cache is one file per content key under the directory the caller names (the repository's
.git/patchpilot state dir): the SHA-256 of MAINTAINERS, .mailmap and .get_maintainer.ignore as
read, of the builder's own source and of the Python version, so an edited or checked-out
MAINTAINERS or a newer patchpilot never meets a stale index. Each file carries a digest of its
payload; a file that is missing, corrupt, truncated or of another shape is rebuilt. The cache
can make a run faster, never break it. No imports beyond the parse module.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import sys
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patchpilot import __version__
from patchpilot.core.fs import write_atomic
from patchpilot.core.recipients.maintainers import emails as maintainers_emails
from patchpilot.core.recipients.maintainers import parse as maintainers_parse
from patchpilot.core.recipients.maintainers import patterns
from patchpilot.core.recipients.maintainers.emails import (
    SIMPLE_ADDRESS,
    parse_email,
    split_addresses,
)
from patchpilot.core.recipients.maintainers.parse import (
    KNOWN_LETTERS,
    Entry,
    Field,
    Mailmap,
    Problem,
    parse_ignore,
    parse_mailmap,
    pattern_key,
    pattern_prefix,
    scoped_regex,
    split_entries,
    typevalue,
)
from patchpilot.core.recipients.maintainers.patterns import TooLong, compile_value

_MAGIC = b"ppmaint1"
_KEEP = 4  # index files kept per repository (one per MAINTAINERS version recently used)


@dataclass
class Index:
    """MAINTAINERS as the engine reads it. Fields are typevalue positions; lines count from 1.

    `files` maps the leading directories of an F: pattern's literal prefix to a flat
    [entry, field, prefix, entry, field, prefix...] list, in file order (a path a pattern
    matches starts with its prefix); `names` and `keywords` are flat [entry, field...] lists.
    """

    linenos: array[int]                  # per field: its line in MAINTAINERS
    entries: array[int]                  # per entry: start, end, key field (flat triples)
    files: dict[tuple[str, ...], list[int | str]]
    excludes: dict[int, list[int]]       # entry -> its X: fields
    names: list[int]
    keywords: list[int]
    problems: list[Problem] = field(default_factory=list)
    mailmap: Mailmap = field(default_factory=Mailmap)
    ignore: list[str] = field(default_factory=list)
    addresses: dict[str, list[str]] = field(default_factory=dict)  # M:/R: values, split


# -- building ----------------------------------------------------------------------------------

def build_index(text: str, mailmap_text: str, ignore_text: str) -> Index:
    """Parse MAINTAINERS (and .mailmap, .get_maintainer.ignore) into an Index."""
    fields = typevalue(text)
    entries = split_entries(fields)
    index = Index(array("i", (f.lineno for f in fields)),
                  array("i", (n for e in entries for n in (e.start, e.end, e.key))),
                  {}, {}, [], [], [], parse_mailmap(mailmap_text), parse_ignore(ignore_text))
    for entry in entries:
        for pos in entry.fields:
            _index_field(index, entry.index, pos, fields[pos])
    _check_structure(index, fields, entries)
    index.problems.sort(key=lambda p: p.lineno)
    return index


def _index_field(index: Index, entry: int, pos: int, fld: Field) -> None:
    try:
        if fld.letter in ("M", "R") and not SIMPLE_ADDRESS.fullmatch(fld.value):
            index.addresses[fld.value] = split_addresses(fld.value)
        elif fld.letter == "F":
            prefix = pattern_prefix(fld.value)
            index.files.setdefault(pattern_key(prefix), []).extend((entry, pos, prefix))
        elif fld.letter == "X":
            pattern_prefix(fld.value)
            index.excludes.setdefault(entry, []).append(pos)
        elif fld.letter == "N":
            compile_value(scoped_regex(fld.value))
            index.names.extend((entry, pos))
        elif fld.letter == "K":
            compile_value(scoped_regex(fld.value))
            index.keywords.extend((entry, pos))
    except (re.error, patterns.error) as exc:
        _problem(index, fld, f"{fld.letter}: pattern does not compile: {exc}")
    except TooLong as exc:
        _problem(index, fld, f"{fld.letter}: {exc}")


def _problem(index: Index, fld: Field, message: str) -> None:
    index.problems.append(Problem(fld.lineno, fld.raw, message))


def _check_structure(index: Index, fields: list[Field], entries: list[Entry]) -> None:
    """Lines get_maintainer.pl accepts but probably misreads."""
    first = entries[0].start if entries else len(fields)
    for pos in range(first, len(fields)):
        fld = fields[pos]
        if fld.letter is None:
            prev = fields[pos - 1] if pos > 0 else None
            nxt = fields[pos + 1] if pos + 1 < len(fields) else None
            if prev is not None and prev.letter is not None and prev.lineno == fld.lineno - 1:
                _problem(index, fld, "not a `X: value` field; get_maintainer.pl starts a new "
                                     "entry named by this line")
            elif nxt is None or nxt.letter is None:
                _problem(index, fld, "entry name without any field")
        elif fld.letter not in KNOWN_LETTERS:
            _problem(index, fld, f"unknown field letter {fld.letter}: (kept for display)")
        elif fld.letter in "FXNK" and not fld.value.strip():
            _problem(index, fld, f"empty {fld.letter}: pattern (matches every file)")
        elif fld.letter in "MR" and not parse_email(fld.value)[1]:
            _problem(index, fld, f"{fld.letter}: without an e-mail address")


# -- the cache ---------------------------------------------------------------------------------

def load_index(data: bytes, mailmap: bytes, ignore: bytes, cache_dir: Path | None) -> Index:
    """The Index of these file contents: from `cache_dir` when it holds it, else built (and
    stored there). Without `cache_dir`, always built."""
    if cache_dir is None:
        return build_index(_text(data), _text(mailmap), _text(ignore))
    key = content_key(data, mailmap, ignore)
    path = cache_dir / f"{key}.index"
    index = _read(path, key)
    if index is None:
        index = build_index(_text(data), _text(mailmap), _text(ignore))
        _write(cache_dir, path, key, index)
    return index


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")  # as maintainers_parse.read_text


def content_key(*contents: bytes) -> str:
    """SHA-256 over the inputs, the builder's source and the marshal/Python version."""
    digest = hashlib.sha256(_code_stamp())
    for content in contents:
        digest.update(len(content).to_bytes(8, "little"))
        digest.update(content)
    return digest.hexdigest()


_STAMP: bytes | None = None


def _code_stamp() -> bytes:
    """What else the index depends on: this module, the parser and its address helpers, and
    the interpreter."""
    global _STAMP
    if _STAMP is None:
        parts = [_MAGIC, __version__.encode(), repr(sys.version_info[:2]).encode(),
                 str(marshal.version).encode()]
        for module in (__file__, maintainers_parse.__file__, maintainers_emails.__file__):
            try:
                parts.append(Path(module).read_bytes())
            except OSError:
                pass
        _STAMP = hashlib.sha256(b"\0".join(parts)).digest()
    return _STAMP


def _payload(index: Index) -> tuple[Any, ...]:
    return (index.linenos.tobytes(), index.entries.tobytes(), index.files, index.excludes,
            index.names, index.keywords, [(p.lineno, p.line, p.message) for p in index.problems],
            index.mailmap.names, index.mailmap.addresses, index.ignore, index.addresses)


def _from_payload(payload: tuple[Any, ...]) -> Index:
    (linenos, entries, files, excludes, names, keywords, problems, mm_names, mm_addresses,
     ignore, addresses) = payload
    index = Index(array("i"), array("i"), files, excludes, names, keywords,
                  [Problem(*p) for p in problems], Mailmap(mm_names, mm_addresses), ignore,
                  addresses)
    index.linenos.frombytes(linenos)
    index.entries.frombytes(entries)
    if len(index.entries) % 3 or not all(isinstance(x, (dict, list)) for x in
                                         (files, excludes, names, keywords, mm_names, ignore,
                                          addresses)):
        raise ValueError("index of another shape")
    return index


def _read(path: Path, key: str) -> Index | None:
    """The cached Index, or None when the file is absent, corrupt or of another version."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 64
    if blob[:len(_MAGIC)] != _MAGIC or blob[len(_MAGIC):head] != bytes.fromhex(key) + \
            hashlib.sha256(blob[head:]).digest():
        return None
    try:
        return _from_payload(marshal.loads(blob[head:]))
    except (ValueError, TypeError, EOFError, IndexError):  # a corrupt or foreign file
        return None


def _write(cache_dir: Path, path: Path, key: str, index: Index) -> None:
    """Store atomically, keep the few most recent; a cache that cannot be written is skipped."""
    payload = marshal.dumps(_payload(index))
    try:
        write_atomic(path, _MAGIC + bytes.fromhex(key) + hashlib.sha256(payload).digest()
                     + payload)
        _prune(cache_dir)
    except OSError:
        pass


def _prune(cache_dir: Path) -> None:
    files = sorted(cache_dir.glob("*.index"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in files[_KEEP:]:
        old.unlink(missing_ok=True)
