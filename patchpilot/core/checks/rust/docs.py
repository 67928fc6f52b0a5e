"""A17 missing_docs on the syntax tree: exported items without documentation.

Exported, as rustc's missing_docs sees it: `pub` (not `pub(crate)`) items in modules that are
`pub` all the way up, and not `#[doc(hidden)]`; the fields and variants of exported types; the
items of exported traits and of inherent impls of exported types; `#[macro_export]` macros;
and the crate root's own `//!` documentation. A file's module is exported when its parent
declares it `pub mod` (read from the patch or the tree; unknown parents count as exported);
from a private module only what the parent re-exports with `pub use` is.
No git, no subprocesses, no UI.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.kbuild import dir_build
from patchpilot.core.checks.rust.paths import use_paths
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource

# What of a module its crate exports: None for all of it, else the top-level names.
Reach = frozenset[str] | None

_ITEMS = ("function_item", "struct_item", "enum_item", "union_item", "trait_item", "type_item",
          "const_item", "static_item", "mod_item", "function_signature_item")
_ASSOCIATED = ("function_item", "const_item", "type_item", "function_signature_item",
               "associated_type")
_KIND = {"function_item": "function", "function_signature_item": "function",
         "struct_item": "struct", "enum_item": "enum", "union_item": "union",
         "trait_item": "trait", "type_item": "type alias", "const_item": "constant",
         "static_item": "static", "mod_item": "module", "associated_type": "associated type",
         "field_declaration": "struct field", "enum_variant": "variant",
         "macro_definition": "macro"}

def check_missing_docs(src: RustSource) -> Iterator[Finding]:
    """A17: exported items without documentation: `pub` items of the crate's public modules,
    fields and variants of exported types, items of exported traits and of inherent impls of
    exported types, `#[macro_export]` macros, and a crate root without `//!` docs."""
    reach = module_reach(src)
    exported_types = _exported_types(src.of_type("struct_item", "enum_item", "union_item",
                                                 "type_item"), reach)
    for node in src.of_type(*_ITEMS, "field_declaration", "enum_variant", "macro_definition",
                            "associated_type"):
        if not src.added(syn.line_of(node)) or not _needs_docs(node, exported_types, reach):
            continue
        if _documented(node) or syn.in_test_code(node):
            continue
        name = node.child_by_field_name("name")
        label = f" `{syn.text_of(name)}`" if name is not None else ""
        yield finding(src, "A17", syn.line_of(node),
                      f"public {_KIND.get(node.type, 'item')}{label} has no documentation",
                      "add a `///` comment saying what it is for (the tree builds with "
                      "-Wmissing_docs)")
    if src.added(1) and _crate_root(src) and not _has_crate_docs(src.root):
        yield finding(src, "A17", 1, "the crate has no `//!` documentation",
                      "start the file (after the SPDX line) with `//! <what this crate is>.`")


def _needs_docs(node: Node, exported_types: set[str], reach: Reach) -> bool:
    parent = node.parent
    holder = parent.parent if parent is not None else None
    if node.type == "macro_definition":
        return "macro_export" in syn.attributes(node)
    if node.type == "field_declaration":
        return syn.is_pub(node) and holder is not None and _exported(holder, reach)
    if node.type == "enum_variant":
        return holder is not None and _exported(holder, reach)
    if holder is not None and holder.type == "trait_item" and node.type in _ASSOCIATED:
        return _exported(holder, reach)
    if holder is not None and holder.type == "impl_item" and node.type in _ASSOCIATED:
        return syn.is_pub(node) and _inherent_impl_of(holder) in exported_types
    if node.type == "mod_item" and node.child_by_field_name("body") is None:
        return False  # `pub mod x;`: its docs are the `//!` of x.rs
    return node.type in _ITEMS and _exported(node, reach)


def _exported(item: Node, reach: Reach) -> bool:
    """`pub`, and every module around it `pub`; never inside a function or an impl, never
    `#[doc(hidden)]` (nor inside a hidden module); at the top of the file, one of the names
    the parent re-exports when it keeps the module itself private."""
    if not syn.is_pub(item) or _hidden(item):
        return False
    top = item
    current = item.parent
    while current is not None and current.type != "source_file":
        if current.type in ("function_item", "impl_item", "closure_expression", "block",
                            "macro_definition", "token_tree"):
            return False
        if current.type == "mod_item" and (not syn.is_pub(current) or _hidden(current)):
            return False
        top, current = current, current.parent
    if reach is None:
        return True
    name = top.child_by_field_name("name")
    return name is not None and syn.text_of(name) in reach


def _hidden(item: Node) -> bool:
    return any(a.replace(" ", "").startswith("doc(hidden") for a in syn.attributes(item))


def _inherent_impl_of(impl: Node) -> str:
    if any(c.type == "for" for c in impl.children):
        return ""
    ty = impl.child_by_field_name("type")
    return syn.text_of(ty).split("<")[0].strip() if ty is not None else ""


def _exported_types(items: list[Node], reach: Reach) -> set[str]:
    names = set()
    for node in items:
        if _exported(node, reach):
            name = node.child_by_field_name("name")
            if name is not None:
                names.add(syn.text_of(name))
    return names


def _documented(node: Node) -> bool:
    attrs = syn.attributes(node)
    if any(a.replace(" ", "").startswith(("doc=", "doc(hidden")) for a in attrs):
        return True
    return syn.doc_text(node) is not None


def _crate_root(src: RustSource) -> bool:
    """rust/<crate>/lib.rs, or a file its directory's Makefile builds as an object."""
    if src.module_path != src.path:
        return False  # an included file is part of another module
    parts = src.path.split("/")
    if parts[0] == "rust":
        return len(parts) == 3 and parts[2] == "lib.rs"
    build = dir_build(src)
    stem = parts[-1][:-3]
    return build is not None and (stem in build.modules or stem in build.host_programs)


def _has_crate_docs(root: Node) -> bool:
    return any((c.type in syn.COMMENTS and syn.text_of(c).startswith(("//!", "/*!")))
               or (c.type == "inner_attribute_item" and "doc" in syn.text_of(c))
               for c in root.children)




def module_reach(src: RustSource) -> Reach:
    """What of a file's module its crate exports: None for everything (each parent declares
    it `pub mod`, not `#[doc(hidden)]`, or cannot be read), else the names the parent
    re-exports with `pub use` from a private module (empty: nothing)."""
    path = src.module_path
    reach: Reach = None
    for depth in range(16):
        parent = _parent_module(src, path)
        if parent is None:
            return reach
        parent_path, text, name = parent
        declared = _declaration(text, name)
        if declared is _UNDECLARED:
            return reach
        if declared is not None and (depth == 0 or not declared):
            reach = declared if depth == 0 else frozenset()
            if not reach:
                return reach
        path = parent_path
    return reach


def _parent_module(src: RustSource, path: str) -> tuple[str, str, str] | None:
    """(parent file, its text, the module's name) for a non-root module file."""
    directory, _, filename = path.rpartition("/")
    if filename in ("lib.rs", "main.rs") or not directory:
        return None
    name = filename[:-3]
    if filename == "mod.rs":
        directory, _, name = directory.rpartition("/")
        if not directory:
            return None
    for candidate in (f"{directory}.rs", f"{directory}/mod.rs", f"{directory}/lib.rs"):
        if candidate != path:
            text = src.tree_file(candidate)
            if text is not None:
                return candidate, text, name
    # A driver's crate root is the file its directory's Makefile builds as an object.
    build = dir_build(src, directory)
    for stem in sorted(build.modules) if build is not None else ():
        candidate = f"{directory}/{stem}.rs"
        text = src.tree_file(candidate) if candidate != path else None
        if text is not None and _declaration(text, name) is not _UNDECLARED:
            return candidate, text, name
    return None


_UNDECLARED: frozenset[str] = frozenset(("<not declared>",))


@lru_cache(maxsize=256)
def _declaration(text: str, name: str) -> Reach:
    """How a parent exports `mod name;`: None (all of it: `pub`, not hidden), the names it
    re-exports (`pub use name::{A, B}`) when private or hidden, _UNDECLARED when absent."""
    root = syn.parse(text).root_node
    for node in syn.walk(root):
        decl = node.child_by_field_name("name") if node.type == "mod_item" else None
        if decl is None or syn.text_of(decl) != name or node.child_by_field_name("body"):
            continue
        if syn.is_pub(node) and not _hidden(node) and \
                all(syn.is_pub(m) and not _hidden(m) for m in _modules_around(node)):
            return None
        return _reexports(root, name)
    return _UNDECLARED


def _reexports(root: Node, name: str) -> Reach:
    names: set[str] = set()
    for use in (n for n in root.children if n.type == "use_declaration" and syn.is_pub(n)):
        for path, kind in use_paths(use):
            parts = path.removeprefix("self::").split("::")
            if parts[0] != name:
                continue
            if kind == "glob" and len(parts) == 1:
                return None
            if len(parts) == 2:
                names.add(parts[1])
    return frozenset(names)


def _modules_around(node: Node) -> list[Node]:
    found = []
    current = node.parent
    while current is not None:
        if current.type == "mod_item":
            found.append(current)
        current = current.parent
    return found
