"""`patchpilot recipients`: its growth from the one-commit to the deep-history tree, and against
`b4 prep --auto-to-cc` on a 20-patch series in the full tree.

1. Growth: `patchpilot recipients --json` on the 20-patch series of bench/common.py, on both
   trees; a first run builds the MAINTAINERS index under .git/patchpilot (its own row: the
   index removed before each run), the runs after that use it (the main row).
2. Full tree: b4 runs scripts/get_maintainer.pl twice per patch (To with --nol, Cc with --nom).
   Both are timed as whole processes on the same series, in the same run; the goal is a ratio
   of at most 0.05. The addresses b4 writes into the cover are compared with patchpilot's
   maintainers-source addresses, which must be identical.

    .venv/bin/python bench/bench_recipients.py [--runs N]
"""

from __future__ import annotations

import argparse
import email.utils
import json
import shutil
import subprocess
from pathlib import Path

from common import (
    BIN,
    TREES,
    Row,
    isolated_env,
    kernelsrc,
    patchpilot,
    run,
    scratch,
    series_trees,
    table,
    timed,
    timed_both,
)

FILES = [
    "rust/kernel/lib.rs", "rust/kernel/sync/arc.rs", "rust/macros/module.rs",
    "samples/rust/rust_minimal.rs", "drivers/net/phy/ax88796b_rust.rs",
    "drivers/block/rnull.rs", "drivers/gpu/drm/drm_panic_qr.rs", "mm/kasan/kasan_test_rust.rs",
    "drivers/net/ethernet/intel/e1000e/netdev.c", "fs/ext4/inode.c", "kernel/sched/core.c",
    "mm/page_alloc.c", "include/linux/phy.h", "net/core/dev.c", "arch/x86/kernel/setup.c",
    "arch/arm64/boot/dts/rockchip/rk3399.dtsi", "Documentation/rust/coding-guidelines.rst",
    "Documentation/devicetree/bindings/net/ethernet-phy.yaml", "drivers/gpio/Kconfig",
    "lib/sort.c",
]


def make_series(tree: Path, env: dict) -> None:
    run([str(BIN / "b4"), "prep", "-n", "bench", "-f", "master"], tree, env)
    for number, name in enumerate(FILES, start=1):
        path = tree / name
        path.write_text(path.read_text() + "\n/* bench */\n")
        run(["git", "add", name], tree, env)
        run(["git", "commit", "-q", "-s", "-m", f"bench: touch {path.name}\n\nChange {number}."],
            tree, env)


def cover_trailers(tree: Path, env: dict) -> set[str]:
    out = subprocess.run(["git", "log", "-1", "--format=%B", "HEAD~20"], cwd=tree, env=env,
                         capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        name, sep, value = line.partition(":")
        if sep and name in ("To", "Cc"):
            found.add(email.utils.parseaddr(value.strip())[1].lower())
    return found


def ours_maintainers(data: dict) -> set[str]:
    return {email.utils.parseaddr(a)[1].lower() or a.lower()
            for a in data["to"] + data["cc"]
            if any(r["source"] == "maintainers" for r in data["reasons"][a])}


def full_tree(runs: int) -> dict:
    with scratch() as tmp:
        tmp = Path(tmp)
        env = isolated_env(tmp)
        tree = kernelsrc.clone_tree(kernelsrc.full_tree(), tmp / "linux")
        make_series(tree, env)
        tip = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tree, env=env,
                             capture_output=True, text=True, check=True).stdout.strip()
        argv = [str(BIN / "patchpilot"), "recipients", "--json"]
        cold = timed(argv, tree, env, repeat=1)
        ours = timed(argv, tree, env, repeat=max(runs, 3))
        data = json.loads(subprocess.run(argv, cwd=tree, env=env, capture_output=True,
                                         text=True, check=True).stdout)
        b4_times = []
        for _ in range(runs):
            run(["git", "reset", "-q", "--hard", tip], tree, env)  # our scratch clone only
            b4_times.append(timed([str(BIN / "b4"), "prep", "--auto-to-cc"], tree, env, 1))
        same = cover_trailers(tree, env) == ours_maintainers(data)
    theirs = min(b4_times)
    return {"patchpilot_s": ours, "patchpilot_cold_s": cold, "b4_auto_to_cc_s": theirs,
            "same_addresses": same}


def growth() -> tuple[dict[str, float], dict[str, float]]:
    with scratch() as tmp:
        trees = series_trees(Path(tmp))
        def no_index(kind: str) -> None:
            shutil.rmtree(trees[kind][0] / ".git" / "patchpilot" / "maintainers-cache",
                          ignore_errors=True)

        cold = timed_both(trees, patchpilot("recipients", "--json"), setup=no_index)
        warm = timed_both(trees, patchpilot("recipients", "--json"))
    return warm, cold


def rows(runs: int = 2, full: bool = True) -> list[Row]:
    warm, cold = growth()
    found = [Row("recipients --json", warm),
             Row("recipients --json, first run", cold, note="builds the MAINTAINERS index")]
    if full:
        got = full_tree(runs)
        small = TREES[0]
        note = "full 86k-file tree" + ("" if got["same_addresses"] else ", ADDRESSES DIFFER")
        found += [Row("recipients vs b4 prep --auto-to-cc", {small: got["patchpilot_s"]},
                      {small: got["b4_auto_to_cc_s"]}, 0.05, None, note),
                  Row("recipients vs b4 prep --auto-to-cc, first run",
                      {small: got["patchpilot_cold_s"]}, {small: got["b4_auto_to_cc_s"]},
                      None, None, note)]
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--no-full", action="store_true", help="skip the full-tree comparison")
    args = parser.parse_args()
    print(table(rows(args.runs, not args.no_full)))
