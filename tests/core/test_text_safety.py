"""The one sanitizer (core.text) and the CLI's writers that use it (issue 18, case 15):
controls stripped, bidi/zero-width/invisible characters shown as <U+XXXX>, in text and JSON
alike, and no JSON escape of a control character left for a consumer to decode."""

from __future__ import annotations

import io
import json
import re
import sys
import unicodedata

from patchpilot.cli.output import Output
from patchpilot.core import text
from patchpilot.core.review.mail import clean_msgid
from patchpilot.core.text import is_clean, json_safe, safe_text

HOSTILE = "a\x9bb\x7fc \u202eevil\u202c \u2066iso\u2069 z\u200bw \ufeff \x1b[31mred\x07 \u2028x"


def test_every_invisible_character_of_the_unicode_tables_is_covered():
    """_INVISIBLE is written out as ranges; it must be exactly Cf, Zl, Zp (above C1) and the
    surrogates of Python's Unicode tables."""
    wanted = {c for c in range(0xA0, sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp", "Cs")}
    found = {c for c in range(0xA0, sys.maxunicode + 1) if text._INVISIBLE.match(chr(c))}
    assert found == wanted


def test_safe_text_shows_bidi_and_zero_width_and_strips_controls():
    shown = safe_text(HOSTILE)
    assert shown == ("abc <U+202E>evil<U+202C> <U+2066>iso<U+2069> z<U+200B>w <U+FEFF> "
                     "red <U+2028>x")
    assert safe_text(shown) == shown  # idempotent: safe twice is safe once
    assert safe_text("Grüße, 你好, emoji 🦀\tand tab\n") == "Grüße, 你好, emoji 🦀\tand tab\n"
    assert safe_text("x" * 50, limit=None) == "x" * 50
    assert not is_clean(HOSTILE) and is_clean("Grüße\tok\n") and not is_clean("a\ud800")


def test_json_safe_cleans_every_string_keys_too():
    doc = json_safe({"k\x1b": [HOSTILE, 1, 2.5, None, True, {"n": "\x07"}], "t": ("\u202e",)})
    assert doc == {"k": [safe_text(HOSTILE), 1, 2.5, None, True, {"n": ""}], "t": ["<U+202E>"]}


def test_every_cli_writer_goes_through_the_sanitizer():
    out, err = io.StringIO(), io.StringIO()
    writer = Output(out, err)
    writer.json({"from": HOSTILE, "items": [HOSTILE]})
    raw = out.getvalue()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069]", raw)
    assert "\\u00" not in raw and "\\u20" not in raw  # no escape left to decode either
    assert json.loads(raw)["from"] == safe_text(HOSTILE)
    writer.line(HOSTILE)
    writer.warn(HOSTILE)
    assert safe_text(HOSTILE) in out.getvalue() and safe_text(HOSTILE) in err.getvalue()
    assert "\u202e" not in out.getvalue() + err.getvalue()


def test_a_message_id_holding_invisible_characters_is_unusable():
    assert clean_msgid("<ab\u202ecd@x>") is None and clean_msgid("<a\u200b@x>") is None
    assert clean_msgid("<a\x7f@x>") is None and clean_msgid("<a\x9b@x>") is None
    assert clean_msgid("<grüße@x>") == "grüße@x"
