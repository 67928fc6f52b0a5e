"""The false-alarm corpus: every Rust rule over every `.rs` file of the real full 6.12 tree
(Debian's linux-source), every line counted as added, with the tree's own facts (lint set,
licences, Makefiles). What remains is listed here, each with the reason it is right to report
(or, for the info-level style rules, bounded)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from patchpilot.core.checks.rust.rules import RULES, check_rust_file
from patchpilot.core.checks.rust.tree import tree_context

# (rule, file, line): every finding at warning or error level the whole tree leaves.
JUSTIFIED = {
    # A4: a `#[test]` in rust/kernel/str.rs has an unsafe block without `// SAFETY:`;
    # clippy's undocumented_unsafe_blocks flags it too (test code is not exempt there).
    ("A4", "rust/kernel/str.rs", 584),
    # A10: panics the tree keeps on purpose; each is a panic in kernel code, which a patch
    # adding it would be asked about:
    ("A10", "drivers/block/rnull.rs", 67),          # `.expect()`, commented as unreachable
    ("A10", "mm/kasan/kasan_test_rust.rs", 16),     # KASAN test module: `.unwrap()`
    ("A10", "rust/build_error.rs", 30),             # build_error(): panicking is its job
    ("A10", "rust/kernel/block/mq/request.rs", 244),  # CONFIG_DEBUG_MISC refcount checks
    ("A10", "rust/kernel/block/mq/request.rs", 261),
    ("A10", "rust/kernel/sync/arc.rs", 342),        # NonNull::new(..).unwrap() on FFI ptrs
    ("A10", "rust/kernel/sync/arc.rs", 353),
    ("A10", "rust/kernel/sync/locked_by.rs", 134),  # "mismatched owners" assertions
    ("A10", "rust/kernel/sync/locked_by.rs", 163),
    ("A10", "rust/kernel/types.rs", 171),           # ScopeGuard: invariant-backed unwraps
    ("A10", "rust/kernel/types.rs", 187),
    ("A10", "rust/kernel/types.rs", 194),
    # A26: module names that are not the object the Makefile builds: `name: "qt2025_phy"`
    # for qt2025.o and `name: "rust_asix_phy"` for ax88796b_rust.o. The kernel knows these
    # modules as qt2025 and ax88796b_rust (KBUILD_MODNAME); built in, their modinfo and
    # parameters land under the other name. True of the 6.12 tree as shipped.
    ("A26", "drivers/net/phy/qt2025.rs", 28),
    ("A26", "drivers/net/phy/ax88796b_rust.rs", 21),
}
# Info-level style rules the tree does not follow everywhere: bounded, not listed.
# A6: comments without a final period or capital (60); A9: `#[allow]` where `expect` would
# do, or cannot (16); A8 (off by default, a heuristic): constructions without INVARIANT (9);
# A14: rnull imports `Result`, `pr_info` that the prelude brings (1).
BOUNDED = {"A6": 60, "A8": 9, "A9": 16, "A14": 1}


@pytest.fixture(scope="module")
def swept(full_tree: Path):
    ctx = tree_context(full_tree)
    found = {}
    for path in sorted(full_tree.rglob("*.rs")):
        rel = str(path.relative_to(full_tree))
        text = path.read_text()
        found[rel] = check_rust_file(rel, text, range(1, text.count("\n") + 2), ctx,
                                     list(RULES))
    return found


def test_the_sweep_reads_the_whole_tree(swept, full_tree):
    assert len(swept) == len(list(full_tree.rglob("*.rs"))) > 70
    assert {"drivers/gpu/drm/drm_panic_qr.rs", "mm/kasan/kasan_test_rust.rs",
            "rust/kernel/sync/condvar.rs", "samples/rust/hostprogs/single.rs"} <= set(swept)


def test_only_the_justified_findings_remain(swept):
    serious = {(f.rule, rel, f.line) for rel, fs in swept.items() for f in fs
               if f.severity in ("error", "warning")}
    assert serious == JUSTIFIED


def test_style_findings_stay_within_their_bounds(swept):
    info = Counter(f.rule for fs in swept.values() for f in fs if f.severity == "info")
    assert set(info) <= set(BOUNDED)
    assert all(info[rule] <= bound for rule, bound in BOUNDED.items())


def test_the_new_rules_are_not_vacuous_on_the_tree(swept, full_tree):
    """The corpus stays silent because the tree is right, not because the rules see nothing:
    strip what makes the tree right and they fire."""
    ctx = tree_context(full_tree)
    arc = (full_tree / "rust/kernel/sync/arc.rs").read_text()
    undocumented = "\n".join(line for line in arc.splitlines()
                             if not line.lstrip().startswith("///"))
    a17 = check_rust_file("rust/kernel/sync/arc.rs", undocumented, range(1, 2000), ctx,
                          ["A17"])
    assert len(a17) > 10
    kasan = (full_tree / "mm/kasan/kasan_test_rust.rs").read_text()
    assert 'extern "C" fn' in kasan
    a19 = check_rust_file("mm/kasan/kasan_test_rust.rs", kasan.replace('extern "C" ', ""),
                          range(1, 100), ctx, ["A19"])
    assert [f.rule for f in a19] == ["A19"]
    condvar = (full_tree / "rust/kernel/sync/condvar.rs").read_text()
    assert "unsafe { bindings::init_wait(wait.get()) };" in condvar
    bare = condvar.replace("unsafe { bindings::init_wait(wait.get()) };",
                           "bindings::init_wait(wait.get());")
    bare = bare.replace("    fn wait_internal<", "    unsafe fn wait_internal<")
    a18 = check_rust_file("rust/kernel/sync/condvar.rs", bare, range(1, 400), ctx, ["A18"])
    assert ["bindings::init_wait" in f.message for f in a18] == [True]
