"""A slim kernel tree with a deep synthetic history, the shape of a contributor's real clone.

A real clone has about 1.3 million commits; the Debian tree has one. `deep_tree(N)` puts N
commits between the slim tree's commit and whatever a test or benchmark builds on top (on
`master`): commit i touches only `history/<i % 31>/<i // 31 % 31>.txt`, so the files a Rust
series touches are never touched again, the worst case for anything that walks history by
path. The commits come from one `git fast-import` stream; then `git commit-graph write
--reachable`, as `git gc` writes it (no `--changed-paths`: most clones have no Bloom filters).

Built once per commit count and cached next to the other kernel trees (rebuilt when its newest
commit is older than FRESH_FOR); copy it with `kernelsrc.clone_tree` before changing it. No
Textual here.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.demo import kernelsrc

FANOUT = 31
# Dated like mainline: a commit every 6 minutes (about 88,000 a year), the newest at the start
# of the day the tree was built, so time-bounded walks (b4's `--since=1.year` cover-commit
# search) see a real clone's last year. The oldest may predate the slim tree's own commit.
STEP = 360
# A tree whose newest commit is older than this is rebuilt, to stay like a fresh clone.
FRESH_FOR = 60 * 86400
_AUTHOR = b"History Bot <history@example.invalid>"
_MARKER = "patchpilot-deep-built"


def history_path(i: int) -> str:
    """The one file commit `i` of the synthetic history touches."""
    return f"history/{i % FANOUT}/{i // FANOUT % FANOUT}.txt"


def _stream(commits: int, parent: str, end: int) -> Iterator[bytes]:
    """The fast-import stream: `commits` commits on refs/heads/master on top of `parent`,
    the last one dated `end` (seconds since the epoch)."""
    start = end - (commits - 1) * STEP
    for i in range(commits):
        when = b"%d +0000" % (start + i * STEP)
        message = b"history: part %d: step %d\n" % (i % FANOUT, i)
        content = b"%d\n" % i
        head = b"from %s\n" % parent.encode() if i == 0 else b""
        yield (b"commit refs/heads/master\nauthor %s %s\ncommitter %s %s\ndata %d\n%s%s"
               b"M 100644 inline %s\ndata %d\n%s\n"
               % (_AUTHOR, when, _AUTHOR, when, len(message), message, head,
                  history_path(i).encode(), len(content), content))
    yield b"done\n"


def _import(tree: Path, commits: int, end: int) -> None:
    parent = kernelsrc._run(["git", "rev-parse", "HEAD"], cwd=tree).strip()
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done", "--date-format=raw"],
                            cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stderr is not None
    chunk: list[bytes] = []
    try:
        for record in _stream(commits, parent, end):
            chunk.append(record)
            if len(chunk) >= 4096:
                proc.stdin.write(b"".join(chunk))
                chunk.clear()
        proc.stdin.write(b"".join(chunk))
        proc.stdin.close()
    except BrokenPipeError:
        pass
    error = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        raise PatchpilotError(f"git fast-import failed: {error.strip()[-400:]}",
                              hint="check the free disk space under the kernel cache dir")


def deep_tree(commits: int, cache: Path | None = None) -> Path:
    """The cached slim tree with `commits` synthetic commits on master; do not modify it."""
    if commits < 1:
        raise PatchpilotError(f"a deep history needs at least one commit, not {commits}",
                              hint="e.g. 50000 for tests, 300000 for the benchmarks")
    cache = cache or kernelsrc.cache_root()
    slim = kernelsrc.slim_tree(cache)
    name = f"deep-{commits}"
    dest = cache / name
    with kernelsrc.locked(cache, name):
        now = int(time.time())
        if _built_at(dest) > now - FRESH_FOR:
            return dest
        shutil.rmtree(dest, ignore_errors=True)
        kernelsrc.clone_tree(slim, dest)
        kernelsrc._run(["git", "remote", "remove", "origin"], cwd=dest)
        end = now - now % 86400
        _import(dest, commits, end)
        kernelsrc._run(["git", "reset", "-q", "--hard", "master"], cwd=dest)
        kernelsrc._run(["git", "commit-graph", "write", "--reachable"], cwd=dest)
        (dest / ".git" / _MARKER).write_text(f"{commits} {end}\n")
        return dest


def _built_at(dest: Path) -> int:
    """The date of the newest synthetic commit of a finished build (0: none)."""
    try:
        return int((dest / ".git" / _MARKER).read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
