"""checkpatch.pl's `get_maintainer.pl --status` questions, answered once per MAINTAINERS.

For every file a patch touches, checkpatch.pl runs `perl $root/scripts/get_maintainer.pl
--status --nom --nol --nogit --nogit-fallback -f FILE` (to warn about obsolete files): about
0.15 s each, more than checking the patch itself, and remembered only within one run. The
answer depends on nothing but the tree's MAINTAINERS and get_maintainer.pl files, so a `perl`
on checkpatch's PATH (a small sh script) keeps each answer under
`.git/patchpilot/maintained-status/<digest of those files>/FILE` and runs the real perl for
everything else. Used by cached runs only: `check --no-cache` asks get_maintainer.pl afresh.
No UI.
"""

from __future__ import annotations

import hashlib
import shlex
import shutil
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
