"""`patchpilot check` against `b4 prep --check` on a 20-patch b4 series, on the one-commit and
the deep-history tree.

1. Cold: `patchpilot check --no-cache` with every tool but clippy (checkpatch --strict,
   rustfmt, Rust rules, commit-message rules) vs `b4 prep --check` with an empty b4 cache (b4
   runs `checkpatch.pl -q --terse --no-summary --mailback --showfile` once per patch, one at a
   time). Target: at most 0.35x on both trees, growth at most 1.2x.
2. `check --no-cache --tool commit` alone (the subject-prefix rule reads history).
3. The same two on a base seen for the first time: the history index B2 keeps per base
   (.git/patchpilot/history) removed before every run, so the bounded walk is in the figure.
4. Re-check after amending patch 11 and rebasing the rest onto it: both start from a cache
   warmed on the series before the amend (restored before every timed run); patchpilot keys
   by patch-id and blobs, b4 by commit id. Target: at most 0.1x.
Whole processes, medians, same machine, same run. Prints the rows.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from common import TREES, Row, b4, patchpilot, run, scratch, series_trees, table, timed_both

TOOLS = "checkpatch,rustfmt,rust,commit"
OURS = patchpilot("check", "--tool", TOOLS)
B4 = b4("prep", "--check")
FINDINGS = (0, 1)  # check exits 1 when it finds something; that is not a failure


def snapshot(src: Path) -> Callable[[], None]:
    """A setup function that puts `src` back to the copy of it taken now."""
    saved = src.parent / (src.name + ".saved")
    shutil.rmtree(saved, ignore_errors=True)
    if src.exists():
        shutil.copytree(src, saved)

    def restore() -> None:
        shutil.rmtree(src, ignore_errors=True)
        if saved.exists():
            shutil.copytree(saved, src)
    return restore


def amend_middle(tree: Path, env: dict) -> None:
    """Edit patch 11 of 20 (line 12 of the todo: the cover commit comes first) and rebase;
    make_series cycles through its files, and no later patch touches this one's file."""
    editor = "sed -i '12s/^pick/edit/'"
    run(["git", "-c", f"sequence.editor={editor}", "rebase", "-q", "-i", "master"], tree, env)
    changed = subprocess.run(["git", "show", "--name-only", "--format=", "HEAD"], cwd=tree,
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
    path = tree / changed
    path.write_text(path.read_text().replace("// bench change 10\n", "// bench change 10b\n"))
    run(["git", "commit", "-q", "-a", "--amend", "--no-edit"], tree, env)
    run(["git", "rebase", "--continue"], tree, env)


def rows() -> list[Row]:
    with scratch() as tmp:
        trees = series_trees(Path(tmp))

        def state(kind: str) -> Path:
            return trees[kind][0] / ".git" / "patchpilot"

        def b4_cache(kind: str) -> Path:
            return Path(trees[kind][1]["XDG_CACHE_HOME"]) / "b4"

        def no_history(kind: str) -> None:
            shutil.rmtree(state(kind) / "history", ignore_errors=True)

        def empty_b4(kind: str) -> None:
            shutil.rmtree(b4_cache(kind), ignore_errors=True)

        commit_only = patchpilot("check", "--no-cache", "--tool", "commit")
        new_base = timed_both(trees, OURS + ["--no-cache"], setup=no_history, ok=FINDINGS)
        commit_new_base = timed_both(trees, commit_only, setup=no_history, ok=FINDINGS)
        cold = timed_both(trees, OURS + ["--no-cache"], ok=FINDINGS)
        commit = timed_both(trees, commit_only, ok=FINDINGS)
        b4_cold = timed_both(trees, B4, setup=empty_b4)
        timed_both(trees, OURS, repeat=1, ok=FINDINGS)  # warm both caches on the series
        timed_both(trees, B4, repeat=1, setup=empty_b4)
        restore_ours = {k: snapshot(state(k) / "checks-cache") for k in TREES}
        restore_b4 = {k: snapshot(b4_cache(k)) for k in TREES}
        for tree, env in trees.values():
            amend_middle(tree, env)
        recheck = timed_both(trees, OURS, setup=lambda k: restore_ours[k](), ok=FINDINGS)
        b4_recheck = timed_both(trees, B4, setup=lambda k: restore_b4[k]())
    return [
        Row("check --no-cache (all but clippy)", cold, b4_cold, 0.35),
        Row("check --no-cache, new base", new_base, b4_cold, 0.35,
            note="B2's history index cold"),
        Row("check --no-cache --tool commit", commit),
        Row("check --no-cache --tool commit, new base", commit_new_base,
            note="B2's history index cold"),
        Row("b4 prep --check (empty b4 cache)", b4_cold, growth_target=None),
        Row("re-check after amending patch 11", recheck, b4_recheck, 0.1),
        Row("b4 prep --check re-check (warm)", b4_recheck, growth_target=None),
    ]


if __name__ == "__main__":
    print(table(rows()))
