"""What each way of reading the touched files' history costs on the deep-history tree (the
subject-prefix rule B2; patchpilot/core/checks/history.py keeps the cheapest that keeps its
answer): for 1, 3 and the 10 files of the 20-patch series.

- per patch, unbounded: `git log -n40 -- PATHS` once per patch (patchpilot before), summed;
- one walk, unbounded: all paths in one `git log --name-only -- PATHS`;
- one walk, bounded: the same over the newest `checks.history-depth` commits (`BASE ^X`,
  X found with `git rev-list --skip=DEPTH -n1`), what patchpilot did before the probes;
- probes (patchpilot): the window cut in 16 parts, every path's blob at every probe, walks
  only of the parts where a path changed (none here: the series' files are untouched in the
  window), history.walk in this process;
- with Bloom filters (`git commit-graph write --reachable --changed-paths`, on a copy): per
  path unbounded, per path bounded, one bounded walk with every path (git 2.39 then ignores
  the filters), and patchpilot's walk with them;
- the per-base index read back (a re-check on the same base): no git at all.
Medians of whole git processes (the bounded rows include the rev-list). Prints a table.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import RUNS, TREES, run, scratch, series_tree

from patchpilot.core.checks.history import DEFAULT_DEPTH, HistoryIndex, walk, walk_argv
from patchpilot.core.git.repo import GitRepo


def git_time(tree: Path, argvs: Callable[[], list[list[str]]], repeat: int = RUNS,
             together: int = 1) -> tuple[float, float]:
    """Medians over `repeat` runs of the wall time and of the CPU time of running every argv
    (a fresh list each run, so the bound is looked up inside the timing), `together` at a
    time (as patchpilot runs them on two cores). CPU time does not depend on what else the
    machine runs; wall time does."""
    def one(argv: list[str]) -> None:
        subprocess.run(["git", *argv], cwd=tree, capture_output=True, check=True)

    walls, cpus = [], []
    for _ in range(repeat):
        before = _children_cpu()
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=together) as pool:
            list(pool.map(one, argvs()))
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - before)
    return statistics.median(walls), statistics.median(cpus)


def _children_cpu() -> float:
    """CPU seconds (user + system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def variants(tree: Path, base: str, per_patch: list[list[str]],
             paths: list[str], bloom: bool) -> dict[str, tuple[float, float]]:
    def stop() -> list[str]:
        return [subprocess.run(["git", "rev-list", f"--skip={DEFAULT_DEPTH}", "--max-count=1",
                                base], cwd=tree, capture_output=True, text=True,
                               check=True).stdout.strip()]

    ours = {f"{'Bloom: ' if bloom else ''}probes, walks only where a path changed "
            "(patchpilot)": walk_time(tree, base, paths, bloom)}
    if not bloom:  # the unbounded walks are the "before": one run is enough
        return {
            "per patch, unbounded (before)": git_time(tree, lambda: [
                ["log", "-n40", "--no-merges", "--format=%s", base, "--", *p]
                for p in per_patch], repeat=1),
            "one walk, unbounded": git_time(tree, lambda: [walk_argv([base], [], paths, False)],
                                            repeat=1),
            "one walk, bounded": git_time(tree, lambda: [walk_argv([base], stop(), paths,
                                                                   False)]),
            **ours,
        }
    return {
        "Bloom: per path, unbounded": git_time(tree, lambda: [
            walk_argv([base], [], [p], True) for p in paths], repeat=1),
        "Bloom: per path, bounded, 2 at a time": git_time(
            tree, lambda: [walk_argv([base], s, [p], True) for s in [stop()] for p in paths],
            together=2),
        "Bloom: one walk, bounded (git ignores the filters)": git_time(tree, lambda: [
            walk_argv([base], stop(), paths, False)]),
        **ours,
    }


def walk_time(tree: Path, base: str, paths: list[str], bloom: bool) -> tuple[float, float]:
    """patchpilot's walk (history.walk: probes, then walks where a path changed), in this
    process: wall time, and CPU time of this process and its gits."""
    repo = GitRepo(tree)
    walls, cpus = [], []
    for _ in range(RUNS):
        before = _children_cpu() + time.process_time()
        start = time.perf_counter()
        walk(repo, base, DEFAULT_DEPTH, paths, bloom)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() + time.process_time() - before)
    return statistics.median(walls), statistics.median(cpus)


def index_read(tree: Path, base: str, paths: list[str]) -> tuple[float, float]:
    HistoryIndex(GitRepo(tree), base, expect=paths).touches(paths)  # written once
    walls, cpus = [], []
    for _ in range(RUNS):
        start, cpu = time.perf_counter(), time.process_time()
        HistoryIndex(GitRepo(tree), base).touches(paths)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    with scratch() as tmp:
        tree, env = series_tree(TREES[1], Path(tmp))
        base = run(["git", "rev-parse", "master"], tree, env).strip()
        commits = run(["git", "rev-list", "--reverse", "master..HEAD"], tree, env).split()[1:]
        per_patch = [run(["git", "diff-tree", "--no-commit-id", "--name-only", "-r", c],
                         tree, env).split() for c in commits]
        everything = list(dict.fromkeys(p for ps in per_patch for p in ps))
        sizes = {1: everything[:1], 3: everything[:3], len(everything): everything}
        table: dict[str, dict[int, tuple[float, float]]] = {}
        for bloom in (False, True):
            if bloom:
                run(["git", "commit-graph", "write", "--reachable", "--changed-paths"], tree, env)
            for size, paths in sizes.items():
                patches = [p for p in per_patch if set(p) <= set(paths)]
                for name, took in variants(tree, base, patches, paths, bloom).items():
                    table.setdefault(name, {})[size] = took
        for size, paths in sizes.items():
            table.setdefault("index read back (same base)", {})[size] = index_read(
                tree, base, paths)
    print(f"B2's history read, {TREES[1]} tree, depth {DEFAULT_DEPTH}: wall / CPU seconds "
          f"(medians of {RUNS}; the unbounded rows 1 run)")
    print("| way | " + " | ".join(f"{n} path(s)" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name, took in table.items():
        print(f"| {name} | " + " | ".join(f"{took[n][0]:.3f} / {took[n][1]:.3f}"
                                          for n in sizes) + " |")


if __name__ == "__main__":
    main()
