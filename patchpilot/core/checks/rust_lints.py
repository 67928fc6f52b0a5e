"""Rules that approximate lints the tree's Makefile turns on, on the syntax tree (A19
clippy::no_mangle_with_rust_abi, A20 non_ascii_idents, A22 clippy::unnecessary_safety_comment,
A23 clippy::mut_mut). The runner gates each on the tree's lint set. No git, no subprocesses,
no UI.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks import rust_syntax as syn
from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust_ruleset import finding
from patchpilot.core.checks.rust_source import RustSource

_IDENTS = ("identifier", "type_identifier", "field_identifier", "shorthand_field_identifier")


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
        if abi is None or abi == "Rust":
            name = node.child_by_field_name("name")
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


def check_unnecessary_safety(src: RustSource) -> Iterator[Finding]:
    """A22: a `// SAFETY:` comment on a statement or item with no unsafe code in it."""
    if "SAFETY:" not in src.text:
        return
    for node in src.of_type("line_comment", "block_comment"):
        if not syn.is_plain_comment(node) or not syn.text_of(node)[2:].strip().startswith(
                "SAFETY:") or not src.added(syn.line_of(node)) or syn.in_macro_tokens(node):
            continue
        # As clippy: a comment inside an unsafe block is never "unnecessary".
        target = _commented(src, node)
        if target is None or _may_be_unsafe(target) \
                or syn.enclosing(node, ("unsafe_block",)) is not None:
            continue
        yield finding(src, "A22", syn.line_of(node),
                      "`// SAFETY:` comment on code without an unsafe block",
                      "drop the comment, or turn it into a plain comment if it explains an "
                      "invariant")


def _commented(src: RustSource, comment: Node) -> Node | None:
    """The code a comment is about: for a trailing comment the code before it on its line,
    otherwise the next statement, item or match arm."""
    row, col = comment.start_point
    if src.line_text(row + 1)[:col].strip():
        prev = comment.prev_named_sibling
        return prev if prev is not None and prev.end_point[0] == row else None
    nxt = comment.next_named_sibling
    while nxt is not None and (nxt.type in syn.COMMENTS or nxt.type == "attribute_item"):
        nxt = nxt.next_named_sibling
    return nxt


def _may_be_unsafe(node: Node) -> bool:
    """Unsafe code, an unsafe item, or a macro call whose expansion we cannot see."""
    return any(n.type in ("unsafe_block", "unsafe", "macro_invocation", "token_tree")
               for n in syn.walk(node)) or "unsafe" in syn.text_of(node)


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
