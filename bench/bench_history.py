"""What each way of reading the touched files' history costs on the deep-history tree (the
subject-prefix rule B2; patchpilot/core/checks/history.py keeps the cheapest that keeps its
answer): for 1, 3 and the 10 files of the 20-patch series.

- per patch, unbounded: `git log -n40 -- PATHS` once per patch (patchpilot before), summed;
- one walk, unbounded: all paths in one `git log --name-only -- PATHS`;
- one walk, bounded: the same over the newest `checks.history-depth` commits (`BASE ^X`,
  X found with `git rev-list --skip=DEPTH -n1`), what patchpilot does without Bloom filters;
- with Bloom filters (`git commit-graph write --reachable --changed-paths`, on a copy): per
  path unbounded, per path bounded (what patchpilot does with them, for up to 6 paths), one
  bounded walk with every path (git 2.39 then ignores the filters);
- the per-base index read back (a re-check on the same base): no git at all.
Medians of whole git processes (the bounded rows include the rev-list). Prints a table.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from common import RUNS, TREES, run, scratch, series_tree

from patchpilot.core.checks.history import DEFAULT_DEPTH, HistoryIndex, walk_argv
from patchpilot.core.git.repo import GitRepo


def git_time(tree: Path, argvs: Callable[[], list[list[str]]]) -> float:
    """Median over RUNS of the wall time of running every argv in turn (a fresh list each
    run, so the bound is looked up inside the timing)."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for argv in argvs():
            subprocess.run(["git", *argv], cwd=tree, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def variants(tree: Path, base: str, per_patch: list[list[str]],
             paths: list[str], bloom: bool) -> dict[str, float]:
    def stop() -> str:
        return subprocess.run(["git", "rev-list", f"--skip={DEFAULT_DEPTH}", "--max-count=1",
                               base], cwd=tree, capture_output=True, text=True,
                              check=True).stdout.strip()

    if not bloom:
        return {
            "per patch, unbounded": git_time(tree, lambda: [
                ["log", "-n40", "--no-merges", "--format=%s", base, "--", *p]
                for p in per_patch]),
            "one walk, unbounded": git_time(tree, lambda: [walk_argv(base, None, paths, False)]),
            "one walk, bounded": git_time(tree, lambda: [walk_argv(base, stop(), paths, False)]),
        }
    return {
        "Bloom: per path, unbounded": git_time(tree, lambda: [
            walk_argv(base, None, [p], True) for p in paths]),
        "Bloom: per path, bounded": git_time(tree, lambda: [
            walk_argv(base, s, [p], True) for s in [stop()] for p in paths]),
        "Bloom: one walk, bounded": git_time(tree, lambda: [
            walk_argv(base, stop(), paths, False)]),
    }


def index_read(tree: Path, base: str, paths: list[str]) -> float:
    HistoryIndex(GitRepo(tree), base, expect=paths).touches(paths)  # written once
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        HistoryIndex(GitRepo(tree), base).touches(paths)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with scratch() as tmp:
        tree, env = series_tree(TREES[1], Path(tmp))
        base = run(["git", "rev-parse", "master"], tree, env).strip()
        commits = run(["git", "rev-list", "--reverse", "master..HEAD"], tree, env).split()[1:]
        per_patch = [run(["git", "diff-tree", "--no-commit-id", "--name-only", "-r", c],
                         tree, env).split() for c in commits]
        everything = list(dict.fromkeys(p for ps in per_patch for p in ps))
        sizes = {1: everything[:1], 3: everything[:3], len(everything): everything}
        table: dict[str, dict[int, float]] = {}
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
    print(f"B2's history read, {TREES[1]} tree, depth {DEFAULT_DEPTH} (medians of {RUNS})")
    print("| way | " + " | ".join(f"{n} path(s)" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name, took in table.items():
        print(f"| {name} | " + " | ".join(f"{took[n]:.3f} s" for n in sizes) + " |")


if __name__ == "__main__":
    main()
