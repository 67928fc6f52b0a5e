"""The send-time changes against a real SMTP server (aiosmtpd on loopback) with real b4:
Bcc recipients (a flag and the series' own) delivered and named in no header, the series
threaded under a given message (--in-reply-to), trailers stripped from the mailed patches
only and shown in the preview; the CLI pre-flight table; --branch on send and cover.
"""

from __future__ import annotations

import email
import json

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send.log import SendLog
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample
from tests.integration.test_send import SEND, point_at, received, run, set_cover
from tests.smtp import SmtpServer

DISCUSSION = "<20261130-a-thread@example.org>"
BOSS, ARCHIVE = "boss@example.org", "archive@example.org"
CHANGE_IDS = ("I1111111111111111111111111111111111111111",
              "I2222222222222222222222222222222222222222")


def tagged_series(tree) -> GitRepo:
    """Two Rust patches whose messages carry Gerrit Change-Ids and an Upstream-Status."""
    repo = GitRepo(tree)
    new_series(repo, "tagged", fork_point="master")
    for name, change in zip(("alpha", "beta"), CHANGE_IDS):
        commit(tree, {f"samples/rust/rust_{name}.rs": rust_sample(f"rust_{name}")},
               f"samples: rust: add the {name} sample\n\nA sample.\n\nChange-Id: {change}\n"
               "Upstream-Status: Pending")
    set_cover(tree, "samples: rust: two tagged samples\n\nTwo samples.\n")
    code, _, err = run(tree, "recipients", "--add-bcc", ARCHIVE, "--write")
    assert code == 0, err
    git(tree, "config", "patchpilot.send.strip-trailers", "Change-Id, upstream-status")
    return repo


def test_bcc_threading_and_stripped_trailers_reach_a_real_server(kernel_tree):
    repo = tagged_series(kernel_tree)
    code, out, _ = run(kernel_tree, "recipients", "--json")
    assert json.loads(out)["bcc"] == [ARCHIVE]
    extra = ("--bcc", BOSS, "--in-reply-to", DISCUSSION)
    code, out, err = run(kernel_tree, "send", "--dry-run", "--json", *extra)
    assert code == 0, err
    shown = json.loads(out)
    assert shown["bcc"] == [BOSS, ARCHIVE]
    assert [m["stripped"] for m in shown["messages"]] == [
        [], [f"Change-Id: {CHANGE_IDS[0]}", "Upstream-Status: Pending"],
        [f"Change-Id: {CHANGE_IDS[1]}", "Upstream-Status: Pending"]]
    assert shown["messages"][0]["in_reply_to"] == DISCUSSION
    code, text, _ = run(kernel_tree, "send", "--dry-run", *extra)
    assert "stripped from patch 1 as mailed (the branch keeps them): Change-Id: I111" in text
    assert f"bcc (delivered, in no header): {BOSS}, {ARCHIVE}" in text
    assert "Change-Id: I" not in text.split("stripped from")[0]  # not in the messages shown

    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        code, out, err = run(kernel_tree, *SEND, *extra)
        assert code == 0, err
        mails, envelopes = received(smtp), smtp.mailbox.messages
    assert len(mails) == 3
    for mail, envelope in zip(mails, envelopes):
        assert {BOSS, ARCHIVE} <= set(envelope.rcpt_tos)  # delivered to both
        assert mail["Bcc"] is None
        assert BOSS.encode() not in envelope.data and ARCHIVE.encode() not in envelope.data
        body = mail.get_payload(decode=True).decode()
        assert "Change-Id:" not in body and "Upstream-Status" not in body
    cover, patches = mails[0], mails[1:]
    assert cover["In-Reply-To"] == DISCUSSION and cover["References"] == DISCUSSION
    for patch in patches:
        assert patch["In-Reply-To"] == cover["Message-ID"]
        assert patch["References"].split() == [DISCUSSION, cover["Message-ID"]]
        assert "Signed-off-by: Test Dev <dev@example.org>" in \
            patch.get_payload(decode=True).decode()
    # the branch, and b4's record of what was sent, keep the trailers
    tag = load_series(repo).sent[0].tag
    for ref in ("HEAD", tag):
        log = git(kernel_tree, "log", "--format=%B", "-n", "2", ref)
        assert all(change in log for change in CHANGE_IDS), ref
    attempt = SendLog(repo.git_dir, load_series(repo).change_id, "b4/tagged").attempts[-1]
    assert all({BOSS, ARCHIVE} <= set(m["rcpt"]) for m in attempt.messages)

    # the pre-flight: a table on stdout, only what is not ok on stderr
    assert out.startswith("pre-flight:\n  identity ")
    assert "\n  checks         override  not run (--no-checks)" in out
    assert "pre-flight checks overridden: not run (--no-checks)" in err
    assert "identity" not in err and "clean-tree" not in err


def test_reflect_and_preview_never_bcc(kernel_tree):
    tagged_series(kernel_tree)
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        code, _, err = run(kernel_tree, "send", "--reflect", "--yes", "--bcc", BOSS)
        assert code == 0, err
        assert [m.rcpt_tos for m in smtp.mailbox.messages] == [["dev@example.org"]] * 3
        assert all("Change-Id" not in m.get_payload(decode=True).decode()
                   for m in received(smtp))


def test_bad_values_and_other_branches_are_one_line(kernel_tree, tmp_path):
    tagged_series(kernel_tree)
    for argv, needle in ((("--in-reply-to", "not a msgid"), "is not a Message-ID"),
                         (("--bcc", "nobody"), "is not an e-mail address")):
        code, _, err = run(kernel_tree, "send", "--dry-run", *argv)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    git(kernel_tree, "switch", "-q", "master")
    code, out, err = run(kernel_tree, "cover", "--branch", "b4/tagged")
    assert code == 0 and "[PATCH 0/2] samples: rust: two tagged samples" in out, err
    code, _, err = run(kernel_tree, "send", "--dry-run", "--branch", "b4/tagged")
    assert code == 2 and "b4/tagged is not checked out" in err and "git switch b4/tagged" in err
    git(kernel_tree, "switch", "-q", "b4/tagged")
    code, out, err = run(kernel_tree, "export", str(tmp_path / "out"), "--json", "--bcc", BOSS)
    assert code == 0, err
    exported = json.loads(out)
    assert f"--bcc={BOSS}" in exported["command"] and f"--bcc={ARCHIVE}" in exported["command"]
    texts = [open(f).read() for f in exported["files"]]
    assert all("Change-Id" not in t for t in texts[1:]) and "Bcc" not in "".join(texts)
    assert email.message_from_string(texts[0])["X-Change-ID"]
