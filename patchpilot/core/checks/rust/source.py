"""The input every Rust rule reads: one file's post-image, its tree and the added lines.

Plain data; the facts read from the kernel tree live in TreeContext (built by
tree.tree_context). No git, no subprocesses, no UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from tree_sitter import Node, Tree

from patchpilot.core.checks.rust.syntax import index


@dataclass(frozen=True)
class TreeContext:
    """Facts about the kernel tree the patch applies to (None: not known, rule stays quiet)."""

    # Features scripts/Makefile.build enables for crates outside rust/ (rust_allowed_features).
    allowed_features: frozenset[str] | None = None
    # Full paths the prelude re-exports (`kernel::error::Result`) and its glob prefixes
    # (`kernel::error::code` for `code::*`).
    prelude_paths: frozenset[str] = frozenset()
    prelude_globs: frozenset[str] = frozenset()
    # Lints the top Makefile turns on (-W/-D/-F in rust_common_flags and KBUILD_RUSTFLAGS, minus
    # a later -A), as rustc names them: "missing_docs", "clippy::mut_mut", "clippy::all".
    lints: frozenset[str] | None = None
    # .clippy.toml `disallowed-macros` paths ("kernel::dbg").
    disallowed_macros: tuple[str, ...] | None = None
    # scripts/Makefile.build passes `-Zcrate-attr=no_std` to every crate outside rust/.
    no_std: bool | None = None
    # The module licence strings the loader accepts as free software, and where they were read.
    licenses: frozenset[str] | None = None
    licenses_from: str = ""
    # The keys the `module!` macro accepts (in order) and requires (rust/macros/module.rs).
    module_keys: tuple[str, ...] | None = None
    module_required: tuple[str, ...] | None = None
    # The tree's top directory: per-directory Makefiles are read from it when the patch does
    # not change them.
    tree: Path | None = None
    # Lints the Makefile denies (-D/-F): `#[allow(warnings)]` does not turn these off.
    denied_lints: frozenset[str] | None = None
    # .clippy.toml `disallowed-methods`: (path, what to use instead or why).
    disallowed_methods: tuple[tuple[str, str], ...] | None = None
    # Directories `make rustfmt` leaves out: code vendored from upstream (rust/syn ...).
    vendored: tuple[str, ...] = ()
    # rust/Makefile's crates, by the directory (or file) of their root: host crates (proc
    # macros and the libraries they use) and kernel crates. A file under rust/ in neither is
    # built by no crate (rust/pin-init/examples).
    host_crates: tuple[str, ...] = ()
    kernel_crates: tuple[str, ...] = ()
    # bindgen `--newtype-enum` types (and their `_t` typedefs): `bindings::x(..)` builds one.
    newtypes: frozenset[str] = frozenset()
    # Facts a rule needs that this tree does not give in a form the rule knows: (rule, what).
    unread: tuple[tuple[str, str], ...] = ()


@dataclass
class RustSource:
    """One `.rs` file after the patch: `added` holds 1-based added line numbers; `patch_files`
    maps the other files the same patch changes (Makefiles, Kbuild, `.rs`) to their
    post-images, which win over the tree's copies."""

    path: str
    text: str
    added_lines: frozenset[int]
    tree: Tree
    context: TreeContext | None = None
    patch_files: Mapping[str, str] = field(default_factory=dict)
    # The file whose module this file's items belong to: itself, or the file that
    # `include!`s it (includes.py).
    module_path: str = ""

    def __post_init__(self) -> None:
        self.module_path = self.module_path or self.path

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @cached_property
    def nodes(self) -> dict[str, list[Node]]:
        """The syntax tree's nodes by type (built once per file, shared by every rule)."""
        return index(self.root)

    def of_type(self, *types: str) -> list[Node]:
        """The nodes of these types, in source order (outer before inner)."""
        if len(types) == 1:
            return self.nodes.get(types[0], [])
        found = [n for t in types for n in self.nodes.get(t, [])]
        return sorted(found, key=lambda n: (n.start_byte, -n.end_byte))

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def added(self, line: int) -> bool:
        return line in self.added_lines

    def tree_file(self, path: str) -> str | None:
        """A file of the tree as the patch leaves it (None: not there, or tree not known)."""
        if path in self.patch_files:
            return self.patch_files[path]
        tree = self.context.tree if self.context is not None else None
        return _read(tree / path) if tree is not None else None

    def line_text(self, line: int) -> str:
        """The text of a 1-based line ('' past the end)."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


def _read(path: Path) -> str | None:
    """A tree file's text; cached while the file is unchanged, as many files of one run ask
    for the same Makefiles and parent modules."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read_unchanged(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _read_unchanged(path: Path, mtime_ns: int, size: int) -> str | None:
    return path.read_text(errors="replace") if path.is_file() else None
