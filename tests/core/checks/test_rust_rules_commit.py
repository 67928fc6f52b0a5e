"""The Rust rules on a real commit to a real driver: only the lines the commit adds count."""

from __future__ import annotations

from patchpilot.core.checks.patchmap import added_lines
from patchpilot.core.checks.rust.rules import RustRules, check_rust_file
from patchpilot.core.checks.rust.tree import tree_context
from tests.helpers import commit, git

DRIVER = "drivers/net/phy/qt2025.rs"
ANCHOR = "    fn read_status(dev: &mut phy::Device) -> Result<u16> {\n"
ADDED = (
    "        let raw = dev.read(C45::new(Mmd::PMAPMD, 0x1)).unwrap();\n"
    "        let ptr = &raw as *const u16;\n"
    "        let copy = unsafe { *ptr };\n"
    "        dbg!(copy);\n"
    "        // SAFETY: `ptr` points to `raw`, which is alive.\n"
    "        let _again = unsafe { *ptr };\n"
)


def test_rules_on_a_real_driver_commit(kernel_tree):
    text = (kernel_tree / DRIVER).read_text()
    assert ANCHOR in text
    commit(kernel_tree, {DRIVER: text.replace(ANCHOR, ANCHOR + ADDED)},
           "net: phy: qt2025: peek at the status\n\nPeek at it.")
    patch = git(kernel_tree, "format-patch", "-1", "--stdout")
    post = git(kernel_tree, "show", f"HEAD:{DRIVER}")
    added = added_lines(patch)[DRIVER]
    first = post.splitlines().index(ADDED.splitlines()[0]) + 1
    assert added == set(range(first, first + 6))
    found = check_rust_file(DRIVER, post, added, tree_context(kernel_tree))
    assert [(f.rule, f.line - first) for f in found] == [("A10", 0), ("A4", 2), ("A11", 3)]
    # The same file has older comments that A6 would flag; the patch did not add them.
    everything = check_rust_file(DRIVER, post, range(1, len(post.splitlines()) + 1))
    assert any(f.rule == "A6" for f in everything)
    assert RustRules(tree_context(kernel_tree)).run(
        [[(DRIVER, post, added), ("drivers/net/phy/Kconfig", "x\n", {1})]]) == [found]
