"""`patchpilot build` against plain make, on the 7.3 tree (the issue's three goals):

    .venv/bin/python bench/bench_build.py [--rounds N] [--no-cold]

1. Its own cost per patch on top of make: patchpilot building patches 1-4 of the planted series
   (clippy through CLIPPY=1; docs and tests off, as make alone does neither) against
   `git rebase -x 'make LLVM=1 CLIPPY=1 O=...'` over the same four commits, each in a warm
   build directory that holds the base. Goal: at most 10% more.
2. After an amend of patch k of n only patches k..n are built; with nothing changed the
   re-check (a whole `patchpilot build` process) takes under 1 s.
3. A cold first build (checkout, configuration, build of the base) against a plain
   `make tinyconfig` + the same symbols + `make` in an empty O=. Goal: at most 1.2x.

Both sides run their make through the same Debian 13 tool root (the tests' build wrapper),
with the same -j. Wall times and CPU times (this process's children) are both given: the
machine has two shared cores. The build path reads no history, so the clone's depth does not
enter these figures. Takes about 20 minutes with the cold part, 5 without.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patchpilot.core.build.runner import Options, build_series  # noqa: E402
from patchpilot.core.build.toolchain import Toolchain  # noqa: E402
from patchpilot.core.git.repo import GitRepo  # noqa: E402
from patchpilot.demo import kernelsrc, planted, toolroot  # noqa: E402

RELEASE = "7.3"
PATCHPILOT = [sys.executable, "-c", "from patchpilot.cli.main import run; run()"]


def sh(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {shlex.join(argv)[:200]} failed ({proc.returncode}): "
                         f"{(proc.stderr or proc.stdout)[-800:]}")
    return proc.stdout


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
          ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall, CPU of the process and its children) of one whole command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"bench: {shlex.join(argv)[:200]} failed ({proc.returncode}): "
                         f"{(proc.stderr or proc.stdout)[-800:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Bed:
    """Two clones of the full 7.3 tree with patches 1-4 of the planted series on `bench`: a
    sparse one for patchpilot (which builds in its own checkout) and a full one for rebase."""

    def __init__(self, tmp: Path, cache: Path):
        self.root = toolroot.ensure_root(cache)
        self.wrapper = toolroot.wrapper_argv(self.root)
        self.builds = cache / "builds"  # the tests' warm homes (a cache: the results are redone)
        self.tree = planted.clone(kernelsrc.full_tree(cache, RELEASE), tmp / "pp")
        commits = planted.plant(self.tree)
        sh(["git", "branch", "-f", "bench", commits[3]], self.tree)
        sh(["git", "checkout", "-q", "bench"], self.tree)
        sh(["git", "config", "patchpilot.build.dir", str(self.builds)], self.tree)
        sh(["git", "config", "patchpilot.build.wrapper", shlex.join(self.wrapper)], self.tree)
        self.base = sh(["git", "rev-parse", "master"], self.tree).strip()
        self.commits = commits[:4]
        self.plain = tmp / "plain"
        sh(["git", "clone", "-q", "--local", str(self.tree), str(self.plain)])
        sh(["git", "checkout", "-q", "-B", "bench", "origin/bench"], self.plain)
        sh(["git", "config", "user.email", "bench@example.org"], self.plain)
        sh(["git", "config", "user.name", "Bench"], self.plain)
        self.plain_out = tmp / "plain-out"
        self.jobs = len(os.sched_getaffinity(0))

    def options(self, **changes: object) -> Options:
        settings = {"root": self.builds, "toolchain": Toolchain(tuple(self.wrapper)),
                    "docs": False, "tests": False, **changes}
        return Options(**settings)  # type: ignore[arg-type]

    def home(self) -> Path:
        return self.builds / f"linux-{RELEASE}-default"

    def patches(self) -> list[tuple[int, str, str]]:
        return [(i, c, planted.SUBJECTS[i - 1]) for i, c in enumerate(self.commits, 1)]

    def make_argv(self, out: Path, *targets: str) -> list[str]:
        return [*self.wrapper, "make", "-s", "-C", str(self.plain), f"O={out}", "ARCH=x86_64",
                "LLVM=1", "CLIPPY=1", f"-j{self.jobs}", *targets]

    def plain_env(self, out: Path) -> dict[str, str]:
        return {**os.environ, "PATCHPILOT_BUILD_DIRS": f"{self.plain}:{out}"}


def warm_patchpilot_at_base(bed: Bed) -> None:
    """Forget the cached results, then build the base: the O= directory holds the base."""
    shutil.rmtree(bed.home() / "results", ignore_errors=True)
    (bed.home() / "results").mkdir(parents=True, exist_ok=True)
    report = build_series(GitRepo(bed.tree), bed.base, bed.patches(), bed.options(),
                          stop_after=0)  # the base, in the series' own configuration
    assert report.base is not None and report.base.built, report.stopped


def warm_plain_at_base(bed: Bed) -> None:
    sh(["git", "checkout", "-q", "master"], bed.plain)
    if not (bed.plain_out / ".config").exists():
        bed.plain_out.mkdir(parents=True, exist_ok=True)
        shutil.copy(bed.home() / "out" / ".config", bed.plain_out / ".config")
        sh(bed.make_argv(bed.plain_out, "olddefconfig"), env=bed.plain_env(bed.plain_out))
    sh(bed.make_argv(bed.plain_out), env=bed.plain_env(bed.plain_out))
    sh(["git", "checkout", "-q", "bench"], bed.plain)


def per_patch(bed: Bed, rounds: int) -> None:
    command = shlex.join(bed.make_argv(bed.plain_out))
    rebase = ["git", "-c", "core.hooksPath=/dev/null", "rebase", "-q", "--force-rebase", "-x",
              command, "master"]
    ours, theirs = [], []
    for n in range(rounds):
        for side in ((0, 1) if n % 2 == 0 else (1, 0)):
            if side == 0:
                warm_patchpilot_at_base(bed)
                ours.append(timed([*PATCHPILOT, "-C", str(bed.tree), "build", "--base",
                                   "master", "--no-docs", "--no-tests"], bed.tree, ok=(0, 1)))
            else:
                warm_plain_at_base(bed)
                theirs.append(timed(rebase, bed.plain, bed.plain_env(bed.plain_out)))
                sh(["git", "reset", "-q", "--hard", "origin/bench"], bed.plain)
    wall = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in theirs)
    cpu = statistics.median(c for _, c in ours), statistics.median(c for _, c in theirs)
    count = len(bed.commits)
    print(f"per patch ({count} patches, medians of {rounds}): patchpilot build "
          f"{wall[0] / count:.1f} s wall / {cpu[0] / count:.1f} s CPU, git rebase -x make "
          f"{wall[1] / count:.1f} s / {cpu[1] / count:.1f} s: overhead "
          f"{(wall[0] / wall[1] - 1) * 100:+.1f}% wall, {(cpu[0] / cpu[1] - 1) * 100:+.1f}% CPU "
          f"(goal: at most +10%)", flush=True)


def amend_and_recheck(bed: Bed, rounds: int) -> None:
    repo = GitRepo(bed.tree)
    build_series(repo, bed.base, bed.patches(), bed.options())  # all four cached
    nothing = [timed([*PATCHPILOT, "-C", str(bed.tree), "build", "--base", "master",
                      "--no-docs", "--no-tests"], bed.tree, ok=(0, 1))[0]
               for _ in range(max(rounds, 3))]
    print(f"nothing changed: `patchpilot build` {statistics.median(nothing):.2f} s "
          f"(median of {len(nothing)}; goal: under 1 s)", flush=True)
    sh(["git", "checkout", "-q", "-B", "amended", bed.commits[2]], bed.tree)
    path = bed.tree / planted.STR
    path.write_text(path.read_text().replace("//! String representations.",
                                             "//! String representations (amended).", 1))
    sh(["git", "-c", "user.email=b@e.org", "-c", "user.name=B", "commit", "-q", "-a",
        "--amend", "--no-edit"], bed.tree)
    sh(["git", "-c", "user.email=b@e.org", "-c", "user.name=B", "cherry-pick",
        bed.commits[3]], bed.tree)
    amended = sh(["git", "rev-list", "--reverse", "master..amended"], bed.tree).split()
    built: set[int] = set()
    build_series(repo, bed.base, [(i, c, "") for i, c in enumerate(amended, 1)], bed.options(),
                 on_event=lambda e: built.add(e.index) if e.step == "build" else None)
    print(f"amend of patch 3 of 4: patches built again: {sorted(built)} (goal: [3, 4])",
          flush=True)
    sh(["git", "checkout", "-q", "bench"], bed.tree)


def cold(bed: Bed, tmp: Path) -> None:
    cold_root = tmp / "cold-builds"
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = build_series(GitRepo(bed.tree), bed.base, bed.patches(),
                          bed.options(root=cold_root), stop_after=0)
    ours = time.perf_counter() - start, _cpu_since(before)
    assert report.base is not None and report.base.built, report.stopped
    fragment = (cold_root / f"linux-{RELEASE}-default" / "out" / ".patchpilot-config")
    symbols = [line for line in fragment.read_text().splitlines() if line.startswith("CONFIG_")]
    shutil.rmtree(cold_root)
    out = tmp / "cold-plain"
    out.mkdir()
    sh(["git", "checkout", "-q", "master"], bed.plain)
    env = bed.plain_env(out)
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sh(bed.make_argv(out, "tinyconfig"), env=env)
    with (out / ".config").open("a") as handle:
        handle.write("\n".join(symbols) + "\n")
    sh(bed.make_argv(out, "olddefconfig"), env=env)
    sh(bed.make_argv(out), env=env)
    theirs = time.perf_counter() - start, _cpu_since(before)
    shutil.rmtree(out)
    print(f"cold first build: patchpilot {ours[0]:.0f} s wall / {ours[1]:.0f} s CPU (checkout, "
          f"toolchain check, configuration, build), plain make {theirs[0]:.0f} s / "
          f"{theirs[1]:.0f} s: {ours[0] / theirs[0]:.2f}x wall, {ours[1] / theirs[1]:.2f}x CPU "
          "(goal: at most 1.2x)", flush=True)


def _cpu_since(before: resource.struct_rusage) -> float:
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-cold", action="store_true", help="skip the cold builds")
    args = parser.parse_args()
    cache = kernelsrc.cache_root()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        bed = Bed(Path(tmp), cache)
        warm_patchpilot_at_base(bed)  # the first time: the bench's own cold build (untimed)
        per_patch(bed, args.rounds)
        amend_and_recheck(bed, args.rounds)
        if not args.no_cold:
            cold(bed, Path(tmp))


if __name__ == "__main__":
    main()
