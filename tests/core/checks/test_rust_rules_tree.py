"""Every Rust rule over every real `.rs` file of the kernel tree, all lines counted as added."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.rules import RULES, check_rust_file
from patchpilot.core.checks.rust.tree import tree_context


@pytest.fixture(scope="module")
def swept(slim_template: Path):
    ctx = tree_context(slim_template)
    files = sorted(slim_template.rglob("*.rs"))
    found = {}
    for path in files:
        text = path.read_text()
        rel = str(path.relative_to(slim_template))
        found[rel] = check_rust_file(rel, text, range(1, text.count("\n") + 2), ctx, list(RULES))
    return found


def by_rule(swept, prefix=""):
    return Counter(f.rule for rel, fs in swept.items() if rel.startswith(prefix) for f in fs)


def test_sweep_covers_the_tree(swept):
    assert len(swept) > 60
    assert "rust/kernel/sync/arc.rs" in swept and "drivers/net/phy/qt2025.rs" in swept


def test_few_unsafe_blocks_lack_a_safety_comment(swept, slim_template):
    blocks = 0
    for path in (slim_template / "rust" / "kernel").rglob("*.rs"):
        tree = syn.parse(path.read_text())
        blocks += sum(1 for n in syn.walk(tree.root_node) if n.type == "unsafe_block")
    missing = [(rel, f.line) for rel, fs in swept.items() if rel.startswith("rust/kernel/")
               for f in fs if f.rule == "A4"]
    assert blocks > 300
    # The one known gap in 6.12 is a unit test in rust/kernel/str.rs.
    assert 0 < len(missing) <= 3
    assert all(rel == "rust/kernel/str.rs" for rel, _ in missing)


def test_known_facts_of_the_tree(swept):
    # The tree's one `dbg!` (samples/rust/rust_print.rs:35) sits in a function marked
    # `#[expect(clippy::disallowed_macros)]`, so clippy is quiet there and so are we.
    dbg = [(rel, f.line) for rel, fs in swept.items() for f in fs if f.rule == "A11"]
    assert dbg == []
    assert by_rule(swept, "drivers/")["A12"] == 0  # the drivers use the abstractions
    assert by_rule(swept, "rust/macros/")["A10"] == 0  # host code is exempt
    assert by_rule(swept, "rust/kernel/")["A10"] < 20
    prelude = [f for f in swept["drivers/block/rnull.rs"] if f.rule == "A14"]
    assert len(prelude) == 1 and "`Result`" in prelude[0].message


def test_a11_fires_on_the_samples_dbg_once_its_expect_is_gone(slim_template):
    text = (slim_template / "samples/rust/rust_print.rs").read_text()
    assert "#[expect(clippy::disallowed_macros)]\n" in text
    bare = text.replace("#[expect(clippy::disallowed_macros)]\n", "")
    found = check_rust_file("samples/rust/rust_print.rs", bare, range(1, 200),
                            tree_context(slim_template), ["A11"])
    assert [(f.line, f.lint) for f in found] == [(34, "clippy::disallowed_macros")]


def test_tree_context_reads_the_tree(slim_template):
    ctx = tree_context(slim_template)
    assert ctx.allowed_features == {"arbitrary_self_types", "lint_reasons", "used_with_arg"}
    assert {"kernel::error::Result", "core::pin::Pin", "kernel::str::CStr"} <= ctx.prelude_paths
    assert "kernel::error::code" in ctx.prelude_globs


def test_nothing_reported_when_nothing_is_added(slim_template):
    for path in sorted(slim_template.glob("rust/kernel/**/*.rs"))[:40]:
        rel = str(path.relative_to(slim_template))
        assert check_rust_file(rel, path.read_text(), set(), rules=list(RULES)) == []
