"""How patches are spread over checkpatch.pl runs: a file's patches share a run, so checkpatch
asks get_maintainer.pl about each file once per check. A real series in the slim tree."""

from __future__ import annotations

from patchpilot.core.checks.inputs import prepare
from patchpilot.core.checks.runner import checkpatch_batches
from patchpilot.core.series.model import load_series, open_kernel_repo
from tests.helpers import commit, git

A, B, C = "samples/rust/rust_minimal.rs", "samples/rust/rust_print.rs", "drivers/block/rnull.rs"


def series(tree, files: list[list[str]]):
    git(tree, "switch", "-q", "-c", "topic", "--track", "master")
    for n, names in enumerate(files, start=1):
        commit(tree, {f: (tree / f).read_text() + f"// {n}\n" for f in names}, f"misc: {n}")
    repo = open_kernel_repo(str(tree))
    return prepare(repo, load_series(repo))


def indexes(batches) -> list[list[int]]:
    return [[p.patch.index for p in batch] for batch in batches]


def test_patches_of_a_file_share_a_run(kernel_tree):
    inputs = series(kernel_tree, [[A], [B], [A], [B], [C]])
    assert indexes(checkpatch_batches(inputs, 2)) == [[1, 3, 5], [2, 4]]
    assert indexes(checkpatch_batches(inputs, 1)) == [[1, 2, 3, 4, 5]]
    assert indexes(checkpatch_batches(inputs[1:], 4)) == [[2, 4], [3], [5]]


def test_patches_linked_through_files_stay_together(kernel_tree):
    inputs = series(kernel_tree, [[A], [B], [A, B], [C]])
    assert indexes(checkpatch_batches(inputs, 2)) == [[1, 2, 3], [4]]
