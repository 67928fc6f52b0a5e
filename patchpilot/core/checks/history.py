"""The recent history of the files a series touches, read at a cost that does not grow with
the depth of the clone (for B2, the subject-prefix rule).

A contributor's clone has about 1.3 million commits, and a file a series touches (a young Rust
file) may not have been touched for most of them: `git log -n40 -- PATH` then walks the whole
history, seconds per call. So the walk is bounded: only the newest `depth` commits at or below
the series' base are read (`base ^X`, X being the commit `depth` below the base; without merges
exactly `depth` commits), and what it finds is kept per path under
`.git/patchpilot/history/<base>-<depth>.json`, so a re-check on the same base walks nothing.

Measured with bench/bench_history.py on the deep test bed (300,000 commits; CPU seconds of
the git processes, on a shared 2-core machine), the 10 files of a 20-patch series:
`git log -n40 -- PATHS` per patch, as before: 42 s; one unbounded walk with every path: 3.8 s;
one walk bounded to the newest 50,000 commits: 0.67 s (whatever the depth beyond them); the
per-base index read back: 0.002 s. So: one bounded walk per series, then the index. A window
of at least SPLIT_FROM commits is read in two halves by two gits at once: the same CPU, half
the wait when a core is free (on the loaded test machine no faster). With commit-graph Bloom
filters (`git commit-graph write --reachable --changed-paths`) git skips most tree diffs, but
git (2.39) consults them only for a single pathspec, so each path gets its own walk (same
bound, same answer): 0.10 s for 1 path, 0.22 s for 3, 0.76 s for 10 (no better than 0.67 s
without them): hence per-path walks for up to BLOOM_MAX_PATHS paths only. Runs git through
GitRepo; no UI.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.fs import write_atomic
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir

LIMIT = 40            # the newest commits per path that B2 weighs
DEFAULT_DEPTH = 50_000  # about seven months of mainline (checks.history-depth)
FORMAT = 1
KEEP = 16             # index files kept (one per base and depth); older ones are removed
SPLIT_FROM = 10_000   # a window this deep is read in two halves, one git per core
# With Bloom filters a single-path walk costs ~1.5 us a commit, a walk with several paths
# ~10 us (no filters used): past this many paths one combined walk is cheaper.
BLOOM_MAX_PATHS = 6


@dataclass(frozen=True)
class Touch:
    """One commit that touched a path: committer time, id, subject (untrusted text)."""

    when: int
    sha: str
    subject: str


def bounds(repo: GitRepo, base: str, depth: int) -> tuple[str | None, str | None]:
    """(middle, stop): the commits depth // 2 and `depth` below `base` in rev-list order
    (None past the end of the history). The walk excludes `stop` and all it reaches."""
    found = (repo.try_run("rev-list", f"--max-count={depth + 1}", base) or "").split()
    return (found[depth // 2] if len(found) > depth // 2 else None,
            found[depth] if len(found) > depth else None)


def walk_argv(tip: str, stops: Sequence[str], paths: Sequence[str],
              per_path: bool) -> list[str]:
    """The git log arguments of one bounded walk (the `^stops` are what bound it)."""
    argv = ["-c", "core.quotePath=false", "log", "--no-merges", "--format=%x00%ct %H %s"]
    argv.append(f"--max-count={LIMIT}" if per_path else "--name-only")
    return argv + [tip] + [f"^{s}" for s in stops] + ["--", *paths]


def segments(base: str, middle: str | None, stop: str | None,
             depth: int) -> list[tuple[str, list[str]]]:
    """The window as (tip, stops) ranges, newest first: two halves (`BASE ^MIDDLE ^STOP`,
    `MIDDLE ^STOP`: together exactly `BASE ^STOP`) when it is deep enough to be worth a
    second git on the other core."""
    stops = [stop] if stop else []
    if depth < SPLIT_FROM or middle is None:
        return [(base, stops)]
    return [(base, [middle, *stops]), (middle, stops)]


def _parse(out: str, paths: Sequence[str]) -> dict[str, list[Touch]]:
    found: dict[str, list[Touch]] = {p: [] for p in paths}
    single = paths[0] if len(paths) == 1 else None
    for record in out.split("\0")[1:]:
        head, _, names = record.partition("\n")
        when, sha, subject = (head.split(" ", 2) + ["", ""])[:3]
        touch = Touch(int(when), sha, subject)
        for name in [single] if single else names.split("\n"):
            if name in found and len(found[name]) < LIMIT:
                found[name].append(touch)
    return found


def walk(repo: GitRepo, base: str, depth: int, paths: Sequence[str],
         bloom: bool) -> dict[str, list[Touch]]:
    """The newest LIMIT commits (no merges) touching each path among the newest `depth`."""
    if not paths:
        return {}
    middle, stop = bounds(repo, base, depth)
    jobs: list[tuple[list[str], list[str]]]  # (git arguments, the paths they ask about)
    if bloom and len(paths) <= BLOOM_MAX_PATHS:
        jobs = [(walk_argv(base, [stop] if stop else [], [p], True), [p]) for p in paths]
    else:
        jobs = [(walk_argv(tip, stops, paths, False), list(paths))
                for tip, stops in segments(base, middle, stop, depth)]

    def run(job: tuple[list[str], list[str]]) -> dict[str, list[Touch]]:
        return _parse(repo.try_run(*job[0], strip=False) or "", job[1])

    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(run, jobs))
    found: dict[str, list[Touch]] = {p: [] for p in paths}
    for part in parts:  # the newer half first
        for path, touches in part.items():
            found[path] = (found[path] + touches)[:LIMIT]
    return found


def newest(touches: Iterable[Touch]) -> list[Touch]:
    """The LIMIT newest distinct commits, newest first (as `git log -n40 -- PATHS` lists)."""
    unique = {t.sha: t for t in touches}
    return sorted(unique.values(), key=lambda t: t.when, reverse=True)[:LIMIT]


def has_bloom_filters(git_dir: Path) -> bool:
    """Whether every layer of the commit-graph carries changed-path Bloom filters."""
    info = git_dir / "objects" / "info"
    files = [info / "commit-graph"]  # git reads this one when it exists, else the chain
    chain = info / "commit-graphs" / "commit-graph-chain"
    if not files[0].is_file() and chain.is_file():
        try:
            files = [info / "commit-graphs" / f"graph-{line.strip()}.graph"
                     for line in chain.read_text().split() if line.strip()]
        except OSError:
            return False
    return bool(files) and all(_chunks(f) >= {b"BIDX", b"BDAT"} for f in files)


def _chunks(graph: Path) -> set[bytes]:
    """The chunk ids in a commit-graph file's table of contents (empty if unreadable)."""
    try:
        with open(graph, "rb") as stream:
            header = stream.read(8)
            if header[:4] != b"CGPH":
                return set()
            table = stream.read(12 * (header[6] + 1))
    except OSError:
        return set()
    return {table[i:i + 4] for i in range(0, len(table), 12)}


class HistoryIndex:
    """Per-path recent history at one base, from the per-base file or one bounded walk.

    Thread-safe: the checks run patches in parallel, and the first caller walks for the
    whole series (`expect` names every path it will ask about) while the others wait.
    """

    def __init__(self, repo: GitRepo, base: str, depth: int = DEFAULT_DEPTH,
                 expect: Iterable[str] = ()) -> None:
        self.repo, self.depth = repo, depth
        self.base = repo.rev_parse(base) or base  # the file is keyed on the commit id
        self.expect = list(dict.fromkeys(expect))
        self.root = repo_state_dir(repo.git_dir) / "history"
        self.file = self.root / f"{self.base}-{depth}.json"
        self._lock = threading.Lock()
        self._known: dict[str, list[Touch]] | None = None
        self.walks = 0  # bounded walks made by this index (for tests and benchmarks)

    def touches(self, paths: Sequence[str]) -> list[Touch]:
        """The LIMIT newest commits touching any of `paths`, newest first."""
        with self._lock:
            known = self._load()
            missing = [p for p in dict.fromkeys([*self.expect, *paths]) if p not in known]
            if missing:
                known.update(walk(self.repo, self.base, self.depth, missing,
                                  has_bloom_filters(self.repo.git_dir)))
                self.walks += 1
                self._save(known)
            return newest(t for p in paths for t in known[p])

    def _load(self) -> dict[str, list[Touch]]:
        if self._known is None:
            self._known = {}
            try:
                data = json.loads(self.file.read_text())
                if data.get("format") == FORMAT:
                    self._known = {p: [Touch(*t) for t in ts] for p, ts in data["paths"].items()}
            except (OSError, ValueError, TypeError, KeyError, AttributeError):
                pass
        return self._known

    def _save(self, known: dict[str, list[Touch]]) -> None:
        """Best effort (a read-only .git just means no index); keeps the KEEP newest files."""
        data = {"format": FORMAT, "base": self.base, "depth": self.depth,
                "paths": {p: [[t.when, t.sha, t.subject] for t in ts] for p, ts in known.items()}}
        try:
            write_atomic(self.file, json.dumps(data))
            olds = sorted(self.root.glob("*.json"), key=lambda f: f.stat().st_mtime)
            for old in olds[:-KEEP]:
                old.unlink(missing_ok=True)
        except OSError:
            pass
