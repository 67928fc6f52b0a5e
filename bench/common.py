"""Shared pieces for benchmarks: the two trees, an isolated environment, a 20-patch series, a
timer of whole processes, and the rows every benchmark reports.

Every command is measured on two trees built from the same slim kernel tree: the one-commit
tree as Debian ships it, and the deep-history tree (`DEEP_COMMITS` synthetic commits between
the tree's commit and the series, patchpilot.demo.deephistory), which stands in for a
contributor's real clone; a row gives both and the growth.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patchpilot.demo import deephistory, kernelsrc  # noqa: E402

BIN = Path(sys.executable).parent
DEEP_COMMITS = int(os.environ.get("PATCHPILOT_BENCH_DEEP", "300000"))
RUNS = int(os.environ.get("PATCHPILOT_BENCH_RUNS", "5"))
TREES = ("1 commit", f"{DEEP_COMMITS // 1000}k commits")


def template(kind: str) -> Path:
    """The cached tree a benchmark clones: the slim tree, or it under the deep history."""
    return kernelsrc.slim_tree() if kind == TREES[0] else deephistory.deep_tree(DEEP_COMMITS)


def isolated_env(home: Path) -> dict[str, str]:
    """HOME, XDG and git config of our own, like the tests, so results do not depend on you."""
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Bench Dev\n\temail = bench@example.org\n"
                         "[sendemail]\n\tsmtpServer = 127.0.0.1\n")
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_GLOBAL=str(gitconfig),
               GIT_CONFIG_NOSYSTEM="1", PATCHPILOT_KERNEL_CACHE=str(kernelsrc.cache_root()))
    env.update(RUST_HOMES)  # rustup finds its toolchains through HOME unless these are set
    # The code of this checkout, whatever the commands' working directory (a relative
    # PYTHONPATH=. would find the tree instead, and the installed patchpilot after it).
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    # Python caches compiled modules as any installation does (b4's were compiled by pip);
    # a sandbox that turns that off would add the compile to every patchpilot start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


RUST_HOMES = {var: os.environ.get(var) or str(Path.home() / default)
              for var, default in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo"))
              if Path(os.environ.get(var) or Path.home() / default).exists()}


def run(argv: list[str], cwd: Path, env: dict, stdin: str | None = None,
        ok: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)
    if proc.returncode not in ok:
        raise SystemExit(f"bench: {' '.join(argv)} failed ({proc.returncode}): "
                         f"{proc.stderr[-500:]}")
    return proc.stdout


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


def series_tree(kind: str, tmp: Path, count: int = 20) -> tuple[Path, dict[str, str]]:
    """A private clone of `kind` with the `count`-patch series on b4/bench, and its
    environment."""
    env = isolated_env(tmp / "home")
    tree = kernelsrc.clone_tree(template(kind), tmp / "linux")
    run(["git", "branch", "--unset-upstream", "master"], tree, env, ok=(0, 128))
    make_series(tree, env, count)
    return tree, env


Trees = dict[str, tuple[Path, dict[str, str]]]


def series_trees(tmp: Path, count: int = 20) -> Trees:
    """Both trees, each with the `count`-patch series: {kind: (tree, env)}."""
    return {kind: series_tree(kind, tmp / f"tree{n}", count) for n, kind in enumerate(TREES)}


class Seconds(float):
    """A median wall time that also carries the median CPU time (user + system, the process
    and its children) of the same runs: on shared cores wall time moves with the load, CPU
    time much less, so the table gives both."""

    cpu: float

    def __new__(cls, wall: float, cpu: float) -> Seconds:
        made = super().__new__(cls, wall)
        made.cpu = cpu
        return made


def timed_both(trees: Trees, argv: list[str], repeat: int = RUNS,
               setup: Callable[[str], object] | None = None,
               ok: tuple[int, ...] = (0,)) -> dict[str, float]:
    """`timed` on every tree, runs interleaved (one-commit, deep, deep, one-commit, ...), so a
    change in the machine's load (other work on shared cores) falls on both alike."""
    walls: dict[str, list[float]] = {kind: [] for kind in trees}
    cpus: dict[str, list[float]] = {kind: [] for kind in trees}
    for n in range(repeat):
        for kind in (list(trees) if n % 2 == 0 else list(trees)[::-1]):
            tree, env = trees[kind]
            if setup is not None:
                setup(kind)
            took = timed(argv, tree, env, 1, ok=ok)
            walls[kind].append(took)
            cpus[kind].append(getattr(took, "cpu", 0.0))
    return {kind: Seconds(statistics.median(walls[kind]), statistics.median(cpus[kind]))
            for kind in trees}


def timed(argv: list[str], cwd: Path, env: dict, repeat: int = RUNS,
          setup: Callable[[], object] | None = None, ok: tuple[int, ...] = (0,)) -> float:
    """Median wall time of a whole process, in seconds (a Seconds: with its CPU time);
    `setup` runs before each run, outside the timing; exit codes in `ok` count as success
    (check exits 1 on findings)."""
    walls, cpus = [], []
    for _ in range(repeat):
        if setup is not None:
            setup()
        before = _children_cpu()
        start = time.perf_counter()
        run(argv, cwd, env, ok=ok)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - before)
    return Seconds(statistics.median(walls), statistics.median(cpus))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def patchpilot(*args: str) -> list[str]:
    return [str(BIN / "patchpilot"), *args]


def b4(*args: str) -> list[str]:
    return [str(BIN / "b4"), *args]


@dataclass
class Row:
    """One command on both trees (seconds), with b4's figure for the same job if any."""

    command: str
    ours: dict[str, float]
    b4: dict[str, float] | None = None
    ratio_target: float | None = None   # ours / b4 at most this, on every tree
    growth_target: float | None = 1.2   # deep / one-commit at most this
    note: str = ""
    # (how much more work this row does than `less`, the same command on less work): the
    # time may grow by at most that much on every tree (50 vs 20 patches: 2.5)
    work: float | None = None
    less: dict[str, float] | None = None

    def work_growth(self, kind: str) -> float | None:
        if not self.less or not self.less.get(kind) or kind not in self.ours:
            return None
        return self.ours[kind] / self.less[kind]

    def growth(self) -> float | None:
        small, deep = (self.ours.get(k) for k in TREES)
        return deep / small if small and deep else None

    def cpu_growth(self) -> float | None:
        small, deep = (getattr(self.ours.get(k), "cpu", None) for k in TREES)
        return deep / small if small and deep else None

    def ratio(self, kind: str) -> float | None:
        if not self.b4 or not self.b4.get(kind) or kind not in self.ours:
            return None
        return self.ours[kind] / self.b4[kind]

    def verdict(self) -> str:
        growth, failed = self.growth(), []
        if self.growth_target and growth is not None and growth > self.growth_target:
            failed.append("growth")
        if self.ratio_target and any((self.ratio(k) or 0) > self.ratio_target for k in TREES):
            failed.append("ratio")
        if self.work and any((self.work_growth(k) or 0) > self.work for k in TREES):
            failed.append("work")
        return "MISSED " + "+".join(failed) if failed else "ok"


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table: both trees, growth, ratio to b4 and targets."""
    small, deep = TREES
    lines = [f"| command | {small} | {deep} | growth (CPU) | vs b4 ({small} / {deep}) "
             f"| vs less work ({small} / {deep}) | target | |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        growth, cpu_growth = row.growth(), row.cpu_growth()
        ratios = " / ".join(f"{r:.3f}x" if (r := row.ratio(k)) is not None else "-"
                            for k in TREES) if row.b4 else "-"
        works = " / ".join(f"{w:.2f}x" if (w := row.work_growth(k)) is not None else "-"
                           for k in TREES) if row.less else "-"
        targets = ", ".join(t for t in (
            f"growth <= {row.growth_target}x" if row.growth_target else "",
            f"<= {row.ratio_target}x b4" if row.ratio_target else "",
            f"work growth <= {row.work:.2f}x" if row.work else "") if t)
        cells = [row.command + (f" ({row.note})" if row.note else ""),
                 *(_shown(row.ours[k]) if k in row.ours else "-" for k in TREES),
                 (f"{growth:.2f}x" if growth is not None else "-")
                 + (f" ({cpu_growth:.2f}x)" if cpu_growth is not None else ""),
                 ratios, works, targets or "-", row.verdict()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _shown(took: float) -> str:
    cpu = getattr(took, "cpu", None)
    return f"{took:.2f} s" + (f" ({cpu:.2f} s CPU)" if cpu is not None else "")


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="patchpilot-bench-")
