"""The check runner on real series in the real slim kernel tree: real git, checkpatch.pl,
rustfmt and the Rust and commit-message rules."""

from __future__ import annotations

import pytest

from patchpilot.core.checks.cache import CheckCache
from patchpilot.core.checks.runner import check_series, series_for_range
from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series.model import load_series, open_kernel_repo
from tests.helpers import commit, git, rust_sample

UNSAFE = """
/// Reads a value.
pub fn read(p: &u32) -> u32 {
    let v: Option<u32> = Some(*p);
    let x = unsafe { core::ptr::read(p) };
    x + v.unwrap()
}
"""


def make_series(tree):
    """Three patches: a clean sample, unsafe code without SAFETY plus an unwrap, and a patch
    that deletes one .rs file, renames another and adds a binary file."""
    git(tree, "checkout", "-q", "-b", "work")
    git(tree, "branch", "--set-upstream-to=master")
    commit(tree, {"samples/rust/rust_clean.rs": rust_sample("rust_clean")},
           "samples: rust: add a clean sample\n\nAdd a small sample module that prints a line.")
    commit(tree, {"samples/rust/rust_clean.rs": rust_sample("rust_clean") + UNSAFE},
           "samples: rust: clean: add a read helper\n\nRead a value through a pointer.")
    (tree / "samples/rust/blob.bin").write_bytes(bytes(range(256)))
    git(tree, "add", "-f", "samples/rust/blob.bin")
    git(tree, "mv", "samples/rust/rust_print.rs", "samples/rust/rust_printer.rs")
    commit(tree, {"samples/rust/rust_minimal.rs": None},
           "samples: rust: drop the minimal sample\n\nRemove it and rename the print sample.")
    return open_kernel_repo(str(tree))


def run(tree, use_cache=True, **flags):
    repo = open_kernel_repo(str(tree))
    series = load_series(repo)
    seen = []
    report = check_series(repo, series, Config(repo, flags=flags), use_cache=use_cache,
                          on_result=seen.append)
    return report, seen


def rules(report, index):
    return {(f.tool, f.rule, f.file, f.line) for f in report.results[index - 1].findings}


def test_findings_per_patch_and_the_json_contract(kernel_tree):
    make_series(kernel_tree)
    report, seen = run(kernel_tree)
    assert sorted(r.index for r in seen) == [1, 2, 3]
    doc = report.to_json()
    assert set(doc) == {"series", "findings", "summary"}
    assert doc["series"]["patches"] == 3 and doc["series"]["cached"] == 0
    assert set(doc["summary"]) == {"error", "warning", "info"}
    for item in doc["findings"]:
        assert set(item) == {"patch", "commit", "tool", "rule", "lint", "severity", "file",
                             "line", "message", "hint", "fix"}
        assert item["tool"] in ("checkpatch", "rustfmt", "rust", "commit", "clippy", "klint")
    line = rust_sample("rust_clean").count("\n") + UNSAFE.splitlines().index(
        "    let x = unsafe { core::ptr::read(p) };") + 1
    assert ("rust", "A4", "samples/rust/rust_clean.rs", line) in rules(report, 2)
    assert ("rust", "A10", "samples/rust/rust_clean.rs", line + 1) in rules(report, 2)
    assert not {r for r in rules(report, 1) if r[0] in ("rust", "rustfmt")}
    assert ("clippy", "NOT_CONFIGURED", None, None) in rules(report, 1)
    # klint is not installed on this machine: one info finding says A27 stands in for it.
    klint = [f for f in report.findings if f.tool == "klint"]
    assert [(f.rule, f.severity) for f in klint] == [("NOT_INSTALLED", "info")]
    assert "lexical" in klint[0].message
    a4 = next(i for i in doc["findings"] if i["rule"] == "A4")
    assert a4["lint"] == "clippy::undocumented_unsafe_blocks" and "SAFETY" in a4["hint"]
    assert report.fails("error")
    # deleted, renamed and binary files: checkpatch sees the patch, nothing crashes
    assert not [f for f in report.results[2].findings if f.rule in ("CRASH", "TIMEOUT")]


def test_cache_after_reword_and_no_cache_leaves_it(kernel_tree):
    make_series(kernel_tree)
    first, _ = run(kernel_tree)
    again, seen = run(kernel_tree)
    assert again.cached == 3 and all(r.cached for r in seen)
    assert again.to_json()["findings"] == first.to_json()["findings"]
    cache_dir = kernel_tree / ".git/patchpilot/checks-cache"
    before = {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*.json")}
    fresh, _ = run(kernel_tree, use_cache=False)
    assert fresh.cached == 0
    assert {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*.json")} == before
    # reword patch 1 and rebase the rest onto it: patches 2 and 3 keep their results
    base = git(kernel_tree, "rev-parse", "master").strip()
    git(kernel_tree, "-c", "sequence.editor=sed -i '1s/^pick/reword/'", "-c",
        "core.editor=sed -i '1s/clean sample/tidy sample/'", "rebase", "-q", "-i", base)
    after, seen = run(kernel_tree)
    assert [r.cached for r in after.results] == [False, True, True]
    assert rules(after, 2) == rules(first, 2)


def test_severity_overrides_and_kernel_profile(kernel_tree):
    make_series(kernel_tree)
    git(kernel_tree, "config", "patchpilot.checks.rules", "A10=off,rust:A4=warning")
    report, _ = run(kernel_tree)
    found = {(f.rule, f.severity) for f in report.results[1].findings if f.tool == "rust"}
    assert ("A4", "warning") in found and not any(r == "A10" for r, _ in found)
    kernel, _ = run(kernel_tree, **{"checks.profile": "kernel"})
    assert kernel.profile == "kernel"
    assert {f.tool for f in kernel.findings} <= {"checkpatch", "commit"}


def test_non_utf8_rust_file(kernel_tree):
    git(kernel_tree, "checkout", "-q", "-b", "latin1", "--track", "master")
    (kernel_tree / "samples/rust/rust_latin.rs").write_bytes(
        b"// SPDX-License-Identifier: GPL-2.0\n\n//! Caf\xe9 sample.\n")
    git(kernel_tree, "add", "samples/rust/rust_latin.rs")
    git(kernel_tree, "commit", "-q", "-s", "-m", "samples: rust: add a latin-1 file\n\nIt is.")
    report, _ = run(kernel_tree, **{"checks.tools": "rust,rustfmt"})
    assert ("rust", "UTF8", "samples/rust/rust_latin.rs", None) in rules(report, 1)


def test_timeout_kills_checkpatch_and_is_not_cached(kernel_tree):
    make_series(kernel_tree)
    report, _ = run(kernel_tree, **{"checks.timeout": "0.01", "checks.tools": "checkpatch"})
    timeouts = [f for f in report.findings if f.rule == "TIMEOUT"]
    assert timeouts and "killed" in timeouts[0].message
    assert not (kernel_tree / ".git/patchpilot/checks-cache").exists()


def test_crashing_checkpatch_shows_its_stderr(kernel_tree):
    make_series(kernel_tree)
    script = kernel_tree / "scripts/checkpatch.pl"
    lines = script.read_text().split("\n")
    script.write_text("\n".join(lines[:1] + ['die "checkpatch exploded\\n";'] + lines[1:]))
    report, _ = run(kernel_tree, **{"checks.tools": "checkpatch"})
    crashes = [f for f in report.findings if f.rule == "CRASH"]
    assert crashes and "checkpatch exploded" in crashes[0].message


def test_range_and_bad_input(kernel_tree):
    repo = make_series(kernel_tree)
    series = series_for_range(repo, "HEAD~2..HEAD")
    assert [p.subject for p in series.patches][0].endswith("add a read helper")
    with pytest.raises(PatchpilotError, match="does not name commits"):
        series_for_range(repo, "nosuch..HEAD")
    with pytest.raises(PatchpilotError, match="unknown tool"):
        run(kernel_tree, **{"checks.tools": "lint"})
    with pytest.raises(PatchpilotError, match="checks.timeout"):
        run(kernel_tree, **{"checks.timeout": "soon"})


def test_cancel_kills_the_tools_and_keeps_what_finished(kernel_tree):
    """The real checkpatch.pl of the tree, made to hang on the third patch (a hang cannot
    be had otherwise): only the cancel ends it; what finished before stays cached."""
    import threading
    repo = make_series(kernel_tree)
    series = load_series(repo, "work")
    script = kernel_tree / "scripts/checkpatch.pl"
    lines = script.read_text().split("\n")
    hang = ("sleep 600 if grep { local $/; open(PATCH, '<', $_) and <PATCH> =~ "
            "/drop the minimal sample/ } @ARGV;")
    script.write_text("\n".join(lines[:1] + [hang] + lines[1:]))
    cancel, finished = threading.Event(), []
    config = Config(repo, flags={"checks.tools": "checkpatch"})

    def cancel_when_two_finished(result):
        finished.append(result.index)
        if len(finished) == 2:
            cancel.set()

    with pytest.raises(PatchpilotError, match="checks cancelled"):
        check_series(repo, series, config, on_result=cancel_when_two_finished, jobs=3,
                     cancel=cancel)
    assert sorted(finished) == [1, 2]
    assert CheckCache(repo.git_dir).entries() == 2  # patches 1 and 2, not the killed one
    with pytest.raises(PatchpilotError, match="checks cancelled"):  # cancelled before start
        check_series(repo, series, config, use_cache=False, cancel=cancel)
