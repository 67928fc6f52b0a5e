"""The build check's test bed: the tool root's wrapper and the shared build homes, and the
planted series on a full kernel tree (patchpilot.demo.planted)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.build.runner import Options
from patchpilot.core.build.toolchain import Toolchain
from patchpilot.demo import kernelsrc, planted
from tests.helpers import git


@dataclass(frozen=True)
class BuildBed:
    toolchain: Toolchain
    root: Path  # build homes shared by every test (and run)

    def options(self, **changes: object) -> Options:
        settings = {"root": self.root, "toolchain": self.toolchain, **changes}
        return Options(**settings)  # type: ignore[arg-type]

    def configure(self, tree: Path) -> None:
        """git config of a test tree that makes patchpilot (CLI, TUI) build on this bed."""
        git(tree, "config", "patchpilot.build.dir", str(self.root))
        git(tree, "config", "patchpilot.build.wrapper", shlex.join(self.toolchain.wrapper))


def planted_tree(cache: Path, release: str, dest: Path) -> tuple[Path, str, list[str]]:
    """A sparse clone of the full `release` tree (cached under `cache`) with the planted series
    on branch `planted`: (tree, base commit, the five commits)."""
    template = kernelsrc.full_tree(cache, release)
    tree = planted.clone(template, dest)
    base = git(tree, "rev-parse", "master").strip()
    return tree, base, planted.plant(tree)
