"""Issue 24 on the answers' side, against the real parts: a series sent with real b4, its
review in a real public-inbox, the answer through a real SMTP server on loopback (aiosmtpd):
a server that keeps the answer and drops the line before its 250 (case 2), reviewers' mails
whose names carry headers or whose Message-ID is unusable (cases 4, 5, 7), damaged journals
and drafts (case 8, and the draft of case 15).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir
from patchpilot.core.review.answer_drafts import DraftStore, draft_key
from tests.integration.answering import (
    REVIEW_ID,
    deliver_review,
    patch_mail,
    point_at,
    review_body,
    reviewer_mail,
)
from tests.integration.test_replies import reviewed  # noqa: F401  (fixture)
from tests.integration.test_reply_cli import REF, cli, editor
from tests.smtp import Mailbox, Received, SmtpServer

INJECTED = b"=?utf-8?q?Evil=0D=0ABcc=3A_victim=40evil=2Eexample?= <evil3@evil.example>"
REVIEWER = b"From: Rev Iewer <reviewer@example.com>"


class KeepThenDropMailbox(Mailbox):
    """Keeps the message, then drops the connection before answering its DATA."""

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        server.transport.close()
        return "421 4.4.2 never reaches the client"


def one_error(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("patchpilot: error:"), err
    return lines[0]


def deliver(tree, inbox, sent, raw: bytes) -> None:
    inbox.deliver(raw)
    assert cli(tree, "replies", "--refresh")[0] == 0


# -- case 2: the server has the answer, the client never saw its 250 -----------------------------
def test_an_answer_the_server_may_have_is_not_sent_again(reviewed, tmp_path, monkeypatch):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Done."))
    with SmtpServer(KeepThenDropMailbox()) as smtp:
        point_at(tree, smtp.port)
        code, _, err = cli(tree, "reply", REF, "--edit", "--yes")
        assert code == 1 and "may have gone out" in one_error(err), err
        assert "was not sent" not in err and len(smtp.mailbox.messages) == 1
        first = smtp.mailbox.messages[0].data
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, _, err = cli(tree, "reply", REF, "--yes")
        assert code == 1 and "--resend" in one_error(err) and smtp.mailbox.messages == []
        code, out, err = cli(tree, "reply", REF, "--yes", "--resend")
        assert code == 0 and "replied:" in out, err
        again = smtp.mailbox.messages[0].data
    msgid = [line for line in first.splitlines() if line.lower().startswith(b"message-id:")]
    assert msgid and msgid[0] in again.splitlines()  # the same message, the same Message-ID


# -- case 4: a name holding an encoded `Bcc:` line ------------------------------------------------
def test_an_answer_goes_to_the_sender_never_to_an_address_in_its_name(reviewed, tmp_path,  # noqa: F811
                                                                      monkeypatch):
    tree, inbox, sent, _ = reviewed
    raw = reviewer_mail(patch_mail(sent, "1/3"), review_body()).replace(
        REVIEWER, b"From: " + INJECTED)
    deliver(tree, inbox, sent, raw)
    code, out, err = cli(tree, "reply", REF, "--dry-run")
    assert code == 0, err
    head = out.split("\n\n")[0]
    assert '"Evil Bcc: victim@evil.example" <evil3@evil.example>' in head
    assert "\nBcc:" not in head and "To: victim" not in head
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Done."))
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, _, err = cli(tree, "reply", REF, "--edit", "--yes")
        assert code == 0, err
        rcpts = smtp.mailbox.messages[0].rcpt_tos
    assert "evil3@evil.example" in rcpts and not any("victim" in r for r in rcpts)


# -- case 5: a Message-ID no mail can thread on ---------------------------------------------------
def test_a_stand_in_message_id_is_never_answered(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    raw = reviewer_mail(patch_mail(sent, "1/3"), review_body(), msgid="placeholder@x")
    deliver(tree, inbox, sent, raw.replace(b"<placeholder@x>",
                                           b"<x y;$(touch pwned) |`id`&@evil>"))
    doc = json.loads(cli(tree, "replies", "--json")[1])
    asked = next(m for r in doc["revisions"] for m in r["messages"] if "Iewer" in m["from"])
    assert asked["msgid"].endswith("@patchpilot.invalid")
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, _, err = cli(tree, "reply", asked["comments"][0]["id"], "--yes")
        assert code == 2 and "no usable Message-ID" in one_error(err)
        assert smtp.mailbox.messages == []
    assert not (tree / "pwned").exists() and not Path("pwned").exists()


# -- case 7: a Cc whose name holds an encoded CR/LF -----------------------------------------------
def test_a_cc_name_with_an_encoded_line_break(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    raw = reviewer_mail(patch_mail(sent, "1/3"), review_body(),
                        cc=["Placeholder <cc7@example.net>"]).replace(
        b"Placeholder", b"=?utf-8?q?Carol=0D=0ABcc=3A_v=40evil=2Eexample?=")
    deliver(tree, inbox, sent, raw)
    code, out, err = cli(tree, "reply", REF, "--dry-run")
    assert code == 0 and "Traceback" not in err, err
    head = out.split("\n\n")[0]
    assert '"Carol Bcc: v@evil.example" <cc7@example.net>' in head and "\nBcc:" not in head


# -- case 8: a damaged answers journal or draft ---------------------------------------------------
@pytest.mark.parametrize("damage", ["garbage", "binary", "directory"])
def test_a_damaged_answers_journal_sends_nothing(reviewed, tmp_path, monkeypatch, damage):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Done."))
    assert cli(tree, "reply", REF, "--edit", "--dry-run")[0] == 0
    journal = repo_state_dir(GitRepo(tree).git_dir) / "answers" / "journal.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    if damage == "directory":
        journal.mkdir()
    else:
        journal.write_bytes(b"not json at all\n{}\n" if damage == "garbage"
                            else b"\x00\xff\xfe" * 100 + b"\n{}\n")
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        for _ in range(2):  # refused for as long as the damaged journal is kept aside
            code, _, err = cli(tree, "reply", REF, "--yes")
            line = one_error(err)
            assert code == 1 and "answers journal" in line and "nothing was sent" in line
            assert smtp.mailbox.messages == []
        kept = list(journal.parent.glob("journal.jsonl.damaged-*"))
        assert len(kept) == 1 and str(kept[0]) in line
        if damage == "directory":
            kept[0].rmdir()
        else:
            kept[0].unlink()  # the user looked, and decided
        code, out, err = cli(tree, "reply", REF, "--yes")
        assert code == 0 and len(smtp.mailbox.messages) == 1, err


@pytest.mark.parametrize("content,why", [("5", "not a draft: int"), ("[]", "not a draft: list"),
                                         ("{", "not JSON")])
def test_a_damaged_draft_is_kept_aside_in_one_line(reviewed, content, why):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    store = DraftStore(GitRepo(tree).git_dir)
    path = store.path(draft_key(REVIEW_ID, [1, 2]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, _, err = cli(tree, "reply", REF, "--yes")
        line = one_error(err)
        assert code == 2 and why in line and "kept as" in line and "pop expected" not in line
        assert smtp.mailbox.messages == []
    kept = list(path.parent.glob(f"{path.name}.damaged-*"))
    assert len(kept) == 1 and kept[0].read_text() == content  # nothing the user had is lost
    code, out, _ = cli(tree, "reply", REF, "--dry-run")  # a new draft
    assert code == 0 and f"In-Reply-To: <{REVIEW_ID}>" in out
