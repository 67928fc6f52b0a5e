"""The lint-derived Rust rules (A17-A25), each gated on the lint set read from the real slim
tree's Makefile, firing on realistic code and silent on the shapes the tree writes correctly."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from patchpilot.core.checks.rust.rules import RULES, check_rust_file
from patchpilot.core.checks.rust.tree import lint_set, read_licenses, tree_context

DRIVER = "drivers/net/phy/x.rs"
CORE = "rust/kernel/x.rs"


@pytest.fixture(scope="module")
def ctx(slim_template):
    return tree_context(slim_template)


def run(ctx, code, rule, path=DRIVER, added=None):
    text = textwrap.dedent(code).lstrip("\n")
    lines = added if added is not None else range(1, text.count("\n") + 2)
    return [(f.rule, f.line) for f in check_rust_file(path, text, lines, ctx, [rule])]


def test_the_lint_set_is_read_from_the_tree(ctx, slim_template, full_tree):
    assert {"missing_docs", "unsafe_op_in_unsafe_fn", "non_ascii_idents", "clippy::mut_mut",
            "clippy::no_mangle_with_rust_abi", "clippy::undocumented_unsafe_blocks",
            "clippy::unnecessary_safety_comment", "clippy::all"} <= ctx.lints
    assert "clippy::float_arithmetic" in ctx.lints          # KBUILD_RUSTFLAGS, not common
    assert "clippy::needless_lifetimes" not in ctx.lints    # -A in rust_common_flags
    assert ctx.disallowed_macros == ("kernel::dbg",)        # .clippy.toml
    assert ctx.no_std is True                               # scripts/Makefile.build
    assert ctx.module_required == ("type", "name", "license")
    assert ctx.module_keys[:3] == ("type", "name", "author")
    # The slim tree has no include/linux/license.h: the documented list, and it says so.
    assert "GPL v2" in ctx.licenses and "no include/linux/license.h" in ctx.licenses_from
    licenses, origin = read_licenses(full_tree)
    assert origin == "include/linux/license.h" and licenses == ctx.licenses
    for rule in RULES.values():
        assert rule.rationale and rule.source and (rule.lint or not rule.gated)


def test_a_tree_without_the_lint_does_not_get_it_checked(ctx, slim_template):
    makefile = (slim_template / "Makefile").read_text()
    assert "-Wmissing_docs" in makefile
    older = dataclasses.replace(ctx, lints=lint_set(makefile.replace("-Wmissing_docs", "")))
    code = "pub fn f() {}\n"
    assert run(ctx, code, "A17", CORE) == [("A17", 1)]
    assert run(older, code, "A17", CORE) == []
    # A later -A turns a lint off again.
    off = makefile.replace("-Wclippy::mut_mut", "-Wclippy::mut_mut -Aclippy::mut_mut")
    assert "clippy::mut_mut" not in lint_set(off)
    assert run(None, "fn f(x: &mut &mut u8) {}\n", "A23") == []  # tree unknown: not checked


MISSING_DOCS = """
//! Foo.

/// Documented.
pub struct Doc {
    /// The count.
    pub n: u32,
    pub m: u32,
    private: u32,
}
pub struct Undoc(pub u32);
pub(crate) struct Crate;
pub enum E {
    /// One.
    A,
    B,
}
impl Doc {
    pub fn new() -> Self { Self { n: 0, m: 0, private: 0 } }
    /// Documented.
    pub fn get(&self) -> u32 { self.n }
    fn private(&self) {}
}
impl Crate {
    pub fn x() {}
}
impl Default for Doc {
    fn default() -> Self { Self::new() }
}
/// A trait.
pub trait T {
    fn f(&self);
    /// Doc.
    fn g(&self);
}
mod private {
    pub fn hidden() {}
}
#[doc(hidden)]
pub mod internal {
    pub fn hidden() {}
}
#[macro_export]
macro_rules! m { () => {} }
#[doc = "Documented by attribute."]
pub const C: u32 = 1;
pub static S: u32 = 1;
#[expect(missing_docs)]
pub fn excused() {}
#[cfg(test)]
mod tests {
    pub fn t() {}
}
fn f() {
    pub struct Local;
}
"""


def test_a17_missing_docs(ctx):
    assert run(ctx, MISSING_DOCS, "A17", CORE) == [
        ("A17", 7), ("A17", 10), ("A17", 12), ("A17", 15), ("A17", 18), ("A17", 31),
        ("A17", 43), ("A17", 46)]


def test_a17_crate_docs_and_module_visibility(ctx, slim_template):
    # A new driver file without `//!`: the crate-level docs are missing.
    makefile = "obj-$(CONFIG_X) += x.o\n"
    text = "// SPDX-License-Identifier: GPL-2.0\n\nuse kernel::prelude::*;\n"
    found = check_rust_file(DRIVER, text, {1, 2, 3}, ctx, ["A17"],
                            {"drivers/net/phy/Makefile": makefile})
    assert [(f.line, f.message) for f in found] == [
        (1, "the crate has no `//!` documentation")]
    # rust/kernel/init/__internal.rs is `#[doc(hidden)] pub mod __internal;` in init.rs: its
    # undocumented trait items are not missing_docs, as rustc sees them.
    internal = (slim_template / "rust/kernel/init/__internal.rs").read_text()
    assert "    type PinData: PinData;" in internal
    assert check_rust_file("rust/kernel/init/__internal.rs", internal, range(1, 400), ctx,
                           ["A17"]) == []
    # The same file in a module the parent exports does get checked.
    parent = {"rust/kernel/init.rs": "//! Init.\n\n/// Internal.\npub mod __internal;\n"}
    again = check_rust_file("rust/kernel/init/__internal.rs", internal, range(1, 400), ctx,
                            ["A17"], parent)
    assert any("`PinData`" in f.message for f in again)
    private = {"rust/kernel/init.rs": "mod __internal;\n"}
    assert check_rust_file("rust/kernel/init/__internal.rs", internal, range(1, 400), ctx,
                           ["A17"], private) == []


UNSAFE_OPS = """
static mut COUNT: u32 = 0;
struct Raw { ptr: *mut u8 }
/// # Safety
/// x
unsafe fn helper(p: *mut u8) -> u8 { 0 }
fn safe_one() {}
impl Raw {
    /// # Safety
    /// x
    unsafe fn bad(&self, p: *const u8, q: &u8) -> u8 {
        let a = *p;
        let b = *q;
        let c = *self.ptr;
        bindings::schedule();
        helper(p as *mut u8);
        COUNT += 1;
        let r = core::ptr::read(p);
        let v: &u8 = unsafe { &*p };
        let p = unsafe { &*p };
        let d = *p;
        safe_one();
        // SAFETY: `p` is valid.
        unsafe { helper(core::ptr::null_mut()) };
        pr_info!("{}", *q);
        let f = || unsafe { helper(core::ptr::null_mut()) };
        0
    }
    fn safe(&self, p: *const u8) -> u8 {
        // SAFETY: `p` is valid.
        unsafe { *p }
    }
}
"""


def test_a18_unsafe_ops_in_unsafe_fn(ctx):
    # *p, *self.ptr, bindings::, an unsafe fn of the file, a static mut, ptr::read; not *q
    # (a reference), not *p once `p` is rebound to a reference, not inside unsafe blocks,
    # closures' unsafe blocks or macro arguments, not in a safe fn.
    assert run(ctx, UNSAFE_OPS, "A18") == [
        ("A18", 11), ("A18", 13), ("A18", 14), ("A18", 15), ("A18", 16), ("A18", 17)]


def test_a18_ignores_methods_it_cannot_attribute(ctx, slim_template):
    # rust/kernel/page.rs: `reader.read_raw(..)` is UserSliceReader's safe method, not the
    # file's own `unsafe fn read_raw` of Page.
    page = (slim_template / "rust/kernel/page.rs").read_text()
    assert "pub unsafe fn read_raw" in page and "reader.read_raw(" in page
    assert check_rust_file("rust/kernel/page.rs", page, range(1, 400), ctx, ["A18"]) == []


def test_a19_no_mangle_needs_the_c_abi(ctx):
    code = """
    #[no_mangle]
    pub fn rust_abi() {}
    #[no_mangle]
    pub extern "C" fn c_abi() {}
    #[no_mangle]
    pub extern fn c_default() {}
    #[unsafe(no_mangle)]
    pub extern "Rust" fn explicit_rust() {}
    pub fn not_exported() {}
    """
    assert run(ctx, code, "A19") == [("A19", 2), ("A19", 8)]


def test_a20_non_ascii_identifiers(ctx):
    code = """
    fn f() {
        let größe = 1;
        let s = "größe";
        // größe
        let size = 1;
    }
    """
    assert run(ctx, code, "A20") == [("A20", 2)]


def test_a21_floats(ctx):
    code = """
    fn f() {
        let t = 2.5;
        let u = 1 as f32;
        let w: f64 = 0;
        let e = 1e3;
        let s = 1f32;
        pr_info!("{}", x as f64);
        let ok = "1.5 as f32";
        let n = 15;
    }
    // 1.5 as f32
    /// ```
    /// let x = 1.5f32;
    /// ```
    fn doc() {}
    #[cfg(test)]
    mod tests {
        fn f() -> f32 { 1.0 }
    }
    impl_zeroable! { u8, f32, f64, }
    """
    assert run(ctx, code, "A21") == [("A21", 2), ("A21", 3), ("A21", 4), ("A21", 5),
                                     ("A21", 6), ("A21", 7)]
    assert run(ctx, code, "A21", "rust/macros/helpers.rs") == []  # host code


def test_a21_a24_host_programs_are_exempt(ctx, slim_template):
    # samples/rust/hostprogs builds host programs (`hostprogs-always-y`, `single-rust := y`).
    single = (slim_template / "samples/rust/hostprogs/single.rs").read_text()
    code = single + "\nuse std::io::Write;\nfn g() -> f64 { 1.5 }\n"
    assert check_rust_file("samples/rust/hostprogs/single.rs", code, range(1, 40), ctx,
                           ["A21", "A24"]) == []
    found = check_rust_file("samples/rust/rust_x.rs", code, range(1, 40), ctx, ["A21", "A24"])
    assert {f.rule for f in found} == {"A21", "A24"}


def test_a22_unnecessary_safety_comment(ctx):
    code = """
    fn f(p: *const u8) {
        // SAFETY: Nothing unsafe here.
        let y = 1;
        // SAFETY: The pointer is valid.
        let z = unsafe { *p };
        // SAFETY: The macro dereferences it; see its documentation.
        m!(p);
        let w = unsafe { *p }; // SAFETY: `p` is valid.
        let v = 2; // SAFETY: not about unsafe code.
        match x {
            // SAFETY: The arm is unsafe.
            Some(p) => unsafe { *p },
            None => 0,
        }
    }
    // SAFETY: `Foo` has no thread-bound state.
    unsafe impl Send for Foo {}
    // SAFETY: There is nothing unsafe in a safe impl.
    impl Clone for Foo { fn clone(&self) -> Self { Foo } }
    fn g(p: *const u8) -> u8 {
        unsafe {
            // SAFETY: Inside an unsafe block clippy does not ask.
            read(p)
        }
    }
    """
    assert run(ctx, code, "A22") == [("A22", 2), ("A22", 9), ("A22", 18)]


def test_a23_mut_mut(ctx):
    code = """
    fn f(x: &mut &mut u8, y: &mut u8, z: &&mut u8) {
        let a = &mut &mut b;
        let c = &mut *y;
    }
    """
    assert run(ctx, code, "A23") == [("A23", 1), ("A23", 2)]


def test_a24_std_paths(ctx):
    code = """
    use std::vec::Vec;
    extern crate std;
    fn f() -> ::std::string::String {
        let q = core::cmp::max(1, 2);
        let s = "std::io";
        // std::io
        let v = kernel::std_vendor::x();
    }
    /// ```
    /// use std::io;
    /// ```
    fn doc() {}
    #[cfg(test)]
    mod tests {
        use std::println;
    }
    """
    assert run(ctx, code, "A24") == [("A24", 1), ("A24", 2), ("A24", 3)]
    not_no_std = dataclasses.replace(ctx, no_std=False)
    assert run(not_no_std, code, "A24") == []


def test_a25_static_mut(ctx):
    code = """
    static mut COUNT: u32 = 0;
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    #[cfg(test)]
    mod tests { static mut T: u8 = 0; }
    macro_rules! m { () => { static mut M: u8 = 0; } }
    """
    found = check_rust_file(DRIVER, textwrap.dedent(code).lstrip("\n"), range(1, 9), ctx,
                            ["A25"])
    assert [(f.line, f.message) for f in found] == [(1, "`static mut` `COUNT`")]
    assert "atomic" in found[0].hint and "Opaque" in found[0].hint


def test_allow_and_expect_turn_lints_off_where_they_apply(ctx):
    code = """
    #![allow(clippy::mut_mut)]
    fn f(x: &mut &mut u8) {}
    """
    assert run(ctx, code, "A23") == []
    code = """
    #[expect(non_ascii_idents, reason = "a test")]
    fn größe() {}
    fn maß() {}
    """
    assert run(ctx, code, "A20") == [("A20", 3)]


def test_findings_name_their_lint(ctx):
    found = check_rust_file(DRIVER, "fn f(x: &mut &mut u8) {}\n", {1}, ctx, ["A23"])
    assert found[0].lint == "clippy::mut_mut" and found[0].to_json()["lint"] == "clippy::mut_mut"


def test_a17_private_module_checks_what_its_parent_re_exports(ctx):
    # rust/kernel/sync.rs keeps `mod arc;` private and re-exports `pub use arc::{Arc, ..}`.
    code = "pub struct Arc;\npub struct Inner;\nimpl Arc {\n    pub fn new() {}\n}\n"
    parent = {"rust/kernel/sync.rs": "//! Sync.\n\nmod arc;\npub use arc::Arc;\n"}
    found = check_rust_file("rust/kernel/sync/arc.rs", code, range(1, 6), ctx, ["A17"], parent)
    assert [f.line for f in found] == [1, 4]
    glob = {"rust/kernel/sync.rs": "mod arc;\npub use arc::*;\n"}
    assert len(check_rust_file("rust/kernel/sync/arc.rs", code, range(1, 6), ctx, ["A17"],
                               glob)) == 3
