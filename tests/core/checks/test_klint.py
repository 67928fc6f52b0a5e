"""klint: found on PATH or through checks.klint, reported by doctor, run like clippy on a
configured build, and one info finding (A27 is the lexical approximation) without it.

klint itself cannot run here: it needs its pinned nightly toolchain with rustc-dev, and a
kernel build, which these machines cannot do (no recent bindgen/libclang). Where a klint
binary must exist, these tests use a stand-in shell script that only answers `--version`,
and say so; the diagnostics path is exercised with real clippy-driver output (klint emits
the same rustc JSON)."""

from __future__ import annotations

import os
import stat

from patchpilot.core.checks.clippy import attribute, build_argv, parse_diagnostics
from patchpilot.core.checks.doctor import diagnose
from patchpilot.core.checks.inputs import prepare
from patchpilot.core.checks.klint import find_klint, klint_compiler, series_findings
from patchpilot.core.series.model import load_series, open_kernel_repo
from tests.core.checks.test_clippy import BASE, PATCH1, PATH, clippy_output
from tests.helpers import commit, git


def stand_in_klint(directory):
    """A stand-in for the klint binary (see the module docstring): it prints a version."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "klint"
    path.write_text("#!/bin/sh\necho 'klint 0.1.0 (stand-in)'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_found_on_path_or_through_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert find_klint() is None
    binary = stand_in_klint(tmp_path / "bin")
    assert find_klint(str(binary)) == str(binary)
    assert find_klint(str(tmp_path / "nope" / "klint")) is None
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    assert find_klint() == str(binary)


def test_doctor_reports_klint(slim_template, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"/usr/bin:/bin{os.pathsep}{os.environ['PATH']}")
    items = {i.name: i for i in diagnose(slim_template)}
    assert items["klint"].status == "info" and "lexical" in items["klint"].hint
    binary = stand_in_klint(tmp_path / "bin")
    item = {i.name: i for i in diagnose(slim_template, klint=str(binary))}["klint"]
    assert (item.status, item.found) == ("ok", "klint 0.1.0 (stand-in)")
    missing = {i.name: i for i in diagnose(slim_template, klint="/nonexistent/klint")}
    assert "is not an executable" in missing["klint"].hint


def test_series_findings_without_klint_or_build(kernel_tree, tmp_path):
    git(kernel_tree, "checkout", "-q", "-b", "work", "--track", "master")
    commit(kernel_tree, {PATH: BASE}, "samples: rust: add a klint demo\n\nBase.")
    repo = open_kernel_repo(str(kernel_tree))
    series = load_series(repo)
    inputs = prepare(repo, series)
    found = series_findings(repo, series, inputs, "", "/nonexistent/klint", 60)
    assert [(f.tool, f.rule, f.severity) for f in found[1]] == [
        ("klint", "NOT_FOUND", "warning")]
    binary = stand_in_klint(tmp_path / "bin")
    found = series_findings(repo, series, inputs, "", str(binary), 60)
    assert [f.rule for f in found[1]] == ["NOT_CONFIGURED"]
    assert "lexical" in found[1][0].message
    (tmp_path / "kbuild").mkdir()
    (tmp_path / "kbuild/.config").write_text("# CONFIG_RUST is not set\n")
    found = series_findings(repo, series, inputs, str(tmp_path / "kbuild"), str(binary), 60)
    assert [(f.tool, f.rule) for f in found[1]] == [("klint", "NO_RUST_BUILD")]


def test_the_build_uses_klint_as_rustc_and_attributes_its_diagnostics(kernel_tree):
    commit(kernel_tree, {PATH: BASE}, "samples: rust: add a klint demo\n\nBase.")
    base = git(kernel_tree, "rev-parse", "HEAD").strip()
    one = commit(kernel_tree, {PATH: BASE + PATCH1}, "samples: rust: read\n\nRead.")
    repo = open_kernel_repo(str(kernel_tree))
    argv = build_argv(repo, kernel_tree / "kbuild", ["samples/rust/x.o"],
                      klint_compiler("/opt/klint"))
    assert "RUSTC=/opt/klint" in argv and "CLIPPY=1" not in argv
    assert "RUSTFLAGS_MODULE=--error-format=json" in argv
    diagnostics = parse_diagnostics(clippy_output(kernel_tree))
    found = attribute(repo, base, one, diagnostics, {one: 1}, tool="klint")
    assert found[1] and all(f.tool == "klint" for f in found[1])
    assert {f.lint for f in found[1]} == {"clippy::undocumented_unsafe_blocks"}
