"""The check cache: round trip, disabled mode, damaged entries, and keys that change when
what determines a result changes."""

from __future__ import annotations

from dataclasses import replace

from patchpilot.core.checks.cache import CheckCache
from patchpilot.core.checks.inputs import prepare
from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.profiles import load_profile
from patchpilot.core.checks.tools import ToolContext, cache_key
from patchpilot.core.series.model import load_series, open_kernel_repo
from tests.helpers import commit, git, rust_sample

FINDING = Finding("rust", "A4", "error", "a.rs", 3, "no SAFETY", "add one", fix="x", end_line=4)


def test_round_trip_and_disabled(tmp_path):
    cache = CheckCache(tmp_path)
    assert cache.get("ab" * 32) is None
    cache.put("ab" * 32, [FINDING])
    assert cache.get("ab" * 32) == [FINDING]
    assert (tmp_path / "patchpilot/checks-cache/ab").is_dir()
    off = CheckCache(tmp_path, enabled=False)
    assert off.get("ab" * 32) is None
    off.put("cd" * 32, [FINDING])
    assert cache.entries() == 1


def test_damaged_entry_is_a_miss(tmp_path):
    cache = CheckCache(tmp_path)
    cache.put("ef" * 32, [FINDING])
    next((tmp_path / "patchpilot/checks-cache").rglob("*.json")).write_text("{not json")
    assert cache.get("ef" * 32) is None


def keys(tree, profile="rust-for-linux"):
    repo = open_kernel_repo(str(tree))
    inputs = prepare(repo, load_series(repo))
    ctx = ToolContext(repo.top, load_profile(profile))
    return {(p.patch.index, t): cache_key(ctx, t, p) for p in inputs
            for t in ("checkpatch", "rustfmt", "rust", "commit")}


def test_keys_follow_content_message_and_options(kernel_tree):
    git(kernel_tree, "checkout", "-q", "-b", "work", "--track", "master")
    commit(kernel_tree, {"samples/rust/rust_k.rs": rust_sample("rust_k")}, "samples: k\n\nK.")
    first = keys(kernel_tree)
    assert keys(kernel_tree) == first
    git(kernel_tree, "commit", "-q", "--amend", "-m", "samples: rust: k\n\nK.")
    reworded = keys(kernel_tree)
    assert reworded[(1, "rust")] == first[(1, "rust")]
    assert reworded[(1, "rustfmt")] == first[(1, "rustfmt")]
    assert reworded[(1, "commit")] != first[(1, "commit")]
    assert reworded[(1, "checkpatch")] != first[(1, "checkpatch")]
    assert keys(kernel_tree, "kernel")[(1, "checkpatch")] != reworded[(1, "checkpatch")]
    (kernel_tree / "samples/rust/rust_k.rs").write_text(rust_sample("rust_k") + "\n")
    git(kernel_tree, "commit", "-q", "-a", "--amend", "--no-edit")
    changed = keys(kernel_tree)
    assert changed[(1, "rust")] != reworded[(1, "rust")]
    assert replace(FINDING, severity="info") != FINDING


def test_rust_key_follows_the_files_beside_the_touched_one(kernel_tree):
    """A driver's crate root (which says whether a module is `pub`) or a file that
    `include!`s the touched one sits beside it, not always in the same patch."""
    git(kernel_tree, "checkout", "-q", "-b", "work", "--track", "master")
    commit(kernel_tree, {"drivers/net/phy/x_part.rs": "pub fn f() {}\n"}, "net: phy: x\n\nX.")
    before = keys(kernel_tree)[(1, "rust")]
    root = kernel_tree / "drivers/net/phy/qt2025.rs"
    root.write_text(root.read_text() + "\npub mod x_part;\n")
    assert keys(kernel_tree)[(1, "rust")] != before
