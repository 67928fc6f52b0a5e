"""`patchpilot check --no-cache` against `b4 prep --check` on the full trees a user has (not
the slim one): with the whole tree, checkpatch.pl runs scripts/spdxcheck.py and
get_maintainer.pl --status for every file, which the slim tree hides.

1. A 20-patch Rust series (one to three files a patch) on the full 6.12 tree.
2. nova-core added back as 18 patches of new files on the full 7.3 tree.

Both: every tool but clippy against `b4 prep --check` with an empty b4 cache, whole
processes, medians, interleaved in the same run. Target: at most 0.35x.

    .venv/bin/python bench/bench_fulltree.py      (or: bench/run.py --only fulltree)
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

from common import (
    RUNS,
    TREES,
    Row,
    Seconds,
    b4,
    isolated_env,
    patchpilot,
    run,
    scratch,
    table,
    timed,
)

from patchpilot.demo import kernelsrc

OURS = patchpilot("check", "--no-cache", "--tool", "checkpatch,rustfmt,rust,commit")
B4 = b4("prep", "--check")
FINDINGS = (0, 1)
NOVA = "drivers/gpu/nova-core"


def _commit(tree: Path, env: dict, files: list[str], subject: str) -> None:
    run(["git", "add", "-A", "--", *files], tree, env)
    run(["git", "commit", "-q", "-s", "-m", f"{subject}\n\nPart of the benchmark series."],
        tree, env)


def rust_series(tmp: Path) -> tuple[Path, dict]:
    """20 patches on the full 6.12 tree, each changing one to three Rust files."""
    env = isolated_env(tmp / "home")
    tree = kernelsrc.clone_tree(kernelsrc.full_tree(), tmp / "linux-6.12")
    run(["git", "branch", "--unset-upstream", "master"], tree, env, ok=(0, 128))
    run([str(b4()[0]), "prep", "-n", "bench", "-f", "master"], tree, env)
    targets = sorted(str(p.relative_to(tree)) for d in ("samples/rust", "drivers/net/phy",
                                                        "rust/kernel/sync")
                     for p in (tree / d).glob("*.rs"))
    for i in range(20):
        files = [targets[(i + k) % len(targets)] for k in range(1 + i % 3)]
        for rel in files:
            path = tree / rel
            path.write_text(path.read_text() + f"\n// bench change {i}\n")
        _commit(tree, env, files, f"rust: bench change {i}")
    return tree, env


def nova_series(tmp: Path) -> tuple[Path, dict]:
    """nova-core's `.rs` files taken out of the full 7.3 tree, then added back as 18
    patches of new files."""
    env = isolated_env(tmp / "home")
    tree = kernelsrc.clone_tree(kernelsrc.full_tree(release="7.3"), tmp / "linux-7.3")
    run(["git", "branch", "--unset-upstream", "master"], tree, env, ok=(0, 128))
    files = sorted(str(p.relative_to(tree)) for p in (tree / NOVA).rglob("*.rs"))
    texts = {rel: (tree / rel).read_text() for rel in files}
    run(["git", "rm", "-q", *files], tree, env)
    run(["git", "commit", "-q", "-m", "Take nova-core out"], tree, env)
    run([str(b4()[0]), "prep", "-n", "nova", "-f", "master"], tree, env)
    bounds = [round(k * len(files) / 18) for k in range(19)]
    for n in range(1, 19):
        part = files[bounds[n - 1]:bounds[n]]
        for rel in part:
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            (tree / rel).write_text(texts[rel])
        _commit(tree, env, part, f"gpu: nova-core: add part {n}")
    return tree, env


def _pair(tree: Path, env: dict) -> tuple[Seconds, Seconds]:
    """Ours and b4's, runs interleaved (ours, b4, b4, ours, ...)."""
    cache = Path(env["XDG_CACHE_HOME"]) / "b4"
    ours: list[Seconds] = []
    theirs: list[Seconds] = []
    for n in range(RUNS):
        order = ("ours", "b4") if n % 2 == 0 else ("b4", "ours")
        for who in order:
            if who == "ours":
                ours.append(timed(OURS, tree, env, 1, ok=FINDINGS))
            else:
                theirs.append(timed(B4, tree, env, 1, setup=lambda: shutil.rmtree(
                    cache, ignore_errors=True)))
    return _median(ours), _median(theirs)


def _median(runs: list[Seconds]) -> Seconds:
    return Seconds(statistics.median(runs), statistics.median(r.cpu for r in runs))


def rows() -> list[Row]:
    small = TREES[0]
    with scratch() as tmp:
        found = []
        for label, make in (("20 Rust patches, full 6.12 tree", rust_series),
                            ("nova-core as 18 patches of new files, full 7.3 tree",
                             nova_series)):
            tree, env = make(Path(tmp) / label.split()[0])
            ours, theirs = _pair(tree, env)
            found.append(Row(f"check --no-cache ({label})", {small: ours}, {small: theirs},
                             0.35, growth_target=None))
            found.append(Row(f"b4 prep --check ({label})", {small: theirs},
                             growth_target=None))
    return found


if __name__ == "__main__":
    print(table(rows()))
