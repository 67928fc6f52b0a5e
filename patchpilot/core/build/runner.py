"""Build every patch of a series in order, in a private checkout with a persistent O= directory:
`make LLVM=1 CLIPPY=1` (one build answers "does it build" and "what does clippy say"), then
`make rustdoc` for patches that touch rust/, then the KUnit tests through kunit.py.

What a patch introduced is the difference from its parent's state, decided by content: the
warnings known after the parent (its ledger: the base's full build plus every later build's)
against what this build printed. Results are cached per state, keyed by a chain of tree ids
(the base's, then each patch's), the configuration and the toolchain, so an amend of patch k
rebuilds k..n, and a re-check with nothing changed builds nothing. No UI.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from patchpilot.core.build import diagnostics, kconfig, kunit
from patchpilot.core.build.choice import (
    choose_config,
    kind_of,
    remember_symbols,
    with_earlier_symbols,
)
from patchpilot.core.build.home import BuildHome, checkout, holding, home_for, kernel_line
from patchpilot.core.build.model import BuildReport, Event, PatchBuild
from patchpilot.core.build.stream import Run
from patchpilot.core.build.toolchain import Toolchain, identity, rust_available
from patchpilot.core.checks.procs import Cancelled
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo

CACHE_VERSION = "1"
NOTES = ".patchpilot-notes"


@dataclass(frozen=True)
class Options:
    root: Path  # where build homes live (build.dir)
    toolchain: Toolchain = Toolchain()
    config: str = "auto"  # auto (smallest), tree (.config of the tree), or a file/build dir
    docs: bool = True
    tests: bool = True
    timeout: float = 3600.0  # one make
    test_timeout: int = 300  # one kunit.py run
    jobs: int = 0  # 0: the number of CPUs
    arch: str = "x86_64"


@dataclass(frozen=True)
class Step:
    index: int
    commit: str
    subject: str
    touched: tuple[str, ...] = ()


@dataclass
class _Run:
    """One build run's working state."""

    repo: GitRepo
    options: Options
    home: BuildHome
    choice: kconfig.ConfigChoice
    tool_id: str
    on_event: Callable[[Event], None]
    cancel: threading.Event | None
    notes: list[str] = field(default_factory=list)


def steps_of(repo: GitRepo, base: str, patches: list[tuple[int, str, str]]) -> list[Step]:
    """The base (index 0) and each patch with the files it touches."""
    result = [Step(0, base, "base")]
    for index, commit, subject in patches:
        names = repo.run("diff-tree", "--no-commit-id", "--name-only", "-r", "--root", commit)
        result.append(Step(index, commit, subject, tuple(n for n in names.splitlines() if n)))
    return result


@dataclass
class _Plan:
    steps: list[Step]
    choice: kconfig.ConfigChoice
    home: BuildHome
    tool_id: str
    keys: list[str]
    cached: list[PatchBuild | None]

    def report(self, options: Options) -> BuildReport:
        notes = list(self.choice.notes)
        try:  # what the configuring run found (symbols olddefconfig turned off)
            notes += (self.home.out / NOTES).read_text().splitlines()
        except OSError:
            pass
        return BuildReport(self.choice.described, options.toolchain.described(),
                           str(self.home.path), notes=notes)


def _plan(repo: GitRepo, base: str, patches: list[tuple[int, str, str]],
          options: Options, create: bool = True) -> _Plan:
    steps = steps_of(repo, base, patches)
    choice = choose_config(repo, options.config, base, [f for s in steps for f in s.touched])
    home = home_for(options.root, kernel_line(repo, base), kind_of(choice), create)
    choice = with_earlier_symbols(choice, home.out)
    tool_id = identity(options.toolchain)
    keys = _keys(repo, steps, choice, tool_id, options)
    return _Plan(steps, choice, home, tool_id, keys, [_load(home, key) for key in keys])


def cached_report(repo: GitRepo, base: str, patches: list[tuple[int, str, str]],
                  options: Options) -> BuildReport | None:
    """The build of exactly this series, configuration and toolchain, if it is in the cache
    (None: it was never built, or something changed since). Builds nothing."""
    plan = _plan(repo, base, patches, options, create=False)
    if not all(plan.cached):
        return None
    report = plan.report(options)
    _fill(report, [c for c in plan.cached if c], lambda event: None)
    return report


def build_series(repo: GitRepo, base: str, patches: list[tuple[int, str, str]],
                 options: Options, on_event: Callable[[Event], None] | None = None,
                 cancel: threading.Event | None = None,
                 stop_after: int | None = None) -> BuildReport:
    """Build the base and each patch (see the module docstring); `stop_after`: only the
    states up to that index (0: the base alone, in the series' configuration)."""
    emit = on_event or (lambda event: None)
    emit(Event(0, "config", "running", "toolchain: " + options.toolchain.described()))
    plan = _plan(repo, base, patches, options)
    report = plan.report(options)
    if all(plan.cached[:None if stop_after is None else stop_after + 1]):
        _fill(report, [c for c in plan.cached if c], emit)
        return report
    run = _Run(repo, options, plan.home, plan.choice, plan.tool_id, emit, cancel, report.notes)
    with holding(plan.home):
        try:
            last = len(plan.steps) if stop_after is None else stop_after + 1
            _build_all(run, plan.steps[:last], plan.keys[:last], plan.cached[:last], report)
        except Cancelled:
            report.cancelled = True
            emit(Event(len(report.patches), "done", "cancelled"))
    return report


def _fill(report: BuildReport, results: list[PatchBuild], emit: Callable[[Event], None]) -> None:
    report.base = results[0]
    report.patches = results[1:]
    for result in results:
        emit(Event(result.index, "done", "cached", result=result))


def _keys(repo: GitRepo, steps: list[Step], choice: kconfig.ConfigChoice, tool_id: str,
          options: Options) -> list[str]:
    """A chain: each state's key covers its tree and every state before it."""
    trees = repo.run("rev-parse", *[f"{s.commit}^{{tree}}" for s in steps]).split()
    seed = "\n".join([CACHE_VERSION, kind_of(choice), "\n".join(choice.fragment),
                      choice.config_text, tool_id, options.arch, f"docs={options.docs}",
                      f"tests={options.tests}"])
    keys, previous = [], hashlib.sha256(seed.encode()).hexdigest()
    for tree in trees:
        previous = hashlib.sha256(f"{previous}\n{tree}".encode()).hexdigest()
        keys.append(previous)
    return keys


def _load(home: BuildHome, key: str) -> PatchBuild | None:
    path = home.results / f"{key}.json"
    try:
        return PatchBuild.from_cache(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(home: BuildHome, key: str, result: PatchBuild) -> None:
    path = home.results / f"{key}.json"
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(result.to_cache()))
    partial.replace(path)


def _build_all(run: _Run, steps: list[Step], keys: list[str],
               cached: list[PatchBuild | None], report: BuildReport) -> None:
    parent: PatchBuild | None = None
    configured = False
    rust_files = any(f.endswith(".rs") for s in steps for f in s.touched)
    for step, key, hit in zip(steps, keys, cached):
        if hit is not None:
            result = hit
            run.on_event(Event(step.index, "done", "cached", result=result))
        else:
            if not configured:
                _configure(run, steps[0])
                configured = True
            result = _build_one(run, step, parent, docs=rust_files)
            if report.stopped or result.built is None:
                report.stopped = result.failure
                _record(report, step, result)
                return
            if result.built or (result.errors and step.index > 0):
                _save(run.home, key, result)  # not a failure the toolchain may have caused
        _record(report, step, result)
        if step.index == 0 and not result.built:
            report.stopped = f"the base {step.commit[:12]} does not build with " \
                             f"{report.config}: {result.failure or _first(result)}"
            return
        parent = result


def _record(report: BuildReport, step: Step, result: PatchBuild) -> None:
    if step.index == 0:
        report.base = result
    else:
        report.patches.append(result)


def _first(result: PatchBuild) -> str:
    if result.errors:
        d = result.errors[0]
        return f"{d.file}:{d.line}: {d.message}"
    return "see the build log"


def _make(run: _Run, targets: list[str], index: int, step_name: str) -> Run:
    jobs = run.options.jobs or max(1, _cpus())
    argv = ["make", "-C", str(run.home.src), f"O={run.home.out}", f"ARCH={run.options.arch}",
            "LLVM=1", "CLIPPY=1", "KRUSTFLAGS=--error-format=json", f"-j{jobs}", *targets]
    return run.options.toolchain.run(
        argv, [run.home.src, run.home.out], run.options.timeout, cwd=run.home.src,
        on_line=lambda line: run.on_event(Event(index, step_name, "running", line)),
        cancel=run.cancel)


def _cpus() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)


def _configure(run: _Run, base: Step) -> None:
    """Check the toolchain as the kernel does (on the base), then write the O= directory's
    .config when the configuration asked for differs from the one it has (a changed
    configuration reuses the objects it can: make decides)."""
    checkout(run.home, run.repo, base.commit)
    available = rust_available(run.options.toolchain, run.home.src, arch=run.options.arch)
    if not available.ok:
        raise PatchpilotError(f"the toolchain cannot build Rust for this tree: "
                              f"{available.summary}",
                              hint="install what it names (Documentation/rust/quick-start.rst)"
                                   ", or set build.wrapper to run a toolchain that can")
    stamp = run.home.out / ".patchpilot-config"
    wanted = "\n".join([kind_of(run.choice), *run.choice.fragment, run.choice.config_text])
    config = run.home.out / ".config"
    if config.is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return
    run.on_event(Event(0, "config", "running", run.choice.described))
    if run.choice.kind == "default":
        _check(_make(run, ["tinyconfig"], 0, "config"), "make tinyconfig")
        with config.open("a") as handle:
            handle.write("\n".join(run.choice.fragment) + "\n")
    else:
        config.write_text(run.choice.config_text)
    _check(_make(run, ["olddefconfig"], 0, "config"), "make olddefconfig")
    result = config.read_text(errors="replace")
    notes = []
    missing = kconfig.dropped(run.choice, result)
    if missing:
        notes.append("the configuration could not turn on " + ", ".join(
            f"CONFIG_{s}" for s in missing) + " (unmet dependencies): what they build is "
            "not checked")
    if not kconfig.rust_on(result):
        notes.append("CONFIG_RUST is off in the configuration: no Rust code is built")
    (run.home.out / NOTES).write_text("".join(f"{n}\n" for n in notes))
    remember_symbols(run.choice, run.home.out)
    run.notes.extend(notes)
    stamp.write_text(wanted)


def _check(done: Run, what: str) -> None:
    if done.timed_out or done.returncode != 0:
        tail = " / ".join(done.output.strip().splitlines()[-3:])
        raise PatchpilotError(f"{what} failed: {tail}",
                              hint="run it by hand in the build directory to see why")


def _build_one(run: _Run, step: Step, parent: PatchBuild | None, docs: bool) -> PatchBuild:
    start = time.monotonic()
    result = PatchBuild(step.index, step.commit, step.subject)
    run.on_event(Event(step.index, "checkout", "running", step.commit[:12]))
    checkout(run.home, run.repo, step.commit)
    run.on_event(Event(step.index, "build", "running"))
    cold = not (run.home.out / "vmlinux").exists()
    made = _make(run, [], step.index, "build")
    result.steps.append("build")
    if diagnostics.disk_full(made.output):
        result.failure = f"no space left on the device under {run.home.path}"
        return result  # built stays None: the run stops, nothing is cached
    found = diagnostics.with_text(diagnostics.parse_output(made.output, run.home.src),
                                  run.home.src)
    known = set(parent.ledger) if parent else set()
    result.built = made.returncode == 0 and not made.timed_out
    result.errors = [d for d in found if d.level == "error" and d.key() not in known]
    if not result.built and not result.errors:
        why = diagnostics.failure_lines(made.output)
        old = [d for d in found if d.level == "error"]
        result.failure = (f"make did not finish within {run.options.timeout:g} s"
                          if made.timed_out else
                          f"still does not build: {old[0].file}:{old[0].line}: "
                          f"{old[0].message} (as before this patch)" if old else
                          ("; ".join(why) if why else "make failed without a diagnostic"))
    # New: not known after the parent, and either in a file this patch touches or, when the
    # parent's ledger is complete (its base was built from cold), anywhere.
    warnings = [d for d in found if d.level == "warning"]
    result.complete = cold if parent is None else parent.complete
    if parent is not None:  # a generated file (in O=, not the tree) is no patch's line
        result.warnings = [d for d in warnings if d.key() not in known and (
            d.file in step.touched or parent.complete and (run.home.src / d.file).is_file())]
    touched = set(step.touched)
    result.ledger = sorted({k for k in known if k.split("\x1f")[1] not in touched}
                           | {d.key() for d in found})
    run.on_event(Event(step.index, "build", "ok" if result.built else "failed"))
    wants_docs = run.options.docs and docs and (
        step.index == 0 or any(f.startswith("rust/") and f.endswith(".rs")
                               for f in step.touched))
    if result.built and wants_docs:
        _docs(run, step, result, known, parent)
    result.statuses = dict(parent.statuses) if parent else {}
    if result.built and run.options.tests and _kunit_on(run):
        _tests(run, step, result, parent)
    result.seconds = time.monotonic() - start
    run.on_event(Event(step.index, "done", "ok" if result.clean or step.index == 0
                       else "failed", result=result))
    return result


def _kunit_on(run: _Run) -> bool:
    config = run.home.out / ".config"
    return config.is_file() and kconfig.kunit_on(config.read_text(errors="replace"))


def _docs(run: _Run, step: Step, result: PatchBuild, known: set[str],
          parent: PatchBuild | None) -> None:
    run.on_event(Event(step.index, "docs", "running"))
    made = _make(run, ["rustdoc"], step.index, "docs")
    result.steps.append("docs")
    found = diagnostics.with_text(diagnostics.parse_output(made.output, run.home.src),
                                  run.home.src)
    if parent is not None:  # rustdoc rebuilds every page: its warnings are all printed
        result.warnings += [d for d in found if d.key() not in known and d not in
                            result.warnings]
    result.ledger = sorted(set(result.ledger) | {d.key() for d in found})
    if made.returncode != 0 and not found:
        why = diagnostics.failure_lines(made.output)
        result.failure = "make rustdoc failed: " + ("; ".join(why) if why else "no diagnostic")
    run.on_event(Event(step.index, "docs", "ok" if made.returncode == 0 else "failed"))


def _tests(run: _Run, step: Step, result: PatchBuild, parent: PatchBuild | None) -> None:
    run.on_event(Event(step.index, "tests", "running"))
    out = run.home.out
    json_path = out / "patchpilot-kunit.json"
    json_path.unlink(missing_ok=True)
    argv = kunit.exec_argv(out, json_path, run.options.test_timeout, run.options.arch)
    done = run.options.toolchain.run(
        argv, [run.home.src, out], run.options.test_timeout + 120, cwd=run.home.src,
        on_line=lambda line: run.on_event(Event(step.index, "tests", "running", line)),
        cancel=run.cancel)
    result.steps.append("tests")
    found = kunit.statuses(json_path)
    log = (out / "test.log").read_text(errors="replace") if (out / "test.log").is_file() else ""
    hung = done.timed_out or "timed out" in done.output.lower()
    if not found or hung:
        what = "did not finish" if hung else "gave no results"
        result.failure = (f"the KUnit run after this patch {what} within "
                          f"{run.options.test_timeout} s (a test hangs, or the kernel does "
                          "not boot)")
    before = parent.statuses if parent else {}
    result.statuses = found or dict(before)
    result.tests_run = len(found)
    if parent is not None:
        result.test_failures = kunit.new_failures(before, found, kunit.locations(log))
    state = "failed" if result.test_failures or result.failure else "ok"
    run.on_event(Event(step.index, "tests", state, f"{len(found)} tests"))
