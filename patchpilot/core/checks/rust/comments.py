"""Rules on comments and documentation (A6, A7, A8) over the syntax tree's comment nodes.

Comment text is prose, so it is read as text; what counts as a comment, a doc comment, an
item or a constructor comes from the syntax tree. No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource

_TAG = re.compile(r"^([A-Z][A-Z_]+):\s*")
_C_HEADER = re.compile(r"\binclude/[\w/.-]+\.h\b")
_SENTENCE_END = (".", "!", "?", ".)", ".`", "...")
# A last line ending like this is code, a list lead-in or a table, not an unfinished sentence.
_NOT_PROSE_END = (";", "{", "}", ",", "(", "[", ":", "|", "=", "\\", "->", "=>")


def _comment_groups(src: RustSource) -> list[list[Node]]:
    """Plain `//` comments on their own lines, grouped into runs on consecutive lines at the
    same column (trailing comments after code are terse notes by custom: not checked)."""
    groups: list[list[Node]] = []
    for node in src.of_type("line_comment"):
        if syn.is_doc_comment(node):
            continue
        row, col = node.start_point
        if src.line_text(row + 1)[:col].strip():
            continue
        last = groups[-1][-1] if groups else None
        if last is not None and last.start_point == (row - 1, col) \
                and not src.line_text(row)[:col].strip():
            groups[-1].append(node)
        else:
            groups.append([node])
    return groups


def _body(node: Node) -> str:
    return syn.text_of(node)[2:].strip()


def check_comment_sentences(src: RustSource) -> Iterator[Finding]:
    """A6: a comment group starts with a capital letter and ends with a full stop."""
    for group in _comment_groups(src):
        while len(group) > 1 and not _body(group[-1]):
            group = group[:-1]  # a trailing bare `//` is spacing, not the sentence's end
        lines = [syn.line_of(n) for n in group]
        texts = [_body(n) for n in group]
        if not any(src.added(line) for line in lines) or _not_prose(texts) or _label(texts):
            continue
        first_line, first = _first_words(lines, texts)
        if first and first[0].islower() and _is_word(first.split()[0]) \
                and src.added(first_line):
            yield finding(src, "A6", first_line, "comment does not start with a capital letter",
                          fix=_capitalised(src.line_text(first_line), first))
        last = texts[-1]
        if not last.endswith(_SENTENCE_END) and not last.endswith(_NOT_PROSE_END) \
                and not _in_list(group) and src.added(lines[-1]):
            yield finding(src, "A6", lines[-1], "comment does not end with a period",
                          fix=src.line_text(lines[-1]).rstrip() + ".")


_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def _in_list(group: list[Node]) -> bool:
    """The group ends in a Markdown list: its last line is an item, or the indented
    continuation of one (items are not held to ending with a period)."""
    raw = [syn.text_of(n)[2:] for n in group]
    for text in reversed(raw):
        if _LIST_ITEM.match(text):
            return True
        if not text.startswith(("  ", "\t")):
            return False
    return False


def _not_prose(texts: list[str]) -> bool:
    """Separators, licence tags and copyright lines, URLs, tool directives, commented-out
    code and code fences."""
    joined = " ".join(texts)
    last_word = texts[-1].split()[-1] if texts[-1].split() else ""
    return (not re.search(r"[A-Za-z]{2}", joined) or joined.startswith(("SPDX-", "Copyright"))
            or any(t.startswith("```") for t in texts)
            or any(t.endswith((";", "{", "}")) for t in texts) or "://" in last_word
            or joined.startswith(("rustfmt:", "clippy:", "cbindgen:"))
            or texts[-1].startswith(("-", "*", "|", "#")) and len(texts) == 1)


def _label(texts: list[str]) -> bool:
    """A one-line heading for the code below (`// PMC`, `// Falcon Core Registers`): up to
    three words, each starting with a capital or a digit; not a sentence (`// Reset device`
    is one), so neither rule applies."""
    words = texts[0].split()
    if len(texts) != 1 or not 0 < len(words) <= 3:
        return False
    return all(w[0].isupper() or w[0].isdigit() for w in words)


def _first_words(lines: list[int], texts: list[str]) -> tuple[int, str]:
    """The first line of prose, after a `TAG:` (a bare `// SAFETY:` moves to the next line)."""
    for line, text in zip(lines, texts):
        rest = _TAG.sub("", text, count=1)
        if rest:
            return (line, "" if rest.startswith(("-", "*", "`", "[")) else rest)
    return (lines[0], "")


def _is_word(token: str) -> bool:
    """A plain English word, not an identifier, path or call (`foo_bar`, `x.y`, `f()`)."""
    return token.rstrip(",.;:").isalpha()


def _capitalised(line_text: str, first: str) -> str:
    at = line_text.find(first)
    return line_text[:at] + first[0].upper() + line_text[at + 1:]


def check_doc_links(src: RustSource) -> Iterator[Finding]:
    """A7: a C header named in a doc comment is linked with `srctree/`."""
    for node in src.of_type("line_comment", "block_comment"):
        line = syn.line_of(node)
        if not syn.is_doc_comment(node) or not src.added(line):
            continue
        # The link target may be a reference definition further down the doc block.
        text = syn.text_of(node)
        linked = re.findall(r"\(srctree/([^)\s]+)\)", text)
        for header in _C_HEADER.findall(text):
            if f"srctree/{header}" in src.text:
                continue
            if linked:  # the line links another file than the one it names
                yield finding(src, "A7", line,
                              f"the text names `{header}` but the link goes to "
                              f"`srctree/{linked[0]}`",
                              "name the file the link points to (or link the one named)")
            else:
                yield finding(src, "A7", line, f"C header `{header}` is not a `srctree/` link",
                              f"write [`{header}`](srctree/{header})")


def check_invariants(src: RustSource) -> Iterator[Finding]:
    """A8: building a struct whose docs have `# Invariants` needs an `// INVARIANT:` comment
    earlier in the same function."""
    types = _types_with_invariants(src.of_type("struct_item", "enum_item"))
    if not types:
        return
    for node in src.of_type("struct_expression"):
        if not src.added(syn.line_of(node)):
            continue
        name = _constructed_type(node)
        if name in types and not syn.in_test_code(node) and not _invariant_noted(node):
            yield finding(src, "A8", syn.line_of(node),
                          f"`{name}` documents `# Invariants` but this construction has no "
                          "`// INVARIANT:` comment", "say why the invariants hold here")


def _types_with_invariants(items: list[Node]) -> set[str]:
    names = set()
    for node in items:
        doc = syn.doc_text(node) or ""
        name = node.child_by_field_name("name")
        if name is not None and re.search(r"^\s*#\s+Invariants\s*$", doc, re.MULTILINE):
            names.add(syn.text_of(name))
    return names


def _constructed_type(node: Node) -> str:
    name = node.child_by_field_name("name")
    text = syn.text_of(name).split("<")[0].rsplit("::", 1)[-1] if name is not None else ""
    if text != "Self":
        return text
    impl = syn.enclosing(node, ("impl_item",))
    impl_type = impl.child_by_field_name("type") if impl is not None else None
    return syn.text_of(impl_type).split("<")[0] if impl_type is not None else ""


def _invariant_noted(node: Node) -> bool:
    func = syn.enclosing(node, ("function_item", "closure_expression"))
    scope = func if func is not None else node.parent
    assert scope is not None  # `node` is inside a source file, never its root
    row = node.start_point[0]
    return any(n.type in syn.COMMENTS and n.start_point[0] <= row
               and "INVARIANT" in syn.text_of(n) for n in syn.walk(scope))
