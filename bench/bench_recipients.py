"""Time recipients for a 20-patch series: patchpilot's engine against b4's get_maintainer.pl.

`b4 prep --auto-to-cc` runs scripts/get_maintainer.pl twice per patch (To with --nol, Cc with
--nom). This script writes a 20-patch series touching files across the full kernel tree, then
times, on the same machine and in the same run:

- b4's cost: the 40 get_maintainer.pl runs, one after another, as b4 makes them;
- ours: one fresh Python process that loads MAINTAINERS and computes To and Cc for all 20
  patches (start-up and imports included).

It prints both wall times and the ratio (the goal is at most 0.05). Usage:

    .venv/bin/python bench/bench_recipients.py [KERNEL_TREE] [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

ENGINE = """
import sys
from pathlib import Path
from patchpilot.core.maintainers import Maintainers
engine = Maintainers.load(sys.argv[1])
for name in sys.argv[2:]:
    rec = engine.recipients(Path(name).read_text())
    assert rec.to or rec.cc
"""


def make_patch(number: int, path: str) -> str:
    """A format-patch style mail adding one line to `path`."""
    return (
        f"From: Bench Dev <bench@example.org>\n"
        f"Subject: [PATCH {number:02d}/20] bench: touch {path.rsplit('/', 1)[-1]}\n\n"
        "Add a comment so that the series has something to send.\n\n"
        "Signed-off-by: Bench Dev <bench@example.org>\n---\n"
        f" {path} | 1 +\n 1 file changed, 1 insertion(+)\n\n"
        f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n"
        f"--- a/{path}\n+++ b/{path}\n@@ -1,1 +1,2 @@\n first line\n+/* bench */\n"
    )


def write_series(directory: Path) -> list[Path]:
    paths = []
    for number, file in enumerate(FILES, start=1):
        path = directory / f"{number:04d}.patch"
        path.write_text(make_patch(number, file))
        paths.append(path)
    return paths


def time_get_maintainer(tree: Path, patches: list[Path]) -> float:
    script = tree / "scripts" / "get_maintainer.pl"
    base = ["--nogit", "--nogit-fallback", "--nogit-chief-penguins", "--norolestats"]
    start = time.perf_counter()
    for patch in patches:
        for extra in ("--nol", "--nom"):
            with open(patch, "rb") as stdin:
                subprocess.run([str(script), *base, extra], cwd=tree, stdin=stdin,
                               capture_output=True, check=True)
    return time.perf_counter() - start


def time_engine(tree: Path, patches: list[Path]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", ENGINE, str(tree), *map(str, patches)], check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", nargs="?", type=Path,
                        default=Path.home() / ".cache/patchpilot/kernel/full")
    parser.add_argument("--runs", type=int, default=3, help="take the best of N runs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        patches = write_series(Path(tmp))
        theirs = min(time_get_maintainer(args.tree, patches) for _ in range(args.runs))
        ours = min(time_engine(args.tree, patches) for _ in range(args.runs))
    print(f"get_maintainer.pl x{2 * len(patches)} (b4 --auto-to-cc): {theirs:.3f} s")
    print(f"patchpilot engine, one process, {len(patches)} patches: {ours:.3f} s")
    print(f"ratio: {ours / theirs:.3f} (goal <= 0.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
