"""Kernel code is `no_std` and has no floating point: `std::` paths and `extern crate std`
(A24, when scripts/Makefile.build makes crates no_std), `f32`/`f64` types, float literals and
casts (A21, when the Makefile turns on clippy::float_arithmetic). Test code, doctests (comments
to the syntax tree) and host code (rust/macros, scripts/, host programs) are exempt. One finding
per line. No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.kbuild import is_host_code
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource

_FLOAT_SUFFIX = re.compile(r"^[0-9][0-9_]*(e[+-]?[0-9_]+)?(f32|f64)$", re.IGNORECASE)
_PATHS = ("scoped_identifier", "scoped_type_identifier", "scoped_use_list", "use_wildcard")


def check_floats(src: RustSource) -> Iterator[Finding]:
    """A21: floating-point types, literals and casts in kernel code."""
    if is_host_code(src):
        return
    types = ["float_literal"]
    if "f32" in src.text or "f64" in src.text:
        types += ["primitive_type", "integer_literal", "identifier"]
    seen: set[int] = set()
    for node in src.of_type(*types):
        what = _float(node)
        line = syn.line_of(node)
        if not what or line in seen or not src.added(line) or syn.in_test_code(node) \
                or syn.enclosing(node, ("macro_definition",)) is not None:
            continue
        seen.add(line)
        yield finding(src, "A21", line, f"floating point in kernel code ({what})",
                      "use integers (fixed point, or scaled units such as milli-degrees); the "
                      "kernel does not save FPU state for Rust code")


def _float(node: Node) -> str:
    if node.type in ("primitive_type", "identifier") and syn.text_of(node) in ("f32", "f64"):
        parent = node.parent
        if parent is not None and parent.type == "token_tree":
            # In macro tokens only a cast is sure to be floating point; a bare `f32` may be
            # a type handed to a macro that implements a trait for it.
            after_as = node.prev_sibling is not None and node.prev_sibling.type == "as"
            return f"`as {syn.text_of(node)}`" if after_as else ""
        if node.type == "identifier":
            return ""
        cast = parent is not None and parent.type == "type_cast_expression"
        return f"`as {syn.text_of(node)}`" if cast else f"`{syn.text_of(node)}`"
    if node.type == "float_literal" or (node.type == "integer_literal"
                                        and _FLOAT_SUFFIX.match(syn.text_of(node))):
        return f"the literal `{syn.text_of(node)}`"
    return ""


def check_std(src: RustSource) -> Iterator[Finding]:
    """A24: `std::` paths and `extern crate std` outside host and test code."""
    ctx = src.context
    if ctx is None or not ctx.no_std or "std" not in src.text or is_host_code(src):
        return
    seen: set[int] = set()
    for node in src.of_type("identifier", "extern_crate_declaration"):
        line = syn.line_of(node)
        if line in seen or not src.added(line) or not _std(node) or syn.in_test_code(node) \
                or _under_std_feature(node):
            continue
        seen.add(line)
        yield finding(src, "A24", line, "`std` in a `no_std` kernel crate",
                      "use `core::` (or `kernel::` for allocation: `KBox`, `KVec`, `Arc`, "
                      "`CString`)")


def _std(node: Node) -> bool:
    if node.type == "extern_crate_declaration":
        name = node.child_by_field_name("name")
        return name is not None and syn.text_of(name) == "std"
    if node.type != "identifier" or syn.text_of(node) != "std" or node.parent is None:
        return False
    parent = node.parent
    if parent.type == "use_wildcard":
        return parent.children[0] == node
    if parent.type in _PATHS:
        path = parent.child_by_field_name("path")
        return path == node or (path is None and parent.children[0].type == "::")
    return parent.type == "use_declaration"


def _under_std_feature(node: Node) -> bool:
    """Inside an item under `#[cfg(feature = "std")]`: a crate shared with user space (pin-init)
    that the kernel builds without that feature."""
    current: Node | None = node
    while current is not None:
        if any(re.match(r'cfg\(.*feature\s*=\s*"std"', a) and "not(" not in a
               for a in syn.attributes(current)):
            return True
        current = current.parent
    return False
