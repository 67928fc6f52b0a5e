"""Review counts for the home screen, from a report built by hand; the newer-revision memory."""

from __future__ import annotations

from patchpilot.core.review.db import ReviewDB
from patchpilot.core.review.replies import CommentView, MessageView, RepliesReport, RevisionView
from patchpilot.core.review.summary import count_report

REV = ("Reviewed-by", "Rev <rev@example.com>")


def message(msgid, patch, kind="review", unread=True, trailers=(), states=()) -> MessageView:
    comments = [CommentView(f"{msgid}:{n}", n, None, None, "", "text", state)
                for n, state in enumerate(states, 1)]
    return MessageView(msgid, "Someone <s@example.com>", "2024-01-02", "Re: x", patch, None,
                       unread, kind, list(trailers), comments)


def report(*revisions: RevisionView, newer=()) -> RepliesReport:
    return RepliesReport("cid", "b4/x", list(revisions), "http://lore", None, list(newer))


def test_counts_unread_and_open_over_revisions_trailers_of_the_latest():
    v1 = RevisionView(1, "c1@x", 100.0, [
        message("a@x", 1, unread=False, trailers=[REV], states=("open", "addressed")),
        message("b@x", 2, states=("open",))])
    v2 = RevisionView(2, "c2@x", 200.0, [
        message("c@x", 0, kind="ack", trailers=[("Acked-by", "M <m@example.com>")]),
        message("d@x", 1, trailers=[REV, ("Tested-by", "T <t@example.com>")],
                states=("wontfix", "open", "replied")),
        message("e@x", 1, trailers=[REV]),  # the same trailer again counts once
        message("f@x", 2, kind="bot", trailers=[("Reported-by", "robot <lkp@intel.com>")]),
        message("g@x", 2, kind="nak", trailers=[("Nacked-by", "N <n@example.com>")]),
        message("h@x", 0, kind="own", unread=False, trailers=[("Acked-by", "Me <me@x>")])])
    counts = count_report("b4/x", report(v2, v1, newer=[3]))
    assert (counts.latest_sent, counts.cached) == (2, True)
    assert (counts.unread, counts.open_comments, counts.trailers) == (6, 3, 3)
    assert counts.newer_revisions == [3] and counts.problem is None


def test_nothing_cached_is_not_zero_replies():
    counts = count_report("b4/x", report(RevisionView(1, "c1@x", None)))
    assert (counts.latest_sent, counts.cached, counts.unread) == (1, False, 0)
    assert count_report("b4/x", report()).latest_sent is None


def test_newer_revisions_are_remembered_per_change_id(tmp_path):
    db = ReviewDB(tmp_path / "r.sqlite3")
    assert db.newer("cid") == []
    db.set_newer("cid", [4, 3])
    db.set_newer("other", [])
    assert db.newer("cid") == [3, 4] and db.newer("other") == []
    db.close()
    again = ReviewDB(tmp_path / "r.sqlite3")
    assert again.newer("cid") == [3, 4]
    again.set_newer("cid", [])
    assert again.newer("cid") == []
