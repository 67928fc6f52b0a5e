"""b4's series prerequisites against the real parts: two dependency series sent with real b4
to a real SMTP server and delivered to a real public-inbox; a series that depends on them
(`b4 prep --edit-deps`). `patchpilot series` shows them; the pre-flight's `prerequisites` line
and b4's own `b4 prep --check-deps` give the same verdicts (change-id and message-id forms,
met and unmet, base-commit present, missing, applying); `check --with-prerequisites` checks
the series applied over them in a scratch worktree and leaves the user's tree as it was.
"""

from __future__ import annotations

import email
import json
import shutil

import pytest

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4.deps import parse_check_deps
from patchpilot.core.config import Config
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.git.worktree import scratch_root
from patchpilot.core.review.mail import join_mbox
from patchpilot.core.review.prereqs import LoreSource, check_prerequisites
from patchpilot.core.review.replies import make_client
from patchpilot.core.send.preflight import prerequisites_line
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample
from tests.integration.test_send import SEND, run, set_cover
from tests.publicinbox import PublicInbox
from tests.smtp import SmtpServer, free_port

UNKNOWN_CHANGE = "20200101-nothing-here-0123456789ab"
UNKNOWN_MSGID = "nothing-here@example.org"


def post(tree, inbox, name: str, samples: list[str]) -> tuple[str, str, list[bytes]]:
    """A b4 series NAME adding the samples, sent and delivered to the list: (change-id,
    cover Message-ID, the mails). Delivered with LF line ends, as an MTA hands mail to the
    archive."""
    repo = GitRepo(tree)
    git(tree, "switch", "-q", "master")
    new_series(repo, name, fork_point="master")
    for sample in samples:
        commit(tree, {f"samples/rust/{sample}.rs": rust_sample(sample)},
               f"samples: rust: add the {sample} sample")
    set_cover(tree, f"samples: rust: {name}\n\nThe {name} series.\n")
    assert run(tree, "recipients", "--write")[0] == 0
    with SmtpServer() as smtp:
        git(tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        code, _, err = run(tree, *SEND)
        assert code == 0, err
        mails = [m.data.replace(b"\r\n", b"\n") for m in smtp.mailbox.messages]
    for raw in mails:
        inbox.deliver(raw)
    cover = email.message_from_bytes(mails[0])["Message-ID"].strip("<>")
    return load_series(repo, f"b4/{name}", light=True).change_id, cover, mails


def set_deps(tree, lines: list[str]) -> None:
    path = tree.parent / "deps.txt"
    path.write_text("\n".join(lines) + "\n")
    b4cli.run(["prep", "--edit-deps"], cwd=tree, editor=f"cp {path}")


def b4_verdicts(tree) -> dict[str, tuple[bool, str]]:
    result = b4cli.run(["prep", "--check-deps"], cwd=tree, check=False)
    assert result.returncode == 0, result.stderr
    return parse_check_deps(result.stderr + result.stdout)


def ours(tree) -> dict[str, tuple[bool, str]]:
    repo = GitRepo(tree)
    found = check_prerequisites(repo, load_series(repo), LoreSource(make_client(repo,
                                                                                 Config(repo))))
    return {v.line: (v.ok, v.reason) for v in found.verdicts}


def agree(tree) -> dict[str, tuple[bool, str]]:
    """b4's verdicts and patchpilot's: the same lines, passed alike, failed for the same
    reason (patchpilot may add git's words after b4's)."""
    theirs, mine = b4_verdicts(tree), ours(tree)
    assert list(theirs) == list(mine), (theirs, mine)
    for line, (passed, reason) in theirs.items():
        assert mine[line][0] == passed, (line, theirs, mine)
        assert mine[line][1].startswith(reason), (line, theirs, mine)
    return mine


@pytest.fixture(scope="module")
def posted_once(tmp_path_factory):
    """What `depending` builds, built once per module (two b4 sends and their delivery are
    most of this file's time): the tree saved aside, and the list's inbox, which every test
    only reads. Built inside the first test, under its isolated HOME and git config."""
    shared = {"dir": tmp_path_factory.mktemp("posted"), "inbox": None}
    yield shared
    if shared["inbox"] is not None:
        shared["inbox"].stop()


@pytest.fixture
def depending(posted_once, kernel_tree):
    """Two series on the list (dep: two patches, by change-id; other: one more sample, by
    message-id) and b4/pilot forked at dep's tip, changing dep's sample and adding its own.
    Each test gets its own copy of the tree; the inbox is shared."""
    tree, saved = kernel_tree, posted_once["dir"] / "tree"
    if posted_once["inbox"] is None:
        inbox = posted_once["inbox"] = PublicInbox(posted_once["dir"] / "pi").__enter__()
        git(tree, "config", "b4.midmask", f"{inbox.base}/%s")
        dep, _, dep_mails = post(tree, inbox, "dep", ["rust_dep", "rust_dep2"])
        _, other, other_mails = post(tree, inbox, "other", ["rust_other", "rust_other2"])
        git(tree, "switch", "-q", "b4/dep")
        new_series(GitRepo(tree), "pilot", fork_point="b4/dep")
        commit(tree, {"samples/rust/rust_dep.rs": rust_sample("rust_dep").replace(
            "(init)", "(init, changed)")}, "samples: rust: say more in the dep sample")
        commit(tree, {"samples/rust/rust_user.rs": rust_sample("rust_user")},
               "samples: rust: add the user sample")
        posted_once["values"] = (dep, other, dep_mails + other_mails)
        shutil.copytree(tree, saved, symlinks=True)
    else:
        shutil.rmtree(tree)
        shutil.copytree(saved, tree, symlinks=True)
    return (tree, *posted_once["values"])


def test_met_and_unmet_agree_with_b4_check_deps(depending):
    tree, dep, other, _ = depending
    set_deps(tree, [f"change-id: {dep}:v1", f"change-id: {UNKNOWN_CHANGE}:v1",
                    f"message-id: <{other}>", f"message-id: <{UNKNOWN_MSGID}>",
                    "base-commit: master"])
    shown = json.loads(run(tree, "series", "--json")[1])["prerequisites"]
    assert [(p["kind"], p["value"], p["revision"]) for p in shown] == [
        ("change-id", dep, 1), ("change-id", UNKNOWN_CHANGE, 1), ("message-id", other, None),
        ("message-id", UNKNOWN_MSGID, None), ("base-commit", "master", None)]
    assert f"depends    change-id: {dep}:v1" in run(tree, "series")[1]
    verdicts = agree(tree)  # unmet lines: b4 does not try to apply (no base-commit line)
    assert [ok for ok, _ in verdicts.values()] == [True, False, True, False]
    line = prerequisites_line(GitRepo(tree), load_series(GitRepo(tree)), Config(GitRepo(tree)))
    assert line.state == "fail" and UNKNOWN_CHANGE in line.detail and "+1 more" in line.detail

    set_deps(tree, [f"change-id: {dep}:v1", f"message-id: <{other}>"])
    assert agree(tree)["base-commit: MISSING"][0] is False

    set_deps(tree, [f"change-id: {dep}:v1", f"message-id: <{other}>", "base-commit: master"])
    verdicts = agree(tree)
    assert verdicts["base-commit: master"] == (True, "All patches cleanly apply")
    line = prerequisites_line(GitRepo(tree), load_series(GitRepo(tree)), Config(GitRepo(tree)))
    assert line.state == "ok" and "4 patch(es)" in line.detail, line

    git(tree, "tag", "too-late", "b4/other")  # rust_other.rs exists there: other cannot apply
    set_deps(tree, [f"change-id: {dep}:v1", f"message-id: <{other}>", "base-commit: too-late"])
    verdicts = agree(tree)
    assert verdicts["base-commit: too-late"][0] is False
    # b4 parks its failed am in .git/b4-shazam-worktree; patchpilot's scratch tree is gone
    listed = git(tree, "worktree", "list", "--porcelain")
    assert "b4-shazam-worktree" in listed and "/patchpilot/worktrees/" not in listed


def test_check_runs_over_the_prerequisites_in_a_scratch_worktree(depending):
    tree, dep, other, mails = depending
    repo = GitRepo(tree)
    set_deps(tree, [f"change-id: {dep}:v1", f"message-id: <{other}>", "base-commit: master"])
    before = (git(tree, "rev-parse", "HEAD"), git(tree, "status", "--porcelain"),
              git(tree, "worktree", "list", "--porcelain"), git(tree, "branch", "-a"))
    code, out, err = run(tree, "check", "--with-prerequisites", "--tool", "rust,commit",
                         "--json")
    assert code in (0, 1), err
    report = json.loads(out)
    applied = report["prerequisites"]
    assert applied["base"] == repo.rev_parse("master")
    assert applied["patches"] == ["[PATCH 1/2] samples: rust: add the rust_dep sample",
                                  "[PATCH 2/2] samples: rust: add the rust_dep2 sample",
                                  "[PATCH 1/2] samples: rust: add the rust_other sample",
                                  "[PATCH 2/2] samples: rust: add the rust_other2 sample"]
    # the checked commits: master, then the four posted patches, then the series
    below = git(tree, "log", "--format=%s", f"master..{applied['checked_base']}").split("\n")
    assert below[:4] == ["samples: rust: add the rust_other2 sample",
                         "samples: rust: add the rust_other sample",
                         "samples: rust: add the rust_dep2 sample",
                         "samples: rust: add the rust_dep sample"]
    on_top = git(tree, "log", "--format=%s",
                 f"{applied['checked_base']}..{applied['checked_head']}").split("\n")
    assert on_top[:2] == ["samples: rust: add the user sample",
                          "samples: rust: say more in the dep sample"]
    series = load_series(repo)
    assert report["series"]["head"] == series.head
    assert {f["commit"] for f in report["findings"]} <= {p.commit for p in series.patches}
    after = (git(tree, "rev-parse", "HEAD"), git(tree, "status", "--porcelain"),
             git(tree, "worktree", "list", "--porcelain"), git(tree, "branch", "-a"))
    assert after == before and list(scratch_root(repo).iterdir()) == []

    mbox = tree.parent / "deps.mbox"  # offline: the same patches from a saved mbox
    mbox.write_bytes(join_mbox(mails))
    git(tree, "config", "b4.midmask", f"http://127.0.0.1:{free_port()}/dead/%s")
    code, out, err = run(tree, "check", "--with-prerequisites", "--prerequisites-from",
                         str(mbox), "--tool", "commit", "--json")
    assert code in (0, 1), err
    assert json.loads(out)["prerequisites"]["patches"] == applied["patches"]
    mbox.write_bytes(join_mbox(mails[:1]))  # the cover of dep only: its patches are missing
    code, _, err = run(tree, "check", "--with-prerequisites", "--prerequisites-from",
                       str(mbox), "--tool", "commit")
    assert code == 2 and f"prerequisite change-id: {dep}:v1: No matching change-id" in err


def test_unmet_prerequisite_stops_check_with_one_line(depending):
    tree, dep, _, _ = depending
    set_deps(tree, [f"change-id: {dep}:v2", "base-commit: master"])
    code, out, err = run(tree, "check", "--with-prerequisites")
    assert code == 2 and "Traceback" not in err
    assert err.strip() == (f"patchpilot: error: prerequisite change-id: {dep}:v2: No version 2 "
                           f"found for change-id {dep} (hint: b4 prep --edit-deps, or "
                           "--prerequisites-from MBOX)")


def test_a_prerequisite_that_changes_the_checks_tools_is_refused(kernel_tree, tmp_path):
    """Patches from the list are untrusted: one that changes scripts/ (checkpatch.pl, which
    the checks run) stops the run before any tool starts."""
    tree, repo = kernel_tree, GitRepo(kernel_tree)
    new_series(repo, "tools", fork_point="master")
    script = (tree / "scripts/checkpatch.pl").read_text()
    commit(tree, {"scripts/checkpatch.pl": script + "\n# changed on the list\n"},
           "checkpatch: a change")
    commit(tree, {"samples/rust/rust_t.rs": rust_sample("rust_t")}, "samples: rust: add t")
    set_cover(tree, "checkpatch: tools\n\nA series that changes the tools.\n")
    mails = tmp_path / "mails"
    b4cli.run([*b4cli.send(output_dir=str(mails)), "--to", "list@example.org"], cwd=tree)
    change = load_series(repo).change_id
    mbox = tmp_path / "tools.mbox"
    mbox.write_bytes(join_mbox([p.read_bytes() for p in sorted(mails.glob("*.eml"))]))
    git(tree, "switch", "-q", "master")
    new_series(repo, "user", fork_point="master")
    commit(tree, {"samples/rust/rust_u.rs": rust_sample("rust_u")}, "samples: rust: add u")
    set_deps(tree, [f"change-id: {change}:v1", "base-commit: master"])
    code, out, err = run(tree, "check", "--with-prerequisites", "--prerequisites-from",
                         str(mbox))
    assert code == 1 and "Traceback" not in err
    assert "a prerequisite patch changes scripts/checkpatch.pl, which the checks run" in err
    assert out == "" and list(scratch_root(repo).iterdir()) == []
