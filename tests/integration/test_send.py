"""Sending real series through real b4 to a real SMTP server (aiosmtpd on loopback).

A 3-patch Rust series on the slim kernel tree: what arrives (count, subjects, recipients,
threading, base-commit, change-id), the tag and the reroll, v2 linking to v1; a server failing
at message 2 of 4 and a retry that sends no duplicates and leaves b4's history as an
uninterrupted send would; a server that refuses the login, one that never answers, one that
is down: one clear line each, nothing marked sent, no password anywhere; dry-run and bad
input send nothing.
"""

from __future__ import annotations

import email
import email.utils
import io
import json
import subprocess
import time
from email.header import decode_header, make_header

import pytest

from patchpilot.cli.main import main
from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4.tracking import read_tracking
from patchpilot.core.git import rewrite
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.recipients.compute import bare, compute
from patchpilot.core.send.flow import preview
from patchpilot.core.send.log import SendLog
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample
from tests.smtp import SmtpServer, free_port
from tests.smtp_faults import AuthRefusingSmtpServer, FailingSmtpServer, SilentServer

RFL = "rust-for-linux@vger.kernel.org"
ODD = '"Jöhn Dœ, Ops" <john.doe@example.org>'
SEND = ("send", "--yes", "--no-checks", "--override", "checks", "--override", "b4")


def run(tree, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(tree), *argv], stdout=out, stderr=err)
    return int(code), out.getvalue(), err.getvalue()


def set_cover(tree, text: str) -> None:
    path = tree.parent / "cover.txt"
    path.write_text(text)
    code, _, err = run(tree, "cover", "--set-file", str(path))
    assert code == 0, err


def rust_series(tree, count: int = 3) -> GitRepo:
    repo = GitRepo(tree)
    new_series(repo, "pilot", fork_point="master")
    for name in ("alpha", "beta", "gamma")[:count]:
        commit(tree, {f"samples/rust/rust_{name}.rs": rust_sample(f"rust_{name}")},
               f"samples: rust: add the {name} sample")
    set_cover(tree, "samples: rust: three small samples\n\nThree samples for the pilot.\n")
    code, _, err = run(tree, "recipients", "--add-cc", ODD, "--write")
    assert code == 0, err
    return repo


def received(smtp) -> list[email.message.Message]:
    return [email.message_from_bytes(m.data) for m in smtp.mailbox.messages]


def subject(message) -> str:
    return " ".join(str(make_header(decode_header(message["Subject"]))).split())


def addresses(message, name: str) -> set[str]:
    values = [str(v) for v in message.get_all(name) or []]  # still encoded: commas are safe
    return {a.lower() for _, a in email.utils.getaddresses(values) if a}


def point_at(tree, smtp) -> None:
    git(tree, "config", "sendemail.smtpServerPort", str(smtp.port))


def test_send_three_patch_rust_series_then_v2(kernel_tree):
    repo = rust_series(kernel_tree)
    series = load_series(repo)
    expected = compute(repo, series)
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        code, out, err = run(kernel_tree, "send", "--dry-run", "--json")
        assert code == 0, err
        assert smtp.mailbox.messages == []
        preview = json.loads(out)["messages"]
        code, out, err = run(kernel_tree, *SEND)
        assert code == 0, err
        mails = received(smtp)
    assert [subject(m) for m in mails] == [
        "[PATCH 0/3] samples: rust: three small samples",
        "[PATCH 1/3] samples: rust: add the alpha sample",
        "[PATCH 2/3] samples: rust: add the beta sample",
        "[PATCH 3/3] samples: rust: add the gamma sample"]
    assert [p["subject"] for p in preview] == [subject(m) for m in mails]
    cover = mails[0]
    assert addresses(cover, "To") == {bare(a) for a in expected.to}
    assert addresses(cover, "Cc") == {bare(a) for a in expected.cc}
    assert RFL in addresses(cover, "Cc") | addresses(cover, "To")
    assert "Jöhn Dœ, Ops" in str(make_header(decode_header(cover["Cc"])))
    for patch in mails[1:]:
        assert patch["In-Reply-To"] == cover["Message-ID"]
        assert cover["Message-ID"] in patch["References"]
    body = cover.get_payload(decode=True).decode()
    assert f"base-commit: {series.base}" in body and f"change-id: {series.change_id}" in body
    after = load_series(repo)
    assert after.revision == 2 and [s.revision for s in after.sent] == [1]
    assert after.sent[0].tag == f"sent/{series.change_id}-v1"
    assert after.sent[0].msgids == [cover["Message-ID"].strip("<>")]
    log = SendLog(repo.git_dir, series.change_id, series.branch).attempts[-1]
    assert log.status == "complete" and log.tag == after.sent[0].tag
    assert log.overrides == ["checks", "b4"]
    assert [m["msgid"] for m in log.messages] == [m["Message-ID"] for m in mails]
    assert "tmgross@umich.edu" in sum((m["rcpt"] for m in log.messages), [])
    send_v2(kernel_tree, repo, cover["Message-ID"])


def send_v2(tree, repo, v1_cover: str) -> None:
    raw = load_series(repo).cover_body
    assert "EDITME" in raw  # b4's reroll template
    code, _, err = run(tree, *SEND)
    assert code == 1 and "cover" in err  # EDITME blocks the send
    set_cover(tree, "samples: rust: three small samples\n\n" +
              raw.replace("- EDITME: describe what is new in this series revision.",
                          "- Reworded.").replace(
                  "- EDITME: use bulletpoints and terse descriptions.\n", ""))
    with SmtpServer() as smtp:
        point_at(tree, smtp)
        code, _, err = run(tree, *SEND)
        assert code == 0, err
        mails = received(smtp)
    assert subject(mails[0]) == "[PATCH v2 0/3] samples: rust: three small samples"
    assert v1_cover.strip("<>") in mails[0].get_payload(decode=True).decode()
    assert load_series(repo).revision == 3


@pytest.mark.parametrize("strategy", ["commit", "branch-description"])
def test_smtp_failure_at_message_2_of_4_then_retry_without_duplicates(kernel_tree, strategy):
    git(kernel_tree, "config", "b4.prep-cover-strategy", strategy)
    repo = rust_series(kernel_tree)
    series = load_series(repo)
    with FailingSmtpServer(fail_at=2) as smtp:
        point_at(kernel_tree, smtp)
        code, out, err = run(kernel_tree, *SEND)
        assert code == 1
        assert "451" in err and "not marked sent" in err and "send again" in err
        assert out.count("not sent") == 3 and out.count("delivered") == 1
        first = received(smtp)
        assert [subject(m) for m in first] == ["[PATCH 0/3] samples: rust: three small samples"]
        assert load_series(repo).revision == 1 and not git(kernel_tree, "tag", "-l", "sent/*")
        code, out, err = run(kernel_tree, *SEND)
        assert code == 0, err
        assert "skipped" in out
        mails = received(smtp)
    assert [subject(m) for m in mails][1:] == [
        "[PATCH 1/3] samples: rust: add the alpha sample",
        "[PATCH 2/3] samples: rust: add the beta sample",
        "[PATCH 3/3] samples: rust: add the gamma sample"]
    ids = [m["Message-ID"] for m in mails]
    assert len(set(ids)) == 4
    for patch in mails[1:]:
        assert patch["In-Reply-To"] == first[0]["Message-ID"]
    after = load_series(repo)
    assert after.revision == 2 and after.sent[0].tag == f"sent/{series.change_id}-v1"
    attempts = SendLog(repo.git_dir, series.change_id, series.branch).attempts
    assert [a.status for a in attempts] == ["partial", "complete"]
    assert attempts[-1].cover_msgid == first[0]["Message-ID"]
    assert first[0]["Message-ID"].strip("<>") in after.cover_body  # "Link to v1"
    assert_history_as_b4_leaves_it(kernel_tree, repo, attempts[-1], first[0]["Message-ID"])


def assert_history_as_b4_leaves_it(tree, repo, attempt, cover_id: str) -> None:
    """After an uninterrupted send b4 records one Message-ID per send of a revision, the
    cover's (`history[vN].append(cl_msgid)`), and reads it back as history[vN][-1] (Link to
    vN, b4.send-same-thread) and [0] (--show-info). The resumed run's b4 had recorded the
    cover it made itself, which the relay skipped; patchpilot puts the real one in."""
    made = attempt.history_fix["replaced"].strip("<>")
    assert made != cover_id.strip("<>") and attempt.history_fix["by"] == cover_id
    tracking = read_tracking(repo, repo.current_branch())
    assert tracking.history == {"v1": [cover_id.strip("<>")]}
    assert load_series(repo).sent[0].msgids == [cover_id.strip("<>")]
    assert made not in tracking.cover_body
    if tracking.strategy == "commit":  # the cover commit was rewritten: kept first
        backup = attempt.history_fix["backup"]
        assert backup.startswith("refs/patchpilot/backup/b4/pilot/")
        assert made in git(tree, "log", "--format=%B", "-n1", "--grep", "b4-submit-tracking",
                           backup)
        assert git(tree, "diff", backup, "HEAD") == ""  # same trees: only the message changed
        assert rewrite.history(repo)[-1].backup == backup  # journaled: patchpilot undo works
    else:
        assert attempt.history_fix["backup"] is None
    assert not git(tree, "status", "--porcelain")
    info = b4cli.parse_show_info(b4cli.run(b4cli.prep_show_info(), cwd=tree).stdout)
    assert info["series-v1"].endswith(cover_id.strip("<>"))  # plain b4 reads it
    git(tree, "config", "b4.send-same-thread", "yes")
    assert preview(repo)[0].in_reply_to == cover_id  # b4 threads v2 under the real v1 cover


PASSWORD = "pilot-Pw-5e9c-never-shown"


def assert_failed_cleanly(tree, repo, code, out, err, *words) -> None:
    """One error line naming the problem and what to check; nothing sent, tagged or bumped;
    the send log holds the failed attempt; the password appears nowhere."""
    assert code == 1 and "Traceback" not in out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith("patchpilot: error: send stopped: "), err
    assert "nothing was sent, series not marked sent" in last
    for word in words:
        assert word in last, last
    series = load_series(repo)
    assert series.revision == 1 and not series.sent
    assert not git(tree, "tag", "-l", "sent/*")
    attempt = SendLog(repo.git_dir, series.change_id, series.branch).attempts[-1]
    assert attempt.status == "failed" and attempt.error and attempt.error in last
    assert [m["status"] for m in attempt.messages] == ["failed"]
    assert PASSWORD not in out + err
    for path in (repo.git_dir / "patchpilot").rglob("*"):
        assert not path.is_file() or PASSWORD.encode() not in path.read_bytes(), path


def test_smtp_refuses_authentication(kernel_tree):
    repo = rust_series(kernel_tree, 1)
    git(kernel_tree, "config", "sendemail.smtpUser", "dev")
    git(kernel_tree, "config", "sendemail.smtpPass", PASSWORD)
    git(kernel_tree, "config", "sendemail.smtpEncryption", "tls")
    with AuthRefusingSmtpServer() as smtp:  # an unknown certificate: no password goes out
        point_at(kernel_tree, smtp)
        code, out, err = run(kernel_tree, *SEND)
        assert smtp.auth.logins == [] and smtp.mailbox.messages == []
    assert_failed_cleanly(kernel_tree, repo, code, out, err, "could not be verified",
                          "no password was sent", "sendemail.smtpSSLCertPath (unset")
    with AuthRefusingSmtpServer() as smtp:  # STARTTLS, then AUTH: 535 for everyone
        point_at(kernel_tree, smtp)
        git(kernel_tree, "config", "sendemail.smtpSSLCertPath", str(smtp.cert))
        code, out, err = run(kernel_tree, *SEND)
        logins = list(smtp.auth.logins)
        assert smtp.mailbox.messages == []
    assert logins and {(user, offered) for _, user, offered in logins} == {("dev", True)}
    assert_failed_cleanly(
        kernel_tree, repo, code, out, err, f"127.0.0.1:{smtp.port} refused authentication as "
        "dev (535", "sendemail.smtpUser (dev)", "sendemail.smtpPass",
        "sendemail.smtpEncryption (tls;", f"sendemail.smtpServerPort ({smtp.port})")
    # without smtpEncryption b4 (and so patchpilot) does not log in: the server says 530
    git(kernel_tree, "config", "--unset", "sendemail.smtpEncryption")
    with AuthRefusingSmtpServer(tls=False) as smtp:
        point_at(kernel_tree, smtp)
        code, out, err = run(kernel_tree, *SEND, "--json")
        assert smtp.mailbox.messages == [] and smtp.auth.logins == []
    assert_failed_cleanly(kernel_tree, repo, code, out, err, "wants authentication first (530",
                          "sendemail.smtpEncryption (unset", "logs in only with tls or ssl")
    assert json.loads(out)["status"] == "failed"


def test_smtp_server_silent_or_down(kernel_tree):
    repo = rust_series(kernel_tree, 1)
    git(kernel_tree, "config", "patchpilot.send.smtp-timeout", "1")
    with SilentServer() as silent:  # accepts, never greets
        point_at(kernel_tree, silent)
        began = time.monotonic()
        code, out, err = run(kernel_tree, *SEND)
        took = time.monotonic() - began
        assert silent.connections
    assert took < 60  # the relay gave up after 1s; b4 itself would wait forever
    assert_failed_cleanly(
        kernel_tree, repo, code, out, err, f"127.0.0.1:{silent.port} did not answer within 1s",
        "sendemail.smtpServer (127.0.0.1)", f"sendemail.smtpServerPort ({silent.port})",
        "sendemail.smtpEncryption (unset", "patchpilot.send.smtp-timeout")
    down = free_port()  # nobody listens there
    git(kernel_tree, "config", "sendemail.smtpServerPort", str(down))
    code, out, err = run(kernel_tree, *SEND)
    assert_failed_cleanly(kernel_tree, repo, code, out, err,
                          f"cannot connect to 127.0.0.1:{down} (connection refused)",
                          "is the server up?", f"sendemail.smtpServerPort ({down})")
    attempts = SendLog(repo.git_dir, load_series(repo).change_id, "b4/pilot").attempts
    assert [a.status for a in attempts] == ["failed", "failed"]


def test_b4_alone_resends_everything_with_new_ids_after_a_failure(kernel_tree):
    """What b4 0.16 itself does (why patchpilot relays): the SMTP error escapes as a traceback
    after message 1 went out, nothing is tagged, and the next b4 send mails the cover again
    under a new Message-ID."""
    rust_series(kernel_tree)
    with FailingSmtpServer(fail_at=2) as smtp:
        point_at(kernel_tree, smtp)
        first = _b4(kernel_tree)
        assert first.returncode != 0 and "SMTPDataError" in first.stderr
        assert len(smtp.mailbox.messages) == 1
        assert _b4(kernel_tree).returncode == 0
        covers = [m["Message-ID"] for m in received(smtp) if "0/3" in m["Subject"]]
    assert len(covers) == 2 and covers[0] != covers[1]


def _b4(tree):
    return b4cli.run(b4cli.send(), cwd=tree, answer="\n\n", check=False)


def test_dry_run_and_preview_send_nothing_to_the_list(kernel_tree):
    rust_series(kernel_tree, 2)
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        code, out, err = run(kernel_tree, "send", "--dry-run")
        assert code == 0, err
        assert "2/2" in out and smtp.mailbox.messages == []
        code, _, err = run(kernel_tree, "send", "--preview-to", "me@example.org", "--yes")
        assert code == 0, err
        assert [m.rcpt_tos for m in smtp.mailbox.messages] == [["me@example.org"]] * 3
        assert all("PREVIEW" in m["Subject"] for m in received(smtp))
    assert load_series(GitRepo(kernel_tree)).revision == 1


def test_bad_input_is_one_clear_line_and_sends_nothing(kernel_tree):
    repo = rust_series(kernel_tree, 1)
    code, _, err = run(kernel_tree, *[a for a in SEND if a != "--yes"])  # no terminal
    assert code == 2 and "without a confirmation" in err and "Traceback" not in err
    git(kernel_tree, "config", "--global", "--unset", "sendemail.smtpServer")
    code, _, err = run(kernel_tree, *SEND)
    assert code == 2 and "sendemail.smtpServer" in err
    git(kernel_tree, "config", "sendemail.smtpServer", "127.0.0.1")  # port 9: nobody listens
    code, _, err = run(kernel_tree, *SEND)
    assert code == 1 and "connection refused" in err and "not marked sent" in err
    assert load_series(repo).revision == 1
    git(kernel_tree, "config", "--global", "--unset", "user.email")
    code, _, err = run(kernel_tree, *SEND)
    assert code == 2 and "user.email" in err
    git(kernel_tree, "config", "user.email", "dev@example.org")
    (kernel_tree / "MAINTAINERS").write_text("dirty\n")
    code, _, err = run(kernel_tree, *SEND)
    assert code == 2 and "uncommitted" in err
    git(kernel_tree, "checkout", "--", "MAINTAINERS")
    set_only_editme = kernel_tree.parent / "editme.txt"
    set_only_editme.write_text("EDITME: cover title\n\nEDITME: describe\n")
    code, _, err = run(kernel_tree, "cover", "--set-file", str(set_only_editme))
    assert code == 2 and "EDITME" in err
    assert "Three samples" in load_series(repo).cover_body


def test_zero_patches(kernel_tree):
    new_series(GitRepo(kernel_tree), "empty", fork_point="master")
    code, _, err = run(kernel_tree, "send", "--dry-run")
    assert code == 2 and "no commits" in err


def test_prefixes_subject_matches_b4(kernel_tree):
    rust_series(kernel_tree, 2)
    code, out, err = run(kernel_tree, "prefixes", "--rfc", "--tree", "rust-next", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["prefixes"] == ["RFC", "rust-next"]
    code, out, _ = run(kernel_tree, "send", "--dry-run", "--json")
    assert json.loads(out)["messages"][0]["subject"] == shown["subject_line"]
    assert shown["subject_line"] == "[PATCH RFC rust-next 0/2] samples: rust: three small samples"


def test_export_through_git_send_email_matches_b4(kernel_tree, tmp_path):
    rust_series(kernel_tree)
    code, out, err = run(kernel_tree, "export", str(tmp_path / "out"), "--json")
    assert code == 0, err
    exported = json.loads(out)
    assert len(exported["files"]) == 4
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        proc = subprocess.run([*exported["command"], "--smtp-server=127.0.0.1",
                               f"--smtp-server-port={smtp.port}"], cwd=kernel_tree,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr + "\n(apt-get install git-email)"
        by_git = received(smtp)
    files = [email.message_from_bytes(open(f, "rb").read()) for f in exported["files"]]
    assert [subject(m) for m in by_git] == [subject(m) for m in files]
    for sent, wrote in zip(by_git, files):
        assert sent["Message-ID"] == wrote["Message-ID"]
        assert sent["In-Reply-To"] == wrote["In-Reply-To"]
        assert addresses(sent, "To") == addresses(wrote, "To")
        assert addresses(sent, "Cc") == addresses(wrote, "Cc")
    rcpts = {a for m in smtp.mailbox.messages for a in m.rcpt_tos}
    assert RFL in rcpts and "john.doe@example.org" in rcpts
