"""What is not a comment is never counted: a maintainer's "applied" mail (b4 ty's summary, a
hand-written one, patchwork-bot's) and a short lead-in line just above a trailer. Mail in the
shapes maintainers and reviewers write (written for these tests); each rule has its control,
the same shape that does ask something, still counted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchpilot.core.review.mail import parse_mail
from patchpilot.core.review.thread import analyse_thread

CORPUS = Path(__file__).parent.parent / "fixtures" / "replies"
HEAD = ("From: {sender}\nTo: rust-for-linux@vger.kernel.org\nSubject: Re: [PATCH 1/1] rust: "
        "page: add pilot_first_byte and pilot_fill\nMessage-ID: <{msgid}>\n"
        "In-Reply-To: <patch1@example.org>\nReferences: <cover@example.org> "
        "<patch1@example.org>\nDate: Wed, 03 Dec 2025 09:00:00 +0000\n\n")
QUOTE = "On Mon, 01 Dec 2025 10:00:01 +0000, Test Dev wrote:\n> Add two helpers.\n\n"
MAINT = "Miguel Maintainer <miguel@example.org>"

B4_TY = (QUOTE + "Applied to `rust-next` -- thanks everyone!\n\n"
         "[1/1] rust: page: add pilot_first_byte and pilot_fill\n"
         "      commit: 0123456789ab\n\nBest regards,\n-- \nMiguel\n")
BY_HAND = ("Thanks, applied to rust-next.\n\n"
           "[1/1] rust: page: add pilot_first_byte and pilot_fill\n"
           "      https://git.kernel.org/rust/c/0123456789ab\n")
BOT = ("Hello:\n\nThis patch was applied to rust/rust-next.git (main)\n"
       "by Miguel Maintainer <miguel@example.org>:\n\n" + QUOTE +
       "Here is the summary with links:\n"
       "  - [1/1] rust: page: add pilot_first_byte and pilot_fill\n"
       "    https://git.kernel.org/rust/c/0123456789ab\n\n"
       "You are awesome, thank you!\n-- \nDeet-doot-dot, I am a bot.\n")
APPLIED_BUT = ("Applied to rust-next, thanks!\n\n"
               "[1/1] rust: page: add pilot_first_byte and pilot_fill\n"
               "      commit: 0123456789ab\n\nPlease send a follow-up that fixes the doc "
               "comment.\n")

LEAD_INS = ("In case it helps:", "Either way:", "Tested on my RISC-V board with QEMU:",
            "Regardless of the naming bikeshed:", "So, from my side:")


def thread_of(*mails: tuple[str, str, str]):
    base = [parse_mail((CORPUS / name).read_bytes()) for name in ("00-cover.eml",
                                                                   "01-patch.eml")]
    extra = [parse_mail((HEAD.format(sender=s, msgid=m) + body).encode())
             for s, m, body in mails]
    return {r.msgid: r for r in analyse_thread(base + extra, "cover@example.org",
                                               ("dev@example.org",)).replies}


@pytest.mark.parametrize("body", [B4_TY, BY_HAND])
def test_an_applied_mail_is_no_comment(body):
    reply = thread_of((MAINT, "ty@example.org", body))["ty@example.org"]
    assert reply.comments == [], [c.text for c in reply.comments]
    assert any(c.kind == "applied" and "commit" in c.text or "/c/" in c.text
               for c in reply.items)


def test_patchwork_bots_applied_mail_is_no_report():
    replies = thread_of(("patchwork-bot+rust@kernel.org", "pw@example.org", BOT))
    reply = replies["pw@example.org"]
    assert reply.kind == "bot" and reply.comments == []
    assert [c.kind for c in reply.items] == ["applied"]


def test_an_applied_mail_that_asks_still_counts():
    reply = thread_of((MAINT, "but@example.org", APPLIED_BUT))["but@example.org"]
    assert [c.text for c in reply.comments] == \
        ["Please send a follow-up that fixes the doc comment."]


@pytest.mark.parametrize("lead", LEAD_INS)
def test_a_lead_in_line_before_a_trailer_is_no_comment(lead):
    body = f"{QUOTE}{lead}\nReviewed-by: Rae Reviewer <rae@example.com>\n"
    reply = thread_of(("Rae Reviewer <rae@example.com>", "lead@example.com",
                       body))["lead@example.com"]
    assert reply.comments == [] and [t.name for t in reply.trailers] == ["Reviewed-by"]
    assert any(c.text == lead for c in reply.asides)


@pytest.mark.parametrize("lead", ["Could you rename it first:", "Please drop the unsafe:",
                                  "One thing is not right here:"])
def test_a_lead_in_that_asks_is_a_comment(lead):
    body = f"{QUOTE}{lead}\nReviewed-by: Rae Reviewer <rae@example.com>\n"
    reply = thread_of(("Rae Reviewer <rae@example.com>", "ask@example.com",
                       body))["ask@example.com"]
    assert [c.text for c in reply.comments] == [lead]
