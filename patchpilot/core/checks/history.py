"""The recent history of the files a series touches, read at a cost that does not grow with
the depth of the clone (for B2, the subject-prefix rule).

A contributor's clone has about 1.3 million commits, and a file a series touches (a young Rust
file) may not have been touched for most of them: `git log -n40 -- PATH` then walks the whole
history, seconds per call. So the walk is bounded: only the newest `depth` commits at or below
the series' base are read (`base ^X`, X being the commit `depth` below the base; without merges
exactly `depth` commits), and what it finds is kept per path under
`.git/patchpilot/history/<base>-<depth>.json`, so a re-check on the same base walks nothing.

Within the window, a path is walked only where it changed: the window is cut in PROBES parts
at evenly spaced commits (one `git rev-list` into a file, of which only those lines are read),
the blob of every path (and first of its directory) at every probe is asked of one
`git cat-file --batch-check`, and a part is walked only for the paths whose blob differs
between its two ends; parts next to each other that walk the same paths are one walk. A file
untouched for the whole window (the usual young Rust file) costs no walk at all; one touched
last week costs a walk of the newest part. The price: a change undone within one part (a
commit and its revert a few days apart) goes unseen.

Measured with bench/bench_history.py on the deep test bed (300,000 commits; CPU seconds of
the git processes, on a shared 2-core machine), the 10 files of a 20-patch series:
`git log -n40 -- PATHS` per patch, as before: 42 s; one unbounded walk with every path: 3.8 s;
one walk bounded to the newest 50,000 commits: 0.67 s (whatever the depth beyond them); the
probes (rev-list and cat-file) and no walk: 0.06 s; the per-base index read back: 0.002 s.
A walk of at least SPLIT_FROM commits is cut in two halves read by two gits at once. With
commit-graph Bloom filters (`git commit-graph write --reachable --changed-paths`) git skips
most tree diffs, but git (2.39) consults them only for a single pathspec, so each path gets its
own walk (from the newest part it changed in to the oldest): hence per-path walks for up to
BLOOM_MAX_PATHS paths only. Runs git through GitRepo; no UI.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.fs import write_atomic
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir

LIMIT = 40            # the newest commits per path that B2 weighs
DEFAULT_DEPTH = 50_000  # about seven months of mainline (checks.history-depth)
FORMAT = 1
KEEP = 16             # index files kept (one per base and depth); older ones are removed
SPLIT_FROM = 10_000   # a window this deep is read in two halves, one git per core
# The window is cut in this many parts; a part is walked only for the paths whose blob differs
# between its two ends (a change undone within one part goes unseen).
PROBES = 16
# With Bloom filters a single-path walk costs ~1.5 us a commit, a walk with several paths
# ~10 us (no filters used): past this many paths one combined walk is cheaper.
BLOOM_MAX_PATHS = 6


@dataclass(frozen=True)
class Touch:
    """One commit that touched a path: committer time, id, subject (untrusted text)."""

    when: int
    sha: str
    subject: str


def probes(repo: GitRepo, base: str, depth: int) -> tuple[list[str | None], int]:
    """The window's probe commits, newest first: the base, then every (window / PROBES)-th
    commit below it in rev-list order, then the stop (the first commit past the window,
    None when the history ends inside it); and the window's size. Probe j to probe j + 1 is
    part j of the window. One `git rev-list` into a file, of which only the probes' lines
    are read (every line is one commit id and a newline)."""
    try:
        return repo.run_to_file("rev-list", f"--max-count={depth + 1}", base,
                                read=lambda out: _pick(out, depth))
    except PatchpilotError:
        return [None], 0


def _pick(out: BinaryIO, depth: int) -> tuple[list[str | None], int]:
    width = len(out.readline())  # 41 for SHA-1, 65 for SHA-256
    if not width:
        return [None], 0
    count = out.seek(0, 2) // width

    def line(n: int) -> str:
        out.seek(n * width)
        return out.read(width - 1).decode()

    size = min(count, depth)
    step = max(1, -(-size // PROBES))
    points: list[str | None] = [line(n) for n in range(0, size, step)]
    return [*points, line(depth) if count > depth else None], size


def walk_argv(tips: Sequence[str], stops: Sequence[str], paths: Sequence[str],
              per_path: bool) -> list[str]:
    """The git log arguments of one bounded walk (the `^stops` are what bound it)."""
    argv = ["-c", "core.quotePath=false", "log", "--no-merges", "--format=%x00%ct %H %s"]
    argv.append(f"--max-count={LIMIT}" if per_path else "--name-only")
    return argv + list(tips) + [f"^{s}" for s in stops] + ["--", *paths]


def part_range(points: Sequence[str | None], first: int, last: int) -> list[str]:
    """The revisions of parts first..last of the window: their tips, then every later probe
    excluded (`P1 ^P2 ^P3 ...`), so the parts are disjoint and together exactly `BASE ^STOP`
    even across merges (a commit belongs to the deepest probe that reaches it)."""
    return [*(p for p in points[first:last + 1] if p),
            *(f"^{p}" for p in points[last + 1:] if p)]


def changed_parts(repo: GitRepo, points: Sequence[str | None],
                  paths: Sequence[str]) -> list[list[str]]:
    """For each part of the window, the paths whose blob differs between its two ends: only
    those are walked there. Asked of `git cat-file --batch-check` for the paths' directories
    at every probe first, then for the files only where their directory changed."""
    asked = [p for p in paths if "\n" not in p]  # cat-file reads one name per line
    dirs = sorted({p.rpartition("/")[0] for p in asked} - {""})
    at = [p for p in points if p]
    tree = dict(zip(((c, d) for c in at for d in dirs),
                    repo.object_ids([f"{c}:{d}" for c in at for d in dirs])))
    pairs = list(zip(points, points[1:]))

    def same_dir(a: str | None, b: str | None, path: str) -> bool:
        folder = path.rpartition("/")[0]
        return bool(a and b and folder and tree[a, folder] and
                    tree[a, folder] == tree[b, folder])

    wanted = sorted({(c, p) for a, b in pairs for p in asked if not same_dir(a, b, p)
                     for c in (a, b) if c})
    blob: dict[tuple[str | None, str], str | None] = dict(
        zip(wanted, repo.object_ids([f"{c}:{p}" for c, p in wanted])))
    return [[p for p in paths if p not in asked or
             (not same_dir(a, b, p) and blob.get((a, p)) != blob.get((b, p)))]
            for a, b in pairs]


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


def plan(points: Sequence[str | None], size: int, changed: list[list[str]],
         paths: Sequence[str], per_path: bool) -> list[tuple[list[str], list[str]]]:
    """The walks, as (git log arguments, the paths they ask about). Combined: runs of
    neighbouring parts that walk the same paths become one walk, at most half the window
    when it is SPLIT_FROM deep (two gits at once). Per path (Bloom filters): one walk from
    the newest part it changed in to the oldest."""
    if per_path:
        jobs = []
        for path in paths:
            parts = [j for j, names in enumerate(changed) if path in names]
            if parts:
                revs = part_range(points, parts[0], parts[-1])
                jobs.append((walk_argv(revs, [], [path], True), [path]))
        return jobs
    most = len(changed) if size < SPLIT_FROM else max(1, -(-len(changed) // 2))
    runs: list[tuple[int, int, list[str]]] = []
    for j, names in enumerate(changed):
        if runs and runs[-1][2] == names and j - runs[-1][0] < most:
            runs[-1] = (runs[-1][0], j, names)
        else:
            runs.append((j, j, names))
    return [(walk_argv(part_range(points, a, b), [], names, False), names)
            for a, b, names in runs if names]


def walk(repo: GitRepo, base: str, depth: int, paths: Sequence[str], bloom: bool,
         found_probes: tuple[list[str | None], int] | None = None) -> dict[str, list[Touch]]:
    """The newest LIMIT commits (no merges) touching each path among the newest `depth`,
    reading only the parts of the window where the path's blob changed (see PROBES);
    `found_probes` are probes(repo, base, depth) when the caller has them already."""
    if not paths:
        return {}
    points, size = found_probes or probes(repo, base, depth)
    jobs = plan(points, size, changed_parts(repo, points, paths), paths,
                bloom and len(paths) <= BLOOM_MAX_PATHS)

    def run(job: tuple[list[str], list[str]]) -> dict[str, list[Touch]]:
        return _parse(repo.try_run(*job[0], strip=False) or "", job[1])

    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(run, jobs))
    found: dict[str, list[Touch]] = {p: [] for p in paths}
    for part in parts:
        for path, touches in part.items():
            found[path] = newest(found[path] + touches)
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
        # the file is keyed on the commit id (a series' base is one already: no git call)
        full = len(base) in (40, 64) and all(c in "0123456789abcdef" for c in base)
        self.base = base if full else repo.rev_parse(base) or base
        self.expect = list(dict.fromkeys(expect))
        self.root = repo_state_dir(repo.git_dir) / "history"
        self.file = self.root / f"{self.base}-{depth}.json"
        self._lock = threading.Lock()
        self._known: dict[str, list[Touch]] | None = None
        self._probes: Future[tuple[list[str | None], int]] | None = None
        self.walks = 0  # bounded walks made by this index (for tests and benchmarks)

    def prefetch(self) -> None:
        """For a base without an index file yet: find the window's probes (the one part of
        the walk that does not depend on the paths) in the background, while the caller
        prepares the patches; touches() then waits for them."""
        if self._probes is None and not self.file.exists():
            pool = ThreadPoolExecutor(max_workers=1)
            self._probes = pool.submit(probes, self.repo, self.base, self.depth)
            pool.shutdown(wait=False)

    def touches(self, paths: Sequence[str]) -> list[Touch]:
        """The LIMIT newest commits touching any of `paths`, newest first."""
        with self._lock:
            known = self._load()
            missing = [p for p in dict.fromkeys([*self.expect, *paths]) if p not in known]
            if missing:
                known.update(walk(self.repo, self.base, self.depth, missing,
                                  has_bloom_filters(self.repo.git_dir),
                                  self._probes.result() if self._probes else None))
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
