"""Make untrusted text (commit messages, email) safe to show: no escape sequences, no control
characters, no invisible characters that change how text reads, bounded size. The one
sanitizer of every output: text (`safe_text`), `--json` (`json_safe`) and the TUI.

- terminal escape sequences (CSI, OSC, other ESC sequences) and C0/C1 controls (but tab and
  newline) and DEL are stripped;
- bidi controls (U+202E RIGHT-TO-LEFT OVERRIDE, the U+2066 isolates...), zero-width and other
  invisible format characters (Unicode category Cf) and the line/paragraph separators are
  shown visibly, as `<U+202E>`: a reader sees that they are there, and text cannot be made
  to read backwards or hide a character.

Pure functions; no imports from the rest of patchpilot.
"""

from __future__ import annotations

import re
from typing import Any

# CSI/OSC/other ESC sequences first, then any C0/C1 control except tab and newline.
_ESCAPES = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invisible characters: Unicode category Cf (bidi controls, zero-width, soft hyphen, tags...)
# and the line/paragraph separators (Zl, Zp), above the C1 range (C0/C1 are stripped above),
# and lone surrogates (Cs: no terminal or encoder takes them; some codecs, utf-7 for one,
# decode to them). As of Unicode 14 (Python 3.11); tests/core/test_text_safety.py checks it
# against unicodedata.
_INVISIBLE = re.compile(
    "[\ud800-\udfff\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]")
MAX_CHARS = 200_000


def _visible(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def safe_text(text: str, limit: int | None = MAX_CHARS) -> str:
    """`text` without terminal escapes or control characters, invisible characters shown as
    `<U+XXXX>`, cut to `limit` characters (None: not cut)."""
    text = text.replace("\r\n", "\n")
    text = _INVISIBLE.sub(_visible, _CONTROLS.sub("", _ESCAPES.sub("", text)))
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters not shown]"
    return text


def clean(text: str) -> str:
    """safe_text without the bound: for text that is already bounded (a line, a field)."""
    return safe_text(text, None)


def is_clean(text: str) -> bool:
    """True when `text` holds no escape, control (tab and newline aside) or invisible
    character: safe_text would leave it as it is."""
    return not (_CONTROLS.search(text) or _INVISIBLE.search(text))


def json_safe(data: Any) -> Any:
    """A copy of a JSON document (dicts, lists, scalars) with every string, keys included,
    passed through safe_text (not cut): no control character reaches a consumer, not even
    as a `\\u001b` escape, and invisible characters are shown as in text output."""
    if isinstance(data, str):
        return safe_text(data, None)
    if isinstance(data, dict):
        return {json_safe(k) if isinstance(k, str) else k: json_safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_safe(v) for v in data]
    return data
