"""The deep-history test bed: the slim tree under a synthetic history shaped like a real clone."""

from __future__ import annotations

import os
import time

from patchpilot.demo import deephistory
from tests.conftest import DEEP_COMMITS
from tests.helpers import git


def test_history_sits_between_the_tree_and_the_series(deep_tree, slim_template):
    root = git(slim_template, "rev-parse", "HEAD").strip()
    assert int(git(deep_tree, "rev-list", "--count", "HEAD")) == DEEP_COMMITS + 1
    assert git(deep_tree, "rev-list", "--max-parents=0", "HEAD").strip() == root
    # each synthetic commit touches its one history/ file; the kernel files never change
    last = git(deep_tree, "show", "--name-only", "--format=%s", "HEAD").split()
    assert last[-1] == deephistory.history_path(DEEP_COMMITS - 1)
    assert git(deep_tree, "log", "--format=%H", "HEAD", "--", "rust/").strip() == root
    newest = int(git(deep_tree, "log", "-1", "--format=%ct").strip())
    assert time.time() - newest < deephistory.FRESH_FOR + 86400  # dated like a fresh clone


def test_commit_graph_as_gc_writes_it(deep_tree):
    graph = deep_tree / ".git" / "objects" / "info" / "commit-graph"
    assert graph.is_file()
    # no Bloom filters (no --changed-paths): the chunk ids BIDX/BDAT are absent
    data = graph.read_bytes()
    assert b"CDAT" in data[:256] and b"BIDX" not in data[:256]


def test_each_test_gets_a_private_clone(deep_tree, deep_template):
    git(deep_tree, "commit", "-q", "--allow-empty", "-m", "test: local only")
    assert git(deep_template, "rev-parse", "master") != git(deep_tree, "rev-parse", "master")
    pack = next((deep_tree / ".git" / "objects" / "pack").glob("*.pack"))
    assert os.stat(pack).st_nlink > 1  # hard-linked from the template, not copied
