"""Issue 24 on the sending side, against the real parts: a series sent with real b4 through
patchpilot's relay to a real SMTP server (aiosmtpd) or a real socket that trickles its
greeting, real get_maintainer.pl inputs (the slim kernel tree's MAINTAINERS, made hostile),
and real read-only and full filesystems (a read-only bind mount, a small tmpfs):
cases 3, 10, 11, 12 and the unclear errors of 15.
"""

from __future__ import annotations

import json
import shutil
import warnings

import pytest

from patchpilot.core.paths import repo_state_dir
from patchpilot.core.series.model import load_series
from tests.faults import small_disk
from tests.helpers import commit, git, read_only, rust_sample
from tests.integration.test_send import SEND, point_at, run, rust_series
from tests.smtp import SmtpServer
from tests.smtp_faults import FailingSmtpServer, TricklingServer


def one_error(err: str) -> str:
    assert "Traceback" not in err and "Warning" not in err, err
    errors = [ln for ln in err.splitlines() if ln.startswith("patchpilot: error:")]
    assert len(errors) == 1, err
    return errors[0]


# -- case 3: a damaged send journal ---------------------------------------------------------------
@pytest.mark.parametrize("damage", ["empty", "binary", "garbage", "directory"])
def test_a_damaged_send_journal_sends_nothing_again(kernel_tree, damage):
    repo = rust_series(kernel_tree)
    with FailingSmtpServer(fail_at=2) as smtp:  # the cover goes out, then patch 1 fails
        point_at(kernel_tree, smtp)
        assert run(kernel_tree, *SEND)[0] == 1
        assert len(smtp.mailbox.messages) == 1
    series = load_series(repo)
    sendlog = repo_state_dir(repo.git_dir) / "sendlog"
    (journal,) = sendlog.glob("*.d/*.jsonl")
    (summary,) = sendlog.glob("*.json")
    summary.unlink()
    if damage == "directory":
        journal.unlink()
        journal.mkdir()
    else:
        journal.write_bytes({"empty": b"", "binary": b"\x00\xff\x8b" * 300,
                             "garbage": b"not a journal\n" * 30}[damage])
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        for _ in range(2):  # refused for as long as the damaged journal is kept aside
            code, _, err = run(kernel_tree, *SEND)
            line = one_error(err)
            assert code == 1 and "send journal" in line and "nothing was sent" in line
            assert smtp.mailbox.messages == []
        kept = list(journal.parent.glob(f"{journal.name}.damaged-*"))
        assert len(kept) == 1 and str(kept[0]) in line
    assert load_series(repo).revision == series.revision and not load_series(repo).sent


# -- case 11: a greeting that trickles ------------------------------------------------------------
def test_a_trickling_greeting_is_cut_at_the_deadline(kernel_tree):
    rust_series(kernel_tree, 1)
    git(kernel_tree, "config", "patchpilot.send.smtp-timeout", "2")
    greeting = b"220 " + b"slow" * 150 + b"\r\n"  # 600 bytes: five minutes at 0.5 s a byte
    with TricklingServer(greeting) as slow:
        point_at(kernel_tree, slow)
        code, _, err = run(kernel_tree, *SEND)
        line = one_error(err)
        assert code == 1 and "did not answer within 2s" in line, err
        assert 0 < slow.sent < len(greeting)  # it was still talking when it was cut off


# -- case 12: a catastrophic MAINTAINERS pattern --------------------------------------------------
def test_catastrophic_keyword_patterns_are_bounded(kernel_tree):
    rust_series(kernel_tree, 1)
    commit(kernel_tree, {"samples/rust/rust_alpha.rs": rust_sample("rust_alpha")
                         + "// " + "a" * 40 + "c\n"}, "samples: rust: alpha: a long note")
    maintainers = kernel_tree / "MAINTAINERS"
    huge = "(a|aa)*" * (1024 * 1024 // 7)
    maintainers.write_text(maintainers.read_text() + "\nHOSTILE ONE\nM:\tOne <one@example.com>\n"
                           f"S:\tMaintained\nK:\t{huge}\n\nHOSTILE TWO\n"
                           "M:\tTwo <two@example.com>\nS:\tMaintained\nK:\t(a|aa)+(?=b)\n")
    code, out, err = run(kernel_tree, "recipients")
    assert code == 0 and "Traceback" not in err, err
    assert "over 4096: not used" in err and "ran over" in err and "not used" in err
    assert "one@example.com" not in out and "two@example.com" not in out
    assert "rust-for-linux@vger.kernel.org" in out  # the rest of MAINTAINERS still answers


# -- case 10 and 15: state that cannot be written -------------------------------------------------
def test_recipient_choices_on_a_read_only_full_or_blocked_state_dir(kernel_tree):
    repo = rust_series(kernel_tree, 1)
    state = repo_state_dir(repo.git_dir)
    with read_only(state):
        code, _, err = run(kernel_tree, "recipients", "--add-cc", "x@example.org")
        assert code == 2 and "Read-only file system" in one_error(err)
        code, _, err = run(kernel_tree, "recipients", "--write")
        assert code != 0 and "Read-only file system" in one_error(err)
    with small_disk(state) as disk:
        disk.fill()
        code, _, err = run(kernel_tree, "recipients", "--add-cc", "x@example.org")
        assert code == 2 and "the disk is full" in one_error(err)
        code, _, err = run(kernel_tree, "recipients", "--write")
        assert code != 0 and one_error(err)
    shutil.rmtree(state)
    state.write_text("not a directory\n")
    code, _, err = run(kernel_tree, "recipients", "--add-cc", "x@example.org")
    line = one_error(err)
    assert code == 2 and f"{state} is a file, not a directory" in line
    assert "File exists" not in line and "writable" not in line


# -- case 15: a bad F: glob, and a trailer b4 skipped ---------------------------------------------
def test_a_bad_glob_warns_nothing_from_python(kernel_tree):
    rust_series(kernel_tree, 1)
    maintainers = kernel_tree / "MAINTAINERS"
    maintainers.write_text(maintainers.read_text() + "\nODD GLOBS\nM:\tOdd <odd@example.com>\n"
                           "S:\tMaintained\nF:\tsamples/rust/[[x]*\nF:\tsamples/rust/[--]x\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        code, out, err = run(kernel_tree, "recipients", "--json")
    assert code == 0 and "Warning" not in err, err
    assert [str(w.message) for w in seen if issubclass(w.category, FutureWarning)] == []
    assert json.loads(out)
