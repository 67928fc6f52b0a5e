"""What merged code taught the rules, in small cases: each quiet case next to the one that
must still fire (recall stays)."""

from __future__ import annotations

import textwrap

from patchpilot.core.checks.rust.rules import check_rust_file
from patchpilot.core.checks.rust.source import TreeContext

DRIVER = "drivers/net/phy/x.rs"
LINTS = TreeContext(lints=frozenset({"clippy::undocumented_unsafe_blocks",
                                     "clippy::unnecessary_safety_comment", "missing_docs",
                                     "unsafe_op_in_unsafe_fn"}),
                    denied_lints=frozenset({"unsafe_op_in_unsafe_fn"}))


def run(code: str, rules: list[str], context: TreeContext | None = LINTS,
        path: str = DRIVER) -> list[tuple[str, int, str]]:
    text = textwrap.dedent(code).lstrip("\n")
    return [(f.rule, f.line or 0, f.severity) for f in
            check_rust_file(path, text, range(1, text.count("\n") + 2), context, rules)]


def test_a4_and_a22_agree_on_a_field_and_a_call_chain():
    code = """
    static OPS: Ops = Ops {
        #[allow(unused_unsafe, reason = "Safe since Rust 1.82.0")]
        // SAFETY: a static of the C side.
        vm_ops: unsafe { &raw const bindings::vm_ops },
        other: unsafe { f() },
    };
    fn g(x: Option<u32>) -> Option<u32> {
        x
            // SAFETY: `v` is in range.
            .map(|v| unsafe { h(v) })
    }
    fn k() {
        // SAFETY: nothing unsafe follows.
        let a = 1;
    }
    """
    assert run(code, ["A4", "A22"]) == [("A4", 5, "error"), ("A22", 13, "warning")]


def test_a10_const_contexts_panic_comments_and_one_finding_per_shape():
    code = """
    const A: u32 = parse(X).unwrap();
    const fn checked(n: u32) -> u32 { if n == 0 { panic!("zero") } n }
    fn f(v: Option<u32>, w: Option<u32>) -> u32 {
        let a = const { Align::new(8).unwrap() };
        // PANIC: `v` was filled above.
        let b = v.unwrap();
        let c = w.unwrap();
        let d = w.unwrap();
        let e = Bounded::try_new(a).unwrap();
        a + b + c + d + e
    }
    """
    found = check_rust_file(DRIVER, textwrap.dedent(code).lstrip("\n"), range(1, 13),
                            LINTS, ["A10"])
    assert [(f.line, f.message) for f in found] == [
        (7, "`.unwrap()` can panic in kernel code (and 1 more like it: lines 8)"),
        (9, "`.unwrap()` can panic in kernel code")]


def test_a9_keeps_allow_where_the_guidelines_do():
    code = """
    #[allow(dead_code)]
    fn plain() {}
    #[allow(dead_code, reason = "used by the C side only")]
    fn reasoned() {}
    #[allow(unused_imports)] // Used in doc comments.
    use x::Y;
    #[cfg(CONFIG_X)]
    #[allow(dead_code)]
    fn configured() {}
    #[cfg_attr(CONFIG_X, allow(dead_code))]
    fn conditional() {}
    #[allow(clippy::cast_lossless)]
    fn width() -> u64 { C_LONG as u64 }
    #[allow(clippy::all)]
    #[allow(clippy::ptr_as_ptr)]
    mod generated {
        include!("gen.rs");
    }
    #[allow(warnings)]
    mod other {}
    """
    assert run(code, ["A9"]) == [("A9", 1, "info")]
    assert run("#[allow(dead_code)]\nfn f() {}\n", ["A9"], path="tools/x/main.rs") == []


def test_allow_warnings_spares_denied_lints_and_build_errors():
    code = """
    #[allow(warnings)]
    mod generated {
        fn a() { unsafe { f() } }
        unsafe fn b(p: *const u8) -> u8 { *p }
        use std::vec::Vec;
    }
    fn c() { unsafe { f() } }
    """
    ctx = TreeContext(lints=LINTS.lints, denied_lints=LINTS.denied_lints, no_std=True)
    assert run(code, ["A4", "A18", "A24"], ctx) == [
        ("A18", 4, "error"), ("A24", 5, "error"), ("A4", 7, "error")]


def test_a4_and_a5_follow_what_the_build_checks():
    code = """
    fn f() { unsafe { g() } }
    #[cfg(test)]
    mod tests {
        fn t() { unsafe { g() } }
    }
    """
    assert run(code, ["A4"]) == [("A4", 1, "error"), ("A4", 4, "warning")]
    # A tree whose Makefile does not run the lint (6.1): its guideline still asks.
    assert run(code, ["A4"], TreeContext(lints=frozenset())) == [
        ("A4", 1, "warning"), ("A4", 4, "warning")]


def test_a12_the_crates_own_bindings_and_a18_constructors():
    own = """
    mod bindings { pub const X: u32 = 1; }
    fn f() -> u32 { bindings::X + kernel::bindings::Y }
    """
    found = check_rust_file(DRIVER, textwrap.dedent(own).lstrip("\n"), range(1, 4), LINTS,
                            ["A12"])
    assert [f.line for f in found] == [2] and "on " not in found[0].message
    ctor = """
    unsafe extern "C" fn cb(p: *mut u8) -> bindings::irqreturn_t {
        bindings::irqreturn_t(1)
    }
    unsafe fn other() -> u32 {
        bindings::irq_count()
    }
    """
    assert run(ctor, ["A18"]) == [("A18", 5, "error")]
    newtype = TreeContext(lints=LINTS.lints, newtypes=frozenset({"hrtimer_restart"}))
    assert run("unsafe fn f() -> u32 {\n    bindings::hrtimer_restart(0).0\n}\n", ["A18"],
               newtype) == []


def test_a24_std_only_behind_a_std_feature():
    code = """
    #[cfg(feature = "std")]
    use std::sync::Arc;
    #[cfg(not(feature = "std"))]
    use std::rc::Rc;
    use std::fmt;
    """
    assert run(code, ["A24"], TreeContext(no_std=True)) == [("A24", 4, "error"),
                                                            ("A24", 5, "error")]


def test_a6_labels_and_copyright_lines_are_not_sentences():
    code = """
    fn f() {
        // PMC
        a();
        // Falcon Core Registers
        b();
        // Reset device
        b();
        // Copyright (C) 2025 Someone
        c();
        // ```
        d();
        // Resets the device
        e();
    }
    """
    assert run(code, ["A6"]) == [("A6", 6, "info"), ("A6", 12, "info")]


def test_a7_names_one_header_and_links_another():
    code = """
    //! C header: [`include/linux/drm/x.h`](srctree/include/drm/x.h)
    //! C header: `include/linux/y.h`
    """
    found = check_rust_file("rust/kernel/x.rs", textwrap.dedent(code).lstrip("\n"), [1, 2],
                            rules=["A7"])
    assert [(f.line, f.message) for f in found] == [
        (1, "the text names `include/linux/drm/x.h` but the link goes to "
            "`srctree/include/drm/x.h`"),
        (2, "C header `include/linux/y.h` is not a `srctree/` link")]


def test_a6_list_items_need_no_period_but_a_sentence_after_them_does():
    code = """
    fn f() {
        // SAFETY:
        // - `p` is valid
        // - `q` outlives
        //   the call
        a();
        // Two cases:
        // - one
        // and then a last sentence
        b();
    }
    """
    assert run(code, ["A6"]) == [("A6", 9, "info")]
