"""`include!`d Rust files: which file includes a file, and at which line.

An included file is part of the including module: it inherits that module's `#![allow(..)]`
and its privacy (nova-core's generated firmware bindings, under `#![allow(missing_docs, ..)]`).
The includer is looked for in the file's own directory and its parent, as the patch leaves
them. Reads files from disk; no git, no subprocesses, no UI.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from patchpilot.core.checks.rust.source import RustSource

_INCLUDE = re.compile(r'\binclude!\s*\(\s*"([^"]+)"\s*\)')


@dataclass(frozen=True)
class Includer:
    path: str
    text: str
    line: int  # 1-based line of the `include!`


def includer_of(src: RustSource) -> Includer | None:
    """The file that `include!`s `src` by a literal path, if any."""
    directory = src.path.rpartition("/")[0]
    if not directory:
        return None
    parent = directory.rpartition("/")[0]
    for where in dict.fromkeys((directory, parent)):
        for candidate in _rust_files(src, where):
            if candidate == src.path:
                continue
            text = src.tree_file(candidate)
            if text is None or "include!" not in text:
                continue
            for match in _INCLUDE.finditer(text):
                base = candidate.rpartition("/")[0]
                target = os.path.normpath(f"{base}/{match.group(1)}" if base else match.group(1))
                if target == src.path:
                    return Includer(candidate, text, text.count("\n", 0, match.start()) + 1)
    return None


def _rust_files(src: RustSource, directory: str) -> list[str]:
    prefix = f"{directory}/" if directory else ""
    found = {p for p in src.patch_files if p.endswith(".rs") and p.startswith(prefix)
             and "/" not in p[len(prefix):]}
    tree = src.context.tree if src.context is not None else None
    if tree is not None:
        found.update(f"{prefix}{name}" for name in _listing(tree / directory))
    return sorted(found)


def _listing(directory: Path) -> tuple[str, ...]:
    try:
        stat = directory.stat()
    except OSError:
        return ()
    return _listing_unchanged(directory, stat.st_mtime_ns)


@lru_cache(maxsize=512)
def _listing_unchanged(directory: Path, mtime_ns: int) -> tuple[str, ...]:
    try:
        return tuple(sorted(n for n in os.listdir(directory) if n.endswith(".rs")))
    except OSError:
        return ()
