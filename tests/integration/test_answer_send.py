"""Sending an answer through the real transport: a real SMTP server on loopback (aiosmtpd),
the answer delivered to the real public-inbox the review came from, where the next refresh
finds it as the author's own; a server that accepts the message and fails after its 250, one
that refuses it, and a send that is never repeated."""

from __future__ import annotations

import email
import email.utils
import json

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.answer_drafts import DraftStore, open_draft
from patchpilot.core.review.replies import collect, open_db
from patchpilot.core.review.summary import review_counts
from patchpilot.core.send.answer_send import Journal, preview, send
from tests.integration.answering import (
    MANY,
    REVIEW_ID,
    QuitFailingSmtpServer,
    archive,
    deliver_review,
    point_at,
)
from tests.integration.test_replies import reviewed  # noqa: F401  (fixture)
from tests.smtp import SmtpServer
from tests.smtp_faults import FailingSmtpServer

ANSWER = "Done, it is pr_debug now.\n"


def answered(tree, inbox, sent, cc=None):
    repo = GitRepo(tree)
    deliver_review(tree, inbox, sent, cc=cc)
    draft, _ = open_draft(repo, f"{REVIEW_ID}:1,2")
    body = draft.answer.body.replace("\n\n\n", f"\n\n{ANSWER}\n", 1)
    DraftStore(repo.git_dir).set_body(draft, body + "And I added the blank line.\n")
    return repo, draft


def test_answer_arrives_threaded_and_shows_as_own(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    repo, draft = answered(tree, inbox, sent, cc=[*MANY, "Test Dev <dev@example.org>"])
    open_before = review_counts(repo, draft.branch).open_comments
    shown = preview(repo, draft)
    assert shown.summary() == f"1 answer to 1 To and {len(MANY) + 1} Cc addresses"
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        result = send(repo, draft, shown.digest)
        assert result.now and len(smtp.mailbox.messages) == 1
        got = smtp.mailbox.messages[0]
    assert got.data.replace(b"\r\n", b"\n").rstrip(b"\n") == shown.raw.rstrip(b"\n")
    msg = email.message_from_bytes(got.data)
    assert msg["In-Reply-To"] == f"<{REVIEW_ID}>" and msg["References"].endswith(f"<{REVIEW_ID}>")
    assert msg["Subject"].startswith("Re: [PATCH 1/3]") and msg["Bcc"] is None
    rcpt = {a.lower() for a in got.rcpt_tos}
    assert rcpt == {"reviewer@example.com", "list@example.org",
                    *(f"person{i}@example.net" for i in range(len(MANY)))}
    assert "dev@example.org" not in rcpt and len(got.rcpt_tos) == len(rcpt)
    body = msg.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert f"> Please use pr_debug here, this is noisy.\n\n{ANSWER}" in body
    # the comments are replied, with the answer's Message-ID; the draft is gone
    db = open_db(repo)
    assert {n: s.state for (_, n), s in db.states([REVIEW_ID]).items()} == {1: "replied",
                                                                             2: "replied"}
    assert db.answers([REVIEW_ID]) == {(REVIEW_ID, 1): result.msgid, (REVIEW_ID, 2): result.msgid}
    db.close()
    assert DraftStore(repo.git_dir).load(draft.key) is None
    assert [e["event"] for e in Journal(repo.git_dir).entries(result.msgid)] == ["sending",
                                                                                 "delivered"]
    archive(inbox, got.data)  # the list carries it to the archive
    fresh = collect(repo, refresh=True)
    own = next(m for r in fresh.revisions for m in r.replies if m.msgid == result.msgid)
    assert own.kind == "own" and own.patch == 1
    asked = next(m for r in fresh.revisions for m in r.replies if m.msgid == REVIEW_ID)
    assert [(c.state, c.answer) for c in asked.comments] == [("replied", result.msgid)] * 2
    # the two comments answered are no longer open, and your answer counts as no comment
    assert review_counts(repo, fresh.branch).open_comments == open_before - 2
    # sending the same draft again (a stale preview) mails nothing
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        again = send(repo, draft, shown.digest)
        assert not again.now and smtp.mailbox.messages == []


def test_failure_after_the_servers_250_is_delivered_once(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    repo, draft = answered(tree, inbox, sent)
    shown = preview(repo, draft)
    with QuitFailingSmtpServer() as smtp:
        point_at(tree, smtp.port)
        result = send(repo, draft, shown.digest)
        assert result.now and "accepted it" in (result.note or "")
        assert len(smtp.mailbox.messages) == 1
        again = send(repo, draft, shown.digest)  # a retry: nothing mailed
        assert not again.now and len(smtp.mailbox.messages) == 1


def test_refused_then_retried_and_a_changed_draft(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    repo, draft = answered(tree, inbox, sent)
    shown = preview(repo, draft)
    with FailingSmtpServer(fail_at=1) as smtp:
        point_at(tree, smtp.port)
        with pytest.raises(PatchpilotError) as err:
            send(repo, draft, shown.digest)
        assert "not sent" in err.value.message and "451" in err.value.message
        assert "\n" not in str(err.value) and smtp.mailbox.messages == []
        kept = DraftStore(repo.git_dir).load(draft.key)
        assert kept is not None and ANSWER in kept.answer.body  # no draft lost
        DraftStore(repo.git_dir).set_body(kept, kept.answer.body + "One more thing.\n")
        with pytest.raises(PatchpilotError) as err:  # confirmed something else
            send(repo, kept, shown.digest)
        assert "changed since" in err.value.message and smtp.mailbox.messages == []
        result = send(repo, kept, preview(repo, kept).digest)
        assert result.now and len(smtp.mailbox.messages) == 1
        assert b"One more thing." in smtp.mailbox.messages[0].data
    events = [e["event"] for e in Journal(repo.git_dir).entries(result.msgid)]
    assert events == ["sending", "failed", "sending", "delivered"]


def test_interrupted_send_is_not_repeated_blindly(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    repo, draft = answered(tree, inbox, sent)
    shown = preview(repo, draft)
    Journal(repo.git_dir).append("sending", draft, digest=shown.digest)  # then killed
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        with pytest.raises(PatchpilotError) as err:
            send(repo, draft, shown.digest)
        assert "may have gone out" in err.value.message and "--resend" in err.value.hint
        assert smtp.mailbox.messages == []
        result = send(repo, draft, shown.digest, resend=True)
        got = smtp.mailbox.messages
        assert result.now and len(got) == 1
        assert email.message_from_bytes(got[0].data)["Message-ID"] == f"<{draft.answer.msgid}>"
    line = Journal(repo.git_dir).path.read_text().splitlines()[0]
    assert json.loads(line)["in_reply_to"] == REVIEW_ID
