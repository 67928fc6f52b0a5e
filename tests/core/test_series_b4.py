"""The series model against real b4 state: all three cover strategies, enroll, sent history.

Every expectation is read from b4 itself (`b4 prep --show-info`) or from git, never typed in.
"""

from __future__ import annotations

import pytest

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import load_series, summarize
from patchpilot.core.series.prep import enroll, new_series
from tests.helpers import commit, git, rust_sample
from tests.smtp import SmtpServer


def show_info(tree) -> dict:
    return b4cli.parse_show_info(b4cli.run(b4cli.prep_show_info(), cwd=tree).stdout)


def add_patches(tree, count: int = 2) -> list[str]:
    shas = [commit(tree, {"samples/rust/rust_one.rs": rust_sample("rust_one")},
                   "samples: rust: add the one sample")]
    if count > 1:
        shas.append(commit(tree, {"samples/rust/rust_two.rs": rust_sample("rust_two")},
                           "samples: rust: add the two sample"))
    return shas


def assert_matches_b4(series, tree) -> None:
    info = show_info(tree)
    assert series.base == info["base-commit"]
    assert series.revision == int(info["revision"])
    assert series.change_id == info["change-id"]
    assert series.cover_subject == info["cover-subject"]
    assert series.head == info["end-commit"]
    b4_commits = [k.split("-", 1)[1] for k in info if k.startswith("commit-")]
    ours = [p.commit[: len(c)] for p, c in zip(reversed(series.patches), b4_commits)]
    assert ours == b4_commits and len(series.patches) == len(b4_commits)


@pytest.mark.parametrize("strategy", ["commit", "branch-description"])
def test_b4_branch_matches_show_info(kernel_tree, strategy):
    git(kernel_tree, "config", "b4.prep-cover-strategy", strategy)
    repo = GitRepo(kernel_tree)
    fresh = new_series(repo, "demo", fork_point="master")
    assert fresh.b4_managed and fresh.patches == [] and fresh.strategy == strategy
    shas = add_patches(kernel_tree)
    series = load_series(repo)
    assert [p.commit for p in series.patches] == shas
    assert [p.index for p in series.patches] == [1, 2]
    assert series.patches[0].files == ["samples/rust/rust_one.rs"]
    assert_matches_b4(series, kernel_tree)


def test_patch_ids_are_git_patch_id_stable(kernel_tree):
    repo = GitRepo(kernel_tree)
    new_series(repo, "ids", fork_point="master")
    add_patches(kernel_tree)
    for patch in load_series(repo).patches:
        diff = git(kernel_tree, "show", patch.commit)
        expected = git(kernel_tree, "patch-id", "--stable", input=diff).split()[0]
        assert patch.patch_id == expected


@pytest.mark.parametrize("strategy", ["commit", "branch-description", "tip-commit"])
def test_enroll_plain_branch(kernel_tree, strategy):
    git(kernel_tree, "config", "b4.prep-cover-strategy", strategy)
    git(kernel_tree, "switch", "-q", "-c", "work")
    shas = add_patches(kernel_tree)
    series = enroll(GitRepo(kernel_tree), "master")
    assert series.b4_managed and series.branch == "work"
    # b4 inserts its cover commit under the series, so the commits are rewritten: compare
    # subjects and the base, and everything else with b4 itself.
    assert [p.subject for p in series.patches] == [
        git(kernel_tree, "log", "-1", "--format=%s", s).strip() for s in shas]
    assert series.base == git(kernel_tree, "rev-parse", "master").strip()
    assert_matches_b4(series, kernel_tree)


def test_tip_commit_ignores_commits_above_the_cover(kernel_tree):
    """b4 keeps a tip-commit cover at the tip; commits above it are not in the series."""
    git(kernel_tree, "config", "b4.prep-cover-strategy", "tip-commit")
    repo = GitRepo(kernel_tree)
    new_series(repo, "tip", fork_point="master")
    add_patches(kernel_tree, 1)
    series = load_series(repo, allow_empty=True)
    assert series.patches == []
    assert any("above the cover" in w for w in series.warnings)


def test_sent_history_after_real_b4_send(kernel_tree):
    repo = GitRepo(kernel_tree)
    new_series(repo, "sent", fork_point="master")
    add_patches(kernel_tree)
    with SmtpServer() as smtp:
        git(kernel_tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        git(kernel_tree, "config", "b4.send-same-thread", "no")
        result = b4cli.run(["send", "--no-sign", "--to", "list@example.org"], cwd=kernel_tree,
                           answer="\n\n")
        assert len(smtp.mailbox.messages) == 3, result.stderr
    series = load_series(repo)
    assert series.revision == 2
    assert [s.revision for s in series.sent] == [1]
    sent = series.sent[0]
    assert sent.tag == f"sent/{series.change_id}-v1"
    cover = smtp.mailbox.messages[0].data.decode()
    assert any(f"Message-Id: <{m.strip('<>')}>".lower() in cover.lower() for m in sent.msgids)
    summary = next(s for s in summarize(repo) if s.branch == "b4/sent")
    assert summary.sent_revisions == [1] and summary.patch_count == 2


def test_plain_branch_uses_upstream_merge_base(kernel_tree):
    base = git(kernel_tree, "rev-parse", "HEAD").strip()
    git(kernel_tree, "switch", "-q", "-c", "topic")
    git(kernel_tree, "branch", "--set-upstream-to=master")
    shas = add_patches(kernel_tree)
    series = load_series(GitRepo(kernel_tree))
    assert not series.b4_managed and series.change_id is None
    assert series.base == base and series.head == shas[-1]
    assert [p.commit for p in series.patches] == shas


def test_plain_branch_with_explicit_base(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "topic")
    first, second = add_patches(kernel_tree)
    series = load_series(GitRepo(kernel_tree), base=first)
    assert series.base == first and [p.commit for p in series.patches] == [second]


def test_summary_lists_b4_branches_and_current(kernel_tree):
    repo = GitRepo(kernel_tree)
    new_series(repo, "one", fork_point="master")
    add_patches(kernel_tree, 1)
    git(kernel_tree, "switch", "-q", "master")
    new_series(repo, "two", fork_point="master")
    git(kernel_tree, "switch", "-q", "-c", "plain", "master")
    names = {s.branch: s for s in summarize(repo)}
    assert set(names) == {"b4/one", "b4/two", "plain"}
    assert names["b4/one"].patch_count == 1 and names["b4/two"].patch_count == 0
    assert names["plain"].current and not names["plain"].b4_managed
    assert "--base" in names["plain"].problem
