"""Review counts for the home screen, from a report built by hand; the newer-revision memory."""

from __future__ import annotations

from patchpilot.core.review.db import ReviewDB
from patchpilot.core.review.model import Comment, Reply, Review
from patchpilot.core.review.model import Revision as RevisionView
from patchpilot.core.review.summary import count_report
from patchpilot.core.review.tags import trailer_lines


def tag(line: str):
    return trailer_lines([line])[0][0]


REV = tag("Reviewed-by: Rev <rev@example.com>")


def message(msgid, patch, kind="review", unread=True, trailers=(), states=()) -> Reply:
    comments = [Comment(msgid, n, "comment", "text", state=state)
                for n, state in enumerate(states, 1)]
    comments.append(Comment(msgid, len(comments) + 1, "greeting", "Thanks,\nRae"))  # not counted
    return Reply(msgid, "Someone <s@example.com>", "s@example.com", "2024-01-02", "Re: x",
                 patch, kind, unread=unread, trailers=list(trailers), items=comments)


def report(*revisions: RevisionView, newer=()) -> Review:
    return Review("cid", "b4/x", list(revisions), "http://lore", None, list(newer))


def test_counts_unread_and_open_over_revisions_trailers_of_the_latest():
    v1 = RevisionView(1, "c1@x", 100.0, [
        message("a@x", 1, unread=False, trailers=[REV], states=("open", "addressed")),
        message("b@x", 2, states=("open",))])
    for reply in v1.replies:
        reply.revision = 1
    v2 = RevisionView(2, "c2@x", 200.0, [
        message("c@x", 0, kind="ack", trailers=[tag("Acked-by: M <m@example.com>")]),
        message("d@x", 1, trailers=[REV, tag("Tested-by: T <t@example.com>")],
                states=("wontfix", "open", "replied")),
        message("e@x", 1, trailers=[REV]),  # the same trailer again counts once
        message("f@x", 2, kind="bot", trailers=[tag("Reported-by: robot <lkp@intel.com>")]),
        message("g@x", 2, kind="nak", trailers=[tag("Nacked-by: N <n@example.com>")]),
        message("h@x", 0, kind="own", unread=True, trailers=[tag("Acked-by: Me <me@x.org>")],
                states=("open",))])
    for reply in v2.replies:
        reply.revision = 2
    review = report(v2, v1, newer=[3])
    counts = count_report("b4/x", review)
    assert (counts.latest_sent, counts.cached) == (2, True)
    # your own reply is neither unread news nor an open comment; greetings are not comments
    assert (counts.unread, counts.open_comments) == (6, 3)
    # Reviewed-by on v1 and on v2 (once), Acked-by, Tested-by; not the bot's, the NAK, yours
    assert counts.trailers == 4 == len(review.collected_trailers())
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
