"""Rust syntax trees for the rules in rules.py (tree-sitter with the tree_sitter_rust grammar).

Helpers to find the comments, doc comments and attributes that belong to a node, and to tell
test code from kernel code. No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import tree_sitter_rust
from tree_sitter import Language, Node, Parser, Tree

COMMENTS = ("line_comment", "block_comment")
# Containers whose children are statements or items.
STATEMENT_PARENTS = ("block", "source_file", "declaration_list")
_SAFETY_HEADING = re.compile(r"^\s*#\s+Safety\s*$", re.MULTILINE)


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_rust.language()))


def parse(text: str) -> Tree:
    """The syntax tree of `text` (tree-sitter recovers from errors; it never raises)."""
    return _parser().parse(text.encode("utf-8"))


def walk(node: Node) -> Iterator[Node]:
    """Every node under `node` (itself included), in source order (a tree cursor: no child
    lists are built on the way)."""
    cursor = node.walk()
    while True:
        current = cursor.node
        assert current is not None  # a cursor always stands on a node
        yield current
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def index(root: Node) -> dict[str, list[Node]]:
    """Every node of a tree by its type, each list in source order (one walk)."""
    found: dict[str, list[Node]] = {}
    for node in walk(root):
        found.setdefault(node.type, []).append(node)
    return found


def text_of(node: Node) -> str:
    assert node.text is not None  # parsed from source, every node has its text
    return node.text.decode("utf-8", errors="replace")


def line_of(node: Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_point[0] + 1


def is_doc_comment(node: Node) -> bool:
    """`///`, `//!`, `/** */` or `/*! */`."""
    return node.type in COMMENTS and any(
        c.type in ("outer_doc_comment_marker", "inner_doc_comment_marker") for c in node.children)


def is_plain_comment(node: Node) -> bool:
    return node.type in COMMENTS and not is_doc_comment(node)


def leading_siblings(node: Node) -> list[Node]:
    """The comments and attributes directly before `node`, nearest first."""
    found = []
    prev = node.prev_sibling
    while prev is not None and (prev.type in COMMENTS or prev.type == "attribute_item"):
        found.append(prev)
        prev = prev.prev_sibling
    return found


def leading_comments(node: Node) -> list[Node]:
    """The plain (non-doc) comments directly before `node`, skipping attributes and docs."""
    return [n for n in leading_siblings(node) if is_plain_comment(n)]


def doc_text(item: Node) -> str | None:
    """The outer doc comment of an item, markers stripped, or None when it has none."""
    docs = [n for n in leading_siblings(item) if is_doc_comment(n)]
    if not docs:
        return None
    lines = []
    for node in reversed(docs):
        body = [c for c in node.children if c.type == "doc_comment"]
        lines.append(text_of(body[0]) if body else "")
    return "".join(lines)


def has_safety_section(doc: str | None) -> bool:
    return doc is not None and bool(_SAFETY_HEADING.search(doc))


def attributes(item: Node) -> list[str]:
    """The text inside `#[...]` of the attributes directly before `item`."""
    return [text_of(n)[2:-1].strip() for n in leading_siblings(item) if n.type == "attribute_item"]


def has_modifier(node: Node, keyword: str) -> bool:
    """Whether a function/impl/trait node carries `keyword` (e.g. "unsafe") as a modifier."""
    for child in node.children:
        if child.type == keyword:
            return True
        if child.type == "function_modifiers" and any(c.type == keyword for c in child.children):
            return True
    return False


def _is_test_attr(attr: str) -> bool:
    compact = attr.replace(" ", "")
    if compact.startswith("cfg("):
        return bool(re.search(r"\btest\b", compact)) and "not(test" not in compact
    return compact == "test" or compact.startswith("kunit_tests")


def in_test_code(node: Node) -> bool:
    """Inside a `#[cfg(test)]` module, a `#[test]` function or a `#[kunit_tests]` module."""
    current: Node | None = node
    while current is not None:
        if current.type in ("mod_item", "function_item", "impl_item"):
            if any(_is_test_attr(a) for a in attributes(current)):
                return True
        current = current.parent
    return False


def enclosing(node: Node, types: tuple[str, ...]) -> Node | None:
    """The nearest ancestor of one of `types`, or None."""
    current = node.parent
    while current is not None and current.type not in types:
        current = current.parent
    return current


def macro_name(node: Node) -> str:
    """The last path segment of a macro invocation's name (`kernel::dbg!` gives "dbg")."""
    name = node.child_by_field_name("macro") or node.children[0]
    return text_of(name).rsplit("::", 1)[-1]


def is_pub(node: Node) -> bool:
    """Whether an item or field is plain `pub` (not `pub(crate)`, `pub(super)`...)."""
    vis = next((c for c in node.children if c.type == "visibility_modifier"), None)
    return vis is not None and text_of(vis) == "pub"


def in_macro_tokens(node: Node) -> bool:
    """Inside a macro's token tree (macro arguments or a macro_rules! body): not parsed code."""
    return enclosing(node, ("token_tree",)) is not None


def allowed_lints(attr: Node) -> list[str]:
    """The lints an `allow(...)`/`expect(...)` attribute names (not `reason = ...`), also
    under `cfg_attr(<cfg>, allow(...))` (the condition is not evaluated: the author turned
    the lint off where it fires)."""
    inner = next((c for c in attr.children if c.type == "attribute"), None)
    if inner is None:
        return []
    head = text_of(inner.children[0])
    args = inner.child_by_field_name("arguments")
    text = text_of(args)[1:-1] if args is not None else ""
    text = re.sub(r"reason\s*=\s*\"(?:[^\"\\]|\\.)*\"", "", text)
    if head == "cfg_attr":
        return [re.sub(r"\s+", "", name) for inside in
                re.findall(r"\b(?:allow|expect)\s*\(([^()]*)\)", text)
                for name in inside.split(",") if name.strip()]
    if head not in ("allow", "expect"):
        return []
    return [re.sub(r"\s+", "", name) for name in text.split(",") if name.strip()]


def lint_exceptions(attrs: list[Node]) -> dict[str, list[tuple[int, int]]]:
    """Line ranges (1-based, inclusive) where `#[allow(lint)]`/`#[expect(lint)]` on an item,
    or `#![allow(lint)]` in a file/module/block, turns a lint off (`attrs`: the file's
    attribute nodes)."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    for node in attrs:
        if node.type == "attribute_item":
            target = node.next_named_sibling
            while target is not None and (target.type in COMMENTS
                                          or target.type == "attribute_item"):
                target = target.next_named_sibling
            span = (line_of(node), target.end_point[0] + 1) if target is not None else None
        elif node.type == "inner_attribute_item":
            holder = node.parent if node.parent is not None else node
            span = (line_of(holder), holder.end_point[0] + 1)
        else:
            continue
        for lint in allowed_lints(node) if span else ():
            assert span is not None
            ranges.setdefault(lint, []).append(span)
    return ranges
