"""Composing an answer to a reviewer's message: threading, subject, reply-all recipients,
kernel-style quotes, drafts from the comment's state, wrapping, the Message-ID, and the
reviewer's mails that cannot be answered."""

from __future__ import annotations

import email
import email.policy
import email.utils
from datetime import UTC, datetime

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.answer import (
    Asked,
    Me,
    Revisions,
    Source,
    compose,
    has_answer,
    render,
    reply_subject,
    wrap_answer,
)

ME = Me("Test Dev", "dev@example.org", frozenset({"dev@example.org", "test.dev@work.example"}))
REVS = Revisions(latest_sent=2, in_progress=3)
NOW = datetime(2024, 1, 3, 9, 0, tzinfo=UTC)
QUOTE = ("> diff --git a/samples/rust/rust_one.rs b/samples/rust/rust_one.rs\n"
         "> +impl kernel::Module for RustOne {\n"
         "> +    fn init(_module: &'static ThisModule) -> Result<Self> {\n"
         ">\n"
         "> +        pr_info!(\"Rust rust_one sample (init)\\n\");\n"
         "> +        let x = 1;\n"
         "> +        let y = 2;\n"
         "> +        let z = 3;\n"
         "> +        Ok(RustOne)")


def source(**overrides) -> Source:
    values = dict(
        msgid="rev1-abc@example.com", subject="Re: [PATCH v2 1/3] samples: rust: add rust_one",
        sender="Rev One <rev1@example.com>", date="Tue, 02 Jan 2024 10:00:00 +0000",
        references=["cover@example.org", "patch1@example.org"],
        to=["Test Dev <dev@example.org>", "rust-for-linux@vger.kernel.org"],
        cc=['"Müller, Jörg" <joerg@example.de>', "REV1@example.com", "Other <o@example.net>",
            "rust-for-linux@VGER.kernel.org"],
        comments=[Asked(2, "> +        Ok(RustOne)", "Nit: a blank line above.", "addressed", 3),
                  Asked(1, QUOTE, "Please use pr_debug here,\nthis is noisy.", "addressed", 2)])
    values.update(overrides)
    return Source(**values)


def test_threading_subject_and_recipients():
    answer = compose(source(), ME, REVS, NOW)
    assert answer.in_reply_to == "rev1-abc@example.com"
    assert answer.references == ["cover@example.org", "patch1@example.org",
                                 "rev1-abc@example.com"]
    assert answer.subject == "Re: [PATCH v2 1/3] samples: rust: add rust_one"
    assert answer.to == ["Rev One <rev1@example.com>"]
    # the user's own address dropped, the reviewer and the list once each, names kept
    assert answer.cc == ["rust-for-linux@vger.kernel.org", '"Müller, Jörg" <joerg@example.de>',
                         "Other <o@example.net>"]
    assert answer.sender == "Test Dev <dev@example.org>"


@pytest.mark.parametrize("subject,expected", [
    ("[PATCH 1/3] rust: x", "Re: [PATCH 1/3] rust: x"),
    ("Re: [PATCH 1/3] rust: x", "Re: [PATCH 1/3] rust: x"),
    ("RE: re:Aw: [PATCH] rust: x", "Re: [PATCH] rust: x"),
    ("Re:\x1b[31m [PATCH] x", "Re: [31m [PATCH] x"),
])
def test_subject_never_doubled(subject, expected):
    assert reply_subject(subject) == expected


def test_kernel_style_quotes_in_reviewer_order_with_drafts_from_state():
    body = compose(source(), ME, REVS, NOW).body
    lines = body.splitlines()
    assert lines[0] == "On Tue, 02 Jan 2024 10:00:00 +0000, Rev One wrote:"
    first = lines.index("> > +        pr_info!(\"Rust rust_one sample (init)\\n\");")
    # trimmed to the part answered: the diff header and the impl line are not quoted
    assert "> > diff --git a/samples/rust/rust_one.rs b/samples/rust/rust_one.rs" not in body
    assert lines[first:first + 9] == [
        '> > +        pr_info!("Rust rust_one sample (init)\\n");', "> > +        let x = 1;",
        "> > +        let y = 2;", "> > +        let z = 3;", "> > +        Ok(RustOne)", ">",
        "> Please use pr_debug here,", "> this is noisy.", ""]
    assert lines[first + 9] == "Fixed in v2."
    second = lines.index("> Nit: a blank line above.")
    assert second > first and lines[second + 2] == "Will do in v3."  # the revision in progress


def test_wontfix_note_and_given_answers():
    src = source(comments=[Asked(1, "> +x", "Why?", "wontfix", None, "it is on purpose"),
                           Asked(2, "> +y", "And this?")])
    body = compose(src, ME, REVS, NOW, answers={2: "Because."}).body
    assert "> Why?\n\nit is on purpose\n" in body and "> And this?\n\nBecause.\n" in body
    open_only = compose(source(comments=[Asked(1, "> +y", "And this?")]), ME, REVS, NOW).body
    assert not has_answer(open_only)  # nothing of the author's yet: not sendable as is
    assert has_answer(open_only + "Sure.\n")


def test_render_plain_text_wrapped_quotes_untouched_no_trailers():
    long_quote = "> " + "q" * 20 + " word" * 30
    src = source(comments=[Asked(1, long_quote, "Long text " * 20)])
    answer = compose(src, ME, REVS, NOW, answers={1: "This answer is long " * 10
                                                  + "https://example.org/" + "x" * 90})
    raw = render(answer, "Wed, 03 Jan 2024 09:00:00 +0000")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
    body = msg.get_content()
    assert f"> {long_quote}" in body.splitlines()  # untouched
    mine = [l for l in body.splitlines() if l and not l.startswith(">")][1:]
    assert all(len(l) <= 72 or " " not in l for l in mine) and len(mine) >= 3
    assert "Signed-off-by" not in body and "Reviewed-by" not in body
    assert msg["In-Reply-To"] == "<rev1-abc@example.com>"
    assert msg["Message-ID"] == f"<{answer.msgid}>" and msg["Bcc"] is None
    assert email.utils.getaddresses([str(msg["Cc"])])[1] == ("Müller, Jörg", "joerg@example.de")


def test_message_id_made_like_b4s():
    one, two = compose(source(), ME, REVS, NOW), compose(source(), ME, REVS, NOW)
    assert one.msgid.startswith("20240103-samples-rust-add-rust-one-")
    assert one.msgid.endswith("@example.org") and one.msgid != two.msgid  # not predictable
    odd = compose(source(), Me("X", "x@[127.0.0.1]"), REVS, NOW)
    assert odd.msgid.endswith("@patchpilot")


def test_hundreds_of_addresses_own_ones_and_junk():
    many = [f"Person {i} <p{i}@example.com>" for i in range(400)]
    src = source(to=["Test.Dev@Work.Example", *many[:200]],
                 cc=[*many[150:], "dev@example.org", "not an address", "x\r\nBcc: y@z.org"])
    answer = compose(src, ME, REVS, NOW)
    # 400 people and the address pulled out of the line-broken junk, each once
    assert len(answer.cc) == 401 and len({a.lower() for a in answer.cc}) == 401
    assert not any("dev@example.org" in a or "work.example" in a.lower() for a in answer.cc)
    assert answer.dropped == ["not an address <>"]  # shown, not silently lost
    raw = render(answer, "Wed, 03 Jan 2024 09:00:00 +0000")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert len(msg["Cc"].addresses) == 401 and msg["Bcc"] is None
    assert not any(l.lower().startswith(b"bcc") for l in raw.split(b"\n"))
    assert all(len(l) <= 998 for l in raw.split(b"\n"))


def test_wrap_keeps_code_urls_and_quotes():
    text = ("On x wrote:\n> " + "a " * 60 + "\n\n    indented code " + "c " * 40 + "\n"
            + "plain " * 20 + "\n")
    lines = wrap_answer(text).splitlines()
    assert lines[1] == ("> " + "a " * 60).rstrip() and lines[3].startswith("    indented")
    assert all(len(l) <= 72 for l in lines[4:])


@pytest.mark.parametrize("msgid", ["", "../../x", "a;$(touch pwned)@evil", "a b@c", "x" * 300
                                   + "@e.org", "ü@example.org",
                                   "20240103102233.wZJKBxNVR4pRep_ls2iSefbq-8HmV3LFYTBi4xKUGEI@z"])
def test_reviewer_mail_without_a_usable_message_id(msgid):
    with pytest.raises(PatchpilotError) as err:
        compose(source(msgid=msgid), ME, REVS, NOW)
    assert "Message-ID" in err.value.message and "\n" not in str(err.value)


def test_hostile_references_dropped_and_long_chains_trimmed():
    refs = ["good@x.org", "bad;(id)@x", *[f"r{i}@x.org" for i in range(40)]]
    answer = compose(source(references=refs), ME, REVS, NOW)
    assert answer.references[0] == "good@x.org" and "bad;(id)@x" not in answer.references
    assert len(answer.references) == 20 and answer.references[-1] == "rev1-abc@example.com"


def test_answering_your_own_message_goes_to_its_recipients():
    src = source(sender="Test Dev <dev@example.org>", to=["Rev One <rev1@example.com>"], cc=[])
    answer = compose(src, ME, REVS, NOW)
    assert answer.to == ["Rev One <rev1@example.com>"] and answer.cc == []


def test_escapes_in_the_reviewers_text_are_not_mailed_back():
    src = source(comments=[Asked(1, "> +x\x1b]0;title\x07", "\x1b[31mred\x1b[0m\x07 text")])
    body = compose(src, ME, REVS, NOW).body
    assert "> > +x\n>\n> red text\n" in body and "\x1b" not in body and "\x07" not in body
