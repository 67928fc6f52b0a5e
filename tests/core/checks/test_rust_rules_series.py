"""A realistic series through the real runner on the real slim tree: a new Rust PHY driver
written the way a first-time contributor writes it (its Makefile line in the same patch), a
fix to a C file in the same series, and a clean follow-up. Real git; the rules read the
tree's own Makefile, .clippy.toml, scripts/Makefile.build and rust/macros/module.rs."""

from __future__ import annotations

from patchpilot.core.checks.runner import check_series
from patchpilot.core.config import Config
from patchpilot.core.series.model import load_series, open_kernel_repo
from tests.helpers import commit, git

DRIVER = "drivers/net/phy/x_rust.rs"
MAKEFILE = "drivers/net/phy/Makefile"
NEW_DRIVER = """\
// SPDX-License-Identifier: GPL-2.0

//! Rust X PHY driver.

use kernel::bindings as sys;
use kernel::prelude::*;
use kernel::sync::{new_spinlock, SpinLock};
use std::fmt::Write;

kernel::module_phy_driver! {
    drivers: [PhyX],
    device_table: [phy::DeviceId::new_with_driver::<PhyX>()],
    name: "x_rust",
    author: "New Contributor <new@example.org>",
    description: "X PHY driver",
    license: "GPL-2.0",
}

static mut PROBES: u32 = 0;

struct Stats {
    events: SpinLock<KVec<u32>>,
}

impl Stats {
    fn record(&self, temp: u32) -> Result {
        let mut events = self.events.lock();
        events.push(temp, GFP_KERNEL)?;
        let celsius = temp as f32 / 1000.0;
        drop(events);
        let _copy = KBox::new(celsius as u32, GFP_KERNEL)?;
        Ok(())
    }
}

pub fn soft_reset(dev: *mut sys::phy_device) -> i32 {
    // SAFETY: `dev` is valid.
    unsafe { sys::genphy_soft_reset(dev) }
}
"""
C_FIX = "// SPDX-License-Identifier: GPL-2.0\n/* The X PHY's C helper. */\nint x;\n"


def test_a_contributors_series_with_a_c_patch_in_it(kernel_tree):
    git(kernel_tree, "checkout", "-q", "-b", "work", "--track", "master")
    makefile = (kernel_tree / MAKEFILE).read_text() + "obj-$(CONFIG_X_RUST_PHY) += x_rust.o\n"
    commit(kernel_tree, {DRIVER: NEW_DRIVER, MAKEFILE: makefile},
           "net: phy: Add the X PHY driver.\n\nAdd a Rust driver for the X PHY.")
    commit(kernel_tree, {"drivers/net/phy/x_helper.c": C_FIX},
           "net: phy: Add a C helper for X\n\nThe C side of the X PHY needs a helper.")
    repo = open_kernel_repo(str(kernel_tree))
    config = Config(repo, flags={"checks.tools": "rust,commit"})
    report = check_series(repo, load_series(repo), config, use_cache=False)
    rust = [f for f in report.results[0].findings if f.tool == "rust"]
    lines = NEW_DRIVER.splitlines()

    def at(text):
        return lines.index(text) + 1

    got = {(f.rule, f.line) for f in rust}
    assert {("A12", at("use kernel::bindings as sys;")),
            ("A24", at("use std::fmt::Write;")),
            ("A26", at('    license: "GPL-2.0",')),
            ("A25", at("static mut PROBES: u32 = 0;")),
            ("A27", at("        events.push(temp, GFP_KERNEL)?;")),
            ("A21", at("        let celsius = temp as f32 / 1000.0;")),
            ("A17", at("pub fn soft_reset(dev: *mut sys::phy_device) -> i32 {"))} <= got
    # The bindings are said once for the file, with the other places it reaches them.
    a12 = [f for f in rust if f.rule == "A12"]
    assert len(a12) == 1 and str(at("    unsafe { sys::genphy_soft_reset(dev) }")) in a12[0].message
    # After `drop(events)` the allocation may sleep; the module name matches x_rust.o.
    assert ("A27", at("        let _copy = KBox::new(celsius as u32, GFP_KERNEL)?;")) not in got
    assert not any(f.rule == "A26" and "name" in f.message for f in rust)
    a27 = next(f for f in rust if f.rule == "A27")
    assert a27.lint == "klint::atomic_context" and f"line {at('        let mut events = self.events.lock();')}" in a27.message
    style = {f.message for f in report.results[0].findings if f.rule == "B2-style"}
    assert style == {"subject ends with a full stop", "summary starts with a capital letter"}
    # The C patch: no Rust findings, and its capitalised summary is left alone.
    c_patch = report.results[1].findings
    assert not [f for f in c_patch if f.tool == "rust"]
    assert not [f for f in c_patch if f.rule.startswith("B2")]
