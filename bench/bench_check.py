"""`patchpilot check` against `b4 prep --check` on a 20-patch b4 series in the real slim tree.

1. Cold: `patchpilot check --no-cache` with every tool but clippy (checkpatch --strict,
   rustfmt, Rust rules, commit-message rules) vs `b4 prep --check` with an empty b4 cache (b4
   runs `checkpatch.pl -q --terse --no-summary --mailback --showfile` once per patch, one at a
   time). Target ratio <= 0.5.
2. Re-check after amending patch 11 and rebasing the rest onto it: both start from a cache
   warmed on the series before the amend (restored before every timed run); patchpilot keys
   by patch-id and blobs, b4 by commit id. Target ratio <= 0.3.
Whole processes, medians of several runs, same machine, same run. Prints the figures.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from pathlib import Path

from common import BIN, isolated_env, kernelsrc, make_series, run, scratch

TOOLS = "checkpatch,rustfmt,rust,commit"
OURS = [str(BIN / "patchpilot"), "check", "--tool", TOOLS]
B4 = [str(BIN / "b4"), "prep", "--check"]


def timed(argv, cwd: Path, env: dict, setup, repeat: int = 5) -> float:
    """Median wall time of `argv` (exit 0 or 1: findings are not failures); `setup` runs
    before each run, outside the timing."""
    times = []
    for _ in range(repeat):
        setup()
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"bench: {' '.join(argv)} failed: {proc.stderr[-500:]}")
    return statistics.median(times)


def snapshot(src: Path, dst: Path):
    """A setup function that puts `dst` back to the copy of `src` taken now."""
    saved = dst.parent / (dst.name + ".saved")
    shutil.rmtree(saved, ignore_errors=True)
    if src.exists():
        shutil.copytree(src, saved)

    def restore():
        shutil.rmtree(dst, ignore_errors=True)
        if saved.exists():
            shutil.copytree(saved, dst)
    return restore


def amend_middle(tree: Path, env: dict) -> None:
    """Edit patch 11 of 20 (line 12 of the todo: the cover commit comes first) and rebase;
    make_series cycles through its files, and no later patch touches this one's file."""
    editor = "sed -i '12s/^pick/edit/'"
    run(["git", "-c", f"sequence.editor={editor}", "rebase", "-q", "-i", "master"], tree, env)
    changed = run_out(["git", "show", "--name-only", "--format=", "HEAD"], tree, env).strip()
    path = tree / changed
    path.write_text(path.read_text().replace("// bench change 10\n", "// bench change 10b\n"))
    run(["git", "commit", "-q", "-a", "--amend", "--no-edit"], tree, env)
    run(["git", "rebase", "--continue"], tree, env)


def run_out(argv, cwd, env) -> str:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          check=True).stdout


def main() -> dict:
    with scratch() as tmp:
        tmp = Path(tmp)
        env = isolated_env(tmp)
        tree = kernelsrc.clone_tree(kernelsrc.slim_tree(), tmp / "linux")
        make_series(tree, env)
        ours_cache = tree / ".git" / "patchpilot" / "checks-cache"
        b4_cache = tmp / ".cache" / "b4"
        empty = lambda: shutil.rmtree(b4_cache, ignore_errors=True)  # noqa: E731
        cold_ours = timed(OURS + ["--no-cache"], tree, env, lambda: None)
        cold_b4 = timed(B4, tree, env, empty)
        timed(OURS, tree, env, lambda: None, repeat=1)   # warm both caches on the series
        timed(B4, tree, env, empty, repeat=1)
        restore_ours = snapshot(ours_cache, ours_cache)
        restore_b4 = snapshot(b4_cache, b4_cache)
        amend_middle(tree, env)
        warm_ours = timed(OURS, tree, env, restore_ours)
        warm_b4 = timed(B4, tree, env, restore_b4)
    result = {"bench": "check (20-patch Rust series, slim 6.12 tree)",
              "cold_patchpilot_s": round(cold_ours, 3), "cold_b4_check_s": round(cold_b4, 3),
              "cold_ratio": round(cold_ours / cold_b4, 3), "cold_target": 0.5,
              "recheck_patchpilot_s": round(warm_ours, 3),
              "recheck_b4_check_s": round(warm_b4, 3),
              "recheck_ratio": round(warm_ours / warm_b4, 3), "recheck_target": 0.3}
    print(result)
    return result


if __name__ == "__main__":
    main()
