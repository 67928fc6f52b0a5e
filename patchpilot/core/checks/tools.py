"""The per-patch tools as the runner calls them: checkpatch (batched), rustfmt, Rust rules,
commit-message rules; each with a time limit, its failures as findings, and the facts that
determine its results (for the cache).

An outcome is (findings per patch, whether they may be cached): a run that timed out, crashed
or printed on stderr is reported but not cached, so the next run tries again. No UI.
"""

from __future__ import annotations

import hashlib
import shlex
import shutil
import sys
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import cast

from patchpilot.core.checks import checkpatch as cp
from patchpilot.core.checks import maintained
from patchpilot.core.checks import rustfmt as rf
from patchpilot.core.checks.commit_msg import check_commit_message
from patchpilot.core.checks.history import DEFAULT_DEPTH, HistoryIndex
from patchpilot.core.checks.inputs import FileInput, PatchInput
from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.prefix import index_prefix
from patchpilot.core.checks.procs import ToolMissing, run_tool
from patchpilot.core.checks.profiles import Profile
from patchpilot.core.checks.rust.rules import RULES, check_rust_file, unread_findings
from patchpilot.core.checks.rust.source import TreeContext
from patchpilot.core.checks.rust.tree import tree_context
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.patches import without_review_trailers

Outcome = tuple[list[list[Finding]], bool]
# The tree files TreeContext is read from (tree.tree_context): part of the rules' cache key.
RUST_FACT_FILES = ("scripts/Makefile.build", "rust/kernel/prelude.rs", "Makefile",
                   ".clippy.toml", "include/linux/license.h", "include/linux/module.h",
                   "rust/macros/module.rs", "rust/Makefile", "rust/bindgen_parameters")
_CHECKS_DIR = Path(__file__).resolve().parent


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _file_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes() if path.is_file() else b"-")
    return h.hexdigest()


@dataclass
class ToolContext:
    """The tree, profile and limits one check run works with."""

    tree: Path
    profile: Profile
    timeout: float = 120.0
    ignore_unknown_commit_id: bool = False
    python: str = sys.executable
    base: str | None = None  # the series' base: where the touched files' history is read
    cancel: threading.Event | None = None  # set: running tools are killed (procs.Cancelled)
    history_depth: int = DEFAULT_DEPTH  # newest commits below the base that B2 reads
    series_paths: tuple[str, ...] = ()  # every path of the series: one walk for all of them
    first_rust_patch: int | None = None  # the patch that says what the tree does not give
    status_cache: Path | None = None  # get_maintainer.pl --status answers (maintained.py)
    _memo: dict[object, str | None] = field(default_factory=dict)
    history_index: HistoryIndex | None = None  # made (and prefetched) by the caller, or here
    repo: GitRepo | None = None  # the tree's repository, when the caller has it open
    _history: list[HistoryIndex] = field(default_factory=list)
    _history_lock: threading.Lock = field(default_factory=threading.Lock)

    def history(self) -> HistoryIndex | None:
        """The touched files' recent history at the base (per-base file, bounded walk); one
        per run, shared by the patches checked in parallel."""
        if self.base is None:
            return None
        with self._history_lock:
            if not self._history:
                self._history.append(self.history_index or HistoryIndex(
                    self.git(), self.base, self.history_depth, self.series_paths))
            return self._history[0]

    def git(self) -> GitRepo:
        """The tree's repository (opened here when the caller did not give it)."""
        if self.repo is None:
            self.repo = GitRepo(self.tree)
        return self.repo

    def history_prefix(self, paths: list[str]) -> str | None:
        """The subject prefix the history of `paths` uses (B2)."""
        index = self.history()
        return index_prefix(index, paths) if index is not None else None

    @cached_property
    def checkpatch_options(self) -> cp.CheckpatchOptions:
        return cp.CheckpatchOptions(strict=self.profile.checkpatch_strict,
                                    ignore=self.profile.checkpatch_ignore,
                                    ignore_unknown_commit_id=self.ignore_unknown_commit_id,
                                    python=self.python)

    @cached_property
    def rustfmt_config(self) -> rf.RustfmtConfig:
        return rf.rustfmt_config(self.tree)

    @cached_property
    def tree_context(self) -> TreeContext:
        return tree_context(self.tree)

    @cached_property
    def code_version(self) -> str:
        """Our own checker code: a change to any rule invalidates what it produced."""
        return _file_digest(*sorted(_CHECKS_DIR.rglob("*.py")))

    @cached_property
    def rustfmt_version(self) -> str:
        return take_version(self.rustfmt_config.rustfmt, self.timeout)

    def fingerprint(self, tool: str) -> str:
        """Tool version and options: part of every cache key of `tool`."""
        if tool not in self._memo:
            self._memo[tool] = _digest(tool, self.code_version, *self._tool_facts(tool))
        return cast(str, self._memo[tool])  # keyed by tool name: always a digest

    def _tool_facts(self, tool: str) -> tuple[str, ...]:
        tree = self.tree
        if tool == "checkpatch":
            return (_file_digest(tree / cp.SCRIPT, tree / "scripts/spelling.txt",
                                 tree / "scripts/const_structs.checkpatch"),
                    repr(self.checkpatch_options.__dict__ | {"python": None}))
        if tool == "rustfmt":
            return (self.rustfmt_version, _file_digest(tree / ".rustfmt.toml"),
                    repr(self.rustfmt_config.skips), self.rustfmt_config.edition)
        if tool == "rust":
            return (_file_digest(*(tree / p for p in RUST_FACT_FILES)),)
        return ()


_VERSIONS: dict[str, Future[str]] = {}
_VERSIONS_LOCK = threading.Lock()


def tool_version(binary: str, timeout: float) -> None:
    """Start asking `binary --version` in the background, for the next take_version: a
    caller that will need it (a tool's cache keys) starts it while the series is read."""
    with _VERSIONS_LOCK:
        if binary not in _VERSIONS:
            pool = ThreadPoolExecutor(max_workers=1)
            _VERSIONS[binary] = pool.submit(_version, binary, timeout)
            pool.shutdown(wait=False)


def take_version(binary: str, timeout: float) -> str:
    """`binary --version` ("missing" when it is not installed): the answer started by
    tool_version if any (used once, so a long-lived process sees an upgrade on its next
    run), else asked now."""
    with _VERSIONS_LOCK:
        started = _VERSIONS.pop(binary, None)
    return started.result() if started is not None else _version(binary, timeout)


def _version(binary: str, timeout: float) -> str:
    try:
        result = run_tool([binary, "--version"], timeout)
    except ToolMissing:
        return "missing"
    return result.stdout.strip() or result.stderr.strip()


def cache_key(ctx: ToolContext, tool: str, pin: PatchInput) -> str:
    """What determines `tool`'s findings for one patch."""
    patch = pin.patch
    files = tuple(f.key() for f in pin.files)
    # Review tags b4 picks up from the list (canonical "Name: Name <addr>" lines) do not
    # change what a check finds, so a reroll that only gained them reuses its results.
    body = without_review_trailers(patch.body)
    parts: tuple[object, ...]
    if tool == "checkpatch":
        parts = (patch.patch_id, patch.author, patch.subject, body, files)
    elif tool == "rustfmt":
        parts = (patch.patch_id, tuple(f.key() for f in pin.rust_files))
    elif tool == "rust":
        # The rules also read the Makefile and parent module of each touched file, and the
        # `.rs` files beside it that name it (a driver's crate root, a file that `include!`s
        # it); a sibling that does not name it (another sample) changes nothing here.
        near = sorted({p for f in pin.rust_files for p in _neighbours(f.path)} |
                      {p for f in pin.rust_files for p in _naming(ctx.tree, f.path)})
        parts = (patch.patch_id, tuple(f.key() for f in pin.rust_files + pin.kbuild_files),
                 _file_digest(*(ctx.tree / p for p in near)),
                 patch.index == ctx.first_rust_patch)  # it says what the tree does not give
    else:
        # The base and depth determine the history B2 reads: keying on them rather than on the
        # prefix found leaves the (bounded) walk to the run, in parallel with checkpatch.
        parts = (patch.author, patch.subject, body, tuple(pin.paths), ctx.base,
                 ctx.history_depth)
    return _digest(tool, ctx.fingerprint(tool), parts)


# -- checkpatch -------------------------------------------------------------------------------

def checkpatch_batch(ctx: ToolContext, mails: list[str]) -> Outcome:
    """One checkpatch.pl run over several patches (mail texts)."""
    with tempfile.TemporaryDirectory(prefix="patchpilot-checkpatch-") as tmp:
        names = []
        for index, text in enumerate(mails, start=1):
            (Path(tmp) / f"{index:04d}.patch").write_text(text)
            names.append(str(Path(tmp) / f"{index:04d}.patch"))
        argv = cp.checkpatch_argv(ctx.tree, names, ctx.checkpatch_options)
        result = run_tool(argv, ctx.timeout, cwd=ctx.tree, env=_shim_env(Path(tmp), ctx),
                          cancel=ctx.cancel)
    if result.timed_out:
        return [[timeout_finding("checkpatch", ctx.timeout)] for _ in mails], False
    per_patch, unparsed = cp.parse_output(result.stdout, names, mails)
    trouble = cp.stderr_findings(result.stderr) + [
        Finding("checkpatch", "UNPARSED", "info", None, None, line,
                "checkpatch.pl printed a line patchpilot does not understand")
        for line in dict.fromkeys(unparsed)]
    if result.returncode not in (0, 1):
        trouble.append(crash_finding("checkpatch", result.returncode, result.stderr,
                                     shlex.join(argv[:2])))
    if trouble:
        per_patch[0] = per_patch[0] + trouble
    return per_patch, not trouble


def _shim_env(tmp: Path, ctx: ToolContext) -> dict[str, str]:
    """PATH with a `python3` that is ctx.python (checkpatch runs spdxcheck.py with it) and,
    for a cached run, a `perl` that remembers get_maintainer.pl's --status answers."""
    env = cp._env(tmp, cp.CheckpatchOptions(python=ctx.python))
    if ctx.status_cache is not None:
        maintained.write_perl_shim(tmp / "bin", ctx.status_cache)
    return env


def timeout_finding(tool: str, timeout: float) -> Finding:
    return Finding(tool, "TIMEOUT", "error", None, None,
                   f"{tool} did not finish within {timeout:g} s and was killed",
                   "raise checks.timeout, or run the tool by hand to see where it hangs")


def crash_finding(tool: str, status: int, stderr: str, how: str) -> Finding:
    tail = "\n".join(stderr.strip().splitlines()[-5:]) or "(nothing on stderr)"
    return Finding(tool, "CRASH", "error", None, None,
                   f"{tool} failed with exit status {status}: {tail}", f"run it by hand: {how}")


# -- rustfmt, Rust rules, commit message: one patch at a time --------------------------------

def rustfmt_patch(ctx: ToolContext, pin: PatchInput) -> tuple[list[Finding], bool]:
    found, ok = [], True
    for file in pin.rust_files:
        if file.text is None or rf.is_skipped(file.path, ctx.rustfmt_config):
            continue
        file_found, file_ok = _rustfmt_file(ctx, file)
        found += file_found
        ok = ok and file_ok
    return found, ok


def _rustfmt_file(ctx: ToolContext, file: FileInput) -> tuple[list[Finding], bool]:
    config = ctx.rustfmt_config
    argv = [config.rustfmt, "--emit", "stdout", "--edition", config.edition]
    if config.config_path is not None:
        argv += ["--config-path", str(config.config_path)]
    result = run_tool(argv, ctx.timeout, input=file.text, cancel=ctx.cancel)
    if result.timed_out:
        return [replace(timeout_finding("rustfmt", ctx.timeout), file=file.path)], False
    if result.returncode != 0:
        failure = rf._failure(file.path, result.stderr)
        return [failure], failure.rule != "TOOL"
    assert file.text is not None  # rustfmt_patch skips files without text
    old, new = file.text.splitlines(), result.stdout.splitlines()
    return [rf._finding(file.path, start, end, fix)
            for start, end, fix in rf.changed_ranges(old, new)
            if file.added.intersection(range(start, end + 1))], True


def _naming(tree: Path, path: str) -> list[str]:
    """The `.rs` files beside `path` whose text names its file stem (`mod x;`, `include!`)."""
    target = tree / path
    found = []
    for sib in target.parent.glob("*.rs"):
        if sib.name != target.name:
            try:
                if target.stem in sib.read_text(errors="replace"):
                    found.append(str(sib.relative_to(tree)))
            except OSError:
                continue
    return found


def _neighbours(path: str) -> list[str]:
    """The tree files the Rust rules read for `path`: its directory's Kbuild/Makefile and the
    files that may declare its module."""
    directory = path.rpartition("/")[0]
    parent = directory.rpartition("/")[0] if path.endswith("/mod.rs") else directory
    return [f"{directory}/Kbuild", f"{directory}/Makefile", f"{parent}.rs", f"{parent}/mod.rs",
            f"{parent}/lib.rs"]


def rust_patch(ctx: ToolContext, pin: PatchInput) -> tuple[list[Finding], bool]:
    found, ok = [], True
    if pin.rust_files and pin.patch.index == ctx.first_rust_patch:
        found += [replace(f, tool="rust") for f in unread_findings(ctx.tree_context)]
    texts = {f.path: f.text for f in pin.rust_files + pin.kbuild_files if f.text is not None}
    for file in pin.rust_files:
        if file.problem and file.problem.startswith("not valid UTF-8"):
            found.append(Finding("rust", "UTF8", "warning", file.path, None,
                                 f"{file.path} is {file.problem}; the Rust checks skipped it",
                                 "kernel sources are UTF-8: re-encode the file"))
            continue
        if file.text is None:
            continue
        try:
            found += [replace(f, tool="rust") for f in
                      check_rust_file(file.path, file.text, file.added, ctx.tree_context,
                                      rules=tuple(RULES), patch_files=texts)]
        except Exception as exc:  # a checker bug must not hide the other results
            found.append(Finding("rust", "CRASH", "error", file.path, None,
                                 f"the Rust rules failed on this file: {exc!r}",
                                 "please report this to patchpilot"))
            ok = False
    return found, ok


def commit_patch(ctx: ToolContext, pin: PatchInput) -> tuple[list[Finding], bool]:
    patch = pin.patch
    found = check_commit_message(patch.subject, patch.body, patch.author, pin.paths,
                                 ctx.history_prefix(pin.paths))
    return [replace(f, tool="commit") for f in found], True


LOCAL_TOOLS = {"rustfmt": rustfmt_patch, "rust": rust_patch, "commit": commit_patch}


def preflight(ctx: ToolContext, tools: tuple[str, ...]) -> None:
    """Fail early, with one clear message, when a selected tool cannot run at all."""
    if "checkpatch" in tools:
        if not (ctx.tree / cp.SCRIPT).is_file():
            raise PatchpilotError(f"{ctx.tree} has no {cp.SCRIPT}",
                                  hint="run in a kernel tree, or leave it out: --tool "
                                       "rustfmt,rust,commit")
        if shutil.which("perl") is None:
            raise PatchpilotError("perl is not installed; checkpatch.pl needs it",
                                  hint="apt-get install perl, or leave out checkpatch (--tool)")
    if "rustfmt" in tools and shutil.which(ctx.rustfmt_config.rustfmt) is None:
        raise PatchpilotError("rustfmt is not installed",
                              hint="rustup component add rustfmt, or leave it out (--tool)")
