"""`patchpilot reply` against the real parts: a series sent with real b4, its review in a real
public-inbox, the answer through a real SMTP server on loopback; the editor, a crash in the
middle of an edit and of a delivery (real processes, killed), a server failing after its 250,
and reviewers' mails that cannot be answered."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from patchpilot.cli.main import main
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.answer_drafts import DraftStore, draft_key
from tests.integration.answering import (
    MANY,
    REVIEW_ID,
    QuitFailingSmtpServer,
    archive,
    deliver_review,
    patch_mail,
    point_at,
    review_body,
    reviewer_mail,
)
from tests.integration.test_replies import reviewed  # noqa: F401  (fixture)
from tests.smtp import Mailbox, Received, SmtpServer

REF = f"{REVIEW_ID}:1,2"
LONG = ("I switched both of them to pr_debug, which is what every other sample in that "
        "directory does, and I left the init message as it was.")
RUN = "from patchpilot.cli.main import run; run()"


def cli(tree, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(tree), *argv], out, err)
    return int(code), out.getvalue(), err.getvalue()


def editor(tmp_path: Path, answer: str, then: str = "") -> str:
    """An $EDITOR that writes `answer` below the first comment's quote, then runs `then`."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import os, signal, sys\n"
        "path = sys.argv[1]\n"
        "text = open(path).read()\n"
        f"text = text.replace('\\n\\n\\n', '\\n\\n' + {answer!r} + '\\n\\n', 1)\n"
        "open(path, 'w').write(text)\n" + then)
    return f"{sys.executable} {script}"


class HangingMailbox(Mailbox):
    """Keeps the message, then never answers its DATA (the client is killed meanwhile)."""

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        await asyncio.sleep(3600)
        return "250 OK"


class HangingSmtpServer(SmtpServer):
    def __init__(self):
        super().__init__()
        self.mailbox = HangingMailbox()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)


def test_reply_previewed_edited_and_sent(reviewed, tmp_path, monkeypatch):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent, cc=[*MANY, "Test Dev <dev@example.org>"])
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, out, err = cli(tree, "reply", REF, "--dry-run")
        assert code == 0, err
        assert f"In-Reply-To: <{REVIEW_ID}>" in out and "To: Rev Iewer <reviewer@example.com>" in out
        assert f"1 answer to 1 To and {len(MANY) + 1} Cc addresses" in out
        assert "dev@example.org>," not in out.split("\n\n")[0].split("Cc:")[1]
        code, _, err = cli(tree, "reply", REF, "--yes")  # still only the reviewer's words
        assert code == 2 and "the answer is empty" in err and smtp.mailbox.messages == []
        monkeypatch.setenv("EDITOR", editor(tmp_path, LONG))
        code, out, err = cli(tree, "reply", REF, "--edit", "--yes")
        assert code == 0, err
        assert len(smtp.mailbox.messages) == 1 and "replied:" in out
        body = smtp.mailbox.messages[0].data.decode().replace("\r\n", "\n")
    assert "> Please use pr_debug here, this is noisy.\n\nI switched both" in body
    mine = body[body.index("I switched"):].split("\n\n")[0].splitlines()
    assert len(mine) == 2 and all(len(l) <= 72 for l in mine)  # wrapped at 72
    doc = json.loads(cli(tree, "replies", "--json")[1])
    asked = next(m for m in doc["revisions"][0]["messages"] if m["msgid"] == REVIEW_ID)
    answer_id = asked["comments"][0]["answer"]
    assert [c["state"] for c in asked["comments"]] == ["replied", "replied"] and answer_id
    assert DraftStore(GitRepo(tree).git_dir).all() == []
    archive(inbox, smtp.mailbox.messages[0].data)  # the list carries it to the archive
    doc = json.loads(cli(tree, "replies", "--refresh", "--json")[1])
    own = next(m for m in doc["revisions"][0]["messages"] if m["msgid"] == answer_id)
    assert own["kind"] == "own" and own["patch"] == 1


def test_crash_mid_edit_keeps_the_draft(reviewed, tmp_path, monkeypatch):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    kill = "os.kill(os.getppid(), signal.SIGKILL)\n"  # patchpilot dies with the file saved
    env = dict(os.environ, EDITOR=editor(tmp_path, "Saved, then the crash.", kill))
    proc = subprocess.run([sys.executable, "-c", RUN, "-C", str(tree), "reply", REF, "--edit",
                           "--dry-run"], env=env, stdin=subprocess.DEVNULL, capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    code, out, err = cli(tree, "reply", REF, "--dry-run")  # a restart
    assert code == 0, err
    assert "Please use pr_debug here, this is noisy.\n\nSaved, then the crash." in out


def test_killed_mid_delivery_never_sends_twice(reviewed, tmp_path, monkeypatch):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Done."))
    assert cli(tree, "reply", REF, "--edit", "--dry-run")[0] == 0
    with HangingSmtpServer() as smtp:
        point_at(tree, smtp.port)
        proc = subprocess.Popen([sys.executable, "-c", RUN, "-C", str(tree), "reply", REF,
                                 "--yes"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not smtp.mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.kill()
        proc.communicate()
        assert len(smtp.mailbox.messages) == 1  # the server has it; patchpilot never knew
        went_out = smtp.mailbox.messages[0].data
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, _, err = cli(tree, "reply", REF, "--yes")
        assert code == 1 and "may have gone out" in err and len(err.splitlines()) == 1
        assert smtp.mailbox.messages == []
        archive(inbox, went_out)
        assert cli(tree, "replies", "--refresh")[0] == 0
        code, out, err = cli(tree, "reply", REF, "--yes")
        assert code == 0 and "had gone out earlier" in out, err
        assert smtp.mailbox.messages == []
    doc = json.loads(cli(tree, "replies", "--json")[1])
    asked = next(m for m in doc["revisions"][0]["messages"] if m["msgid"] == REVIEW_ID)
    assert {c["state"] for c in asked["comments"]} == {"replied"}


def test_server_failing_after_its_250(reviewed, tmp_path, monkeypatch):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Done."))
    with QuitFailingSmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, out, err = cli(tree, "reply", REF, "--edit", "--yes")
        assert code == 0 and "the server accepted it, then" in err and "421" in err, err
        assert cli(tree, "reply", REF, "--yes")[0] == 2  # the draft is gone: a new one...
        assert len(smtp.mailbox.messages) == 1  # ...is empty, and nothing went out twice


@pytest.mark.parametrize("msgid,says", [("", "no Message-ID of its own"),
                                        ("x;$(touch pwned)@evil", "not a valid Message-ID")])
def test_reviewer_mails_that_cannot_be_answered(reviewed, msgid, says):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    inbox.deliver(reviewer_mail(patch_mail(sent, "1/3"), review_body(), msgid=msgid))
    doc = json.loads(cli(tree, "replies", "--refresh", "--json")[1])
    asked = next(m for m in doc["revisions"][0]["messages"] if "Iewer" in m["from"])
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, _, err = cli(tree, "reply", asked["comments"][0]["id"], "--yes")
        assert code == 2 and says in err and len(err.splitlines()) == 1, err
        assert smtp.mailbox.messages == []
    assert not (tree / "pwned").exists() and not Path("pwned").exists()


def test_no_terminal_no_yes_refuses_and_keeps_the_draft(reviewed, tmp_path, monkeypatch):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Done."))
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        code, _, err = cli(tree, "reply", REF, "--edit")
        assert code == 2 and "without a confirmation" in err and smtp.mailbox.messages == []
    draft = DraftStore(GitRepo(tree).git_dir).load(draft_key(REVIEW_ID, [1, 2]))
    assert draft is not None and "\n\nDone.\n" in draft.answer.body
    code, out, _ = cli(tree, "reply", REF, "--dry-run", "--json")
    assert code == 0 and json.loads(out)["in_reply_to"] == REVIEW_ID
    assert cli(tree, "reply", REF, "--json")[0] == 2  # no prompt in JSON
