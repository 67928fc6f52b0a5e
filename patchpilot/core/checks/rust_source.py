"""The input every Rust rule reads: one file's post-image, its tree and the added lines.

Plain data; the facts read from the kernel tree live in TreeContext (built by
rust_imports.tree_context). No git, no subprocesses, no UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from tree_sitter import Node, Tree


@dataclass(frozen=True)
class TreeContext:
    """Facts about the kernel tree the patch applies to (None: not known, rule stays quiet)."""

    # Features scripts/Makefile.build enables for crates outside rust/ (rust_allowed_features).
    allowed_features: frozenset[str] | None = None
    # Full paths the prelude re-exports (`kernel::error::Result`) and its glob prefixes
    # (`kernel::error::code` for `code::*`).
    prelude_paths: frozenset[str] = frozenset()
    prelude_globs: frozenset[str] = frozenset()


@dataclass
class RustSource:
    """One `.rs` file after the patch: `added` holds 1-based added line numbers."""

    path: str
    text: str
    added_lines: frozenset[int]
    tree: Tree
    context: TreeContext | None = None

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def added(self, line: int) -> bool:
        return line in self.added_lines

    def line_text(self, line: int) -> str:
        """The text of a 1-based line ('' past the end)."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""
