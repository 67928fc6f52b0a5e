"""core.addresses, the one parser of addresses in list mail: the forged names of issue 24
(cases 1, 4 and 7) read as names, and a fuzz run (hypothesis) over header values built from
the pieces that make parsers disagree: encoded words, quotes, comments, angle brackets,
groups, CR/LF, controls.

The fuzz runs briefly in every test run (PATCHPILOT_FUZZ_EXAMPLES, 300 by default);
`PATCHPILOT_FUZZ_EXAMPLES=100000 pytest tests/core/test_addresses.py -k fuzz` is the long run.
"""

from __future__ import annotations

import os
import re

import b4  # noqa: F401  (b4 changes the email package's charset table: the parser must not care)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchpilot.core.addresses import MAX_NAME, Person, parse_addresses, parse_sender
from patchpilot.core.review.mail import parse_mail

FUZZ_EXAMPLES = int(os.environ.get("PATCHPILOT_FUZZ_EXAMPLES", "300"))
FORGED = ("=?utf-8?q?Linus_Torvalds_=3Ctorvalds=40linux-foundation=2Eorg=3E?= "
          "<mallory@evil.example>")
INJECTED = "=?utf-8?q?Evil=0D=0ABcc=3A_victim=40evil=2Eexample?= <evil3@evil.example>"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def test_an_encoded_name_never_becomes_the_address():
    person = parse_sender(FORGED)
    assert person == Person("Linus Torvalds <torvalds@linux-foundation.org>",
                            "mallory@evil.example")
    assert parse_sender(INJECTED) == Person("Evil Bcc: victim@evil.example",
                                            "evil3@evil.example")
    raw = (f"From: {FORGED}\nCc: {INJECTED}, =?utf-8?q?A=0Ab?= <a@example.org>\n"
           "Subject: x\n\nbody\n").encode()
    mail = parse_mail(raw)
    assert mail.address == "mallory@evil.example"
    assert mail.cc == ['"Evil Bcc: victim@evil.example" <evil3@evil.example>',
                       "A b <a@example.org>"]
    assert [p.address for p in parse_addresses(mail.cc)] == ["evil3@evil.example",
                                                            "a@example.org"]


def test_what_real_headers_hold():
    header = ('"Doe, John" <j@example.org>, bob@example.org (Bob Y), undisclosed-recipients:;,'
              " Team: a@example.org, =?utf-8?b?w6lsw6g=?= <e@example.org>;, <@route:r@x.org>")
    assert parse_addresses(header) == [
        Person("Doe, John", "j@example.org"), Person("Bob Y", "bob@example.org"),
        Person("", "a@example.org"), Person("élè", "e@example.org"), Person("", "r@x.org")]
    assert not Person("", "a b@x").usable and not Person("", "é@x.org").usable
    assert not Person("", "victim\ufffd@x.org").usable and Person("", "a.b@x.org").usable


PIECES = ['"', "(", ")", "<", ">", ",", ";", ":", "@", "\\", " ", "\t", "\r\n", "\n ", "\x00",
          "\x1b", "\u202e", "é", "=?", "?=", "=?utf-8?q?", "=?utf-8?b?", "=?x-bad?q?",
          "=0D=0A", "=3C", "=40", "=3E", "_", "a", "b.c", "example.org", "Bcc: ", "\udcff"]
headers = (st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=40).map("".join)
           | st.text(max_size=120))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=False,
          suppress_health_check=list(HealthCheck))
@given(st.lists(headers, min_size=1, max_size=3))
def test_fuzz_addresses(values):
    """Nothing raises; no control character comes out; a name is bounded; what `shown`
    writes parses back to the same Person (so a consumer that parses it again agrees)."""
    for person in parse_addresses(values):
        assert not CONTROL.search(person.name + person.address), person
        assert len(person.name) <= MAX_NAME
        assert parse_addresses(person.shown) == [person], (values, person.shown)
        if person.usable:
            assert person.address.isascii() and " " not in person.address


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(headers, min_size=1, max_size=3), st.binary(max_size=40))
def test_fuzz_mail_headers(values, junk):
    """parse_mail reads any From/To/Cc (8-bit bytes too) into addresses the parser agrees
    with."""
    head = b"".join(b"%s: %s\n" % (name, value.encode("utf-8", "surrogateescape"))
                    for name, value in zip((b"From", b"To", b"Cc"), values, strict=False))
    mail = parse_mail(head + b"X-Junk: " + junk.replace(b"\n", b" ") + b"\n\nbody\n")
    assert not CONTROL.search(mail.sender + mail.address + "".join(mail.to + mail.cc))
    sender = parse_sender(mail.sender)
    assert sender.key == mail.address and sender.name == mail.name
