"""checkpatch.pl's `get_maintainer.pl --status` questions, answered once per MAINTAINERS.

For every file a patch touches, checkpatch.pl runs `perl $root/scripts/get_maintainer.pl
--status --nom --nol --nogit --nogit-fallback -f FILE` (to warn about obsolete files): about
0.15 s each, more than checking the patch itself, and remembered only within one run. The
answer depends on nothing but the tree's MAINTAINERS and get_maintainer.pl files, so a `perl`
on checkpatch's PATH (a small sh script) keeps each answer under
`.git/patchpilot/maintained-status/<digest of those files>/FILE` and runs the real perl for
everything else. Only cached runs keep answers between runs: `check --no-cache` asks
get_maintainer.pl afresh, into a directory of the run's own.

checkpatch.pl only asks whether the answer matches /obsolete/i. A file that no MAINTAINERS
section mentioning "obsolete" can match (every F: pattern of those sections starts with a
literal prefix the file lacks; X: only narrows, N: or a .get_maintainer.conf make this give up)
gets an empty answer without running get_maintainer.pl: the same verdict, one Perl start and
MAINTAINERS parse less per file (`obsolete_free`).
No UI.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
from collections.abc import Iterable
from pathlib import Path

from patchpilot.core.paths import repo_state_dir

# What get_maintainer.pl reads for `--status -f FILE`.
INPUTS = ("MAINTAINERS", "scripts/get_maintainer.pl", ".get_maintainer.conf",
          ".get_maintainer.ignore", ".mailmap")
KEEP = 4  # digests (MAINTAINERS versions) kept

_SHIM = """#!/bin/sh
# patchpilot: answers checkpatch.pl's get_maintainer.pl --status questions from {cache}
case "$1" in */scripts/get_maintainer.pl) ;; *) exec {perl} "$@" ;; esac
if [ "$#" -ne 8 ] || [ "$2 $3 $4 $5 $6 $7" != "--status --nom --nol --nogit --nogit-fallback -f" ]
then exec {perl} "$@"; fi
case "$8" in /*|*..*|"") exec {perl} "$@" ;; esac
entry={cache}/"$8"
if [ -f "$entry" ]; then exec cat "$entry"; fi
out=$({perl} "$@" 2>&1)
status=$?
if [ "$status" -eq 0 ] && mkdir -p "${{entry%/*}}" 2>/dev/null; then
    printf '%s\\n' "$out" > "$entry.$$" && mv -f "$entry.$$" "$entry"
fi
printf '%s\\n' "$out"
exit "$status"
"""


def status_cache(tree: Path, git_dir: Path) -> Path:
    """The answers' directory for the tree's current MAINTAINERS (older ones pruned)."""
    digest = hashlib.sha256()
    for name in INPUTS:
        path = tree / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-"))
    root = repo_state_dir(git_dir) / "maintained-status"
    here = root / digest.hexdigest()[:32]
    try:
        here.mkdir(parents=True, exist_ok=True)
        here.touch()
        for old in sorted(root.iterdir(), key=lambda d: d.stat().st_mtime)[:-KEEP]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
    return here


def write_perl_shim(bin_dir: Path, cache: Path) -> bool:
    """Put the answering `perl` in `bin_dir` (first on checkpatch's PATH); False when there
    is no perl to hand the rest to."""
    perl = shutil.which("perl")
    if perl is None or not cache.is_dir():
        return False
    shim = bin_dir / "perl"
    shim.write_text(_SHIM.format(perl=shlex.quote(perl), cache=shlex.quote(str(cache))))
    shim.chmod(0o755)
    return True


_LITERAL = re.compile(r"^[A-Za-z0-9_/.,-]*")
_KNOWN_USE = re.compile(r'[=!]~\s*/[^/]*obsolete|\$role eq "obsolete"|'
                        r'\$role = "obsolete minder"', re.I)


def obsolete_free(tree: Path, paths: Iterable[str]) -> list[str]:
    """The paths whose `get_maintainer.pl --status` answer cannot match /obsolete/i (empty
    when that cannot be shown for this tree)."""
    maintainers = tree / "MAINTAINERS"
    script = tree / "scripts" / "get_maintainer.pl"
    if not maintainers.is_file() or not script.is_file() or _configured(tree):
        return []
    mailmap = tree / ".mailmap"
    if mailmap.is_file() and "obsolete" in mailmap.read_text(errors="replace").lower():
        return []
    # The script's own words: "obsolete" only where it reads a section's S: value (a regex
    # on the status, the role an obsolete section's people get), never printed otherwise.
    for line in script.read_text(errors="replace").splitlines():
        if "obsolete" in line.lower() and not _KNOWN_USE.search(line):
            return []
    prefixes = _obsolete_prefixes(maintainers.read_text(errors="replace"))
    if prefixes is None:
        return []
    return [p for p in paths if not any(p.startswith(prefix) for prefix in prefixes)]


def _configured(tree: Path) -> bool:
    """A .get_maintainer.conf where get_maintainer.pl looks (it may change what matches)."""
    places = [tree, tree / ".scripts"] + ([Path(os.environ["HOME"])] if os.environ.get("HOME")
                                          else [])
    return any((place / ".get_maintainer.conf").exists() for place in places)


def _obsolete_prefixes(text: str) -> list[str] | None:
    """The literal start of every F: pattern of the sections that say "obsolete" anywhere;
    None when such a section also matches by N: regex (or by K: keyword)."""
    prefixes = []
    for block in re.split(r"\n\s*\n", text):
        typed = re.findall(r"^([A-Z]):\s*(.*)$", block, re.MULTILINE)
        if not typed or "obsolete" not in block.lower():
            continue
        for kind, value in typed:
            if kind in ("N", "K"):
                return None
            if kind == "F":
                prefixes.append(_LITERAL.match(value.strip()).group(0))  # type: ignore[union-attr]
    return prefixes


def prefill(answers: Path, paths: Iterable[str]) -> int:
    """Empty answers for `paths` (relative, from obsolete_free) where none is kept yet."""
    written = 0
    for rel in paths:
        if rel.startswith("/") or ".." in rel.split("/"):
            continue
        entry = answers / rel
        if not entry.exists():
            try:
                entry.parent.mkdir(parents=True, exist_ok=True)
                entry.write_text("")
                written += 1
            except OSError:
                continue
    return written
