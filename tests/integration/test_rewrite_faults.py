"""A rewrite of the branch killed at any step is put back whole, and never takes newer work.

Real processes and signals: patchpilot runs `recipients --write` or `reroll --write-changelog
--per-patch` as a process of its own, and a thin wrapper around the real b4 (or git, for the
`commit-tree` of the per-patch notes) signals it (SIGKILL, SIGINT, SIGHUP) right before or
right after one step; after SIGKILL the real step still runs to its end, as it does when its
parent dies. Afterwards the branch is exactly as before the
rewrite (tip, b4's cover and tracking in git config, a clean tree), a half-done state is kept
under a backup ref, and the command then works. And a stale journal left by such a kill must
not rewind a series that was sent since (issue 18, case 5).
"""

from __future__ import annotations

import shutil
import signal

import pytest

from patchpilot.core.b4 import state as b4state
from patchpilot.core.b4.tracking import config_keys
from patchpilot.core.git import rewrite
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import load_series
from tests.faults import SIGNALS, b4_that_signals, git_that_signals, spawn, struck, wait_idle
from tests.helpers import git
from tests.integration.test_send import SEND, point_at, run, rust_series
from tests.integration.test_send_faults import amend_alpha
from tests.smtp import SmtpServer

NEW = "New Reviewer <new.reviewer@example.org>"
BRANCH = "b4/pilot"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return {"dir": tmp_path_factory.mktemp("built")}


def cached(built, name, tree, build):
    """`build(tree)` once per module; later tests get a copy of what it left."""
    saved = built["dir"] / name
    if saved.exists():
        shutil.rmtree(tree)
        shutil.copytree(saved, tree, symlinks=True)
    else:
        build(tree)
        shutil.copytree(tree, saved, symlinks=True)
    return tree


def with_strategy(strategy):
    def build(tree):
        git(tree, "config", "b4.prep-cover-strategy", strategy)
        rust_series(tree)
    return build


def sent_then_amended(tree):
    """v1 sent, patch 1 reworked: ready for `reroll --write-changelog --per-patch`."""
    rust_series(tree)
    with SmtpServer() as smtp:
        point_at(tree, smtp)
        code, _, err = run(tree, *SEND)
        assert code == 0, err
    amend_alpha(tree, code=True)


def snapshot(repo: GitRepo) -> tuple:
    """The branch, b4's git-config cover and tracking, and the work tree's state."""
    return (repo.rev_parse(f"refs/heads/{BRANCH}"),
            rewrite.config_values(repo, config_keys(BRANCH)),
            git(repo.top, "status", "--porcelain"))


def kill_during(tree, tmp_path, argv, match, when, sig, nth=1, tool="b4"):
    wrap = b4_that_signals if tool == "b4" else git_that_signals
    env = wrap(tmp_path / tool, match, when, sig, nth)
    proc = spawn(tree, *argv, env=env)
    _, err = proc.communicate(timeout=300)
    assert struck(env), err
    assert "Traceback" not in err, err
    wait_idle(tree)  # after SIGKILL, b4 finishes its step alone
    return proc.returncode, err


# -- 5: a stale rewrite journal and a send made since -----------------------------------------

@pytest.mark.parametrize("strategy", ["commit", "branch-description"])
def test_a_stale_rewrite_journal_never_rewinds_a_sent_series(built, kernel_tree, tmp_path,
                                                             strategy):
    tree = cached(built, strategy, kernel_tree, with_strategy(strategy))
    repo = GitRepo(tree)
    kill_during(tree, tmp_path, ["recipients", "--add-cc", NEW, "--write"],
                "prep --auto-to-cc", "after", signal.SIGKILL)
    assert rewrite.history(repo)[-1].state == "started"
    assert "new.reviewer@example.org" in load_series(repo).cover_body  # b4 wrote the cover
    with SmtpServer() as smtp:
        point_at(tree, smtp)
        code, _, err = run(tree, *SEND)
        assert code == 0, err
        assert any("new.reviewer@example.org" in ", ".join(m.rcpt_tos)
                   for m in smtp.mailbox.messages)
    sent = snapshot(repo)
    code, out, err = run(tree, "reroll")
    assert "Traceback" not in out + err, err
    # said once, as left alone (not as taken back): the send since is kept
    assert "interrupted rewrite (write the recipients) was left alone: b4's tracking " \
        "changed since" in err and "is back at" not in err, err
    assert snapshot(repo) == sent  # not rewound
    series = load_series(repo)
    assert series.revision == 2 and [s.revision for s in series.sent] == [1]
    assert "Cc: New Reviewer <new.reviewer@example.org>" in series.cover_body
    stale = [e for e in rewrite.history(repo) if e.what == "write the recipients"][-1]
    assert stale.state == "abandoned" and "b4's tracking changed" in stale.note


@pytest.mark.parametrize("strategy", ["commit", "branch-description"])
def test_a_rewrite_killed_after_its_last_step_is_put_back_when_nothing_moved(
        built, kernel_tree, tmp_path, strategy):
    tree = cached(built, strategy, kernel_tree, with_strategy(strategy))
    repo = GitRepo(tree)
    before = snapshot(repo)
    kill_during(tree, tmp_path, ["recipients", "--add-cc", NEW, "--write"],
                "prep --auto-to-cc", "after", signal.SIGKILL)
    half = snapshot(repo)
    assert half != before
    code, out, err = run(tree, "reroll")  # recovers first (then finds nothing sent)
    assert "Traceback" not in out + err
    assert "an interrupted rewrite (write the recipients) was found" in err, err
    assert snapshot(repo) == before
    entry = rewrite.history(repo)[-1]
    assert entry.state == "recovered" and entry.config_after == half[1]
    backups = git(tree, "for-each-ref", "--format=%(objectname)", rewrite.BACKUP_PREFIX)
    assert half[0] in backups.split()


# -- signals at every step of each rewrite ------------------------------------------------------

REWRITES = {  # name: (how the tree is built, the command, its steps as (tool, command, nth))
    "recipients": (with_strategy("commit"),
                   ["recipients", "--remove", "tmgross@umich.edu", "--add-cc", NEW, "--write"],
                   [("b4", "prep --edit-cover", 1), ("b4", "prep --auto-to-cc", 1)]),
    "changelog": (sent_then_amended, ["reroll", "--write-changelog", "--per-patch", "--yes"],
                  # the first edit-cover only reads the cover; commit-tree: the patch notes
                  [("b4", "prep --edit-cover", 2), ("git", "commit-tree .*", 1)]),
}
CASES = [(name, tool, step, nth, when) for name, (_, _, steps) in REWRITES.items()
         for tool, step, nth in steps for when in ("before", "after")]


@pytest.mark.parametrize("signame", ["SIGKILL", "SIGINT", "SIGHUP"])
@pytest.mark.parametrize("name,tool,step,nth,when", CASES)
def test_signal_at_each_step_of_each_rewrite(built, kernel_tree, tmp_path, name, tool, step,
                                             nth, when, signame):
    build, argv, _ = REWRITES[name]
    tree = cached(built, name, kernel_tree, build)
    repo = GitRepo(tree)
    before = snapshot(repo)
    code, err = kill_during(tree, tmp_path, argv, step, when, SIGNALS[signame], nth, tool)
    if signame != "SIGKILL":  # stopped as Ctrl-C stops it: put back at once, one line
        assert code == 1 and err.strip().splitlines()[-1] == "patchpilot: error: interrupted"
        assert snapshot(repo) == before
    half = snapshot(repo)
    b4state.recover(repo, BRANCH)  # what the next rewrite, reroll or the TUI does first
    assert snapshot(repo) == before
    assert not [e for e in rewrite.history(repo) if e.state == "started"]
    if half[0] != before[0]:
        backups = git(tree, "for-each-ref", "--format=%(objectname)", rewrite.BACKUP_PREFIX)
        assert half[0] in backups.split()  # the half-done state is kept
    code, out, err = run(tree, *argv)  # and the rewrite then works
    assert code == 0, err
    cover = load_series(repo).cover_body
    if name == "recipients":
        assert "new.reviewer@example.org" in cover and "tmgross@umich.edu" not in cover
    else:
        assert "EDITME" not in cover.split("---")[0]
