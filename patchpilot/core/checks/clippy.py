"""clippy through the kernel's own build: run it, read rustc's JSON diagnostics, and give each
warning to the patch whose added line it lands on.

With `checks.kbuild` naming a build directory whose `.config` has CONFIG_RUST=y, the objects
the series touches are rebuilt there with `make LLVM=1 CLIPPY=1` and `--error-format=json`
(through RUSTFLAGS_KERNEL/RUSTFLAGS_MODULE). `git blame BASE..HEAD` on each diagnostic's line
says which patch added the line; lines that come from the base are not the series' doing and
are left out. Without a build, one info finding says how to enable it. No UI.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from patchpilot.core.checks.inputs import PatchInput
from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.procs import ToolMissing, run_tool
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series

TOOL = "clippy"
SETTING = "checks.kbuild"
_LEVELS = {"error": "error", "warning": "warning"}
_FLAGS = re.compile(r"^export rust_common_flags\s*:=((?:.*\\\n)*.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Diagnostic:
    """One rustc/clippy diagnostic at its primary span."""

    level: str
    code: str
    message: str
    file: str
    line: int
    help: str = ""


def parse_diagnostics(text: str) -> list[Diagnostic]:
    """Diagnostics from rustc's `--error-format=json` output (other lines are skipped)."""
    found = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        diagnostic = _diagnostic(data)
        if diagnostic is not None:
            found.append(diagnostic)
    return found


def _diagnostic(data: dict[str, Any]) -> Diagnostic | None:
    if data.get("$message_type", "diagnostic") != "diagnostic" or data.get("level") not in \
            _LEVELS:
        return None
    span = next((s for s in data.get("spans", []) if s.get("is_primary")), None)
    if span is None:
        return None
    while span.get("expansion") and span["expansion"].get("span"):  # macro: the call site
        span = span["expansion"]["span"]
    helps = [c["message"] for c in data.get("children", []) if c.get("level") == "help"]
    code = (data.get("code") or {}).get("code") or "rustc"
    return Diagnostic(data["level"], code, data["message"], span["file_name"],
                      int(span["line_start"]), "; ".join(helps))


def kernel_lint_flags(tree: Path) -> list[str]:
    """The lint and edition flags of the Makefile's `rust_common_flags` (no -Z flags)."""
    makefile = tree / "Makefile"
    match = _FLAGS.search(makefile.read_text(errors="replace")) if makefile.is_file() else None
    if not match:
        return []
    flags = match.group(1).replace("\\\n", " ").split()
    return [f for f in flags if not f.startswith("-Z")]


def blame_lines(repo: GitRepo, base: str, head: str, path: str,
                lines: set[int]) -> dict[int, str | None]:
    """For each line of `path` at `head`: the series commit that added it (None: the base)."""
    ranges = [arg for line in sorted(lines) for arg in ("-L", f"{line},{line}")]
    out = repo.try_run("blame", "--porcelain", *ranges, f"{base}..{head}", "--", path)
    owners: dict[int, str | None] = {}
    current, boundary = None, set()
    for row in (out or "").splitlines():
        head_match = re.match(r"^([0-9a-f]{40}) \d+ (\d+)", row)
        if head_match:
            current = head_match.group(1)
            owners[int(head_match.group(2))] = current
        elif row == "boundary" and current:
            boundary.add(current)
    return {line: (None if sha in boundary else sha) for line, sha in owners.items()}


def attribute(repo: GitRepo, base: str, head: str, diagnostics: list[Diagnostic],
              patch_of: dict[str, int], tool: str = TOOL) -> dict[int, list[Finding]]:
    """The diagnostics on lines the series added, by patch index (`patch_of`: commit ->
    index); each distinct diagnostic once, as findings of `tool`."""
    by_file: dict[str, set[int]] = {}
    for diag in diagnostics:
        by_file.setdefault(diag.file, set()).add(diag.line)
    owners = {path: blame_lines(repo, base, head, path, lines) for path, lines in by_file.items()}
    result: dict[int, list[Finding]] = {}
    for diag in dict.fromkeys(diagnostics):
        index = patch_of.get(owners[diag.file].get(diag.line) or "")
        if index is not None:
            result.setdefault(index, []).append(to_finding(diag, tool))
    return result


def to_finding(diag: Diagnostic, tool: str = TOOL) -> Finding:
    """A Finding for a diagnostic; a lint's name (not an `E0...` error code) is its `lint`."""
    lint = diag.code if diag.code != "rustc" and not re.match(r"^E\d{4}$", diag.code) else None
    return Finding(tool, diag.code, _LEVELS[diag.level], diag.file, diag.line, diag.message,
                   diag.help or f"see the `make LLVM=1` output of {tool} for the full "
                   "diagnostic", lint=lint)


def rust_enabled(kbuild: Path) -> bool:
    """Whether the build directory's .config enables Rust."""
    config = kbuild / ".config"
    return config.is_file() and "\nCONFIG_RUST=y\n" in "\n" + config.read_text(errors="replace")


def objects_for(paths: list[str]) -> list[str]:
    """The make targets that compile the touched .rs files (the kernel crate for rust/kernel)."""
    targets = []
    for path in paths:
        if path.startswith("rust/kernel/"):
            targets.append("rust/kernel.o")
        elif path.startswith("rust/") and path.count("/") == 1:
            targets.append(path[:-3] + ".o")
        elif not path.startswith(("rust/", "scripts/")):
            targets.append(path[:-3] + ".o")
    return list(dict.fromkeys(targets))


def series_findings(repo: GitRepo, series: Series, inputs: list[PatchInput], kbuild: str,
                    timeout: float,
                    cancel: threading.Event | None = None) -> dict[int, list[Finding]]:
    """clippy's findings by patch index (see the module docstring)."""
    rust = [p for p in inputs if p.rust_files]
    if not rust:
        return {}
    first = rust[0].patch.index
    if not kbuild:
        return {first: [_info("NOT_CONFIGURED", "clippy did not run in check: no Rust-enabled "
                              "kernel build is configured", "to build every patch with clippy: "
                              "patchpilot build; or set "
                              f"{SETTING} to a build directory with CONFIG_RUST=y: git config "
                              "patchpilot.checks.kbuild DIR, or --kbuild DIR")]}
    problem = build_problem(repo, series, Path(kbuild).expanduser())
    if problem:
        return {first: [problem]}
    paths = [f.path for p in rust for f in p.rust_files if f.text is not None]
    return run_build(repo, series, Path(kbuild).expanduser(), objects_for(paths), timeout,
                     first, cancel)


def _relative(diag: Diagnostic, top: Path) -> Diagnostic:
    """Kbuild names sources by absolute path (O= builds): make them tree-relative."""
    path = Path(diag.file)
    if path.is_absolute() and path.is_relative_to(top):
        return replace(diag, file=str(path.relative_to(top)))
    return diag


def _info(rule: str, message: str, hint: str, severity: str = "info",
          tool: str = TOOL) -> Finding:
    return Finding(tool, rule, severity, None, None, message, hint)


def build_problem(repo: GitRepo, series: Series, kbuild: Path,
                  tool: str = TOOL) -> Finding | None:
    """Why `tool` cannot build the series in `kbuild` (None: it can)."""
    if not rust_enabled(kbuild):
        return _info("NO_RUST_BUILD", f"{SETTING} = {kbuild} has no .config with "
                     f"CONFIG_RUST=y; {tool} did not run",
                     f"configure it (make O={kbuild} LLVM=1 rustavailable, then enable "
                     "CONFIG_RUST) or clear the setting", "warning", tool)
    source = kbuild / "source"  # an O= build links the tree it builds (kbuild's outputmakefile)
    if source.is_symlink() and source.resolve() != repo.top.resolve():
        return _info("OTHER_TREE", f"{SETTING} = {kbuild} builds {source.resolve()}, not "
                     f"{repo.top}; {tool} did not run (its objects would be replaced by this "
                     "tree's)", "run it in the tree the build belongs to, or configure a "
                     "build directory for this one", "warning", tool)
    if repo.rev_parse("HEAD") != series.head or repo.is_dirty():
        return _info("NOT_CHECKED_OUT", f"{tool} builds the checked-out tree, which is not "
                     f"the series head; {tool} did not run",
                     f"check out {series.branch} (clean) and run the check again", "warning",
                     tool)
    return None


def build_argv(repo: GitRepo, kbuild: Path, targets: list[str],
               compiler: tuple[str, ...] = ("CLIPPY=1",)) -> list[str]:
    """The make command that rebuilds `targets` with JSON diagnostics; `compiler` picks the
    Rust compiler (clippy's driver, or `RUSTC=klint`)."""
    return ["make", "-C", str(repo.top), f"O={kbuild}", "LLVM=1", *compiler,
            "RUSTFLAGS_KERNEL=--error-format=json", "RUSTFLAGS_MODULE=--error-format=json",
            *targets]


def run_build(repo: GitRepo, series: Series, kbuild: Path, targets: list[str], timeout: float,
              first: int, cancel: threading.Event | None = None, tool: str = TOOL,
              compiler: tuple[str, ...] = ("CLIPPY=1",)) -> dict[int, list[Finding]]:
    """Rebuild `targets` and give each diagnostic to the patch that added its line."""
    for target in targets:  # make rebuilds only what is out of date: force these
        (kbuild / target).unlink(missing_ok=True)
    argv = build_argv(repo, kbuild, targets, compiler)
    try:
        result = run_tool(argv, timeout, cancel=cancel)
    except ToolMissing:
        return {first: [_info("TOOL", f"make is not installed; {tool} did not run",
                              "apt-get install make", "warning", tool)]}
    if result.timed_out:
        return {first: [_info("TIMEOUT", f"the {tool} build did not finish within "
                              f"{timeout:g} s and was killed", "raise checks.timeout",
                              "error", tool)]}
    diagnostics = [_relative(d, repo.top)
                   for d in parse_diagnostics(result.stderr + "\n" + result.stdout)]
    found = attribute(repo, series.base, series.head, diagnostics,
                      {p.commit: p.index for p in series.patches}, tool)
    if result.returncode != 0 and not diagnostics:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        found.setdefault(first, []).append(_info("BUILD_FAILED", f"the {tool} build failed: "
                                                 f"{tail}", "run the make command by hand: "
                                                 + " ".join(argv), "error", tool))
    return found
