"""b4's cover-commit search, remembered per branch tip (core/b4/coversearch.py): real git and
real b4 series on the slim tree; git's own trace (GIT_TRACE2_EVENT) shows which searches ran.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from patchpilot.core.b4 import coversearch
from patchpilot.core.b4.tracking import MARKER, find_cover_commit, read_tracking
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import summarize
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample


def searches(trace: Path) -> list[list[str]]:
    """The `git log --grep=MARKER` runs (b4's year-long search) in a trace."""
    events = [json.loads(line) for line in trace.read_text().splitlines()] \
        if trace.exists() else []
    return [e["argv"][1:] for e in events
            if e["event"] == "start" and f"--grep={MARKER}" in e["argv"]]


def traced(monkeypatch, trace: Path, call):
    trace.unlink(missing_ok=True)
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    try:
        return call()
    finally:
        monkeypatch.delenv("GIT_TRACE2_EVENT")


def b4_series(tree: Path) -> GitRepo:
    repo = GitRepo(tree)
    new_series(repo, "pilot", fork_point="master")
    commit(tree, {"samples/rust/rust_a.rs": rust_sample("rust_a")}, "samples: rust: add a")
    return repo


def test_a_plain_branch_is_searched_once_per_tip(kernel_tree, tmp_path, monkeypatch):
    repo = b4_series(kernel_tree)
    trace = tmp_path / "trace.json"
    git(kernel_tree, "branch", "old-topic", "master")
    first = traced(monkeypatch, trace, lambda: summarize(repo))
    assert [s.branch for s in first] == ["b4/pilot"]
    (search,) = searches(trace)  # one search of the last year for the three branches
    tips = {git(kernel_tree, "rev-parse", b).strip() for b in ("master", "b4/pilot")}
    assert tips <= set(search)
    again = traced(monkeypatch, trace, lambda: summarize(repo))
    assert searches(trace) == [] and again == first  # both answers remembered
    # master moves: only its new commits are searched
    old = git(kernel_tree, "rev-parse", "master").strip()
    git(kernel_tree, "switch", "-q", "master")
    git(kernel_tree, "commit", "-q", "--allow-empty", "-m", "misc: on top")
    git(kernel_tree, "switch", "-q", "b4/pilot")
    assert traced(monkeypatch, trace, lambda: read_tracking(repo, "master")) is None
    (search,) = searches(trace)
    assert f"^{old}" in search


def test_new_commits_with_a_cover_are_found(kernel_tree, tmp_path, monkeypatch):
    repo = b4_series(kernel_tree)
    assert find_cover_commit(repo, "master") is None
    cover = find_cover_commit(repo, "b4/pilot")
    assert cover is not None
    git(kernel_tree, "branch", "-f", "master", "b4/pilot")  # master now holds the cover
    found = find_cover_commit(repo, "master")
    assert found is not None and found.sha == cover.sha
    assert find_cover_commit(repo, "master").sha == cover.sha  # remembered, same answer


def test_the_committer_is_part_of_the_question(kernel_tree):
    repo = b4_series(kernel_tree)
    assert find_cover_commit(repo, "b4/pilot") is not None
    git(kernel_tree, "config", "user.email", "someone.else@example.org")
    assert find_cover_commit(repo, "b4/pilot") is None  # b4 ignores it too
    assert coversearch.find(repo, "b4/pilot", MARKER, None) is not None


def test_a_remembered_cover_ages_out_like_bs_search(kernel_tree, tmp_path, monkeypatch):
    repo = b4_series(kernel_tree)
    trace = tmp_path / "trace.json"
    assert find_cover_commit(repo, "b4/pilot") is not None
    traced(monkeypatch, trace, lambda: find_cover_commit(repo, "b4/pilot"))
    assert searches(trace) == []  # remembered
    # The clock is the one thing no real part here can move (a fake clock, for this only):
    # two years on, b4's `--since=1.year` would no longer reach the cover, so the remembered
    # answer is not trusted and the search runs again.
    later = time.time() + 2 * coversearch.YEAR
    monkeypatch.setattr(coversearch.time, "time", lambda: later)
    traced(monkeypatch, trace, lambda: find_cover_commit(repo, "b4/pilot"))
    assert len(searches(trace)) == 1
