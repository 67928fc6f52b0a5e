"""The table of Rust rules (ids, severities, rationales, sources) and the Finding they make.

Pure data; no git, no subprocesses, no UI.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust.source import RustSource

TOOL = "rust-rules"
_GUIDE = "Documentation/rust/coding-guidelines.rst"
_FLAGS = "Makefile rust_common_flags"
_KFLAGS = "Makefile KBUILD_RUSTFLAGS"


@dataclass(frozen=True)
class Rule:
    """One rule: its id, default severity, one-line rationale and where it comes from; `lint`
    is the rustc/clippy lint it approximates, and a `gated` rule runs only on a tree whose
    Makefile turns that lint on."""

    id: str
    name: str
    severity: str
    rationale: str
    source: str
    lint: str | None = None
    gated: bool = False


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("A4", "safety-comment", "error",
         "every `unsafe` block and `unsafe impl` explains why it is sound in a `// SAFETY:` "
         "comment directly above it", f"{_GUIDE} \"Comments\"",
         "clippy::undocumented_unsafe_blocks"),
    Rule("A5", "safety-section", "error",
         "an `unsafe fn`/`unsafe trait` documents its contract in a `# Safety` section; a safe "
         "one has none", f"{_GUIDE} \"Code documentation\"", "clippy::missing_safety_doc"),
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
    Rule("A11", "disallowed-macros", "error",
         "the macros `.clippy.toml` disallows (`kernel::dbg`: a debugging tool) stay out",
         ".clippy.toml disallowed-macros", "clippy::disallowed_macros"),
    Rule("A12", "no-bindings-in-leaf", "warning",
         "drivers and other leaf code use the safe abstractions in rust/kernel, not `bindings::`",
         "Documentation/rust/general-information.rst \"Abstractions vs. bindings\""),
    Rule("A13", "allowed-features", "error",
         "crates outside rust/ get exactly the unstable features scripts/Makefile.build allows",
         "scripts/Makefile.build rust_allowed_features"),
    Rule("A14", "prelude-imports", "info",
         "with `use kernel::prelude::*;` in scope, prelude items are not imported again",
         "review practice; rust/kernel/prelude.rs"),
    Rule("A17", "missing-docs", "warning",
         "public items (and a crate root) carry documentation", _FLAGS, "missing_docs", True),
    Rule("A18", "unsafe-op-in-unsafe-fn", "error",
         "an `unsafe fn` body is not an unsafe block: each unsafe operation needs its own "
         "`unsafe {}` with a `// SAFETY:` comment", _FLAGS, "unsafe_op_in_unsafe_fn", True),
    Rule("A19", "no-mangle-rust-abi", "warning",
         "a `#[no_mangle]` function is called from C, so it must use the C ABI", _FLAGS,
         "clippy::no_mangle_with_rust_abi", True),
    Rule("A20", "non-ascii-idents", "error", "identifiers are ASCII", _FLAGS,
         "non_ascii_idents", True),
    Rule("A21", "no-float", "warning",
         "kernel code does not use floating point: the FPU state is not saved for it",
         _KFLAGS, "clippy::float_arithmetic", True),
    Rule("A22", "unnecessary-safety-comment", "warning",
         "a `// SAFETY:` comment belongs to an unsafe block or `unsafe impl`, not to safe code",
         _FLAGS, "clippy::unnecessary_safety_comment", True),
    Rule("A23", "mut-mut", "warning", "`&mut &mut T` is an extra indirection", _FLAGS,
         "clippy::mut_mut", True),
    Rule("A24", "no-std", "error",
         "kernel crates are `no_std`: `core` and the kernel's alloc types, never `std`",
         "scripts/Makefile.build -Zcrate-attr=no_std"),
    Rule("A25", "no-static-mut", "warning",
         "`static mut` is unsynchronised global state; the tree uses atomics, locks or "
         "`Opaque`", "tree practice (rust/kernel/sync); rustc static_mut_refs"),
    Rule("A26", "module-metadata", "error",
         "`module!` metadata is what the module loader and modinfo read: a licence string "
         "the loader knows, the object's name, the required keys in order",
         "rust/macros/module.rs; include/linux/license.h; the directory's Makefile"),
    Rule("A27", "atomic-context", "error",
         "nothing may sleep while a `SpinLock` guard is alive: allocations need "
         "`GFP_ATOMIC`/`GFP_NOWAIT`, no `Mutex::lock`, no `CondVar::wait*` on another lock",
         "rust/kernel/sync/lock/spinlock.rs, alloc.rs flags, sync/condvar.rs "
         "(klint's atomic_context, lexically)", "klint::atomic_context"),
    Rule("A28", "disallowed-methods", "warning",
         "the methods `.clippy.toml` disallows (7.3: `CStr::as_ptr`, `CStr::from_ptr`: the "
         "kernel's `char` is unsigned) are replaced by what it names",
         ".clippy.toml disallowed-methods", "clippy::disallowed_methods"),
)}


def finding(src: RustSource, rule_id: str, line: int, message: str, hint: str = "",
            fix: str | None = None, lint: str | None = None,
            severity: str | None = None) -> Finding:
    """A Finding for `rule_id` at `line`, with the rule's default severity and lint."""
    rule = RULES[rule_id]
    return Finding(TOOL, rule_id, severity or rule.severity, src.path, line, message,
                   hint or rule.rationale, fix, lint=lint or rule.lint)
