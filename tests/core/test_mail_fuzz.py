"""Fuzzing mail parsing (hypothesis): no message, however built, makes parse_mail raise
(MailTooLarge aside), and what it returns is text every output can take (no lone surrogate,
the reply analysis and the JSON writer run on it).

Runs briefly in every test run (FUZZ_EXAMPLES, 200 by default; `PATCHPILOT_FUZZ_EXAMPLES=20000
pytest tests/core/test_mail_fuzz.py` for a long run). Every crash it ever found is kept in
tests/samples/mail/ (a failing example is written there by the test itself, as
fuzz-<hash>.eml, to be committed) and parsed again by test_golden_samples_parse.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchpilot.core.review.mail import MailTooLarge, join_mbox, parse_mail, split_mbox
from patchpilot.core.review.thread import analyse_reply
from patchpilot.core.text import json_safe, safe_text

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "mail"
FUZZ_EXAMPLES = int(os.environ.get("PATCHPILOT_FUZZ_EXAMPLES", "200"))

CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "latin-1", "cp1252", "utf-16", "utf-32",
            "utf-7", "idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape",
            "base64", "hex", "rot13", "zlib", "uu", "iso-2022-jp", "gb18030", "shift_jis",
            "utf-8\0", "no\xd8such", "", "x-unknown", "utf_8_sig", "mbcs", "charmap"]
ENCODINGS = ["7bit", "8bit", "binary", "quoted-printable", "base64", "x-uuencode", "uuencode",
             "bogus", ""]
TYPES = ["text/plain", "text/html", "text/x-diff", "application/octet-stream",
         "message/rfc822", "multipart/mixed", "multipart/alternative", "text", "/", ""]

charsets = st.sampled_from(CHARSETS) | st.text(max_size=10)
words = st.text(max_size=40) | st.sampled_from(
    ["", "Re: [PATCH v2 1/3] rust: x", "> +quoted", "Reviewed-by: A <a@b.c>", "-- ", "\x1b[31m",
     "\u202eevil", "=?utf-8?q?J=C3=B6rg?=", "On Mon, A wrote:", "<p>hi</p>", "begin 644 x"])


@st.composite
def encoded_words(draw: st.DrawFn) -> str:
    """An RFC 2047 encoded word, well formed or not."""
    charset = draw(charsets).replace("?", "")
    kind = draw(st.sampled_from(["q", "b", "Q", "B", "x", ""]))
    return f"=?{charset}?{kind}?{draw(words).replace('?', '')}?="


header_values = st.lists(words | encoded_words() | st.sampled_from(
    ["<a@b.c>", "<>", '"quoted id@x"', "<" + "a" * 950 + "@x>", "<fold\n ed@x>", "\n", "<x@y"]),
    max_size=4).map(" ".join)


@st.composite
def headers(draw: st.DrawFn, ctype: str, boundary: str | None) -> bytes:
    fields = [(name, draw(header_values)) for name in draw(st.lists(st.sampled_from(
        ["From", "Subject", "Message-ID", "In-Reply-To", "References", "Date", "To",
         "Content-Disposition"]), max_size=8))]
    params = f"; charset=\"{draw(charsets)}\"" if draw(st.booleans()) else ""
    if boundary is not None:
        params += f"; boundary=\"{boundary}\""
    if draw(st.booleans()):
        params += f"; format={draw(st.sampled_from(['flowed', 'fixed', '']))}"
        params += "; delsp=yes" if draw(st.booleans()) else ""
    fields.append(("Content-Type", ctype + params))
    fields.append(("Content-Transfer-Encoding", draw(st.sampled_from(ENCODINGS))))
    text = "".join(f"{k}: {v}\n" for k, v in fields)
    return text.encode("utf-8", "surrogatepass") if draw(st.booleans()) else \
        text.encode("latin-1", "replace")


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    return draw(st.binary(max_size=200) | words.map(lambda w: w.encode("utf-8", "replace"))
                | st.sampled_from([b"begin 644 x\n!!!!\n`\nend\n", b"=?=\n=ZZ", b"====",
                                   b"\x1f\x8b", b"<html><blockquote>x"]))


def parts(depth: int) -> st.SearchStrategy[bytes]:
    """A MIME part: a leaf, or (depth allowing) a multipart of parts, boundaries honest or
    not."""
    leaf = st.builds(lambda h, p: h + b"\n" + p,
                     st.sampled_from(TYPES).flatmap(lambda t: headers(t, None)), payloads())
    if depth == 0:
        return leaf

    @st.composite
    def multipart(draw: st.DrawFn) -> bytes:
        boundary = draw(st.sampled_from(["b", "=_x", "", "a b", "--"]))
        children = draw(st.lists(parts(depth - 1), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\n" + c + b"\n" for c in children)
        closing = b"--" + boundary.encode() + b"--\n" if draw(st.booleans()) else b""
        head = draw(headers(draw(st.sampled_from(["multipart/mixed", "multipart/alternative",
                                                  "message/rfc822"])), boundary))
        return head + b"\n" + body + closing

    return leaf | multipart()


def nested(depth: int) -> bytes:
    """MIME nested `depth` levels (the parser recursed past Python's stack at ~1000)."""
    raw = b"From: Deep <d@x>\nMessage-ID: <deep@x>\nContent-Type: multipart/mixed; boundary=b0\n\n"
    for i in range(depth):
        raw += b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1)
    return raw + b"--b%d\nContent-Type: text/plain\n\nthe leaf\n" % depth


messages = parts(3) | st.binary(max_size=400) | st.sampled_from([30, 199, 201, 1000]).map(nested)


def check(raw: bytes) -> None:
    """The property: parse_mail returns (or refuses a large message), and its text goes
    everywhere text from mail goes. A failing `raw` is kept as a golden sample."""
    try:
        try:
            mail = parse_mail(raw)
        except MailTooLarge:
            return
        fields = [mail.msgid, mail.subject, mail.sender, mail.address, mail.date, mail.body,
                  mail.in_reply_to or "", *mail.references]
        for text in fields:
            assert isinstance(text, str)
            text.encode("utf-8")  # no lone surrogate: print, JSON and SQLite take it
        assert mail.msgid
        reply = analyse_reply(mail, 0, None)
        doc = json_safe({"mail": fields, "comments": [vars(c) for c in reply.comments],
                         "trailers": [[t.name, t.value] for t in reply.trailers]})
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
        safe_text(mail.body).encode("utf-8")
    except Exception:
        keep(raw)
        raise


def keep(raw: bytes) -> Path:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    path = SAMPLES / f"fuzz-{hashlib.sha256(raw).hexdigest()[:12]}.eml"
    if not path.exists():
        path.write_bytes(raw)
    return path


@pytest.mark.filterwarnings("error")  # a warning (a codec's DeprecationWarning) is a crash too
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(messages)
def test_parse_mail_never_raises(raw):
    check(raw)


@pytest.mark.filterwarnings("error")
@settings(max_examples=max(FUZZ_EXAMPLES // 4, 20), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages, max_size=4))
def test_mbox_round_trip_keeps_every_message(raws):
    """An mbox of hostile messages splits back into as many messages, each parsable."""
    raws = [r for r in raws if r.strip()]
    back = split_mbox(join_mbox(raws))
    assert len(back) == len(raws)
    for raw in back:
        check(raw)


def golden() -> list[Path]:
    return sorted(SAMPLES.glob("*.eml"))


def test_golden_samples_exist():
    assert len(golden()) >= 7  # the crashes of issue 18, kept as the first samples


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("path", golden(), ids=lambda p: p.name)
def test_golden_samples_parse(path):
    check(path.read_bytes())
