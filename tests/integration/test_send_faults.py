"""A send that is interrupted, raced, lied to or starved of disk never mails a message twice.

Real parts throughout: patchpilot as its own process (signalled with os.kill), real b4 (a thin
wrapper signals patchpilot before or after one b4 command), aiosmtpd servers that stall at
message k, drop it, or answer QUIT with 421 after a 250, and a small tmpfs mounted on
.git/patchpilot that fills up while a message is on its way (mount needs root; the tests run
as root here). After every fault the retry must finish the series with each message arriving
once, under one set of Message-IDs; only a message the server took while its sender was being
killed (unconfirmed) may arrive twice, and then under the same Message-ID.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections import Counter

import pytest

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send.log import SendLog
from patchpilot.core.series.model import load_series
from tests.faults import (
    SIGNALS,
    b4_that_signals,
    leftovers,
    small_disk,
    spawn,
    struck,
    wait_idle,
)
from tests.helpers import git
from tests.integration.test_send import SEND, point_at, received, run, rust_series, subject
from tests.smtp import SmtpServer
from tests.smtp_faults import DROP, FailingSmtpServer, FaultySmtpServer

SUBJECTS = ["[PATCH 0/3] samples: rust: three small samples",
            "[PATCH 1/3] samples: rust: add the alpha sample",
            "[PATCH 2/3] samples: rust: add the beta sample",
            "[PATCH 3/3] samples: rust: add the gamma sample"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return {"dir": tmp_path_factory.mktemp("built")}


@pytest.fixture
def tree(kernel_tree, built):
    """The 3-patch series of test_send (built once per module, copied for each test)."""
    saved = built["dir"] / "linux"
    if saved.exists():
        shutil.rmtree(kernel_tree)
        shutil.copytree(saved, kernel_tree, symlinks=True)
    else:
        rust_series(kernel_tree)
        shutil.copytree(kernel_tree, saved, symlinks=True)
    return kernel_tree


def last_line(err: str) -> str:
    return err.strip().splitlines()[-1]


def one_error(err: str) -> str:
    """The single error line of a run that stopped cleanly."""
    assert "Traceback" not in err, err
    errors = [ln for ln in err.splitlines() if ln.startswith("patchpilot: error:")]
    assert len(errors) == 1, err
    return errors[0]


def assert_sent_once(tree, smtp, unconfirmed: int | None = None) -> None:
    """The whole series went out, each message under one Message-ID, threaded to one cover;
    only the message at position `unconfirmed` may have arrived twice (same Message-ID)."""
    mails = received(smtp)
    ids = {}
    for mail in mails:
        ids.setdefault(subject(mail), set()).add(mail["Message-ID"])
    assert sorted(ids) == SUBJECTS, [subject(m) for m in mails]
    assert all(len(v) == 1 for v in ids.values()), ids  # one Message-ID per message
    counts = Counter(subject(m) for m in mails)
    for number, title in enumerate(SUBJECTS):
        assert counts[title] == 1 or (number == unconfirmed and counts[title] == 2), counts
    cover = next(iter(ids[SUBJECTS[0]]))
    for mail in mails:
        if subject(mail) != SUBJECTS[0]:
            assert mail["In-Reply-To"] == cover
    repo = GitRepo(tree)
    series = load_series(repo)
    assert series.revision == 2 and [s.revision for s in series.sent] == [1]
    attempts = SendLog(repo.git_dir, series.change_id, series.branch).attempts
    assert attempts[-1].status == "complete" and attempts[-1].cover_msgid == cover


# -- 1: interrupted while the relay waits on message 3 ------------------------------------------

@pytest.mark.parametrize("name", list(SIGNALS))
def test_interrupted_while_the_server_holds_message_3(tree, name):
    sig = SIGNALS[name]
    with FaultySmtpServer(at=3, stall=True) as smtp:
        point_at(tree, smtp)
        proc = spawn(tree, *SEND)
        assert smtp.mailbox.stalled.wait(180), proc.communicate()
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=180)
        assert "Traceback" not in err, err
        if sig != signal.SIGKILL:
            assert proc.returncode == 1
            assert one_error(err).startswith(
                "patchpilot: error: send interrupted: 2 of 4 message(s) went out, 1 "
                "unconfirmed; series not marked sent"), err
        else:  # b4 and the relay outlive SIGKILL: no second send while the relay waits
            code, _, err = run(tree, *SEND)
            assert code == 1 and "still being handed to the server" in one_error(err), err
        assert len(smtp.mailbox.messages) == 2
        smtp.release("250 OK")  # the server takes message 3 after all, unseen by the sender
        wait_idle(tree)
        code, out, err = run(tree, *SEND)
        assert code == 0, err
        assert "skipped" in out
    assert_sent_once(tree, smtp, unconfirmed=2)
    first = SendLog(GitRepo(tree).git_dir, load_series(GitRepo(tree)).change_id,
                    "b4/pilot").attempts[0]
    assert first.status in ("interrupted", "partial")
    assert [m["status"] for m in first.messages][:2] == ["delivered", "delivered"]


# -- signals at every other step of a send ------------------------------------------------------

STEPS = {  # name: (b4 command, before/after) or a message held by the server
    "previewing": ("send --no-sign --dry-run", "before"),
    "before-b4-sends": ("send --no-sign", "before"),
    "message-1": 1, "message-2": 2, "message-4": 4,
    "after-b4-tagged": ("send --no-sign", "after"),
}


@pytest.mark.parametrize("name", ["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("step", list(STEPS))
def test_signal_at_each_step_of_a_send(tree, tmp_path, step, name):
    sig, where = SIGNALS[name], STEPS[step]
    held = where if isinstance(where, int) else 0
    with FaultySmtpServer(at=held, stall=bool(held)) as smtp:
        point_at(tree, smtp)
        env = {} if held else b4_that_signals(tmp_path / "b4", where[0], where[1], sig)
        proc = spawn(tree, *SEND, env=env)
        if held:
            assert smtp.mailbox.stalled.wait(180), proc.communicate()
            os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=300)
        assert held or struck(env), err
        assert "Traceback" not in err, err
        if sig != signal.SIGKILL:
            one_error(err)
        smtp.release(DROP)  # the held message never gets its answer
        wait_idle(tree)
        before = len(smtp.mailbox.messages)
        tagged = bool(git(tree, "tag", "-l", "sent/*"))
        code, out, err = run(tree, *SEND)
        if tagged:  # b4 had finished: the series is sent, and nothing goes out again
            assert step == "after-b4-tagged" and len(smtp.mailbox.messages) == before == 4
            assert code == 1 and "cover" in err  # v2's cover still has b4's EDITME lines
        else:
            assert code == 0, err
    if not tagged:
        assert_sent_once(tree, smtp)
    else:
        assert sorted(subject(m) for m in received(smtp)) == SUBJECTS


# -- 2: two sends at once ---------------------------------------------------------------------

def test_a_second_send_while_one_runs_says_so_and_sends_nothing(tree):
    with FaultySmtpServer(at=2, stall=True) as smtp:
        point_at(tree, smtp)
        first = spawn(tree, *SEND)
        assert smtp.mailbox.stalled.wait(180), first.communicate()
        code, out, err = run(tree, *SEND)
        line = one_error(err)
        assert code == 1 and "another patchpilot send is running in this repository" in line
        assert f"(pid {first.pid})" in line and "nothing was sent" in line
        assert len(smtp.mailbox.messages) == 1
        smtp.release("250 OK")
        _, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
    assert_sent_once(tree, smtp)
    repo = GitRepo(tree)
    assert len(SendLog(repo.git_dir, load_series(repo).change_id, "b4/pilot").attempts) == 1


def test_two_sends_started_together_mail_the_series_once(tree):
    with SmtpServer() as smtp:
        point_at(tree, smtp)
        procs = [spawn(tree, *SEND) for _ in range(2)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
    assert sorted(code for code, _ in results) == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    one_error(loser)
    assert_sent_once(tree, smtp)
    assert git(tree, "tag", "-l", "sent/*").split() == [
        f"sent/{load_series(GitRepo(tree)).change_id}-v1"]


# -- 3: 250 to DATA, then 421 to QUIT ---------------------------------------------------------

def test_a_message_the_server_accepted_is_delivered_whatever_it_says_to_quit(tree):
    with FaultySmtpServer(quit_reply="421 4.3.2 Service shutting down") as smtp:
        point_at(tree, smtp)
        code, out, err = run(tree, *SEND)
        assert code == 0, err
        assert out.count("delivered") == 4 and "nothing was sent" not in err
    assert_sent_once(tree, smtp)
    repo = GitRepo(tree)
    attempt = SendLog(repo.git_dir, load_series(repo).change_id, "b4/pilot").attempts[-1]
    assert all("answered QUIT with 421" in m["note"] for m in attempt.messages)


# -- 4: a patch amended after a partial send --------------------------------------------------

def amend_alpha(tree, *, code: bool) -> None:
    """Change patch 1 (its code, same line count, or only its message); rebuild the rest."""
    commits = git(tree, "rev-list", "--reverse", "master..b4/pilot").split()
    cover, alpha, rest = commits[0], commits[1], commits[2:]
    git(tree, "checkout", "-q", "--detach", alpha)
    if code:
        path = tree / "samples/rust/rust_alpha.rs"
        path.write_text(path.read_text().replace("(init)", "(start)"))
        git(tree, "commit", "-q", "-a", "--amend", "--no-edit")
    else:
        message = git(tree, "log", "-1", "--format=%B").replace(
            "Signed-off-by", "Tested on a board.\n\nSigned-off-by")
        git(tree, "commit", "-q", "--amend", "-m", message)
    if rest:
        git(tree, "cherry-pick", *rest)
    git(tree, "branch", "-f", "b4/pilot", "HEAD")
    git(tree, "checkout", "-q", "b4/pilot")
    assert cover in git(tree, "rev-list", "master..b4/pilot")


def test_a_resumed_send_never_skips_a_message_that_changed(tree):
    with FailingSmtpServer(fail_at=3) as smtp:
        point_at(tree, smtp)
        code, _, err = run(tree, *SEND)
        assert code == 1 and "2 of 4 message(s) went out" in err
        sent_tip = git(tree, "rev-parse", "b4/pilot").strip()
        for changed, why in ((True, "its code changed (patch-id "),
                             (False, "its subject or text changed")):
            amend_alpha(tree, code=changed)
            code, _, err = run(tree, *SEND)
            line = one_error(err)
            assert code == 1 and "cannot finish attempt" in line, err
            assert "[PATCH 1/3] samples: rust: add the alpha sample (" + why in line, line
            assert "[PATCH 0/3]" not in line and "nothing was sent" in line
            assert "--force-revision 2" in line and len(smtp.mailbox.messages) == 2
            assert not git(tree, "tag", "-l", "sent/*")
            git(tree, "reset", "-q", "--hard", sent_tip)
        code, _, err = run(tree, *SEND)  # the version that went out: it finishes
        assert code == 0, err
    assert_sent_once(tree, smtp)


# -- 1 (disk): .git/patchpilot fills up while a message is on its way ---------------------------

@pytest.mark.parametrize("at", [2, 4])
def test_a_full_disk_during_the_send_never_makes_the_retry_send_again(tree, at):
    repo = GitRepo(tree)
    state = repo.git_dir / "patchpilot"
    with small_disk(state) as disk:
        with FaultySmtpServer(at=at, before_answer=lambda _n: disk.fill()) as smtp:
            point_at(tree, smtp)
            code, out, err = run(tree, *SEND)
            assert "Traceback" not in out + err, err
            # a journal line may still fit in the last page of its file after the fill
            got = len(smtp.mailbox.messages)
            assert at <= got
            assert not leftovers(state), leftovers(state)
            if at == 4:  # all went out and b4 tagged; only the summary could not be written
                assert code == 0, err
                assert "sent; tag sent/" in out and "could not be written" in err
            else:
                line = one_error(err)
                assert code == 1 and got < 4 and "cannot write the send journal" in line, err
                assert "No space left on device" in line and f"{got} of 4" in line
                assert "free some space" in line
            disk.free()
            series = load_series(repo)
            attempt = SendLog(repo.git_dir, series.change_id, series.branch).attempts[-1]
            # what reached the server is exactly what the journal says was delivered
            assert [m["status"] for m in attempt.messages] == ["delivered"] * got
            if at == 2:
                code, out, err = run(tree, *SEND)
                assert code == 0, err
        assert not leftovers(state), leftovers(state)
    assert_sent_once(tree, smtp)


def test_a_full_disk_before_the_send_is_one_line_and_sends_nothing(tree):
    state = GitRepo(tree).git_dir / "patchpilot"
    with small_disk(state) as disk, SmtpServer() as smtp:
        point_at(tree, smtp)
        disk.fill()
        code, out, err = run(tree, *SEND)
        line = one_error(err)
        assert code == 1 and "nothing was sent" in line and "No space left" in line, err
        assert smtp.mailbox.messages == [] and not leftovers(state)
        disk.free()
        code, _, err = run(tree, *SEND)
        assert code == 0, err
    assert_sent_once(tree, smtp)


# -- 13: Ctrl-D at the confirmation -----------------------------------------------------------

def test_ctrl_d_at_the_confirmation_is_one_line_and_sends_nothing(tree):
    master, slave = os.openpty()
    with SmtpServer() as smtp:
        point_at(tree, smtp)
        proc = spawn(tree, *[a for a in SEND if a != "--yes"], stdin=slave)
        os.close(slave)
        seen = ""
        while "Type 'yes' to send:" not in seen:
            chunk = os.read(proc.stdout.fileno(), 4096).decode()
            assert chunk, proc.communicate()
            seen += chunk
        os.write(master, b"\x04")  # Ctrl-D: end of input on the terminal
        out, err = proc.communicate(timeout=120)
        os.close(master)
        assert smtp.mailbox.messages == []
    assert proc.returncode == 1, err
    assert one_error(err) == "patchpilot: error: not sent: no answer (hint: nothing was sent)"
    repo = GitRepo(tree)
    assert SendLog(repo.git_dir, load_series(repo).change_id, "b4/pilot").attempts == []
    assert subprocess.run(["git", "tag", "-l", "sent/*"], cwd=tree, capture_output=True,
                          text=True).stdout == ""
