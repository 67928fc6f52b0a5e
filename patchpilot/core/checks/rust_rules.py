"""Rust rules that checkpatch.pl does not know, on the lines a patch adds.

Each rule (kernel-rust-rules.md, table A) reads a real syntax tree (rust_syntax.py), never
regexes over code. Input is plain data: the file's path in the tree, the full post-image text
and the set of added line numbers; output is a list of Findings. No git, no subprocesses, no UI.
Test code (`#[cfg(test)]` modules, `#[test]` functions) and doctests (code blocks inside doc
comments, which the syntax tree sees as comments) are exempt where the guidelines allow.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

from tree_sitter import Node

from patchpilot.core.checks import (
    rust_atomic,
    rust_bindings,
    rust_comments,
    rust_docs,
    rust_imports,
    rust_lints,
    rust_module,
    rust_nostd,
    rust_unsafe,
)
from patchpilot.core.checks import rust_syntax as syn
from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust_ruleset import RULES, TOOL, Rule, finding
from patchpilot.core.checks.rust_source import RustSource, TreeContext
from patchpilot.core.checks.rust_tree import GROUP_OF, is_host_code, lint_enabled

__all__ = ["RULES", "TOOL", "Rule", "CHECKS", "DEFAULT_RULES", "RustRules", "check_rust_file"]

_PANIC_MACROS = ("panic", "unreachable", "todo", "unimplemented")


def check_unsafe_blocks(src: RustSource) -> Iterator[Finding]:
    """A4: a `// SAFETY:` comment before every added unsafe block and `unsafe impl`."""
    for node in src.of_type("unsafe_block", "impl_item"):
        is_impl = node.type == "impl_item" and syn.has_modifier(node, "unsafe")
        if node.type != "unsafe_block" and not is_impl:
            continue
        if not src.added(syn.line_of(node)) or _has_safety_comment(node):
            continue
        what = "`unsafe impl`" if is_impl else "`unsafe` block"
        yield finding(src, "A4", syn.line_of(node), f"{what} without a `// SAFETY:` comment",
                      "add `// SAFETY: <why this is sound>.` on the line(s) just above it")


def _has_safety_comment(node: Node) -> bool:
    """Look for SAFETY: before the node, then before each enclosing expression up to the
    statement, match arm or item that holds it (as clippy's undocumented_unsafe_blocks does)."""
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
                          "document what callers must guarantee under `/// # Safety`")
        elif not unsafe and syn.has_safety_section(doc):
            yield finding(src, "A5", syn.line_of(node),
                          f"safe {kind} documents a `# Safety` section",
                          "remove the section, or make the item `unsafe` if callers have a "
                          "contract to uphold")


def _in_trait_impl(node: Node) -> bool:
    impl = syn.enclosing(node, ("impl_item", "source_file"))
    return impl is not None and impl.type == "impl_item" and any(
        c.type == "for" for c in impl.children)


def check_allow_attributes(src: RustSource) -> Iterator[Finding]:
    """A9: `#[allow(...)]` on an added line (soft: `allow` is right in some cases)."""
    for node in src.of_type("attribute_item", "inner_attribute_item"):
        attr = next((c for c in node.children if c.type == "attribute"), None)
        if attr is None or syn.text_of(attr.children[0]) != "allow":
            continue
        line = syn.line_of(node)
        if src.added(line):
            text = src.line_text(line)
            fix = text.replace("allow(", "expect(", 1) if node.start_point[0] == \
                node.end_point[0] else None
            yield finding(src, "A9", line, "`#[allow(...)]`: prefer `#[expect(...)]`",
                          "use `expect` unless the lint fires only in some configurations or "
                          "macro expansions", fix=fix)


def check_panics(src: RustSource) -> Iterator[Finding]:
    """A10: panicking shortcuts outside tests, doctests and host code."""
    if is_host_code(src):
        return
    for node in src.of_type("macro_invocation", "call_expression"):
        what, at = _panicking(node)
        if what and src.added(syn.line_of(at)) and not syn.in_test_code(node):
            yield finding(src, "A10", syn.line_of(at), f"{what} can panic in kernel code",
                          "return an error (`?`, `ok_or(EINVAL)?`) instead; if it truly "
                          "cannot fail, say why and document `# Panics`")


def _panicking(node: Node) -> tuple[str | None, Node]:
    """What panics here and the node whose line to report (the method name in a chain)."""
    if node.type == "macro_invocation":
        name = syn.macro_name(node)
        return (f"`{name}!`" if name in _PANIC_MACROS else None, node)
    func = node.child_by_field_name("function") if node.type == "call_expression" else None
    if func is None or func.type != "field_expression":
        return (None, node)
    field = func.child_by_field_name("field")
    name = syn.text_of(field) if field is not None else ""
    return (f"`.{name}()`" if name in ("unwrap", "expect") else None, field or node)


def check_disallowed_macros(src: RustSource) -> Iterator[Finding]:
    """A11: the macros `.clippy.toml` disallows (`kernel::dbg`); `dbg!` when the tree's list is
    not known."""
    ctx = src.context
    listed = ctx.disallowed_macros if ctx is not None and ctx.disallowed_macros is not None \
        else ("kernel::dbg",)
    banned = {path.rsplit("::", 1)[-1]: path for path in listed}
    for node in src.of_type("macro_invocation"):
        if syn.macro_name(node) in banned \
                and src.added(syn.line_of(node)):
            name = syn.macro_name(node)
            hint = "remove it, or log with `pr_debug!`" if name == "dbg" else \
                f"`{banned[name]}` is in .clippy.toml disallowed-macros"
            yield finding(src, "A11", syn.line_of(node), f"`{name}!` left in the code", hint)


CHECKS: dict[str, Callable[[RustSource], Iterable[Finding]]] = {
    "A4": check_unsafe_blocks,
    "A5": check_safety_sections,
    "A6": rust_comments.check_comment_sentences,
    "A7": rust_comments.check_doc_links,
    "A8": rust_comments.check_invariants,
    "A9": check_allow_attributes,
    "A10": check_panics,
    "A11": check_disallowed_macros,
    "A12": rust_bindings.check_bindings,
    "A13": rust_imports.check_features,
    "A14": rust_imports.check_prelude_imports,
    "A17": rust_docs.check_missing_docs,
    "A18": rust_unsafe.check_unsafe_ops,
    "A19": rust_lints.check_no_mangle_abi,
    "A20": rust_lints.check_non_ascii,
    "A21": rust_nostd.check_floats,
    "A22": rust_lints.check_unnecessary_safety,
    "A23": rust_lints.check_mut_mut,
    "A24": rust_nostd.check_std,
    "A25": rust_unsafe.check_static_mut,
    "A26": rust_module.check_module_metadata,
    "A27": rust_atomic.check_atomic_context,
}


# A8 is a heuristic that the tree itself does not follow everywhere: on request only.
DEFAULT_RULES = tuple(r for r in RULES if r != "A8")


def check_rust_file(path: str, text: str, added_lines: Collection[int],
                    context: TreeContext | None = None,
                    rules: Collection[str] | None = None,
                    patch_files: Mapping[str, str] | None = None) -> list[Finding]:
    """Run the rules (DEFAULT_RULES unless `rules` names them) on one file's post-image;
    report only added lines.

    `path` is relative to the tree's top directory; `context` carries facts read from the
    tree (rust_tree.tree_context); rules that need a missing fact report nothing, and a rule
    that stands for a lint runs only when the tree turns that lint on. `patch_files` holds
    the post-images of the other files the same patch changes (Makefiles, parent modules).
    A finding whose lint an `#[allow]`/`#[expect]` turns off where it lands is dropped, as
    the compiler would.
    """
    src = RustSource(path, text, frozenset(added_lines), syn.parse(text), context,
                     patch_files or {})
    wanted = DEFAULT_RULES if rules is None else rules
    found: list[Finding] = []
    for rule_id in wanted:
        if rule_id not in CHECKS:
            raise ValueError(f"unknown Rust rule {rule_id!r}; known: {', '.join(CHECKS)}")
        rule = RULES[rule_id]
        if rule.gated and (rule.lint is None or not lint_enabled(context, rule.lint)):
            continue
        found.extend(CHECKS[rule_id](src))
    if any(f.lint for f in found):
        found = _not_excepted(src, found)
    return sorted(found, key=lambda f: (f.line or 0, f.rule))


def _not_excepted(src: RustSource, found: list[Finding]) -> list[Finding]:
    ranges = syn.lint_exceptions(src.of_type("attribute_item", "inner_attribute_item"))

    def off(f: Finding) -> bool:
        names = (f.lint, GROUP_OF.get(f.lint or ""))
        return any(start <= (f.line or 0) <= end for name in names if name
                   for start, end in ranges.get(name, ()))
    return [f for f in found if not off(f)] if ranges else found


class RustRules:
    """The Rust rules as a `Check` over (path, post-image text, added lines) per touched file;
    files not ending in `.rs` are ignored."""

    name = TOOL

    def __init__(self, context: TreeContext | None = None,
                 rules: Collection[str] | None = None):
        self.context = context
        self.rules = rules

    def run(self, patches: Iterable[Iterable[tuple[str, str, Collection[int]]]]
            ) -> list[list[Finding]]:
        """`patches`: per patch, a sequence of (path, text, added lines) for its files; the
        others (a Makefile, the parent module) are what the tree looks like after the patch."""
        result = []
        for files in patches:
            files = list(files)
            texts = {path: text for path, text, _ in files}
            result.append([f for path, text, added in files if path.endswith(".rs")
                           for f in check_rust_file(path, text, added, self.context,
                                                    self.rules, texts)])
        return result
