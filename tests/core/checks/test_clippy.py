"""clippy diagnostics: parsed from REAL clippy-driver output (the kernel's lint flags from the
tree's Makefile, on real Rust code) and attributed to the patch that added the line."""

from __future__ import annotations

import subprocess

from patchpilot.core.checks.clippy import (
    attribute,
    kernel_lint_flags,
    parse_diagnostics,
    series_findings,
)
from patchpilot.core.checks.inputs import prepare
from patchpilot.core.series.model import load_series, open_kernel_repo
from tests.helpers import commit, git

PATH = "samples/rust/clippy_demo.rs"
BASE = """\
//! Clippy demo.

/// Already there: an unused variable the base has.
pub fn old() -> u32 {
    let unused = 1;
    2
}
"""
PATCH1 = """
/// Reads through a pointer.
///
/// # Safety
///
/// `p` is valid.
pub unsafe fn read(p: *const u32) -> u32 {
    unsafe { *p }
}
"""
PATCH2 = """
/// Adds.
pub fn add(a: u32) -> u32 {
    let spare = a;
    a + 1
}
"""


def clippy_output(tree, path=PATH) -> str:
    flags = kernel_lint_flags(tree)
    # Never `-o /dev/null`: rustc writes a temporary file and renames it over the target,
    # which replaces the /dev/null device with a regular file for the whole machine.
    out = tree.parent / "clippy-out.rmeta"
    proc = subprocess.run(["clippy-driver", *flags, "--crate-type=lib", "--emit=metadata",
                           "--error-format=json", "-o", str(out), path], cwd=tree,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_kernel_flags_come_from_the_makefile(slim_template):
    flags = kernel_lint_flags(slim_template)
    assert "--edition=2021" in flags and "-Wclippy::undocumented_unsafe_blocks" in flags
    assert "-Dunsafe_op_in_unsafe_fn" in flags and not any(f.startswith("-Z") for f in flags)


def test_real_diagnostics_are_given_to_the_patch_that_added_the_line(kernel_tree):
    commit(kernel_tree, {PATH: BASE}, "samples: rust: add a clippy demo\n\nBase.")
    base = git(kernel_tree, "rev-parse", "HEAD").strip()
    git(kernel_tree, "checkout", "-q", "-b", "work")
    one = commit(kernel_tree, {PATH: BASE + PATCH1}, "samples: rust: read\n\nRead.")
    two = commit(kernel_tree, {PATH: BASE + PATCH1 + PATCH2}, "samples: rust: add\n\nAdd.")
    diagnostics = parse_diagnostics("make[1]: noise\n" + clippy_output(kernel_tree))
    codes = {(d.code, d.line) for d in diagnostics}
    lines = (BASE + PATCH1 + PATCH2).splitlines()
    unsafe_line = lines.index("    unsafe { *p }") + 1
    spare_line = lines.index("    let spare = a;") + 1
    assert ("clippy::undocumented_unsafe_blocks", unsafe_line) in codes
    assert ("unused_variables", spare_line) in codes
    assert ("unused_variables", 5) in codes          # the base's own warning
    repo = open_kernel_repo(str(kernel_tree))
    found = attribute(repo, base, two, diagnostics, {one: 1, two: 2})
    assert {(f.rule, f.line) for f in found[1]} == {
        ("clippy::undocumented_unsafe_blocks", unsafe_line)}
    assert {(f.rule, f.line, f.severity) for f in found[2]} == {
        ("unused_variables", spare_line, "warning")}
    assert all(f.tool == "clippy" and f.file == PATH for f in found[1] + found[2])
    assert "underscore" in found[2][0].hint


def test_without_a_build_one_info_finding_names_the_setting(kernel_tree, tmp_path):
    git(kernel_tree, "checkout", "-q", "-b", "work", "--track", "master")
    commit(kernel_tree, {PATH: BASE}, "samples: rust: add a clippy demo\n\nBase.")
    repo = open_kernel_repo(str(kernel_tree))
    series = load_series(repo)
    inputs = prepare(repo, series)
    found = series_findings(repo, series, inputs, "", 60)
    assert [(f.rule, f.severity) for f in found[1]] == [("NOT_CONFIGURED", "info")]
    assert "checks.kbuild" in found[1][0].hint
    (tmp_path / "kbuild").mkdir()
    (tmp_path / "kbuild/.config").write_text("CONFIG_64BIT=y\n# CONFIG_RUST is not set\n")
    found = series_findings(repo, series, inputs, str(tmp_path / "kbuild"), 60)
    assert [f.rule for f in found[1]] == ["NO_RUST_BUILD"]
    (tmp_path / "kbuild/.config").write_text("CONFIG_RUST=y\n")
    (tmp_path / "kbuild/source").symlink_to(tmp_path)  # built from another tree
    found = series_findings(repo, series, inputs, str(tmp_path / "kbuild"), 60)
    assert [(f.rule, f.severity) for f in found[1]] == [("OTHER_TREE", "warning")]
    assert str(tmp_path) in found[1][0].message
