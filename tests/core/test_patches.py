"""Commit message splitting, trailers, and file changes parsed from real git diffs."""

from __future__ import annotations

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import load_series
from patchpilot.core.series.patches import parse_trailers, split_message
from tests.helpers import commit, git, rust_sample


def test_split_message_subject_and_body():
    subject, body = split_message("rust: add x\n\nBody line.\n\nSigned-off-by: A <a@b>\n")
    assert subject == "rust: add x"
    assert body == "Body line.\n\nSigned-off-by: A <a@b>\n"


def test_split_message_subject_only():
    assert split_message("rust: add x\n") == ("rust: add x", "")


def test_trailers_of_last_paragraph_only():
    body = ("Fixes: the thing\nin the middle.\n\n"
            "Reviewed-by: R <r@x.org>\nLink: https://lore.kernel.org/r/1\n"
            "  continued\nSigned-off-by: A <a@x.org>\n")
    trailers = parse_trailers(body)
    assert [t.name for t in trailers] == ["Reviewed-by", "Link", "Signed-off-by"]
    assert trailers[1].value == "https://lore.kernel.org/r/1 continued"


def test_no_trailers_when_last_paragraph_is_prose():
    assert parse_trailers("Some text.\nMore: text here and prose\nnot a trailer\n") == []


def test_file_changes_from_real_git(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "topic")
    commit(kernel_tree, {"samples/rust/rust_new.rs": rust_sample("rust_new")}, "add")
    git(kernel_tree, "mv", "drivers/block/rnull.rs", "drivers/block/rnull2.rs")
    git(kernel_tree, "commit", "-q", "-s", "-m", "rename")
    commit(kernel_tree, {"samples/rust/rust_new.rs": None,
                         "samples/rust/Makefile": "# SPDX-License-Identifier: GPL-2.0\n"},
           "drop and edit")
    series = load_series(GitRepo(kernel_tree), base="master")
    added, renamed, mixed = (p.changes for p in series.patches)
    assert added[0].status == "added" and added[0].added == rust_sample("rust_new").count("\n")
    assert renamed[0].status == "renamed" and renamed[0].old_path == "drivers/block/rnull.rs"
    assert renamed[0].path == "drivers/block/rnull2.rs"
    by_path = {c.path: c for c in mixed}
    assert by_path["samples/rust/rust_new.rs"].status == "deleted"
    assert by_path["samples/rust/Makefile"].status == "modified"
    assert by_path["samples/rust/Makefile"].removed > 0
    assert series.patches[0].trailers[0].name == "Signed-off-by"
