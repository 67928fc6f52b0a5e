"""Comment extraction, quote-to-line mapping, trailers and kinds on hand-written replies."""

from __future__ import annotations

from patchpilot.core.review.mail import Mail
from patchpilot.core.review.thread import DiffIndex, analyse_thread, subject_info

DIFF = """diff --git a/a.rs b/a.rs
--- a/a.rs
+++ b/a.rs
@@ -1,4 +1,5 @@
 fn one() {}
-fn old() {}
+fn two() {}
+fn three() {}
 fn four() {}
 fn five() {}
"""


def mail(msgid, subject, body="", parent=None, sender="Rev <rev@example.com>"):
    return Mail(msgid=msgid, subject=subject, sender=sender,
                address=sender.split("<")[-1].strip(">").lower(), date="2024-01-01",
                in_reply_to=parent, references=[parent] if parent else [], body=body)


def test_subject_info():
    assert subject_info("Re: [PATCH v3 2/5] x") == subject_info("RE: [RFC PATCH v3 2/5] x")
    info = subject_info("[PATCH 0/2] cover")
    assert (info.revision, info.index, info.total, info.reply) == (1, 0, 2, False)
    assert subject_info("no prefix") is None


def test_locate_uses_context_and_removed_lines():
    index = DiffIndex(DIFF)
    assert index.locate([" fn one() {}", "-fn old() {}", "+fn two() {}"]) == ("a.rs", 2)
    assert index.locate(["-fn old() {}"]) == ("a.rs", 2)  # the next new-file line
    assert index.locate(["+fn three() {}", "", "some text"]) == ("a.rs", 3)
    assert index.locate(["not in the diff"]) == (None, None)


def test_thread_analysis():
    cover = mail("c@x", "[PATCH 0/1] s", sender="Me <me@x>")
    patch = mail("p@x", "[PATCH 1/1] s", "msg\n---\n" + DIFF + "-- \n2.39\n", "c@x", "Me <me@x>")
    review = mail("r@x", "Re: [PATCH 1/1] s",
                  "Hi,\n\nOn Mon, Me wrote:\n> +fn two() {}\n\nRename it.\n\n"
                  "> > nested\n> +fn three() {}\n\nAnd this.\nReviewed-by: Rev <rev@example.com>\n"
                  "-- \nsig Acked-by: Nope <n@x>\n", "p@x")
    ack = mail("a@x", "Re: [PATCH 0/1] s", "Acked-by: M <m@x.org>\n\n> cover text\n", "c@x",
               "M <m@x>")
    nak = mail("n@x", "Re: [PATCH 1/1] s", "NAK.\n", "r@x", "N <n@x>")
    bot = mail("b@x", "Re: [PATCH 1/1] s", "build error\nReported-by: kernel test robot "
               "<lkp@intel.com>\n", "p@x", "kernel test robot <lkp@intel.com>")
    own = mail("o@x", "Re: [PATCH 1/1] s", "> Rename it.\n\nWill do.\n", "r@x", "Me <me@x>")
    thread = analyse_thread([cover, patch, review, ack, nak, bot, own], "c@x", ("me@x",))
    assert list(thread.patches) == [1] and "+fn two" in thread.diffs[1]
    got = {r.msgid: r for r in thread.replies}
    assert {k: (r.patch, r.kind) for k, r in got.items()} == {
        "r@x": (1, "review"), "a@x": (0, "ack"), "n@x": (1, "nak"), "b@x": (1, "bot"),
        "o@x": (1, "own")}
    first, second = got["r@x"].comments
    assert (first.text, first.line, second.text, second.line) == ("Rename it.", 2, "And this.", 3)
    assert [(t.name, t.value) for t in got["r@x"].trailers] == [("Reviewed-by",
                                                                 "Rev <rev@example.com>")]
    assert got["a@x"].comments == [] and got["a@x"].trailers[0].name == "Acked-by"
    assert [c.kind for c in got["a@x"].items] == ["quote"]  # quoted, not answered: no comment
    assert [c.kind for c in got["r@x"].items] == ["greeting", "comment", "comment", "signature"]
    assert [c.kind for c in got["b@x"].items] == ["report"]
