"""How to read `use` declarations and the prelude's re-exports (shared by the rules and by
tree.tree_context). Syntax only: no git, no subprocesses, no UI.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from patchpilot.core.checks.rust import syntax as syn

ALLOWED_FEATURES = re.compile(r"^rust_allowed_features\s*:?=\s*(.*)$", re.MULTILINE)


def prelude_exports(text: str) -> tuple[set[str], set[str]]:
    """The full paths (and glob prefixes) `rust/kernel/prelude.rs` re-exports."""
    paths: set[str] = set()
    globs: set[str] = set()
    for node in syn.parse(text).root_node.children:
        if node.type != "use_declaration":
            continue
        for path, kind in use_paths(node):
            path = re.sub(r"^(super|crate)::", "kernel::", path)
            (globs if kind == "glob" else paths).add(path)
    return paths, globs


def use_paths(decl: Node) -> list[tuple[str, str]]:
    """The paths a `use` declaration imports, as (path, kind): kind is "item", "glob" (the
    path is the prefix before `::*`) or "alias" (renamed with `as`)."""
    arg = decl.child_by_field_name("argument")
    return _expand(arg, "") if arg is not None else []


def _expand(node: Node, prefix: str) -> list[tuple[str, str]]:
    def join(tail: str) -> str:
        return f"{prefix}::{tail}" if prefix else tail

    if node.type in ("identifier", "scoped_identifier", "crate", "super", "self"):
        return [(join(_compact(node)), "item")]
    if node.type == "use_as_clause":
        path = node.child_by_field_name("path")
        return [(join(_compact(path)), "alias")] if path is not None else []
    if node.type == "use_wildcard":
        head = [c for c in node.children if c.type not in ("::", "*")]
        return [(join(_compact(head[0])) if head else prefix, "glob")]
    if node.type == "scoped_use_list":
        path = node.child_by_field_name("path")
        inner = join(_compact(path)) if path is not None else prefix
        lst = node.child_by_field_name("list")
        return _expand(lst, inner) if lst is not None else []
    if node.type == "use_list":
        return [p for c in node.named_children for p in _expand(c, prefix)]
    return []


def _compact(node: Node) -> str:
    return re.sub(r"\s+", "", syn.text_of(node))
