"""Message parsing on mail as real clients write it (built with the standard library)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from patchpilot.core.review.mail import (
    MailTooLarge,
    clean_msgid,
    html_to_text,
    join_mbox,
    parse_mail,
    split_mbox,
)


def test_multipart_quoted_printable_latin1():
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "=?iso-8859-1?q?J=F6rg?= <j@example.de>", "Re: [PATCH 1/2] x"
    msg["Message-ID"], msg["In-Reply-To"] = "<a@x>", "<p1@x>"
    msg["References"] = "<c@x> <p1@x>"
    msg.set_content("Grüße\n> +quoted\n", charset="latin-1", cte="quoted-printable")
    msg.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream")
    mail = parse_mail(msg.as_bytes())
    assert (mail.msgid, mail.in_reply_to, mail.references) == ("a@x", "p1@x", ["c@x", "p1@x"])
    assert mail.sender == "Jörg <j@example.de>" and mail.body == "Grüße\n> +quoted\n"


def test_format_flowed_joins_soft_breaks():
    raw = (b"From: a@x\nMessage-ID: <f@x>\nContent-Type: text/plain; charset=utf-8; "
           b"format=flowed\n\nthis is a long \nsentence\n> quoted\n-- \nsig\n")
    assert parse_mail(raw).body.startswith("this is a long sentence\n> quoted\n-- \n")


def test_html_only_becomes_quoted_text():
    text = html_to_text("<p>Hi</p><blockquote>+x<br>+y<blockquote>old</blockquote>"
                        "</blockquote><script>evil()</script><div>Looks a &lt;b&gt; good</div>")
    assert "> +x\n> +y\n> > old" in text and "evil" not in text
    assert text.rstrip().endswith("Looks a <b> good")


def test_oversized_message_is_refused_cleanly():
    raw = b"From: a@x\nMessage-ID: <big@x>\n\n" + b"x" * (50 * 1024 * 1024)
    with pytest.raises(MailTooLarge) as err:
        parse_mail(raw)
    assert "over the" in str(err.value) and err.value.size == len(raw)


def test_mboxrd_round_trip_and_msgid_cleaning():
    one, two = b"From: a@x\n\nFrom here\n>From there\n", b"From: b@x\n\nbody\n"
    assert split_mbox(join_mbox([one, two])) == [one.rstrip(b"\n") + b"\n\n",
                                                 two.rstrip(b"\n") + b"\n\n"]
    assert clean_msgid(" <x@y> ") == "x@y" and clean_msgid("<a b>") is None
    assert clean_msgid("bad\x1bid") is None
