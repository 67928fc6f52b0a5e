"""The table of Rust rules (ids, severities, rationales, sources) and the Finding they make.

Pure data; no git, no subprocesses, no UI.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust_source import RustSource

TOOL = "rust-rules"
_GUIDE = "Documentation/rust/coding-guidelines.rst"


@dataclass(frozen=True)
class Rule:
    """One rule: its id, default severity, one-line rationale and where it comes from."""

    id: str
    name: str
    severity: str
    rationale: str
    source: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("A4", "safety-comment", "error",
         "every `unsafe` block and `unsafe impl` explains why it is sound in a `// SAFETY:` "
         "comment directly above it", f"{_GUIDE} \"Comments\""),
    Rule("A5", "safety-section", "error",
         "an `unsafe fn`/`unsafe trait` documents its contract in a `# Safety` section; a safe "
         "one has none", f"{_GUIDE} \"Code documentation\""),
    Rule("A6", "comment-sentences", "info",
         "comments are Markdown sentences: capitalised and ending with a period, tags included",
         f"{_GUIDE} \"Comments\""),
    Rule("A7", "doc-style", "info",
         "doc comments link C headers with `srctree/` and Rust items as intra-doc links",
         f"{_GUIDE} \"Code documentation\""),
    Rule("A8", "invariant-comment", "info",
         "constructing a type that documents `# Invariants` says why they hold in an "
         "`// INVARIANT:` comment", "tree practice (rust/kernel)"),
    Rule("A9", "expect-over-allow", "info",
         "`#[expect(...)]` is preferred over `#[allow(...)]` so that stale lint exceptions "
         "are noticed", f"{_GUIDE} \"Lints\""),
    Rule("A10", "no-panic", "warning",
         "kernel code is fallible rather than panicking: no `.unwrap()`, `.expect()`, "
         "`panic!`, `unreachable!` outside tests and doctests", f"{_GUIDE} \"Code documentation\""),
    Rule("A11", "no-dbg", "error", "`dbg!` is for debugging only and is disallowed",
         ".clippy.toml disallowed-macros"),
    Rule("A12", "no-bindings-in-leaf", "warning",
         "drivers and other leaf code use the safe abstractions in rust/kernel, not `bindings::`",
         "Documentation/rust/general-information.rst \"Abstractions vs. bindings\""),
    Rule("A13", "allowed-features", "error",
         "crates outside rust/ get exactly the unstable features scripts/Makefile.build allows",
         "scripts/Makefile.build rust_allowed_features"),
    Rule("A14", "prelude-imports", "info",
         "with `use kernel::prelude::*;` in scope, prelude items are not imported again",
         "review practice; rust/kernel/prelude.rs"),
)}

def finding(src: RustSource, rule_id: str, line: int, message: str, hint: str = "",
            fix: str | None = None) -> Finding:
    """A Finding for `rule_id` at `line`, with the rule's default severity."""
    rule = RULES[rule_id]
    return Finding(TOOL, rule_id, rule.severity, src.path, line, message,
                   hint or rule.rationale, fix)
