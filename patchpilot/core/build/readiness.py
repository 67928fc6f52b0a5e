"""`doctor`'s build items: the toolchain `patchpilot build` runs (through build.wrapper when
set) and the kernel's own verdict on it, `make LLVM=1 rustavailable` on the user's tree (with a
throw-away O= directory). No UI."""

from __future__ import annotations

from pathlib import Path

from patchpilot.core.build.toolchain import Toolchain, rust_available, versions
from patchpilot.core.checks.doctor import Item
from patchpilot.core.errors import PatchpilotError

HINT = ("install what it names (Documentation/rust/quick-start.rst), or set build.wrapper to "
        "a command that runs a kernel toolchain (a container or a chroot: see docs/build.md)")


def build_items(tree: Path, toolchain: Toolchain, arch: str = "") -> list[Item]:
    where = toolchain.described()
    try:
        found = versions(toolchain)
        verdict = rust_available(toolchain, tree, arch=arch)
    except PatchpilotError as exc:
        return [Item("rustavailable", "missing", None, None, f"{exc.message}; {HINT}")]
    if not verdict.ok and "not clean" in verdict.summary:  # an in-tree build: ask in place
        verdict = rust_available(toolchain, tree, arch=arch, in_tree=True)
    tools = ", ".join(line.replace(": ", " ", 1) for line in found.splitlines()
                      if "missing" not in line)
    item = Item("rustavailable", "ok" if verdict.ok else "missing",
                f"{verdict.summary} ({where})", None, "" if verdict.ok else HINT)
    return [Item("build tools", "ok" if tools else "info", tools or None, None,
                 "" if tools else f"no kernel toolchain on {where}"), item]
