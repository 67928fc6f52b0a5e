"""Issue 24 on the review side, against the real parts: the series of test_review_faults sent
once with real b4 to a real SMTP server, its thread in a real public-inbox per test, and mail
from a hostile list member delivered to it (cases 1, 6, 9 and 14; the answers' cases are in
test_hostile_reply.py, the send's in test_hostile_send.py).
"""

from __future__ import annotations

import json
import shutil

from patchpilot.core.config import Config
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.replies import make_client
from tests.helpers import git
from tests.integration.test_replies import quote
from tests.integration.test_review_faults import (  # noqa: F401  (fixtures)
    lab,
    messages,
    ok,
    raw_reply,
    run,
    work,
)
from tests.lore_faults import FaultyLore

FORGED = (b"=?utf-8?q?Linus_Torvalds_=3Ctorvalds=40linux-foundation=2Eorg=3E?= "
          b"<mallory@evil.example>")


def patch(work, number: str) -> bytes:  # noqa: F811
    return next(r for s, r in work.lab.sent.items() if f"{number}/3" in s)


# -- case 1: a forged Reviewed-by ---------------------------------------------------------------
def test_a_name_that_reads_as_an_address_is_no_sender(work):  # noqa: F811
    work.inbox.deliver(raw_reply(patch(work, "1"), FORGED,
                                 b"Reviewed-by: Linus Torvalds <torvalds@linux-foundation.org>\n",
                                 b"<forged@evil.example>"))
    tree = work.tree
    doc = json.loads(ok(tree, "replies", "--refresh", "--json")[0])
    assert messages(doc)[0]["from"] == \
        '"Linus Torvalds <torvalds@linux-foundation.org>" <mallory@evil.example>'
    items = json.loads(ok(tree, "trailers", "--json")[0])["trailers"]
    assert [(t["trailer"], t["status"]) for t in items] == [
        ("Reviewed-by: Linus Torvalds <torvalds@linux-foundation.org>", "sender-mismatch")]
    code, _, err = run(tree, "trailers", "--apply", "--yes")
    assert code == 2 and "no trailer to apply" in err and "Traceback" not in err
    assert "torvalds" not in git(tree, "log", "--format=%B", "master..")


# -- case 6: a byte that is not UTF-8 in a trailer's address -------------------------------------
def test_a_bad_byte_in_a_trailer_breaks_no_run(work):  # noqa: F811
    body = (quote("rust_one", "pr_info!").encode() + b"\n\nLooks fine otherwise.\n\n"
            b"Reviewed-by: Bad Byte <b\xc0b@example.com>\n")
    work.inbox.deliver(raw_reply(patch(work, "1"), b"Bad Byte <bad@example.com>", body,
                                 b"<badbyte@example.com>",
                                 b"Content-Type: text/plain; charset=utf-8\n"
                                 b"Content-Transfer-Encoding: 8bit\n"))
    tree = work.tree
    doc = json.loads(ok(tree, "replies", "--refresh", "--json")[0])
    texts = [c["text"] for c in messages(doc)[0]["comments"]]
    assert any("Bad Byte <b\ufffdb@example.com>" in t for t in texts), texts  # kept as text
    for argv in (["replies"], ["trailers", "--json"], ["trailers"], ["reroll"],
                 ["reroll", "--json"]):
        ok(tree, *argv)  # every later run reads the cached thread again
    assert json.loads(ok(tree, "trailers", "--json")[0])["trailers"] == []


# -- case 9: a lore cache entry that is a directory ----------------------------------------------
def test_a_cache_entry_that_is_a_directory_is_a_cache_miss(work):  # noqa: F811
    work.inbox.deliver(raw_reply(patch(work, "2"), b"Rev <rev@example.com>",
                                 quote("rust_two", "pr_info!").encode() + b"\n\nA comment.\n",
                                 b"<dir-case@example.com>"))
    tree = work.tree
    ok(tree, "replies", "--refresh")
    client = make_client(GitRepo(tree), Config(GitRepo(tree)))
    for path in client._paths(work.cover):
        path.unlink()
        path.mkdir()
        (path / "inside").write_text("kept")
        for argv in (["replies"], ["replies", "--refresh", "--json"]):
            out, _ = ok(tree, *argv)
        assert len(messages(json.loads(out))) == 1  # fetched again, and cached again
        assert client.cached(work.cover) is not None
        kept = list(path.parent.glob(f"{path.name}.damaged-*"))
        assert len(kept) == 1 and (kept[0] / "inside").read_text() == "kept"
        shutil.rmtree(kept[0])


# -- case 14: a server that answers with another thread ------------------------------------------
def test_another_thread_is_never_taken_for_ours(work):  # noqa: F811
    work.inbox.deliver(raw_reply(patch(work, "1"), b"Rev <rev@example.com>",
                                 quote("rust_one", "pr_info!").encode() + b"\n\nOurs.\n",
                                 b"<ours@example.com>"))
    other = b"<other-root@example.net>"
    work.inbox.deliver(b"From: Someone <someone@example.net>\nTo: list@example.org\n"
                       b"Subject: [PATCH] something else\nMessage-ID: " + other +
                       b"\nDate: Tue, 02 Jan 2024 09:00:00 +0000\n\nAnother series.\n")
    for n in range(3):
        work.inbox.deliver(
            b"From: Other %d <other%d@example.net>\nTo: list@example.org\n"
            b"Subject: Re: [PATCH] something else\nMessage-ID: <other-%d@example.net>\n"
            b"In-Reply-To: %s\nReferences: %s\nDate: Tue, 02 Jan 2024 10:00:00 +0000\n\n"
            b"> Another series.\n\nNot about your patches.\n" % (n, n, n, other, other))
    tree = work.tree
    with FaultyLore(work.inbox.base) as lore:
        git(tree, "config", "patchpilot.replies.server", lore.base)
        ok(tree, "replies", "--refresh")  # the real thread, cached
        lore.redirect = (work.cover, "other-root@example.net")  # every thread asked: that one
        git(tree, "config", "patchpilot.replies.full-refresh", "0")  # the whole thread again
        out, err = ok(tree, "replies", "--refresh", "--json")
    doc = json.loads(out)
    assert "another thread" in err and len(err.strip().splitlines()) == 1, err
    assert [m["from"] for m in messages(doc)] == ["Rev <rev@example.com>"]  # the cache
    assert "example.net" not in out


# -- case 15: a trailer b4 did not apply ends in an error line -----------------------------------
def test_a_trailer_b4_skips_is_said_in_one_error_line(work):  # noqa: F811
    work.inbox.deliver(raw_reply(patch(work, "3"), b"Rev <rev@example.com>",
                                 b"Reviewed-by: Rev <rev@example.com>\n", b"<late-rb@example.com>"))
    tree = work.tree
    ok(tree, "replies", "--refresh")
    path = tree / "samples/rust/rust_three.rs"
    path.write_text(path.read_text() + "// Changed after the review.\n")
    git(tree, "commit", "-q", "-a", "--amend", "-m", "samples: rust: a third sample, reworked")
    (item,) = json.loads(ok(tree, "trailers", "--json")[0])["trailers"]
    assert item["status"] == "patch-changed"
    code, _, err = run(tree, "trailers", "--apply", "--yes", "--accept", item["id"])
    # The patch's subject and code both changed: no patch of the branch is its target, said
    # before b4 runs (a trailer b4 itself skips is said with b4's reason:
    # test_trailers_as_b4.py::test_a_trailer_b4_does_not_apply_is_said_with_why).
    assert code == 2 and "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("patchpilot: error:")]
    assert len(errors) == 1 and "has no patch of the branch to go to" in errors[0], err
    assert "Reviewed-by: Rev <rev@example.com>" in errors[0]
