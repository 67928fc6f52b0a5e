"""The merged trees stay quiet because each rule reads its facts from the tree, not because
the rules see nothing: take away what makes the tree right and they fire. Real files of
Linux 6.12 and 7.3 (Debian's linux-source), changed in memory only."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchpilot.core.checks.doctor import diagnose, min_version, target_arch
from patchpilot.core.checks.rust.rules import RustRules, check_rust_file, unread_findings
from patchpilot.core.checks.rust.tree import tree_context

NOVA_FW = "drivers/gpu/nova-core/gsp/fw"


@pytest.fixture(scope="module")
def t73(rust_trees) -> Path:
    return rust_trees["7.3"]


def _all(text: str) -> range:
    return range(1, text.count("\n") + 2)


def _quiet_until(tree: Path, rel: str, rules: list[str], old: str, new: str) -> list:
    """The real file gives nothing for `rules`; with `old` replaced by `new`, what it gives."""
    ctx = tree_context(tree)
    text = (tree / rel).read_text()
    assert old in text
    assert check_rust_file(rel, text, _all(text), ctx, rules) == []
    changed = text.replace(old, new)
    return check_rust_file(rel, changed, _all(changed), ctx, rules)


def test_an_included_file_takes_its_includers_allows(t73, tmp_path):
    """nova-core's generated firmware bindings are quiet under the includer's
    `#![allow(missing_docs, clippy::undocumented_unsafe_blocks, ..)]`; without it (the
    includer's copy given as the patch leaves it) they are not."""
    ctx = tree_context(t73)
    rel = f"{NOVA_FW}/r570_144/bindings.rs"
    text = (t73 / rel).read_text()
    assert check_rust_file(rel, text, _all(text), ctx, ["A4", "A17", "A18"]) == []
    includer = (t73 / f"{NOVA_FW}/r570_144.rs").read_text()
    assert 'include!("r570_144/bindings.rs");' in includer
    bare = includer.replace("#![allow(", "#![allow(dead_code)]\n#![cfg_attr(any(), allow(", 1)
    bare = bare.replace("unsafe_op_in_unsafe_fn\n)]", "unsafe_op_in_unsafe_fn\n))]")
    found = check_rust_file(rel, text, _all(text), ctx, ["A4", "A17", "A18"],
                            {f"{NOVA_FW}/r570_144.rs": bare})
    # cfg_attr(<cfg>, allow(..)) still turns them off: the author did, where they fire.
    assert found == []
    plain = includer.replace("#![allow(", "#![expect(dead_code)]\n#![doc = \"\"]\n#![cfg(all(", 1)
    found = check_rust_file(rel, text, _all(text), ctx, ["A4", "A17"],
                            {f"{NOVA_FW}/r570_144.rs": plain})
    # Unsafe blocks lose their allow; the items stay in fw.rs's private `mod r570_144`, so
    # missing_docs still does not fire (privacy is the includer's too).
    assert {f.rule for f in found} == {"A4"} and len(found) > 10
    alone = check_rust_file("drivers/gpu/fwgen.rs", text, _all(text), ctx, ["A17"])
    assert len(alone) > 100


def test_the_crates_own_bindings_module_is_not_the_c_bindings(t73):
    found = _quiet_until(t73, "drivers/gpu/nova-core/gsp/fw.rs", ["A12"],
                         "use r570_144 as bindings;", "use kernel::bindings;")
    assert len(found) == 1 and "lines of this file" in found[0].message


def test_a_newtype_constructor_is_no_unsafe_call(t73):
    ctx = tree_context(t73)
    assert "irqreturn_t" in ctx.newtypes
    rel = "rust/kernel/irq/request.rs"
    text = (t73 / rel).read_text()
    assert "bindings::irqreturn_t(T::handle(" in text
    assert check_rust_file(rel, text, _all(text), ctx, ["A18"]) == []
    called = text.replace("bindings::irqreturn_t(T::handle(", "bindings::irq_handler(T::handle(")
    found = check_rust_file(rel, called, _all(text), ctx, ["A18"])
    assert found and all("bindings::irq_handler" in f.message for f in found)


def test_allow_warnings_covers_generated_code_but_not_denied_lints(t73):
    ctx = tree_context(t73)
    rel = "drivers/android/binder/rust_binder_main.rs"
    text = (t73 / rel).read_text()
    assert "#[allow(warnings)] // generated bindgen code" in text
    quiet = check_rust_file(rel, text, _all(text), ctx, ["A4"])
    assert quiet == []
    loud = check_rust_file(rel, text.replace("#[allow(warnings)]", "#[allow(dead_code)]"),
                           _all(text), ctx, ["A4"])
    assert loud and all(f.severity == "error" for f in loud)
    assert "unsafe_op_in_unsafe_fn" in ctx.denied_lints


def test_module_keys_come_from_the_syn_based_macro(t73):
    """7.3 rewrote rust/macros/module.rs on syn: the keys are its parse_ordered_fields!."""
    ctx = tree_context(t73)
    assert ctx.module_keys is not None and ctx.module_keys[:5] == (
        "type", "name", "authors", "description", "license")
    assert ctx.module_required == ("type", "name", "license") and ctx.unread == ()
    rel = "samples/rust/rust_minimal.rs"
    text = (t73 / rel).read_text()
    assert check_rust_file(rel, text, _all(text), ctx, ["A26"]) == []
    wrong = text.replace('    license: "GPL",\n', "").replace(
        '    authors: ["Rust for Linux Contributors"],', '    author: "Rust for Linux",').replace(
        '    name: "rust_minimal",\n', '    description: "first",\n    name: "rust_minimal",\n')
    messages = [f.message for f in check_rust_file(rel, wrong, _all(wrong), ctx, ["A26"])]
    assert any("lacks `license:`" in m for m in messages)
    assert any("no key `author`" in m for m in messages)
    assert any("not in the order" in m for m in messages)


def test_unreadable_module_keys_are_said_once(t73, tmp_path):
    """A tree whose module.rs the rule does not understand: one info finding for the
    check, and doctor's list (TreeContext.unread) says it too."""
    tree = tmp_path / "linux"
    (tree / "rust" / "macros").mkdir(parents=True)
    (tree / "rust" / "macros" / "module.rs").write_text("// a macro of some later shape\n")
    (tree / "Makefile").write_text((t73 / "Makefile").read_text())
    (tree / "rust" / "Makefile").write_text((t73 / "rust" / "Makefile").read_text())
    ctx = tree_context(tree)
    assert [rule for rule, _ in ctx.unread] == ["A26"]
    code = 'module! {\n    type: M,\n    name: "m",\n}\n'
    found = RustRules(ctx).run([[("drivers/m.rs", code, {1, 2, 3, 4})],
                                [("drivers/n.rs", code, {1, 2, 3, 4})]])
    said = [f for patch in found for f in patch if f.severity == "info" and f.file is None]
    assert len(said) == 1 and "module!" in said[0].message and said[0].rule == "A26"
    assert unread_findings(tree_context(t73)) == []


def test_disallowed_methods_from_clippy_toml(t73):
    ctx = tree_context(t73)
    assert ctx.disallowed_methods is not None
    assert [p for p, _ in ctx.disallowed_methods] == ["core::ffi::CStr::as_ptr",
                                                      "core::ffi::CStr::from_ptr"]
    code = ("fn f(name: &CStr, p: *const u8, v: &[u8]) {\n"
            "    let a = name.as_ptr();\n"
            "    let b = unsafe { CStr::from_ptr(p) };\n"
            '    let c = c"x".as_ptr();\n'
            "    let d = v.as_ptr();\n"
            "}\n")
    found = check_rust_file("drivers/x.rs", code, _all(code), ctx, ["A28"])
    assert [(f.line, f.message.split("`")[1]) for f in found] == [
        (2, "core::ffi::CStr::as_ptr"), (3, "core::ffi::CStr::from_ptr"),
        (4, "core::ffi::CStr::as_ptr")]
    assert "as_char_ptr" in found[0].hint


def test_const_contexts_and_panic_comments(t73):
    ctx = tree_context(t73)
    rel = "rust/kernel/ptr.rs"
    text = (t73 / rel).read_text()
    assert "const { Alignment::new_checked(align_of::<T>()).unwrap() }" in text
    assert check_rust_file(rel, text, _all(text), ctx, ["A10"]) == []
    runtime = text.replace("const { Alignment::new_checked(align_of::<T>()).unwrap() }",
                           "Alignment::new_checked(align_of::<T>()).unwrap()").replace(
        "pub const fn of<T>()", "pub fn of<T>()")
    assert [f.rule for f in check_rust_file(rel, runtime, _all(text), ctx, ["A10"])] == ["A10"]
    bare = _quiet_until(t73, "rust/kernel/pci/io.rs", ["A10"], "// PANIC: The PCI subsystem",
                        "// The PCI subsystem")
    assert [f.rule for f in bare] == ["A10"]


def test_vendored_and_host_crates_are_read_from_the_makefiles(t73, rust_trees):
    ctx = tree_context(t73)
    assert {"rust/syn", "rust/quote", "rust/proc-macro2", "rust/zerocopy"} <= set(ctx.vendored)
    assert {"rust/macros", "rust/pin-init/internal/src"} <= set(ctx.host_crates)
    assert "rust/kernel" in ctx.kernel_crates
    assert tree_context(rust_trees["6.12"]).vendored == ("rust/alloc",)
    # syn's own code would give hundreds of findings; make rustfmt leaves it out, so do we.
    rel = "rust/syn/buffer.rs"
    text = (t73 / rel).read_text()
    assert "unsafe" in text and check_rust_file(rel, text, _all(text), ctx) == []


def test_the_rules_still_fire_on_the_6_12_tree(rust_trees):
    """The 6.12 corpus: strip the docs, the ABI, the unsafe block and the rules fire."""
    tree = rust_trees["6.12"]
    ctx = tree_context(tree)
    arc = (tree / "rust/kernel/sync/arc.rs").read_text()
    undocumented = "\n".join(line for line in arc.splitlines()
                             if not line.lstrip().startswith("///"))
    a17 = check_rust_file("rust/kernel/sync/arc.rs", undocumented, range(1, 2000), ctx,
                          ["A17"])
    assert len(a17) > 10
    kasan = (tree / "mm/kasan/kasan_test_rust.rs").read_text()
    assert 'extern "C" fn' in kasan
    a19 = check_rust_file("mm/kasan/kasan_test_rust.rs", kasan.replace('extern "C" ', ""),
                          range(1, 100), ctx, ["A19"])
    assert [f.rule for f in a19] == ["A19"]
    condvar = (tree / "rust/kernel/sync/condvar.rs").read_text()
    assert "unsafe { bindings::init_wait(wait.get()) };" in condvar
    bare = condvar.replace("unsafe { bindings::init_wait(wait.get()) };",
                           "bindings::init_wait(wait.get());")
    bare = bare.replace("    fn wait_internal<", "    unsafe fn wait_internal<")
    a18 = check_rust_file("rust/kernel/sync/condvar.rs", bare, range(1, 400), ctx, ["A18"])
    assert ["bindings::init_wait" in f.message for f in a18] == [True]


def test_doctor_reads_the_rustc_minimum_per_architecture(t73, rust_trees, tmp_path):
    """7.3 asks s390 for rustc 1.96 and powerpc for 1.95; a native s390x or ppc64le host
    (uname -m, mapped as the tree's scripts/subarch.include does) is told so too."""
    assert target_arch(t73, machine="s390x") == ("s390", "s390")
    assert target_arch(t73, machine="ppc64le") == ("powerpc", "powerpc")
    assert target_arch(t73, "x86_64") == ("x86_64", "x86")
    mins = {arch: min_version(t73, "rustc", target_arch(t73, arch))
            for arch in ("s390", "powerpc", "x86_64", "arm64")}
    assert mins["s390"] == "1.96.0" and mins["powerpc"] == "1.95.0"
    assert mins["x86_64"] == mins["arm64"] != mins["s390"]
    rustc = next(i for i in diagnose(t73, arch="s390") if i.name == "rustc")
    assert rustc.required == "1.96.0" and "ARCH=s390" in rustc.hint
    # 6.12 has one minimum for all.
    t612 = rust_trees["6.12"]
    assert min_version(t612, "rustc", ("s390", "s390")) == min_version(t612, "rustc",
                                                                      ("x86", "x86"))
    # A tree whose facts the rules cannot read: doctor says which.
    tree = tmp_path / "linux"
    (tree / "rust" / "macros").mkdir(parents=True)
    (tree / "rust" / "macros" / "module.rs").write_text("// a later shape\n")
    notes = [i for i in diagnose(tree) if i.name.startswith("rules ")]
    assert [i.name for i in notes] == ["rules A26", "rules lints", "rules crates"]
    assert all(i.status == "info" and "cannot read" in i.hint for i in notes)
