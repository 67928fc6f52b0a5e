"""klint (Rust-for-Linux/klint: atomic context, infallible allocation) through the kernel's own
build, when it is installed.

klint behaves like rustc, so it runs like clippy (clippy.run_build): `make LLVM=1 RUSTC=<klint>`
in the `checks.kbuild` directory with JSON diagnostics, each given to the patch that added its
line. The binary is `checks.klint` when set, else `klint` on PATH. Without klint, or without a
build, one info finding says that the atomic-context rule (A27) is the lexical approximation.
No UI.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from patchpilot.core.checks import clippy
from patchpilot.core.checks.inputs import PatchInput
from patchpilot.core.checks.model import Finding
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series

TOOL = "klint"
SETTING = "checks.klint"
LEXICAL = "the atomic-context rule (A27) is the lexical approximation"
INSTALL = ("install klint (https://github.com/Rust-for-Linux/klint: cargo install --path . "
           "with its pinned toolchain) and put it on PATH, or set checks.klint to its path")


def find_klint(setting: str = "") -> str | None:
    """The klint binary: `setting` (a path or a command name) when given, else `klint` on
    PATH; None when there is none."""
    name = setting.strip() or "klint"
    path = Path(name).expanduser()
    if "/" in name:
        return str(path) if path.is_file() and shutil.which(str(path)) else None
    return shutil.which(name)


def _info(rule: str, message: str, hint: str, severity: str = "info") -> Finding:
    return Finding(TOOL, rule, severity, None, None, message, hint)


def series_findings(repo: GitRepo, series: Series, inputs: list[PatchInput], kbuild: str,
                    setting: str, timeout: float,
                    cancel: threading.Event | None = None) -> dict[int, list[Finding]]:
    """klint's findings by patch index (see the module docstring)."""
    rust = [p for p in inputs if p.rust_files]
    if not rust:
        return {}
    first = rust[0].patch.index
    binary = find_klint(setting)
    if binary is None:
        if setting.strip():
            return {first: [_info("NOT_FOUND", f"{SETTING} = {setting} is not an executable; "
                                  f"klint did not run and {LEXICAL}",
                                  "fix the path or clear the setting", "warning")]}
        return {first: [_info("NOT_INSTALLED", f"klint is not installed: {LEXICAL}",
                              INSTALL)]}
    if not kbuild:
        return {first: [_info("NOT_CONFIGURED", "klint did not run: no Rust-enabled kernel "
                              f"build is configured, so {LEXICAL}",
                              f"set {clippy.SETTING} to a build directory with CONFIG_RUST=y")]}
    build = Path(kbuild).expanduser()
    problem = clippy.build_problem(repo, series, build, TOOL)
    if problem:
        return {first: [problem]}
    paths = [f.path for p in rust for f in p.rust_files if f.text is not None]
    return clippy.run_build(repo, series, build, clippy.objects_for(paths), timeout, first,
                            cancel, TOOL, klint_compiler(binary))


def klint_compiler(binary: str) -> tuple[str, ...]:
    """The make variables that build with klint in place of rustc."""
    return (f"RUSTC={binary}",)
