"""The real rustfmt with a real kernel tree's .rustfmt.toml, on real commits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patchpilot.core.checks.model import apply_fixes
from patchpilot.core.checks.patchmap import added_lines
from patchpilot.core.checks.rustfmt import (
    DEFAULT_SKIPS,
    Rustfmt,
    check_rustfmt,
    is_skipped,
    rustfmt_config,
)
from tests.helpers import commit, git, rust_sample

MINIMAL = "samples/rust/rust_minimal.rs"
# Read at import, before the autouse fixture moves HOME: rustup finds its toolchains here.
RUSTUP_HOME = os.environ.get("RUSTUP_HOME") or str(Path.home() / ".rustup")
CARGO_HOME = os.environ.get("CARGO_HOME") or str(Path.home() / ".cargo")


@pytest.fixture(autouse=True)
def real_toolchain(isolated_env, monkeypatch):
    monkeypatch.setenv("RUSTUP_HOME", RUSTUP_HOME)
    monkeypatch.setenv("CARGO_HOME", CARGO_HOME)


def test_rustfmt_that_cannot_run_is_a_finding(kernel_tree, monkeypatch, tmp_path):
    monkeypatch.setenv("RUSTUP_HOME", str(tmp_path / "no-rustup"))
    found = check_rustfmt("samples/rust/x.rs", "fn f() {}\n", {1}, rustfmt_config(kernel_tree))
    assert [(f.rule, f.severity, f.line) for f in found] == [("TOOL", "error", None)]
    assert found[0].message.startswith("rustfmt did not run")


def post_image(tree: Path, path: str, rev: str = "HEAD") -> tuple[str, set[int]]:
    patch = git(tree, "format-patch", "-1", "--stdout", rev)
    return git(tree, "show", f"{rev}:{path}"), added_lines(patch).get(path, set())


def test_the_real_tree_is_rustfmt_clean(slim_template):
    config = rustfmt_config(slim_template)
    assert config.edition == "2021" and config.config_path.name == ".rustfmt.toml"
    files = [p for p in sorted(slim_template.rglob("*.rs"))]
    assert len(files) > 60
    for path in files:
        text = path.read_text()
        rel = str(path.relative_to(slim_template))
        assert check_rustfmt(rel, text, range(1, text.count("\n") + 2), config) == [], rel


def test_skips_come_from_the_makefile(kernel_tree):
    config = rustfmt_config(kernel_tree)
    assert config.skips == DEFAULT_SKIPS
    makefile = kernel_tree / "Makefile"
    makefile.write_text(makefile.read_text().replace("grep -Fv generated",
                                                     "grep -Fv generated | grep -Fv vendored"))
    config = rustfmt_config(kernel_tree)
    assert ("substring", "vendored") in config.skips
    assert is_skipped("rust/alloc/vec/mod.rs", config)
    assert is_skipped("drivers/gpu/vendored_x.rs", config)
    assert not is_skipped("rust/kernel/alloc.rs", config)


def test_added_badly_formatted_lines_are_reported_with_a_fix(kernel_tree):
    text = (kernel_tree / MINIMAL).read_text()
    anchor = "impl Drop for RustMinimal {"
    bad = ("fn helper(a:u32,b:u32)->u32{a+b}\n\n"
           "fn fine(a: u32) -> u32 {\n    a\n}\n\n")
    commit(kernel_tree, {MINIMAL: text.replace(anchor, bad + anchor)},
           "samples: rust: minimal: add helpers\n\nAdd two helpers.")
    post, added = post_image(kernel_tree, MINIMAL)
    config = rustfmt_config(kernel_tree)
    found = check_rustfmt(MINIMAL, post, added, config)
    bad_line = post.splitlines().index("fn helper(a:u32,b:u32)->u32{a+b}") + 1
    assert [(f.line, f.rule, f.severity) for f in found] == [(bad_line, "A1", "warning")]
    assert "fn helper(a: u32, b: u32) -> u32 {" in found[0].fix
    fixed = apply_fixes(post, found)
    assert check_rustfmt(MINIMAL, fixed, range(1, fixed.count("\n") + 2), config) == []


def test_lines_the_patch_did_not_add_are_not_reported(kernel_tree):
    path = "samples/rust/rust_extra.rs"
    messy = rust_sample("rust_extra").replace("struct RustExtra;", "struct  RustExtra ;")
    commit(kernel_tree, {path: messy}, "samples: rust: add extra\n\nAdd it.")
    tidy = messy + "\nfn later() {}\n"
    commit(kernel_tree, {path: tidy}, "samples: rust: extra: add later\n\nAdd it.")
    config = rustfmt_config(kernel_tree)
    post, added = post_image(kernel_tree, path)
    assert added and check_rustfmt(path, post, added, config) == []
    first, first_added = post_image(kernel_tree, path, "HEAD~1")
    assert [f.line for f in check_rustfmt(path, first, first_added, config)] == [
        first.splitlines().index("struct  RustExtra ;") + 1]


def test_syntax_error_and_skipped_files(kernel_tree):
    config = rustfmt_config(kernel_tree)
    broken = check_rustfmt("samples/rust/x.rs", "fn f( {\n", {1}, config)
    assert [(f.severity, f.line) for f in broken] == [("error", 1)]
    assert "unclosed delimiter" in broken[0].message
    assert check_rustfmt("rust/alloc/x.rs", "fn  f( ){}\n", {1}, config) == []
    assert check_rustfmt("rust/kernel/x.rs", "fn  f( ){}\n", {1}, config) != []


def test_as_a_check(kernel_tree):
    check = Rustfmt(kernel_tree)
    result = check.run([[("samples/rust/a.rs", "fn  f() {}\n", {1})],
                        [("samples/rust/b.rs", "fn f() {}\n", {1})]])
    assert [[f.file for f in p] for p in result] == [["samples/rust/a.rs"], []]
