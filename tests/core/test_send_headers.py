"""The send-time rewrites of b4's messages (core.send.headers): trailers stripped from the
trailer block only, threading under a given Message-ID, the Bcc envelope; on mail shaped as
b4 0.16 writes it."""

from __future__ import annotations

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.send.headers import Extras, message_id, rewrite, strip_trailers
from patchpilot.core.send.message import parse_message

PATCH = """\
From: Test Dev <dev@example.org>
Subject: [PATCH 2/3] rust: add a thing
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 7bit
Message-Id: <s-v1-2@example.org>
References: <s-v1-0@example.org>
In-Reply-To: <s-v1-0@example.org>
To: Maint <maint@example.org>

Change-Id: this line is prose in the body, not a trailer
of the commit message.

Bug: 1234
Change-Id: I0123456789abcdef
Signed-off-by: Test Dev <dev@example.org>
change-id: Ifedcba
 Change-Id: indented, a continuation
---
Changes in v2:
- Change-Id: a note below the cut stays
 rust/kernel/thing.rs | 1 +
"""

COVER = """\
From: Test Dev <dev@example.org>
Subject: [PATCH 0/3] rust: things
Message-Id: <s-v1-0@example.org>
X-Change-ID: s

Three things.

---
change-id: 20261201-s-0123456789ab
"""


def test_strip_only_the_trailer_block_above_the_cut():
    raw, gone = rewrite(PATCH, 2, 3, Extras(strip=("Change-Id", "bug")))
    assert gone == ["Bug: 1234", "Change-Id: I0123456789abcdef", "change-id: Ifedcba"]
    body = parse_message(raw).body
    assert "Change-Id: this line is prose" in body  # not in the last paragraph
    assert "Signed-off-by: Test Dev <dev@example.org>\n Change-Id: indented" in body
    assert "- Change-Id: a note below the cut stays" in body
    assert raw.split("\n\n", 1)[0] == PATCH.split("\n\n", 1)[0]  # headers as b4 wrote them


def test_the_cover_keeps_b4s_change_id():
    raw, gone = rewrite(COVER, 0, 3, Extras(strip=("Change-Id",)))
    assert raw == COVER and gone == []


def test_crlf_mail_as_the_relay_gets_it():
    crlf = PATCH.replace("\n", "\r\n")
    raw, gone = rewrite(crlf, 2, 3, Extras(strip=("change-id",), in_reply_to="d@x.org"))
    assert "\r\n" in raw and "\n" not in raw.replace("\r\n", "")
    assert len(gone) == 2 and parse_message(raw).references.startswith("<d@x.org>")


def test_threading_under_a_message():
    extras = Extras(in_reply_to="talk@example.org")
    cover = parse_message(rewrite(COVER, 0, 3, extras)[0])
    assert cover.in_reply_to == "<talk@example.org>" and cover.references == "<talk@example.org>"
    patch = parse_message(rewrite(PATCH, 2, 3, extras)[0])
    assert patch.in_reply_to == "<s-v1-0@example.org>"  # still answers the cover
    assert patch.references == "<talk@example.org> <s-v1-0@example.org>"
    lone = PATCH.replace("[PATCH 2/3]", "[PATCH]").replace(
        "References: <s-v1-0@example.org>\nIn-Reply-To: <s-v1-0@example.org>\n", "")
    alone = parse_message(rewrite(lone, 1, 1, extras)[0])
    assert alone.in_reply_to == "<talk@example.org>"
    again = rewrite(rewrite(PATCH, 2, 3, extras)[0], 2, 3, extras)[0]  # idempotent
    assert parse_message(again).references == patch.references


def test_envelope_and_message_ids():
    extras = Extras(bcc=("boss@example.org", "dev@example.org"))
    assert extras.envelope(["maint@example.org", "DEV@example.org"]) == [
        "maint@example.org", "DEV@example.org", "boss@example.org"]
    assert Extras.from_json(extras.to_json()) == extras
    assert message_id(" <a.b@c.d> ") == "a.b@c.d" and message_id("x@y") == "x@y"
    for bad in ("", "<>", "no-at-sign", "a b@c", "a@b\r\nBcc: x@y", "<a@b"):
        with pytest.raises(PatchpilotError, match="is not a Message-ID"):
            message_id(bad)


def test_encoded_body_is_refused_not_sent_unstripped():
    encoded = PATCH.replace("Content-Transfer-Encoding: 7bit", "Content-Transfer-Encoding: base64")
    with pytest.raises(PatchpilotError, match="base64 body"):
        rewrite(encoded, 2, 3, Extras(strip=("Change-Id",)))
    assert strip_trailers("a\n\nX: 1\n", ())[1] == []
