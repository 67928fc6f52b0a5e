"""Refreshing a review against a real public-inbox (tests/publicinbox.py) that misbehaves as
real archives do: a reply indexed late (filed under a Received: time older than the last
fetch), a server that does not hold the cover, a server that hangs, hostile bytes in every
field, a Message-ID seen twice. One clear line each, nothing lost.
"""

from __future__ import annotations

import json
import os
import signal
import time

from patchpilot.core.config import Config
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review import threads
from patchpilot.core.review.lore import LoreClient
from patchpilot.core.review.mail import parse_mail, split_mbox
from patchpilot.core.review.replies import collect, make_client, set_comment_state
from tests.helpers import git
from tests.integration.test_replies import by_sender, reply, reviewed  # noqa: F401
from tests.integration.test_send import run

FORBIDDEN = "\x1b\x07\x00\x7f\x9b\x85\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" \
            "\u200b\u200c\u200d\u200e\u200f\ufeff"


def patch_mail(sent: dict[str, bytes], number: str) -> bytes:
    return next(raw for subject, raw in sent.items() if f"{number}/3]" in subject)


def visible(inbox, msgid: str, tmp) -> None:
    """Wait until the running server's search sees a message (public-inbox indexes it a
    moment after delivery)."""
    client = LoreClient(inbox.base, tmp, retries=0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.search(f"m:{msgid}")[0]:
            return
        time.sleep(0.2)
    raise AssertionError(f"{msgid} never became searchable")


def test_a_reply_indexed_late_is_found_by_the_next_refresh(reviewed, tmp_path):  # noqa: F811
    tree, inbox, sent, replies = reviewed
    repo = GitRepo(tree)
    first = collect(repo, refresh=True)
    cover = first.revisions[0].cover_msgid
    fetched = make_client(repo, Config(repo)).cached(cover)
    assert fetched is not None and fetched.server_time
    late = reply(patch_mail(sent, "2"), "Late Indexer <late@example.com>",
                 "> +struct RustTwo;\n\nIs this struct still needed after patch 3?\n",
                 msgid="<late-indexed@example.com>")
    # filed ten minutes before the last fetch, indexed only now
    inbox.deliver(late, received=fetched.server_time - 600)
    visible(inbox, "late-indexed@example.com", tmp_path)

    git(tree, "config", "patchpilot.replies.overlap", "5")  # the old margin: the trap
    assert not any("late@" in r.sender for r in collect(repo, refresh=True).replies())
    git(tree, "config", "--unset", "patchpilot.replies.overlap")  # the default hour
    found = collect(repo, refresh=True)
    late_reply = by_sender(found, "late@")
    assert late_reply.unread and late_reply.patch == 2
    assert [c.text for c in late_reply.comments] == ["Is this struct still needed after patch 3?"]
    assert late_reply.comments[0].is_open

    again = collect(repo, refresh=True)  # the overlap brings it back: deduplicated
    assert len(list(again.replies(own=True))) == len(replies) + 1
    mbox = make_client(repo, Config(repo)).cached(cover).mbox
    ids = [parse_mail(raw).msgid for raw in split_mbox(mbox)]
    assert len(ids) == len(set(ids)) == len(sent) + len(replies) + 1


def test_a_server_without_the_cover_says_so_in_one_line(reviewed):  # noqa: F811
    tree, inbox, sent, replies = reviewed
    assert run(tree, "replies", "--refresh")[0] == 0  # the cache of the right server
    wrong = f"{inbox.base}-elsewhere"
    git(tree, "config", "patchpilot.replies.server", wrong)
    line = f"the cover is not on {wrong}: check replies.server, or it is not archived yet"
    code, out, err = run(tree, "replies", "--refresh")
    assert code == 1 and err.splitlines() == [f"patchpilot: error: {line}"], err
    code, out, err = run(tree, "replies", "--refresh", "--json")
    assert code == 1 and json.loads(out)["revisions"][0]["missing"] == line
    git(tree, "config", "--unset", "patchpilot.replies.server")
    code, out, err = run(tree, "replies", "--json")  # nothing was lost
    assert code == 0 and len(json.loads(out)["revisions"][0]["messages"]) == len(replies)


def test_a_hung_server_is_one_line_and_the_state_stays(reviewed):  # noqa: F811
    tree, inbox, sent, replies = reviewed
    repo = GitRepo(tree)
    review = collect(repo, refresh=True)
    comment = by_sender(review, "rev1@").comments[0]
    set_comment_state(repo, comment.id, "addressed")
    git(tree, "config", "patchpilot.replies.timeout", "1")
    git(tree, "config", "patchpilot.replies.retries", "0")
    os.kill(inbox._httpd.pid, signal.SIGSTOP)  # it accepts connections, never answers
    try:
        code, out, err = run(tree, "replies", "--refresh", "--json")
    finally:
        os.kill(inbox._httpd.pid, signal.SIGCONT)
    assert code == 0, err
    # the line says why (the request's deadline) since the review-robustness work
    assert "is unreachable (no complete answer within" in err
    assert "showing cached data from" in err and "Traceback" not in err
    doc = json.loads(out)
    assert len(doc["revisions"][0]["messages"]) == len(replies)
    kept = next(c for m in doc["revisions"][0]["messages"] for c in m["comments"]
                if c["id"] == comment.id)
    assert kept["state"] == "addressed"


def test_json_and_text_carry_no_control_characters(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    parent = parse_mail(patch_mail(sent, "1"))
    name = "=?utf-8?b?" + __import__("base64").b64encode(
        "Ev\u202eil\x1b]8;;http://x\x07 \u200bBot\x9b".encode()).decode() + "?="
    subject = "=?utf-8?b?" + __import__("base64").b64encode(
        f"Re: {parent.subject} \x1b[2J\u2066x\u2069".encode()).decode() + "?="
    body = ("> +struct RustOne;\n\nWhy \x1b[31mred\x1b[0m\x07, \x7f and \u202egnp.exe? "
            "\u200d\ufeff\x85\n")
    raw = (f"From: {name} <evil@example.com>\nTo: list@example.org\nSubject: {subject}\n"
           f"Message-ID: <hostile@example.com>\nIn-Reply-To: <{parent.msgid}>\n"
           f"References: <{parent.msgid}>\nDate: Tue, 02 Jan 2024 10:00:00 +0000\n"
           "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
           "Content-Transfer-Encoding: 8bit\n\n").encode() + body.encode()
    inbox.deliver(raw)
    code, out, err = run(tree, "replies", "--refresh", "--json")
    assert code == 0, err
    assert not set(out) & set(FORBIDDEN) and "\\u001b" not in out and "\\u0007" not in out
    doc = json.loads(out)
    evil = next(m for m in doc["revisions"][0]["messages"] if m["msgid"] == "hostile@example.com")
    assert "<U+202E>" in evil["from"] and "<U+202E>" in evil["comments"][0]["text"]
    assert evil["comments"][0]["text"].startswith("Why red, ")
    code, text, err = run(tree, "replies")
    assert code == 0 and not set(text + err) & set(FORBIDDEN)


def test_two_messages_with_one_message_id(reviewed):  # noqa: F811
    tree, inbox, sent, replies = reviewed
    repo = GitRepo(tree)
    first = collect(repo, refresh=True)
    twin = by_sender(first, "rev1@")
    inbox.deliver(reply(patch_mail(sent, "1"), "Impostor <imp@example.com>",
                        "> +struct RustOne;\n\nDelete all of this.\n", msgid=f"<{twin.msgid}>"))
    threads.forget()
    review = collect(repo, refresh=True)
    same = [r for r in review.replies() if r.msgid == twin.msgid]
    assert len(same) == 1 and "rev1@" in same[0].sender  # the first one stays
    assert len(list(review.replies(own=True))) == len(replies)
    git(tree, "config", "patchpilot.replies.full-refresh", "0")  # the whole thread again
    full = collect(repo, refresh=True)
    same = [r for r in full.replies() if r.msgid == twin.msgid]
    assert len(same) == 1 and "rev1@" in same[0].sender
    assert any("have the Message-ID" in w for w in full.warnings), full.warnings
