"""The user's kernel toolchain, found and checked the way the kernel checks it.

Every build command may run under a wrapper (`build.wrapper`: a command prefix for a container,
a chroot or a toolchain in an unusual place). The wrapper is told which directories the command
reads and writes in PATCHPILOT_BUILD_DIRS (colon separated), so that it can make them visible
at the same paths. `make LLVM=1 rustavailable` is the kernel's own verdict on the toolchain
(scripts/rust_is_available.sh, with the tree's scripts/min-tool-version.sh); its first
complaint is what a user sees. No git, no UI.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from patchpilot.core.build.stream import Run, run_lines
from patchpilot.core.checks.procs import ToolMissing
from patchpilot.core.errors import PatchpilotError

DIRS_VARIABLE = "PATCHPILOT_BUILD_DIRS"
# The programs whose versions make a build what it is (LLVM=1: clang and lld for C).
VERSION_SCRIPT = ("for tool in rustc clippy-driver bindgen clang ld.lld; do "
                  "printf '%s: ' $tool; $tool --version 2>&1 | head -n1 || echo missing; done")


@dataclass(frozen=True)
class Toolchain:
    """How build commands run: directly, or under `wrapper`."""

    wrapper: tuple[str, ...] = ()
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_setting(cls, text: str) -> Toolchain:
        try:
            return cls(tuple(shlex.split(text)))
        except ValueError as err:
            raise PatchpilotError(f"build.wrapper is not a command line: {err}",
                                  hint="write it as you would in a shell, e.g. "
                                       "'schroot -c trixie --'")

    def argv(self, argv: list[str]) -> list[str]:
        return [*self.wrapper, *argv]

    def env(self, dirs: list[Path]) -> dict[str, str]:
        env = {**os.environ, **self.extra_env, DIRS_VARIABLE: ":".join(str(d) for d in dirs),
               "LC_ALL": "C"}
        env.pop("MAKEFLAGS", None)  # a make above us must not steer this one
        return env

    def run(self, argv: list[str], dirs: list[Path], timeout: float, cwd: Path | None = None,
            on_line: Callable[[str], None] | None = None,
            cancel: threading.Event | None = None) -> Run:
        try:
            return run_lines(self.argv(argv), timeout, cwd=cwd, env=self.env(dirs),
                             on_line=on_line, cancel=cancel)
        except ToolMissing as missing:
            what = "the build wrapper" if self.wrapper else "the toolchain"
            raise PatchpilotError(f"{missing} is not installed ({what})",
                                  hint="install it, or set build.wrapper to a command that "
                                       "runs the kernel toolchain (see docs/build.md)")

    def described(self) -> str:
        return shlex.join(self.wrapper) if self.wrapper else "the host's PATH"


def versions(toolchain: Toolchain, timeout: float = 60) -> str:
    """One line per tool with its version ('missing' when absent)."""
    run = toolchain.run(["sh", "-c", VERSION_SCRIPT], [], timeout)
    lines = [line for line in run.output.splitlines() if ": " in line]
    return "\n".join(re.sub(r"sh: \d+: \S+: not found", "missing", line) for line in lines)


def identity(toolchain: Toolchain) -> str:
    """A short digest of the toolchain's versions (part of every build cache key)."""
    return hashlib.sha256(versions(toolchain).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Availability:
    ok: bool
    summary: str  # one line: "Rust is available" or the kernel's first complaint
    output: str


def rust_available(toolchain: Toolchain, tree: Path, timeout: float = 120,
                   arch: str = "", in_tree: bool = False) -> Availability:
    """`make LLVM=1 rustavailable` in `tree` (for `arch`: the minimums may differ per
    architecture), with a throw-away O= directory (nothing is written into the tree);
    `in_tree` for a tree that holds a build of its own (kbuild refuses O= there)."""
    arch_arg = [f"ARCH={arch}"] if arch else []
    with tempfile.TemporaryDirectory(prefix="patchpilot-rustavailable-") as out:
        output = [] if in_tree else [f"O={out}"]
        run = toolchain.run(["make", "-s", "-C", str(tree), *output, *arch_arg, "LLVM=1",
                             "rustavailable"], [tree, Path(out)], timeout)
    text = run.output
    if run.returncode == 0 and "Rust is available" in text:
        return Availability(True, "Rust is available (make LLVM=1 rustavailable)", text)
    if "No rule to make target" in text and (tree / SCRIPT).is_file():
        return _script(toolchain, tree, arch, timeout)
    return Availability(False, first_complaint(text, run.returncode), text)


SCRIPT = "scripts/rust_is_available.sh"


def _script(toolchain: Toolchain, tree: Path, arch: str, timeout: float) -> Availability:
    """The script `make rustavailable` runs, with the variables make would give it (LLVM=1),
    for a partial tree that make cannot read (a sparse checkout without arch/)."""
    srcarch = {"x86_64": "x86", "i386": "x86", "": "x86"}.get(arch, arch)
    run = toolchain.run(["env", "RUSTC=rustc", "BINDGEN=bindgen", "CC=clang",
                         f"SRCARCH={srcarch}", "sh", SCRIPT], [tree], timeout, cwd=tree)
    if run.returncode == 0:
        return Availability(True, f"Rust is available ({SCRIPT}, as make rustavailable runs "
                            "it)", run.output)
    return Availability(False, first_complaint(run.output, run.returncode), run.output)


def first_complaint(text: str, returncode: int) -> str:
    """The line of rust_is_available.sh's answer that says what is wrong."""
    lines = [line.strip(" *\t") for line in text.splitlines()]
    for line in lines:
        if re.search(r"(not found|could not be found|too old|is too|unexpected|cannot|"
                     r"doesn't|does not|No rule to make|not clean)", line, re.IGNORECASE):
            return line
    for line in lines:
        if line and not line.startswith("make"):
            return line
    return f"make LLVM=1 rustavailable failed (exit {returncode})"
