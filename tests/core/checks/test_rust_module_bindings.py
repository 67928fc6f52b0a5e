"""A26 (module! metadata against the tree's licence list, rust/macros/module.rs and the
directory's Makefile) and A12 (bindings reached through any path), on the real slim tree."""

from __future__ import annotations

import textwrap

import pytest

from patchpilot.core.checks.rust.kbuild import parse_kbuild
from patchpilot.core.checks.rust.rules import check_rust_file
from patchpilot.core.checks.rust.tree import tree_context

DRIVER = "drivers/net/phy/x.rs"
PHY_MAKEFILE = "drivers/net/phy/Makefile"


@pytest.fixture(scope="module")
def ctx(slim_template):
    return tree_context(slim_template)


def run(ctx, code, rule, path=DRIVER, files=None):
    text = textwrap.dedent(code).lstrip("\n")
    return [(f.rule, f.line, f.message, f.severity) for f in
            check_rust_file(path, text, range(1, text.count("\n") + 2), ctx, [rule], files)]


def test_kbuild_objects_and_host_programs(slim_template):
    phy = parse_kbuild((slim_template / PHY_MAKEFILE).read_text())
    assert phy.modules["qt2025"] == "qt2025" and phy.modules["ax88796b_rust"] == "ax88796b_rust"
    composite = parse_kbuild("obj-$(CONFIG_BLK_DEV_RUST_NULL) += rnull_mod.o\n"
                             "rnull_mod-y := rnull.o\n")
    assert composite.modules == {"rnull_mod": "rnull_mod", "rnull": "rnull_mod"}
    host = parse_kbuild((slim_template / "samples/rust/hostprogs/Makefile").read_text())
    assert host.rust_host and "single" in host.host_programs and not host.modules


def test_a26_licence_strings(ctx):
    code = """
    module! {
        type: M,
        name: "x",
        license: "GPL-2.0",
    }
    """
    found = run(ctx, code, "A26")
    assert [(line, sev) for _, line, _, sev in found] == [(4, "error")]
    finding = check_rust_file(DRIVER, textwrap.dedent(code).lstrip("\n"), range(1, 7), ctx,
                              ["A26"])[0]
    assert "use `license: \"GPL\"`" in finding.hint
    assert "include/linux/license.h" in finding.hint  # says where the list comes from
    for good in ("GPL", "GPL v2", "Dual MIT/GPL"):
        assert run(ctx, code.replace("GPL-2.0", good), "A26") == []
    odd = code.replace("GPL-2.0", "Proprietary\\x1b[31m")
    assert "\x1b" not in run(ctx, odd, "A26")[0][2]


def test_a26_required_unknown_and_ordered_keys(ctx):
    code = """
    module! {
        name: "x",
        type: M,
        author: "A",
        params: 1,
    }
    """
    found = run(ctx, code, "A26")
    assert [(line, msg) for _, line, msg, _ in found] == [
        (1, "`module!` lacks `license:`"),
        (2, "`module!` keys are not in the order module.rs expects"),
        (5, "`module!` has no key `params`"),
    ]
    driver = """
    kernel::module_phy_driver! {
        drivers: [PhyX],
        device_table: [phy::DeviceId::new_with_driver::<PhyX>()],
        author: "A",
    }
    """
    assert [msg for _, _, msg, _ in run(ctx, driver, "A26")] == [
        "`module_phy_driver!` lacks `name:`, `license:`"]


def test_a26_name_against_the_makefile(ctx, slim_template):
    qt = (slim_template / "drivers/net/phy/qt2025.rs").read_text()
    found = check_rust_file("drivers/net/phy/qt2025.rs", qt, range(1, 200), ctx, ["A26"])
    # The 6.12 tree's own driver: qt2025.o is built, the macro says "qt2025_phy".
    assert [(f.line, f.severity) for f in found] == [(28, "warning")]
    assert "qt2025.o" in found[0].message and 'name: "qt2025"' in found[0].hint
    # A new driver whose Makefile line comes in the same patch.
    code = """
    module! {
        type: M,
        name: "x_drv",
        license: "GPL",
    }
    """
    makefile = (slim_template / PHY_MAKEFILE).read_text() + "obj-$(CONFIG_X) += x.o\n"
    assert [line for _, line, _, _ in run(ctx, code, "A26", files={PHY_MAKEFILE: makefile})] \
        == [3]
    assert run(ctx, code.replace("x_drv", "x"), "A26", files={PHY_MAKEFILE: makefile}) == []
    assert run(ctx, code, "A26") == []  # the Makefile does not build x.o: nothing to compare


def test_a26_traps(ctx, slim_template):
    # rnull: a composite object (rnull_mod-y := rnull.o) named after the module.
    rnull = (slim_template / "drivers/block/rnull.rs").read_text()
    assert check_rust_file("drivers/block/rnull.rs", rnull, range(1, 200), ctx, ["A26"]) == []
    # The macro's own documentation and the driver macro's body are not invocations.
    lib = (slim_template / "rust/macros/lib.rs").read_text()
    assert check_rust_file("rust/macros/lib.rs", lib, range(1, 500), ctx, ["A26"]) == []
    phy = (slim_template / "rust/kernel/net/phy.rs").read_text()
    assert check_rust_file("rust/kernel/net/phy.rs", phy, range(1, 999), ctx, ["A26"]) == []


def test_a12_bindings_through_any_path(ctx):
    code = """
    use kernel::bindings as sys;
    use kernel::bindings::phy_device;
    use kernel::{bindings, prelude::*};
    use kernel::bindings::{genphy_soft_reset as reset};
    mod ffi {
        pub use kernel::bindings::*;
    }
    fn f(d: *mut phy_device) -> i32 {
        let x = sys::genphy_resume(d);
        let y = unsafe { reset(d) };
        let z = ffi::phy_read(d, 0);
        let w = phy::reset();
        let s = "sys::genphy_resume";
        // sys::genphy_resume
        x + y + z
    }
    """
    found = run(ctx, code, "A12")
    assert [line for _, line, _, _ in found] == [1]
    assert "on 9 lines of this file (here and on 2, 3, 4, 6, 8, ...)" in found[0][2]
    # A patch that adds only line 9 hears how that line reaches them.
    text = textwrap.dedent(code).lstrip("\n")
    only = check_rust_file(DRIVER, text, [9], ctx, ["A12"])
    assert [(f.line, f.message) for f in only] == [
        (9, "leaf code uses the C `bindings` through `sys` (bound to them on line 1)")]
    assert run(ctx, code, "A12", path="rust/kernel/net/phy.rs") == []


def test_a12_traps_the_tree_writes(ctx, slim_template):
    for rel in ("drivers/net/phy/qt2025.rs", "drivers/net/phy/ax88796b_rust.rs",
                "drivers/block/rnull.rs", "samples/rust/rust_minimal.rs"):
        text = (slim_template / rel).read_text()
        assert check_rust_file(rel, text, range(1, 999), ctx, ["A12"]) == [], rel
