"""Rust rules that checkpatch.pl does not know, on the lines a patch adds.

Each rule (kernel-rust-rules.md, table A) reads a real syntax tree (syntax.py), never
regexes over code; one module per rule family beside the helpers they share. Input is plain
data: the file's path in the tree, the full post-image text and the set of added line
numbers; output is a list of Findings. No git, no subprocesses, no UI.
Test code (`#[cfg(test)]` modules, `#[test]` functions) and doctests (code blocks inside doc
comments, which the syntax tree sees as comments) are exempt where the guidelines allow;
code `make rustfmt` leaves out as vendored is not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import (
    atomic,
    bindings,
    comments,
    docs,
    imports,
    lints,
    module,
    nostd,
    panics,
    safety,
    unsafe_ops,
)
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.includes import Includer, includer_of
from patchpilot.core.checks.rust.kbuild import built_with_kernel_flags, is_vendored
from patchpilot.core.checks.rust.ruleset import RULES, TOOL, Rule
from patchpilot.core.checks.rust.source import RustSource, TreeContext
from patchpilot.core.checks.rust.tree import GROUP_OF, lint_enabled

__all__ = ["RULES", "TOOL", "Rule", "CHECKS", "DEFAULT_RULES", "RustRules", "check_rust_file",
           "unread_findings"]

CHECKS: dict[str, Callable[[RustSource], Iterable[Finding]]] = {
    "A4": safety.check_unsafe_blocks,
    "A5": safety.check_safety_sections,
    "A6": comments.check_comment_sentences,
    "A7": comments.check_doc_links,
    "A8": comments.check_invariants,
    "A9": lints.check_allow_attributes,
    "A10": panics.check_panics,
    "A11": panics.check_disallowed_macros,
    "A12": bindings.check_bindings,
    "A13": imports.check_features,
    "A14": imports.check_prelude_imports,
    "A17": docs.check_missing_docs,
    "A18": unsafe_ops.check_unsafe_ops,
    "A19": lints.check_no_mangle_abi,
    "A20": lints.check_non_ascii,
    "A21": nostd.check_floats,
    "A22": safety.check_unnecessary_safety,
    "A23": lints.check_mut_mut,
    "A24": nostd.check_std,
    "A25": unsafe_ops.check_static_mut,
    "A26": module.check_module_metadata,
    "A27": atomic.check_atomic_context,
    "A28": panics.check_disallowed_methods,
}

# A8 is a heuristic that the tree itself does not follow everywhere: on request only.
DEFAULT_RULES = tuple(r for r in RULES if r != "A8")
# Rules a reviewer raises once per file, however often the file does it.
_ONCE_PER_FILE = ("A12",)
_WHOLE_FILE = (1, 1 << 30)


def check_rust_file(path: str, text: str, added_lines: Collection[int],
                    context: TreeContext | None = None,
                    rules: Collection[str] | None = None,
                    patch_files: Mapping[str, str] | None = None) -> list[Finding]:
    """Run the rules (DEFAULT_RULES unless `rules` names them) on one file's post-image;
    report only added lines.

    `path` is relative to the tree's top directory; `context` carries facts read from the
    tree (tree.tree_context); a rule that stands for a lint runs only when the tree turns
    that lint on. `patch_files` holds the post-images of the other files the same patch
    changes (Makefiles, parent modules). A finding whose lint an `#[allow]`/`#[expect]` turns
    off where it lands is dropped, as the compiler would; so is one the file's includer
    turns off, and under `#[allow(warnings)]` everything but a denied lint or a build error.
    """
    wanted = DEFAULT_RULES if rules is None else rules
    for rule_id in wanted:
        if rule_id not in CHECKS:
            raise ValueError(f"unknown Rust rule {rule_id!r}; known: {', '.join(CHECKS)}")
    src = RustSource(path, text, frozenset(added_lines), syn.parse(text), context,
                     patch_files or {})
    if not src.added_lines or is_vendored(src):
        return []
    includer = includer_of(src) if "/" in path else None
    if includer is not None:
        src.module_path = includer.path
    found: list[Finding] = []
    kernel_flags = built_with_kernel_flags(src)
    for rule_id in wanted:
        rule = RULES[rule_id]
        if rule.gated and (rule.lint is None or not lint_enabled(context, rule.lint)
                           or not kernel_flags):
            continue
        found.extend(CHECKS[rule_id](src))
    found = _not_excepted(src, found, includer)
    return sorted(_once_per_file(found), key=lambda f: (f.line or 0, f.rule))


def _not_excepted(src: RustSource, found: list[Finding],
                  includer: Includer | None) -> list[Finding]:
    if not found:
        return found
    ranges = syn.lint_exceptions(src.of_type("attribute_item", "inner_attribute_item"))
    if includer is not None:
        outer = syn.lint_exceptions(_attributes(includer.text))
        for lint, spans in outer.items():
            if any(start <= includer.line <= end for start, end in spans):
                ranges.setdefault(lint, []).append(_WHOLE_FILE)
    if not ranges:
        return found
    ctx = src.context
    denied = ctx.denied_lints if ctx is not None and ctx.denied_lints is not None else frozenset()

    def covered(name: str, line: int) -> bool:
        return any(start <= line <= end for start, end in ranges.get(name, ()))

    def off(f: Finding) -> bool:
        line = f.line or 0
        names = (f.lint, *GROUP_OF.get(f.lint or "", ())) if f.lint else ()
        if any(covered(name, line) for name in names if name):
            return True
        if not covered("warnings", line):
            return False
        return f.lint not in denied if f.lint else f.severity != "error"
    return [f for f in found if not off(f)]


def _attributes(text: str) -> list[Node]:
    index = syn.index(syn.parse(text).root_node)
    return index.get("attribute_item", []) + index.get("inner_attribute_item", [])


def _once_per_file(found: list[Finding]) -> list[Finding]:
    """One finding for a rule a reviewer raises once per file, with the count."""
    result: list[Finding] = []
    grouped: dict[str, list[Finding]] = {}
    for f in found:
        if f.rule in _ONCE_PER_FILE:
            grouped.setdefault(f.rule, []).append(f)
        else:
            result.append(f)
    for group in grouped.values():
        first = min(group, key=lambda f: f.line or 0)
        if len(group) > 1:
            lines = ", ".join(str(f.line) for f in group[1:6]) + (", ..." if len(group) > 6
                                                                   else "")
            first = _with_message(first, f"{first.message}, on {len(group)} lines of this "
                                         f"file (here and on {lines})")
        result.append(first)
    return result


def _with_message(f: Finding, message: str) -> Finding:
    return replace(f, message=message)


def unread_findings(context: TreeContext | None,
                    rules: Collection[str] | None = None) -> list[Finding]:
    """One info finding per fact the rules need that the tree does not give (a tree newer
    than the rules know): what is not checked, and why."""
    if context is None:
        return [Finding(TOOL, "facts", "info", None, None,
                        "the kernel tree was not read: the rules that need its facts "
                        "(lints, module! keys, licences, features) did not run",
                        "run in a kernel tree")]
    wanted = set(DEFAULT_RULES if rules is None else rules)
    return [Finding(TOOL, rule if rule in RULES else "facts", "info", None, None,
                    f"this tree does not give {what}; "
                    f"{'that part of ' + rule if rule in RULES else 'the rules that need it'} "
                    "did not run", "patchpilot may need updating for this tree")
            for rule, what in context.unread if rule not in RULES or rule in wanted]


class RustRules:
    """The Rust rules as a `Check` over (path, post-image text, added lines) per touched file;
    files not ending in `.rs` are ignored. Facts the tree does not give are said once, on
    the first patch with a `.rs` file."""

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
        said = False
        for files in patches:
            files = list(files)
            texts = {path: text for path, text, _ in files}
            found = [f for path, text, added in files if path.endswith(".rs")
                     for f in check_rust_file(path, text, added, self.context,
                                              self.rules, texts)]
            if not said and any(path.endswith(".rs") for path, _, _ in files):
                said = True
                found = unread_findings(self.context, self.rules) + found
            result.append(found)
        return result
