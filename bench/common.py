"""Shared pieces for benchmarks: an isolated environment, a 20-patch series, a timer."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patchpilot.demo import kernelsrc  # noqa: E402

BIN = Path(sys.executable).parent


def isolated_env(home: Path) -> dict[str, str]:
    """HOME, XDG and git config of our own, like the tests, so results do not depend on you."""
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Bench Dev\n\temail = bench@example.org\n"
                         "[sendemail]\n\tsmtpServer = 127.0.0.1\n")
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_GLOBAL=str(gitconfig),
               GIT_CONFIG_NOSYSTEM="1", PATCHPILOT_KERNEL_CACHE=str(kernelsrc.cache_root()))
    return env


def run(argv: list[str], cwd: Path, env: dict, stdin: str | None = None) -> None:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} failed: {proc.stderr[-500:]}")


def make_series(tree: Path, env: dict, count: int = 20) -> None:
    """A b4 series of `count` patches touching Rust samples, drivers and docs."""
    run([str(BIN / "b4"), "prep", "-n", "bench", "-f", "master"], tree, env)
    targets = sorted((tree / "samples" / "rust").glob("*.rs")) + \
        sorted((tree / "drivers" / "net" / "phy").glob("*.rs")) + \
        sorted((tree / "Documentation" / "rust").glob("*.rst"))
    for i in range(count):
        path = targets[i % len(targets)]
        path.write_text(path.read_text() + f"\n// bench change {i}\n")
        run(["git", "add", str(path)], tree, env)
        run(["git", "commit", "-q", "-s", "-m", f"bench: change {i} in {path.name}"], tree, env)


def timed(argv: list[str], cwd: Path, env: dict, repeat: int = 5) -> float:
    """Median wall time of a whole process, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(argv, cwd, env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scratch() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="patchpilot-bench-")
