"""The Rust rules (A4-A14) on small positive and negative cases."""

from __future__ import annotations

import textwrap

import pytest

from patchpilot.core.checks.rust.paths import prelude_exports
from patchpilot.core.checks.rust.rules import DEFAULT_RULES, RULES, check_rust_file
from patchpilot.core.checks.rust.source import TreeContext

DRIVER = "drivers/net/phy/x.rs"
CORE = "rust/kernel/x.rs"


def run(code: str, rule: str, path: str = DRIVER, added=None, context=None):
    text = textwrap.dedent(code).lstrip("\n")
    lines = added if added is not None else range(1, text.count("\n") + 2)
    return [(f.rule, f.line) for f in check_rust_file(path, text, lines, context, [rule])]


def test_rules_table_is_complete():
    assert set(RULES) == {f"A{n}" for n in (*range(4, 15), *range(17, 29))}
    for rule in RULES.values():
        assert rule.severity in ("error", "warning", "info") and rule.rationale and rule.source
    assert "A8" not in DEFAULT_RULES and "A4" in DEFAULT_RULES


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="A99"):
        check_rust_file(DRIVER, "", [], rules=["A99"])


def test_a4_unsafe_block_needs_safety_comment():
    code = """
    fn f(p: *mut u8) {
        unsafe { *p = 0 };
        // SAFETY: `p` is valid.
        unsafe { *p = 1 };
        // The next one is not explained.
        let _x = unsafe { *p };
        let _y =
            // SAFETY: `p` is valid.
            unsafe { *p };
    }
    """
    assert run(code, "A4") == [("A4", 2), ("A4", 6)]


def test_a4_comment_before_statement_or_arm_counts():
    code = """
    fn f(p: Option<*mut u8>) -> u8 {
        // SAFETY: Both pointers are valid.
        let v = g(unsafe { *a }, unsafe { *b });
        match p {
            // SAFETY: The pointer is valid.
            Some(p) => unsafe { *p },
            None => unsafe { *q },
        }
    }
    // SAFETY: `Foo` holds no thread-bound state.
    unsafe impl Send for Foo {}
    unsafe impl Sync for Foo {}
    """
    assert run(code, "A4") == [("A4", 7), ("A4", 12)]


def test_a4_only_added_lines_and_not_macro_bodies():
    code = """
    fn f(p: *mut u8) {
        unsafe { *p = 0 };
        m!(unsafe { *p });
    }
    """
    assert run(code, "A4", added={1, 3}) == []


def test_a5_safety_section():
    code = """
    /// Does it.
    ///
    /// # Safety
    ///
    /// `p` is valid.
    pub unsafe fn good(p: *mut u8) {}

    /// Does it.
    pub unsafe fn bad(p: *mut u8) {}

    /// Safe.
    ///
    /// # Safety
    ///
    /// Nothing.
    pub fn safe_with_section() {}

    /// A trait.
    pub unsafe trait T {}

    impl Tr for X {
        unsafe fn from_trait(p: *mut u8) {}
    }
    """
    assert run(code, "A5") == [("A5", 9), ("A5", 16), ("A5", 19)]


def test_a6_comment_sentences():
    code = """
    fn f() {
        // SAFETY: the pointer is valid.
        a();
        // Resets the device
        b();
        // This spans
        // two lines.
        c();
        // let x = f(y);
        // TODO: `foo` is fine.
        d(); // trailing note
        // See https://example.org/x
    }
    """
    found = check_rust_file(DRIVER, textwrap.dedent(code).lstrip("\n"), range(1, 20),
                            rules=["A6"])
    assert [(f.line, f.message) for f in found] == [
        (2, "comment does not start with a capital letter"),
        (4, "comment does not end with a period"),
    ]
    assert found[0].fix == "    // SAFETY: The pointer is valid."
    assert found[1].fix == "    // Resets the device."


def test_a7_c_header_links():
    code = """
    //! C header: [`include/linux/phy.h`](srctree/include/linux/phy.h)

    /// Wraps `include/linux/mutex.h`.
    pub struct M;

    /// See [`include/linux/blk-mq.h`].
    ///
    /// [`include/linux/blk-mq.h`]: srctree/include/linux/blk-mq.h
    pub struct B;
    """
    assert run(code, "A7") == [("A7", 3)]


def test_a8_invariant_comment():
    code = """
    /// A thing.
    ///
    /// # Invariants
    ///
    /// `n` is never zero.
    pub struct NonZero { n: u32 }

    impl NonZero {
        fn one() -> Self {
            // INVARIANT: One is not zero.
            Self { n: 1 }
        }
        fn two() -> Self {
            Self { n: 2 }
        }
    }
    fn plain() -> Other { Other { n: 0 } }
    """
    assert run(code, "A8") == [("A8", 14)]


def test_a9_prefer_expect():
    code = """
    #[allow(dead_code)]
    fn f() {}
    #[expect(dead_code)]
    fn g() {}
    #![allow(clippy::all)]
    """
    found = check_rust_file(DRIVER, textwrap.dedent(code).lstrip("\n"), range(1, 9),
                            rules=["A9"])
    assert [f.line for f in found] == [1, 5]
    assert found[0].fix == "#[expect(dead_code)]"


def test_a10_panics_outside_tests():
    code = """
    fn f(x: Option<u8>) -> u8 {
        let a = x
            .unwrap();
        let b = x.expect("set");
        let c = x.unwrap_or(0);
        if a == 0 { panic!("zero"); }
        unreachable!()
    }
    /// ```
    /// let v = Some(1).unwrap();
    /// ```
    fn doc() {}
    #[cfg(test)]
    mod tests {
        #[test]
        fn t() { Some(1).unwrap(); }
    }
    #[test]
    fn t2() { panic!() }
    """
    assert run(code, "A10") == [("A10", 3), ("A10", 4), ("A10", 6), ("A10", 7)]


def test_a10_skips_host_code():
    assert run("fn f() { None::<u8>.unwrap(); }\n", "A10", path="rust/macros/lib.rs") == []
    assert run("fn f() { None::<u8>.unwrap(); }\n", "A10", path=CORE) == [("A10", 1)]


def test_a11_dbg():
    code = """
    fn f(x: u8) {
        dbg!(x);
        kernel::dbg!(x);
        pr_debug!("{}\\n", x);
    }
    """
    assert run(code, "A11") == [("A11", 2), ("A11", 3)]


def test_a12_bindings_in_leaf_code():
    code = """
    use kernel::bindings;
    fn f() -> u32 {
        let d: bindings::phy_device = make();
        bindings::genphy_soft_reset(d) + kernel::bindings::X + phy::reset()
    }
    """
    # A reviewer says it once per file: one finding, with the count and the other lines.
    assert run(code, "A12") == [("A12", 1)]
    found = check_rust_file(DRIVER, textwrap.dedent(code).lstrip("\n"), range(1, 7),
                            rules=["A12"])
    assert "on 3 lines of this file (here and on 3, 4)" in found[0].message
    assert run(code, "A12", path=CORE) == []


PRELUDE = """
pub use core::pin::Pin;
pub use super::error::{code::*, Error, Result};
pub use super::{pr_info, str::CStr};
"""


def test_a14_prelude_imports():
    paths, globs = prelude_exports(PRELUDE)
    assert paths == {"core::pin::Pin", "kernel::error::Error", "kernel::error::Result",
                     "kernel::pr_info", "kernel::str::CStr"}
    assert globs == {"kernel::error::code"}
    ctx = TreeContext(prelude_paths=frozenset(paths), prelude_globs=frozenset(globs))
    code = """
    use kernel::prelude::*;
    use kernel::{error::Result, net::phy};
    use kernel::error::code::EINVAL;
    use kernel::str::CStr as S;
    use core::pin::Pin;
    use kernel::sync::Mutex;
    """
    assert run(code, "A14", context=ctx) == [("A14", 2), ("A14", 3), ("A14", 5)]
    without = "use kernel::error::Result;\n"
    assert run(without, "A14", context=ctx) == []


def test_a13_features():
    ctx = TreeContext(allowed_features=frozenset({"lint_reasons"}))
    code = "#![feature(lint_reasons, coerce_unsized)]\n"
    found = check_rust_file(DRIVER, code, {1}, ctx, ["A13"])
    assert [f.message for f in found] == [
        "feature `lint_reasons` is already enabled for every crate outside rust/",
        "feature `coerce_unsized` is not in the tree's rust_allowed_features",
    ]
    assert check_rust_file("rust/kernel/lib.rs", code, {1}, ctx, ["A13"]) == []


def test_findings_carry_rule_metadata():
    found = check_rust_file(DRIVER, "fn f() { dbg!(1); }\n", {1})
    assert [f.to_json() for f in found] == [{
        "tool": "rust-rules", "rule": "A11", "severity": "error", "file": DRIVER, "line": 1,
        "message": "`dbg!` left in the code", "hint": "remove it, or log with `pr_debug!`",
        "fix": None, "end_line": None, "lint": "clippy::disallowed_macros"}]


def test_test_code_detection_variants():
    code = """
    #[cfg(all(test, CONFIG_X))]
    mod a { fn f() { None::<u8>.unwrap(); } }
    #[cfg(not(test))]
    mod b { fn f() { None::<u8>.unwrap(); } }
    #[kunit_tests(rust_x)]
    mod c { fn f() { None::<u8>.unwrap(); } }
    """
    assert run(code, "A10") == [("A10", 4)]


def test_a6_trailing_bare_comment_line_is_spacing():
    code = """
    fn f() {
        // A full sentence.
        //
        a();
    }
    """
    assert run(code, "A6") == []
