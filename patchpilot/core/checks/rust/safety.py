"""The `// SAFETY:` family, on the syntax tree: a comment on every unsafe block and `unsafe
impl` (A4), a `# Safety` section on every unsafe fn and trait (A5), no SAFETY comment on safe
code (A22, clippy::unnecessary_safety_comment). A4 and A22 read a comment's place the same
way, so they never ask for and against the same comment. No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource
from patchpilot.core.checks.rust.tree import lint_enabled


def check_unsafe_blocks(src: RustSource) -> Iterator[Finding]:
    """A4: a `// SAFETY:` comment before every added unsafe block and `unsafe impl`."""
    for node in src.of_type("unsafe_block", "impl_item"):
        is_impl = node.type == "impl_item" and syn.has_modifier(node, "unsafe")
        if node.type != "unsafe_block" and not is_impl:
            continue
        if not src.added(syn.line_of(node)) or has_safety_comment(src, node):
            continue
        what = "`unsafe impl`" if is_impl else "`unsafe` block"
        yield finding(src, "A4", syn.line_of(node), f"{what} without a `// SAFETY:` comment",
                      "add `// SAFETY: <why this is sound>.` on the line(s) just above it",
                      severity="warning" if syn.in_test_code(node) else
                      _severity(src, "clippy::undocumented_unsafe_blocks"))


def _severity(src: RustSource, lint: str) -> str | None:
    """The rule's own severity (error) when the tree's build checks `lint` or the tree is not
    known; a warning where the tree asks for it only in its guidelines (6.1 predates the
    lint in its Makefile; test code is not built with clippy)."""
    ctx = src.context
    if ctx is None or ctx.lints is None or lint_enabled(ctx, lint):
        return None
    return "warning"


def has_safety_comment(src: RustSource, node: Node) -> bool:
    """Look for SAFETY: before the node, then before each enclosing expression up to the
    statement, match arm or item that holds it, then on the comment lines right above the
    line the block starts on (attributes between), as clippy's undocumented_unsafe_blocks
    does (a comment above `.map(|x| unsafe { .. })` in a call chain, above a field whose
    value is an unsafe block)."""
    if any("SAFETY:" in line for line in comment_lines_above(src, syn.line_of(node))):
        return True
    current = node
    while current is not None:
        comments = [n for n in syn.leading_siblings(current) if n.type in syn.COMMENTS]
        if any("SAFETY:" in syn.text_of(c) for c in comments):
            return True
        parent = current.parent
        if parent is None or parent.type in syn.STATEMENT_PARENTS or current.type == "match_arm":
            return False
        current = parent
    return False


def check_safety_sections(src: RustSource) -> Iterator[Finding]:
    """A5: `# Safety` on unsafe fns and traits (not trait impls, not tests); none on safe ones."""
    for node in src.of_type("function_item", "function_signature_item", "trait_item"):
        if not src.added(syn.line_of(node)) or _in_trait_impl(node) or syn.in_test_code(node):
            continue
        unsafe = syn.has_modifier(node, "unsafe")
        doc = syn.doc_text(node)
        kind = "trait" if node.type == "trait_item" else "fn"
        if unsafe and not syn.has_safety_section(doc):
            yield finding(src, "A5", syn.line_of(node),
                          f"`unsafe {kind}` without a `# Safety` section in its documentation",
                          "document what callers must guarantee under `/// # Safety`",
                          severity=_severity(src, "clippy::missing_safety_doc") or (
                              None if syn.is_pub(node) or _checks_private(src) else "warning"))
        elif not unsafe and syn.has_safety_section(doc):
            yield finding(src, "A5", syn.line_of(node),
                          f"safe {kind} documents a `# Safety` section",
                          "remove the section, or make the item `unsafe` if callers have a "
                          "contract to uphold")


def _in_trait_impl(node: Node) -> bool:
    impl = syn.enclosing(node, ("impl_item", "source_file"))
    return impl is not None and impl.type == "impl_item" and any(
        c.type == "for" for c in impl.children)


def _checks_private(src: RustSource) -> bool:
    """clippy checks private items too (`.clippy.toml` check-private-items, 6.12 on)."""
    text = src.tree_file(".clippy.toml") or ""
    return bool(re.search(r"^check-private-items\s*=\s*true", text, re.MULTILINE))


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
                or syn.enclosing(node, ("unsafe_block",)) is not None \
                or _unsafe_on_next_code_line(src, node):
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


def _unsafe_on_next_code_line(src: RustSource, comment: Node) -> bool:
    """The first line of code after the comment (past comments and attributes) holds an
    unsafe block: the comment is the one A4 asks for there."""
    line = comment.end_point[0] + 2
    while line <= len(src.lines) and _comment_or_attribute(src.line_text(line)):
        line += 1
    return bool(re.search(r"\bunsafe\b", src.line_text(line)))


def _comment_or_attribute(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith(("//", "/*", "* ", "*/", "#[", "#![")) or stripped == "*"


def comment_lines_above(src: RustSource, line: int) -> list[str]:
    """The comment lines directly above `line` (attribute lines between them skipped),
    nearest first; the part of `line` before the code is not looked at."""
    found = []
    line -= 1
    while line > 0 and _comment_or_attribute(src.line_text(line)):
        text = src.line_text(line).strip()
        if not text.startswith(("#[", "#![")):
            found.append(text)
        line -= 1
    return found


