"""Lint attributes and rules that approximate lints the tree's Makefile turns on, on the
syntax tree: A9 (`expect` over `allow`), A19 clippy::no_mangle_with_rust_abi, A20
non_ascii_idents, A23 clippy::mut_mut. The runner gates A19-A23 on the tree's lint set.
No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.kbuild import built_with_kernel_flags
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource

_IDENTS = ("identifier", "type_identifier", "field_identifier", "shorthand_field_identifier")
# Lints whose firing depends on the architecture or the configuration (the width of C types,
# what a cfg leaves out): the guidelines keep `allow` for them.
_CONFIG_LINTS = re.compile(r"^clippy::(\w*cast\w*|useless_conversion|unnecessary_cast|"
                           r"identity_op|bad_bit_mask|eq_op)$")


def check_allow_attributes(src: RustSource) -> Iterator[Finding]:
    """A9: `#[allow(...)]` on an added line where `#[expect(...)]` would do: not where the
    guidelines keep `allow` (lints that depend on the configuration or the architecture, a
    `cfg`'d item, macro bodies, generated code), nor where the author gave a `reason`."""
    if not built_with_kernel_flags(src):
        return  # user-space tools and examples build on toolchains without `expect`
    for node in src.of_type("attribute_item", "inner_attribute_item"):
        attr = next((c for c in node.children if c.type == "attribute"), None)
        if attr is None or syn.text_of(attr.children[0]) != "allow":
            continue
        line = syn.line_of(node)
        if not src.added(line) or _allow_is_right(node, attr) \
                or "//" in src.line_text(node.end_point[0] + 1)[node.end_point[1]:]:
            continue  # a comment after it on the line gives the reason
        text = src.line_text(line)
        fix = text.replace("allow(", "expect(", 1) if node.start_point[0] == \
            node.end_point[0] else None
        yield finding(src, "A9", line, "`#[allow(...)]`: prefer `#[expect(...)]`",
                      "use `expect` unless the lint fires only in some configurations, "
                      "architectures or macro expansions", fix=fix)


def _allow_is_right(node: Node, attr: Node) -> bool:
    text = syn.text_of(attr)
    if "reason" in text or syn.in_macro_tokens(node) \
            or syn.enclosing(node, ("macro_definition",)) is not None:
        return True
    lints = syn.allowed_lints(node)
    if any(_CONFIG_LINTS.match(lint) for lint in lints) or "warnings" in lints:
        return True
    target = node.parent if node.type == "inner_attribute_item" else node.next_named_sibling
    while target is not None and node.type == "attribute_item" and (
            target.type == "attribute_item" or target.type in syn.COMMENTS):
        target = target.next_named_sibling  # the item under a stack of attributes
    if target is None:
        return False
    siblings = syn.leading_siblings(target) if node.type == "attribute_item" else []
    if any(syn.text_of(a).replace(" ", "").startswith("#[cfg(") for a in siblings):
        return True
    return _generated(target)


def _generated(holder: Node) -> bool:
    """A module (or file) that `include!`s generated code or says it is generated."""
    if holder.type not in ("source_file", "mod_item"):
        return False
    body = syn.text_of(holder)
    return "include!" in body or "bindgen" in body[:2000] or "generated" in body[:2000]


# -- A19, A20, A22, A23 -----------------------------------------------------------------------

def check_no_mangle_abi(src: RustSource) -> Iterator[Finding]:
    """A19: `#[no_mangle]` on a function that keeps the Rust ABI."""
    if "no_mangle" not in src.text:
        return
    for node in src.of_type("function_item"):
        if not src.added(syn.line_of(node)):
            continue
        attrs = [a.replace(" ", "") for a in syn.attributes(node)]
        if not any(a in ("no_mangle", "unsafe(no_mangle)") for a in attrs):
            continue
        abi = _abi(node)
        name = node.child_by_field_name("name")
        if name is not None and syn.text_of(name).startswith("__rust_"):
            continue  # the allocator shim the compiler calls with the Rust ABI (6.1)
        if abi is None or abi == "Rust":
            what = f"`{syn.text_of(name)}`" if name is not None else "function"
            yield finding(src, "A19", syn.line_of(node),
                          f"#[no_mangle] {what} has the Rust ABI",
                          "declare it `extern \"C\" fn` (C calls it by its symbol name)")


def _abi(func: Node) -> str | None:
    mods = next((c for c in func.children if c.type == "function_modifiers"), None)
    ext = next((c for c in mods.children if c.type == "extern_modifier"), None) if mods else None
    if ext is None:
        return None
    abi = [syn.text_of(c) for c in syn.walk(ext) if c.type == "string_content"]
    return abi[0] if abi else "C"


def check_non_ascii(src: RustSource) -> Iterator[Finding]:
    """A20: identifiers with characters outside ASCII (one finding per line)."""
    if src.text.isascii():
        return
    seen: set[int] = set()
    for node in src.of_type(*_IDENTS):
        line = syn.line_of(node)
        if line not in seen and src.added(line) and not syn.text_of(node).isascii():
            seen.add(line)
            yield finding(src, "A20", line, f"non-ASCII identifier `{syn.text_of(node)}`",
                          "use an ASCII name (the tree denies non_ascii_idents)")


def check_mut_mut(src: RustSource) -> Iterator[Finding]:
    """A23: `&mut &mut` types and expressions."""
    for node in src.of_type("reference_type", "reference_expression"):
        inner = node.named_children[-1] if node.named_children else None
        if _mut_ref(node) and inner is not None and inner.type == node.type and _mut_ref(inner) \
                and src.added(syn.line_of(node)):
            yield finding(src, "A23", syn.line_of(node), "`&mut &mut`: a mutable reference to a "
                          "mutable reference", "pass the inner `&mut` on (reborrow with `&mut *x`)")


def _mut_ref(node: Node) -> bool:
    return any(c.type == "mutable_specifier" for c in node.children)
