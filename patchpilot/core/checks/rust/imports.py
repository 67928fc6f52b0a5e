"""Crate attributes and imports (A13, A14) (the facts are read by tree.tree_context; `use`
declarations by paths.py). No git, no subprocesses, no UI.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.paths import use_paths
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource, TreeContext


def check_prelude_imports(src: RustSource) -> Iterator[Finding]:
    """A14: an added `use` that imports again what `kernel::prelude::*` already brings."""
    ctx = src.context
    if ctx is None or not ctx.prelude_paths:
        return
    decls = [n for n in src.root.children if n.type == "use_declaration"]
    if not any(("kernel::prelude", "glob") in use_paths(d) for d in decls):
        return
    for decl in decls:
        if not src.added(syn.line_of(decl)):
            continue
        again = [p for p, kind in use_paths(decl) if kind == "item" and _in_prelude(p, ctx)]
        if again:
            names = ", ".join(f"`{p.rsplit('::', 1)[-1]}`" for p in again)
            yield finding(src, "A14", syn.line_of(decl),
                          f"{names} already come(s) from `kernel::prelude::*`",
                          "drop the import; the prelude brings it")


def _in_prelude(path: str, ctx: TreeContext) -> bool:
    return path in ctx.prelude_paths or path.rpartition("::")[0] in ctx.prelude_globs


def check_features(src: RustSource) -> Iterator[Finding]:
    """A13: `#![feature(...)]` in a crate outside rust/ (the core crates choose their own)."""
    ctx = src.context
    if src.path.startswith("rust/") or ctx is None or ctx.allowed_features is None:
        return
    for node in src.root.children:
        if node.type != "inner_attribute_item" or not src.added(syn.line_of(node)):
            continue
        for feature in _features(node):
            yield _feature_finding(src, syn.line_of(node), feature, ctx.allowed_features)


def _features(node: Node) -> list[str]:
    attr = next((c for c in node.children if c.type == "attribute"), None)
    if attr is None or syn.text_of(attr.children[0]) != "feature":
        return []
    args = attr.child_by_field_name("arguments")
    return [syn.text_of(c) for c in args.children if c.type == "identifier"] if args else []


def _feature_finding(src: RustSource, line: int, feature: str,
                     allowed: frozenset[str]) -> Finding:
    if feature in allowed:
        return finding(src, "A13", line,
                       f"feature `{feature}` is already enabled for every crate outside rust/",
                       "drop the attribute: scripts/Makefile.build passes it with -Zcrate-attr")
    found = finding(src, "A13", line,
                    f"feature `{feature}` is not in the tree's rust_allowed_features",
                    f"allowed outside rust/: {', '.join(sorted(allowed))}")
    return found
