"""The changelog names the Rust item that holds the changed lines, from the syntax tree: a
patch sent with real b4 to a real SMTP server, changed after it was sent, compared with real
`git range-diff`. Git's hunk header (the kernel's `*.rs diff=rust` funcname) names the item
above the hunk; patchpilot must not.
"""

from __future__ import annotations

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.checks.rust.syntax import parse
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.reroll.items import item_at
from patchpilot.core.reroll.plan import make_plan
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git
from tests.smtp import SmtpServer

SOURCE = """\
// SPDX-License-Identifier: GPL-2.0

//! A page, for the pilot.

use kernel::prelude::*;

/// A page of memory.
struct Page {
    ptr: *mut u8,
}

impl Drop for Page {
    fn drop(&mut self) {
        free(self.ptr);
    }
}

impl Page {
    fn pilot_first_byte(&self) -> u8 {
        let first = 1;
        first
    }

    /// The last byte.
    #[inline]
    fn pilot_last_byte(&self) -> u8 {
        0
    }
}

module! {
    type: Page,
    name: "rust_pilot",
    license: "GPL",
}
"""
PATH = "samples/rust/rust_pilot.rs"


def test_item_at_names_the_innermost_item():
    root = parse(SOURCE).root_node
    row = {text: i for i, text in enumerate(SOURCE.splitlines())}
    assert item_at(root, row["        let first = 1;"]) == "fn Page::pilot_first_byte"
    assert item_at(root, row["        free(self.ptr);"]) == "fn Page::drop"
    assert item_at(root, row["impl Drop for Page {"]) == "impl Drop for Page"
    assert item_at(root, row["    ptr: *mut u8,"]) == "struct Page"
    assert item_at(root, row["/// A page of memory."]) == "struct Page"  # its doc comment
    assert item_at(root, row["    #[inline]"]) == "fn Page::pilot_last_byte"
    assert item_at(root, row['    name: "rust_pilot",']) == "module!"
    assert item_at(root, row["//! A page, for the pilot."]) is None
    assert item_at(root, row["use kernel::prelude::*;"]) == "use kernel::prelude::*;"


def test_changelog_names_the_function_not_the_hunk_header(kernel_tree):
    tree = kernel_tree
    commit(tree, {PATH: SOURCE}, "samples: rust: the pilot page")  # on master: the base
    new_series(GitRepo(tree), "items", fork_point="master")
    commit(tree, {PATH: SOURCE.replace("let first = 1;", "let first = 2;")},
           "samples: rust: pilot: start at two")
    with SmtpServer() as smtp:
        git(tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        result = b4cli.run(["send", "--no-sign", "--to", "list@example.org"], cwd=tree,
                           answer="\n\n")
        assert len(smtp.mailbox.messages) == 1, result.stderr  # one patch: no cover
    commit(tree, {PATH: SOURCE.replace("let first = 1;", "let first = 3;")},
           "fixup! samples: rust: pilot: start at two")
    cover = git(tree, "rev-list", "--reverse", "master..HEAD").split()[0]
    git(tree, "-c", "sequence.editor=true", "rebase", "-q", "-i", "--autosquash", cover)

    plan = make_plan(GitRepo(tree))
    change = plan.changes[0]
    assert change.status == "changed" and change.files == [PATH]
    # git's funcname for the hunk: the item above it, not the one changed
    assert change.diff.startswith(f"@@ {PATH}: impl Drop for Page")
    assert change.functions == ["fn Page::pilot_first_byte"]
    line = next(line for line in plan.changelog if "changed" in line)
    assert line.endswith(f"changed {PATH} (fn Page::pilot_first_byte)")
    assert "drop" not in "\n".join(plan.changelog).lower()
