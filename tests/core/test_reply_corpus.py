"""Comment extraction on a corpus of reply shapes (tests/fixtures/replies, written for these
tests in the ways kernel reviewers write: interleaved, top-posted, nested quotes, attribution
lines of several mailers, Outlook's original-message block, HTML-only, format=flowed,
quoted-printable, signatures after `-- ` and `---`, words around trailers, bots).

Each reply must yield the comments the reviewer asked for and nothing else; what is not a
comment stays in the reply as an aside (never counted open).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchpilot.core.review.mail import parse_mail
from patchpilot.core.review.thread import analyse_thread

CORPUS = Path(__file__).parent.parent / "fixtures" / "replies"
PAGE = "rust/kernel/page.rs"

# msgid: (reply kind, [(comment text starts with, line in page.rs or None)], trailers given,
#         asides that must be kept in the reply (text starts with))
EXPECTED = {
    "interleaved@example.com": ("review", [("This unsafe block needs a `// SAFETY:`", 48),
                                           ("Should this take `&mut self`?", 52)], [],
                                ["Thanks,\nRae"]),
    "toppost@example.com": ("review", [("Please split this into two patches", None)], [], []),
    "gmail@example.com": ("review", [('nit: "pilot_" says nothing', 45)], [],
                          ["LGTM otherwise."]),
    "own-answer@example.org": ("own", [("Will do in v2.", 48),
                                       ("The page is owned", None)], [], []),
    "nested-thanks@example.com": ("review", [("Owned by whom?", None)], [],
                                  ["Thanks!", "-- \nRae"]),
    "writes@example.com": ("review", [("That line is over 100 columns", 54)], [],
                           ["-- \nNorbert Gnus"]),
    "outlook@example.com": ("review", [("Can you add a `# Safety` section", None)], [], []),
    "outlook-web@example.com": ("ack", [], ["Reviewed-by"], ["Looks good to me."]),
    "html@example.com": ("review", [("Why is this sound when the page is highmem", 48)], [],
                         ["Hi Test,"]),
    "flowed@example.com": ("review", [("The doc comment should say what happens", 45)], [],
                           []),
    "qp@example.com": ("review", [("Ce commentaire n'apporte rien", 47)], [], []),
    "mutt@example.com": ("review", [("s/Fills/Fill/", 51)], [], []),
    "looks-good@example.com": ("ack", [], ["Reviewed-by"], ["Looks good."]),
    "whole-series@example.com": ("ack", [], ["Acked-by"], ["For the whole series:"]),
    "works-on-board@example.com": ("ack", [], ["Tested-by"], ["Works on my board."]),
    "lgtm@example.com": ("other", [], [], ["LGTM, thanks!"]),
    "dashes@example.com": ("review", [("Use `self.as_ptr()` directly", 47)], [],
                           ["---\nCheers,\nBenno"]),
    "with-that-fixed@example.com": ("review", [("Returning u8 hides the unmapped case", 45)],
                                    ["Reviewed-by"], []),
    "quote-only@example.com": ("ack", [], ["Acked-by"], []),
    "thanks-question@example.com": ("review", [("Looks fine, but could you explain", 52)], [],
                                    ["Thanks for the patch!"]),
    "robot@intel.com": ("bot", [("Hi Test,\n\nkernel test robot noticed", None)],
                        ["Reported-by"], []),
    "syzbot@google.com": ("bot", [("Hello,\n\nsyzbot found the following issue", None)],
                          ["Reported-by"], []),
    "nak@example.com": ("nak", [("NAK. Raw page access does not belong", None)], [], []),
    "self-followup@example.com": ("review", [("Scratch the racy part", 52)], [], []),
    "unknown-parent@example.com": ("review", [("Does this build without CONFIG_MMU?", None)],
                                   [], []),
}


@pytest.fixture(scope="module")
def thread():
    mails = [parse_mail(path.read_bytes()) for path in sorted(CORPUS.glob("*.eml"))]
    return analyse_thread(mails, "cover@example.org", ("dev@example.org",))


@pytest.fixture(scope="module")
def replies(thread):
    return {r.msgid: r for r in thread.replies}


def test_every_fixture_is_expected(replies):
    assert set(replies) == set(EXPECTED)


@pytest.mark.parametrize("msgid", sorted(EXPECTED))
def test_comments_are_what_the_reviewer_asked_for(replies, msgid):
    kind, comments, trailers, asides = EXPECTED[msgid]
    reply = replies[msgid]
    assert reply.kind == kind
    got = [(c.text, c.line) for c in reply.comments]
    assert len(got) == len(comments), [c.text for c in reply.comments]
    for (text, line), (want, at) in zip(got, comments):
        assert text.startswith(want) and line == at, (text, line)
        assert all(c.file == (PAGE if c.line else None) for c in reply.comments)
    assert [t.name for t in reply.trailers] == trailers
    kept = [c.text for c in reply.asides]
    for want in asides:
        assert any(text.startswith(want) for text in kept), (want, kept)
    assert not any(c.counted for c in reply.asides)
    assert [c.n for c in reply.items] == list(range(1, len(reply.items) + 1))


def test_greetings_and_sign_offs_never_leak_into_a_comment(replies):
    everything = "\n".join(c.text for r in replies.values() for c in r.comments
                           if r.kind != "bot")
    for courtesy in ("Thanks,", "Regards,", "Cheers,", "Best regards,", "Merci,", "With that "
                     "fixed", "Reviewed-by:", "wrote:", "writes:", "a écrit", "[...]",
                     "-----Original Message-----"):
        assert courtesy not in everything
    assert replies["outlook@example.com"].comments[0].aside == "Regards,\nBob"
    assert replies["with-that-fixed@example.com"].comments[0].aside == "With that fixed:"


def test_the_corpus_asks_for_exactly_this_many_things(replies):
    counted = [c for r in replies.values() if r.kind != "own" for c in r.comments]
    assert len(counted) == sum(len(v[1]) for k, v in EXPECTED.items() if v[0] != "own") == 19


def test_a_flowed_comment_is_joined_and_a_top_post_keeps_its_quote(replies):
    flowed = replies["flowed@example.com"].comments[0]
    assert flowed.text == ("The doc comment should say what happens for a page that is not "
                           "mapped, and the function should probably return Option<u8> so a "
                           "caller cannot ignore that case.")
    top = replies["toppost@example.com"]
    assert [c.kind for c in top.items] == ["comment"]  # the quote below is its context
    assert "> +    pub fn pilot_first_byte(&self) -> u8 {" in top.comments[0].context
    outlook = replies["outlook@example.com"].comments[0]
    assert "From: Test Dev <dev@example.org>" in outlook.context


def test_a_bot_report_is_one_item_with_its_trailer(replies):
    robot = replies["robot@intel.com"]
    assert len(robot.items) == 1 and robot.items[0].kind == "report"
    assert ">> error[E0425]" in robot.items[0].text and "0-DAY CI" not in robot.items[0].text
    assert robot.trailers[0].value == "kernel test robot <lkp@intel.com>"


def test_a_reviewer_going_on_with_their_own_comment(replies):
    again = replies["self-followup@example.com"].comments[0]
    assert again.follows == "interleaved@example.com:2" and again.line == 52


def test_a_reply_to_an_unknown_message_and_a_duplicate(thread, replies):
    assert replies["unknown-parent@example.com"].patch == 1  # by its subject
    assert thread.duplicates == ["looks-good@example.com"]
    assert "sent twice" not in replies["looks-good@example.com"].items[0].text  # the first


def test_reply_headers_for_an_answer(replies):
    """What an answer to a comment needs (issue 16): the reviewer's headers and the quote."""
    rae = replies["interleaved@example.com"]
    assert rae.to == ["Test Dev <dev@example.org>"]
    assert rae.cc == ["rust-for-linux@vger.kernel.org"]
    assert rae.references == ["cover@example.org", "patch1@example.org"]
    first = rae.comments[0]
    assert first.context.splitlines()[-1] == \
        "> +        unsafe { *(bindings::page_address(addr) as *const u8) }"
    assert first.reviewer == "Rae Viewer <rae@example.com>" and first.state == "open"


@pytest.mark.parametrize("text, trailer_next, kind", [
    ("Looks good, but please rename it.", False, "comment"),
    ("Looks good.", True, "praise"),
    ("And this.", True, "comment"),  # points at the quote above: an ask
    ("Hmm.", False, "comment"),  # unclear words are shown as a comment, never hidden
    ("Thanks,\nRae", False, "greeting"),
    ("Applied, thanks!", False, "praise"),
    ("Makes sense.", False, "praise"),
    ("Makes sense, but why not use a guard?", False, "comment"),
    ("FWIW:", True, "praise"),
    ("I run this on my board daily, works fine.", False, "praise"),
    ("Works fine; just drop the unused import.", False, "comment"),
    ("Nice cleanup. One nit: the comment above is stale.", False, "comment"),
])
def test_reading_one_run(text, trailer_next, kind):
    from patchpilot.core.review.classify import read_run
    lines = text.splitlines() + (["Reviewed-by: A <a@example.com>"] if trailer_next else [])
    trailer_at = {len(lines) - 1} if trailer_next else set()
    assert read_run(lines, trailer_at, last=True, first=True).kind == kind


def test_a_hi_glued_to_a_comment_is_set_aside():
    from patchpilot.core.review.classify import read_run
    reading = read_run(["Hi Alice,", "", "This leaks the page.", "", "Cheers,", "Bob"], set(),
                       last=True)
    assert (reading.kind, reading.text) == ("comment", "This leaks the page.")
    assert reading.aside == "Hi Alice,\n\nCheers,\nBob"


def test_your_own_answer_is_never_an_open_comment(replies):
    from patchpilot.cli.replies_cmd import _item_line
    own = replies["own-answer@example.org"]
    assert own.comments and all(c.own and not c.is_open for c in own.items)
    assert all("(your answer)" in _item_line(c) and " open " not in _item_line(c)
               for c in own.comments)
    others = [c for r in replies.values() if r.kind != "own" for c in r.comments]
    assert others and all(c.is_open and not c.own for c in others)
