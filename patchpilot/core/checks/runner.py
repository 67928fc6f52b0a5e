"""Check a series: every selected tool on every patch, in parallel, from the cache when the
patch did not change, with results handed over patch by patch as they complete.

`check_series(repo, series, config)` returns a CheckReport (the `patchpilot check --json`
contract, see docs/checks.md); `on_result` is called with each patch's PatchResult as soon as
all its tools are done (cached patches first), in the caller's thread. No UI, no printing.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patchpilot.core.checks import clippy, klint, maintained
from patchpilot.core.checks.cache import CheckCache
from patchpilot.core.checks.commit_msg import drop_checkpatch_duplicates
from patchpilot.core.checks.history import HistoryIndex
from patchpilot.core.checks.inputs import PatchInput, prepare, touches_rust
from patchpilot.core.checks.model import SEVERITIES, Finding, at_least, sort_findings, worst
from patchpilot.core.checks.procs import Cancelled
from patchpilot.core.checks.profiles import Profile, load_profile
from patchpilot.core.checks.tools import (
    LOCAL_TOOLS,
    ToolContext,
    cache_key,
    checkpatch_batch,
    preflight,
    tool_version,
)
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series, read_patches

# Fewer commits than this behind the base: the repo lacks the history checkpatch resolves
# commit ids in (a slim or shallow clone), so UNKNOWN_COMMIT_ID would fire on every Fixes:.
HISTORY_NEEDED = 1000
# Tools that build the series once (not per patch, not cached): clippy and klint.
BUILD_TOOLS = ("clippy", "klint")


@dataclass
class PatchResult:
    """The findings of one patch; `cached` when every tool's result came from the cache."""

    index: int
    commit: str
    subject: str
    findings: list[Finding]
    cached: bool = False

    @property
    def status(self) -> str:
        """The worst severity found, or "clean"."""
        return worst(f.severity for f in self.findings) or "clean"

    def to_json(self) -> list[dict[str, Any]]:
        return [{"patch": self.index, "commit": self.commit, "tool": f.tool, "rule": f.rule,
                 "lint": f.lint, "severity": f.severity, "file": f.file, "line": f.line,
                 "message": f.message, "hint": f.hint, "fix": f.fix} for f in self.findings]


@dataclass
class CheckReport:
    """Everything `patchpilot check` reports about a series."""

    base: str
    head: str
    profile: str
    tools: tuple[str, ...]
    results: list[PatchResult] = field(default_factory=list)

    @property
    def cached(self) -> int:
        return sum(r.cached for r in self.results)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    def summary(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    def fails(self, threshold: str) -> bool:
        """Whether a finding reaches `threshold` (error or warning)."""
        return any(at_least(f.severity, threshold) for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {"series": {"base": self.base, "head": self.head,
                           "patches": len(self.results), "cached": self.cached},
                "findings": [item for r in self.results for item in r.to_json()],
                "summary": self.summary()}


def check_series(repo: GitRepo, series: Series, config: Config, use_cache: bool = True,
                 on_result: Callable[[PatchResult], object] | None = None,
                 jobs: int | None = None, cancel: threading.Event | None = None) -> CheckReport:
    """Run the profile's tools over `series` (see the module docstring). Setting `cancel`
    kills the running tools and raises PatchpilotError; results finished before are cached."""
    try:
        return _check_series(repo, series, config, use_cache, on_result, jobs, cancel)
    except Cancelled:
        raise PatchpilotError("checks cancelled", hint="results finished before the cancel "
                                                       "are kept in the cache",
                              exit_code=ExitCode.FAILURE) from None


def prefetch(config: Config) -> None:
    """Start what the checks will ask and that does not depend on the series (rustfmt's
    version, part of its cache keys) in the background; the caller then reads the series."""
    tools = config.names("checks.tools")
    if not tools or "rustfmt" in tools:
        tool_version("rustfmt", _timeout(config))


def _check_series(repo: GitRepo, series: Series, config: Config, use_cache: bool,
                  on_result: Callable[[PatchResult], object] | None, jobs: int | None,
                  cancel: threading.Event | None) -> CheckReport:
    prefetch(config)
    history = _history_index(repo, series, config)  # its walk's first part runs meanwhile
    inputs = prepare(repo, series)
    profile = load_profile(config.text("checks.profile"), touches_rust(inputs),
                           config.names("checks.tools"), config.text("checks.rules"),
                           config.tristate("checks.strict"))
    ctx = ToolContext(repo.top, profile, _timeout(config),
                      ignore_unknown_commit_id=_lacks_history(repo, series.base),
                      base=series.base, cancel=cancel, repo=repo,
                      history_depth=_history_depth(config),
                      series_paths=tuple(p for pin in inputs for p in pin.paths),
                      first_rust_patch=next((pin.patch.index for pin in inputs
                                             if pin.rust_files), None))
    if history is not None:
        history.expect = list(dict.fromkeys(ctx.series_paths))
        ctx.history_index = history
    with _status_answers(repo, ctx, use_cache):
        run = _Run(ctx, inputs, CheckCache(repo.git_dir, use_cache), on_result)
        preflight(ctx, run.tools)
        run.extra = _build_tools(repo, series, inputs, config, ctx)
        run.execute(jobs or os.cpu_count() or 1)
    report = CheckReport(series.base, series.head, profile.name, profile.tools)
    report.results = [run.results[p.patch.index] for p in inputs]
    return report


@contextmanager
def _status_answers(repo: GitRepo, ctx: ToolContext, use_cache: bool) -> Iterator[None]:
    """Where checkpatch.pl's get_maintainer.pl --status answers go: kept per MAINTAINERS for
    cached runs, the run's own directory for --no-cache; either way the files no obsolete
    section can match are answered before it asks (maintained.obsolete_free)."""
    if "checkpatch" not in ctx.profile.tools:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="patchpilot-status-") as tmp:
        ctx.status_cache = maintained.status_cache(repo.top, repo.git_dir) if use_cache \
            else Path(tmp)
        maintained.prefill(ctx.status_cache,
                           maintained.obsolete_free(repo.top, dict.fromkeys(ctx.series_paths)))
        yield


def _timeout(config: Config) -> float:
    value = config.get("checks.timeout")
    try:
        timeout = float(value.value)
    except ValueError:
        timeout = 0
    if timeout <= 0:
        raise PatchpilotError(f"checks.timeout ({value.source}): {value.value!r} is not a "
                              "positive number of seconds", hint="e.g. 120")
    return timeout


def _history_depth(config: Config) -> int:
    depth = config.get("checks.history-depth")
    if depth.value < 1:
        raise PatchpilotError(f"checks.history-depth ({depth.source}): {depth.raw!r} is not a "
                              "positive number of commits", hint="e.g. 50000")
    return int(depth.value)


def _history_index(repo: GitRepo, series: Series, config: Config) -> HistoryIndex | None:
    """B2's history index at the series' base, its probes already being found in the
    background for a base never seen (every profile runs the commit rules)."""
    tools = config.names("checks.tools")
    if not series.base or (tools and "commit" not in tools):
        return None
    index = HistoryIndex(repo, series.base, _history_depth(config))
    index.prefetch()
    return index


def _lacks_history(repo: GitRepo, base: str) -> bool:
    count = repo.try_run("rev-list", "--count", f"--max-count={HISTORY_NEEDED}", base)
    return count is None or int(count) < HISTORY_NEEDED


def _build_tools(repo: GitRepo, series: Series, inputs: list[PatchInput], config: Config,
                 ctx: ToolContext) -> dict[int, list[Finding]]:
    """clippy's and klint's findings (they build the series, once for the whole series)."""
    kbuild = config.text("checks.kbuild")
    found: dict[int, list[Finding]] = {}
    parts = []
    if "clippy" in ctx.profile.tools:
        parts.append(clippy.series_findings(repo, series, inputs, kbuild, ctx.timeout,
                                            ctx.cancel))
    if "klint" in ctx.profile.tools:
        parts.append(klint.series_findings(repo, series, inputs, kbuild,
                                           config.text("checks.klint"), ctx.timeout,
                                           ctx.cancel))
    for part in parts:
        for index, findings in part.items():
            found.setdefault(index, []).extend(findings)
    return found


# (patch index, tool, its findings, whether they may be cached)
_Done = tuple[int, str, list[Finding], bool]


class _Run:
    """One run's bookkeeping: what is cached, what runs, and which patches are complete."""

    def __init__(self, ctx: ToolContext, inputs: list[PatchInput], cache: CheckCache,
                 on_result: Callable[[PatchResult], object] | None) -> None:
        self.ctx, self.inputs, self.cache, self.on_result = ctx, inputs, cache, on_result
        self.tools = tuple(t for t in ctx.profile.tools if t not in BUILD_TOOLS)
        self.extra: dict[int, list[Finding]] = {}
        self.found: dict[int, dict[str, list[Finding]]] = {p.patch.index: {} for p in inputs}
        self.hits: dict[int, int] = {p.patch.index: 0 for p in inputs}
        self.keys = {(p.patch.index, t): cache_key(ctx, t, p) for p in inputs for t in self.tools}
        self.results: dict[int, PatchResult] = {}

    def execute(self, jobs: int) -> None:
        for (index, tool), key in self.keys.items():
            hit = self.cache.get(key)
            if hit is not None:
                self.found[index][tool] = hit
                self.hits[index] += 1
        for pin in self.inputs:
            self._maybe_done(pin)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = self._submit(pool, jobs)
            try:
                for future in as_completed(futures):
                    for index, tool, findings, ok in future.result():
                        self._record(index, tool, findings, ok)
            except Cancelled:
                for future in futures:
                    future.cancel()
                raise

    def _missing(self, pin: PatchInput, tool: str) -> bool:
        return tool not in self.found[pin.patch.index]

    def _submit(self, pool: ThreadPoolExecutor, jobs: int) -> list[Future[list[_Done]]]:
        futures: list[Future[list[_Done]]] = []
        if "checkpatch" in self.tools:
            todo = [p for p in self.inputs if self._missing(p, "checkpatch")]
            for batch in checkpatch_batches(todo, jobs):
                futures.append(pool.submit(self._checkpatch, batch))
        local = [t for t in self.tools if t in LOCAL_TOOLS]
        for pin in self.inputs:
            wanted = [t for t in local if self._missing(pin, t)]
            if wanted:
                futures.append(pool.submit(self._local, pin, wanted))
        return futures

    def _checkpatch(self, batch: list[PatchInput]) -> list[_Done]:
        mails = _mails(self.ctx, batch)
        per_patch, ok = checkpatch_batch(self.ctx, [mails[p.patch.commit] for p in batch])
        return [(p.patch.index, "checkpatch", found, ok) for p, found in zip(batch, per_patch)]

    def _local(self, pin: PatchInput, tools: list[str]) -> list[_Done]:
        return [(pin.patch.index, tool, *LOCAL_TOOLS[tool](self.ctx, pin)) for tool in tools]

    def _record(self, index: int, tool: str, findings: list[Finding], ok: bool) -> None:
        self.found[index][tool] = findings
        if ok:
            self.cache.put(self.keys[(index, tool)], findings)
        self._maybe_done(self.inputs[index - 1])

    def _maybe_done(self, pin: PatchInput) -> None:
        index = pin.patch.index
        if index in self.results or any(self._missing(pin, t) for t in self.tools):
            return
        findings = _assemble(self.found[index], self.extra.get(index, []), self.ctx.profile)
        result = PatchResult(index, pin.patch.commit, pin.patch.subject, findings,
                             cached=self.hits[index] == len(self.tools))
        self.results[index] = result
        if self.on_result is not None:
            self.on_result(result)


def checkpatch_batches(todo: list[PatchInput], jobs: int) -> list[list[PatchInput]]:
    """At most `jobs` checkpatch runs, patches that share a file in the same run.

    checkpatch.pl asks `get_maintainer.pl --status -f FILE` about every file a patch touches
    (~0.15 s each, remembered only within one run), which costs more than checking the patch
    itself: so a file is asked about once per check, not once per batch. Groups of patches
    linked by files go, largest first, to the run with the fewest files so far.
    """
    groups: list[tuple[set[str], list[PatchInput]]] = []
    for pin in todo:
        files, members = set(pin.paths), [pin]
        for group in [g for g in groups if g[0] & files]:
            groups.remove(group)
            files |= group[0]
            members += group[1]
        groups.append((files, members))
    runs: list[tuple[set[str], list[PatchInput]]] = [(set(), []) for _ in range(max(1, jobs))]
    for files, members in sorted(groups, key=lambda g: (-len(g[0]), -len(g[1]))):
        target = min(runs, key=lambda r: (len(r[0]), len(r[1])))
        target[0].update(files)
        target[1].extend(members)
    return [sorted(r[1], key=lambda p: p.patch.index) for r in runs if r[1]]


def _mails(ctx: ToolContext, batch: list[PatchInput]) -> dict[str, str]:
    """The patches of `batch` as git mails them (one git call per run of consecutive ones)."""
    repo = ctx.git()
    first, last = batch[0].patch.commit, batch[-1].patch.commit
    mails = repo.format_patches(f"{first}^..{last}")
    for pin in batch:  # a batch with gaps (cache hits in between) or a root commit
        if pin.patch.commit not in mails:
            mails.update(repo.format_patches(f"{pin.patch.commit}^!"))
    return mails


def _assemble(by_tool: dict[str, list[Finding]], extra: list[Finding],
              profile: Profile) -> list[Finding]:
    """One patch's findings: ours de-duplicated against checkpatch, profile applied, sorted."""
    commit = by_tool.get("commit", [])
    if "checkpatch" in by_tool:
        commit = drop_checkpatch_duplicates(commit, by_tool["checkpatch"])
    merged = [f for tool, found in by_tool.items() if tool != "commit" for f in found]
    adjusted = (profile.adjust(f) for f in merged + commit + extra)
    return sort_findings(f for f in adjusted if f is not None)


def series_for_range(repo: GitRepo, spec: str) -> Series:
    """A series made of the commits in `BASE..HEAD` (a lone REV means REV..HEAD)."""
    start, sep, end = spec.partition("..")
    end = end if sep and end else "HEAD"
    base, head = repo.rev_parse(start or "HEAD"), repo.rev_parse(end)
    if base is None or head is None or end.startswith("."):
        raise PatchpilotError(f"RANGE {spec!r} does not name commits",
                              hint="give BASE..HEAD, e.g. origin/master..HEAD")
    patches = read_patches(repo, base, head)
    if not patches:
        raise PatchpilotError(f"{spec} holds no commits", hint="give BASE..HEAD with BASE older")
    return Series(branch=end, base=base, head=head, revision=1, change_id=None,
                  b4_managed=False, cover_subject=None, cover_body=None, patches=patches)
