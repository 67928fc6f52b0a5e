"""B2: the subject prefix is checked against what the touched files' real git history uses."""

from __future__ import annotations

import io
import json

from patchpilot.cli.main import main
from patchpilot.core.checks.prefix import history_prefix, subject_prefix
from tests.helpers import commit, git, rust_sample

PHY = "drivers/net/phy/ax88796b_rust.rs"


def grow_history(tree) -> None:
    for n, subject in enumerate(["net: phy: ax88796b_rust: tidy imports",
                                 "net: phy: ax88796b_rust: document the driver",
                                 "rust: net: phy: rename a helper"]):
        path = tree / PHY
        commit(tree, {PHY: path.read_text() + f"// History {n}.\n"}, subject)


def b2_findings(tree) -> list[dict]:
    out = io.StringIO()
    main(["-C", str(tree), "check", "master..", "--tool", "commit", "--json"], stdout=out,
         stderr=io.StringIO())
    return [f for f in json.loads(out.getvalue())["findings"] if f["rule"] == "B2"]


def test_subject_prefix():
    assert subject_prefix("net: phy: ax88796b_rust: add x") == "net: phy: ax88796b_rust"
    assert subject_prefix("Revert \"rust: x: y\"") is None and subject_prefix("no prefix") is None


def test_history_prefix_needs_agreement(kernel_tree):
    assert history_prefix(kernel_tree, "HEAD", [PHY]) is None  # one upstream commit only
    grow_history(kernel_tree)
    assert history_prefix(kernel_tree, "HEAD", [PHY]) == "net: phy: ax88796b_rust"


def test_wrong_prefix_gets_the_history_one_as_fix(kernel_tree):
    grow_history(kernel_tree)
    git(kernel_tree, "switch", "-q", "-c", "topic")
    path = kernel_tree / PHY
    commit(kernel_tree, {PHY: path.read_text() + "// New.\n"}, "phy: ax88796b: add a note")
    found = b2_findings(kernel_tree)
    assert len(found) == 1 and "net: phy: ax88796b_rust: " in found[0]["message"]
    assert found[0]["fix"] == "net: phy: ax88796b_rust: add a note"


def test_matching_prefix_is_quiet(kernel_tree):
    grow_history(kernel_tree)
    git(kernel_tree, "switch", "-q", "-c", "topic")
    path = kernel_tree / PHY
    commit(kernel_tree, {PHY: path.read_text() + "// New.\n"},
           "net: phy: ax88796b_rust: add a note")
    assert b2_findings(kernel_tree) == []


def test_without_history_the_rust_convention_applies(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "topic")
    commit(kernel_tree, {"samples/rust/rust_q.rs": rust_sample("rust_q")}, "misc: add q")
    out = io.StringIO()
    main(["-C", str(kernel_tree), "check", "master..", "--tool", "commit", "--json"],
         stdout=out, stderr=io.StringIO())
    messages = [f["message"] for f in json.loads(out.getvalue())["findings"]]
    assert any("samples: rust: " in m for m in messages)
