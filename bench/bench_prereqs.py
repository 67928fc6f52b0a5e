"""The pre-flight's `prerequisites` check against `b4 prep --check-deps`, on the full tree.

A 3-patch dependency series is written with `b4 send -o` and delivered to a real
public-inbox on loopback (b4.midmask points b4 and patchpilot at it); a 20-patch series built
on it declares `change-id: DEP:v1` and `base-commit: master`. Both look the dependency up on
the list and apply it and the series on the base: b4 with `git am` in a sparse worktree,
patchpilot with `git mailinfo` and `git apply --cached` on a scratch index. Whole processes,
medians, same machine, same run; both must pass. Prints the figures and the ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import BIN, ROOT, isolated_env, kernelsrc, make_series, run, scratch

sys.path.insert(0, str(ROOT))
from tests.publicinbox import PublicInbox  # noqa: E402

OURS = """
import sys
from patchpilot.core.config import Config
from patchpilot.core.send.preflight import prerequisites_line
from patchpilot.core.series.model import load_series, open_kernel_repo
repo = open_kernel_repo(".")
line = prerequisites_line(repo, load_series(repo), Config(repo))
sys.exit(0 if line.state == "ok" else f"{line.detail} {line.fix}")
"""


def dependency(tree: Path, env: dict, out: Path) -> str:
    """b4 series `dep` (3 patches) written as mails into `out`; returns its change-id."""
    run([str(BIN / "b4"), "prep", "-n", "dep", "-f", "master"], tree, env)
    for i in range(3):
        path = tree / "samples" / "rust" / f"rust_dep{i}.rs"
        path.write_text(f"// SPDX-License-Identifier: GPL-2.0\n\n//! Dep {i}.\n")
        run(["git", "add", str(path)], tree, env)
        run(["git", "commit", "-q", "-s", "-m", f"samples: rust: add dep {i}"], tree, env)
    cover = tree.parent / "cover.txt"
    cover.write_text("samples: rust: deps\n\nThe dependency.\n")
    run([str(BIN / "b4"), "prep", "--edit-cover"], tree, dict(env, GIT_EDITOR=f"cp {cover}"))
    run([str(BIN / "b4"), "send", "--no-sign", "-o", str(out), "--to", "list@example.org"],
        tree, env)
    info = subprocess.run([str(BIN / "b4"), "prep", "--show-info", "change-id"], cwd=tree,
                          env=env, capture_output=True, text=True).stdout.strip()
    return info.split()[-1]


def timed(argv: list[str], cwd: Path, env: dict, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        said = proc.stderr + proc.stdout
        if proc.returncode != 0 or "Could not" in said or "\x1b[31;5m" in said:
            raise SystemExit(f"bench: {' '.join(argv[:3])} did not pass: {said[-800:]}")
    return statistics.median(times)


def main() -> None:
    with scratch() as tmp_name:
        tmp = Path(tmp_name)
        env = isolated_env(tmp)
        tree = kernelsrc.clone_tree(kernelsrc.full_tree(), tmp / "linux")
        change = dependency(tree, env, tmp / "mails")
        with PublicInbox(tmp / "pi") as inbox:
            for mail in sorted((tmp / "mails").glob("*.eml")):
                inbox.deliver(mail.read_bytes())
            run(["git", "config", "b4.midmask", f"{inbox.base}/%s"], tree, env)
            run(["git", "switch", "-q", "master"], tree, env)
            make_series(tree, env, 20)
            deps = tmp / "deps.txt"
            deps.write_text(f"change-id: {change}:v1\nbase-commit: master\n")
            run([str(BIN / "b4"), "prep", "--edit-deps"], tree,
                dict(env, GIT_EDITOR=f"cp {deps}"))
            b4 = timed([str(BIN / "b4"), "prep", "--check-deps", "--no-cache"], tree, env)
            ours = timed([sys.executable, "-c", OURS], tree, dict(env, PYTHONPATH=str(ROOT)))
    print(f"prerequisites, 3-patch dependency + 20-patch series, full tree: "
          f"b4 prep --check-deps {b4:.2f}s, patchpilot pre-flight line {ours:.2f}s, "
          f"ratio {ours / b4:.2f}")


if __name__ == "__main__":
    main()
