"""Make untrusted text (commit messages, email) safe to show: no escape sequences, no control
characters, no invisible reordering, bounded size. Every output goes through here: the CLI's
text lines and `--json` documents (cli/output.py), the TUI (safe_text into rich Text).
Pure functions; no imports from the rest of patchpilot.
"""

from __future__ import annotations

import re
from typing import Any

# CSI/OSC/other ESC sequences first, then any C0/C1 control except tab and newline.
_ESCAPES = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters that change what a reader sees without being seen: bidi embeddings, overrides
# and isolates (the "Trojan Source" ones), zero-width and invisible formatting characters,
# line/paragraph separators. They are shown as <U+XXXX>, so a reader sees them.
_INVISIBLE = re.compile("[\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069"
                        "\u3164\ufeff\uffa0\ufff9-\ufffb]")
MAX_CHARS = 200_000


def _visible(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def clean(text: str) -> str:
    """`text` without terminal escapes or control characters (tab and newline kept), and with
    invisible formatting characters shown as `<U+XXXX>`; not bounded."""
    text = text.replace("\r\n", "\n")
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return _INVISIBLE.sub(_visible, text)


def safe_text(text: str, limit: int = MAX_CHARS) -> str:
    """`text` cleaned (see clean), cut to `limit` characters."""
    text = clean(text)
    if len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters not shown]"
    return text


def safe_json(value: Any) -> Any:
    """A JSON-ready value with every string in it (keys too) cleaned as safe_text does, so a
    script that prints a field prints no escape sequence."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(k) if isinstance(k, str) else k: safe_json(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [safe_json(v) for v in value]
    return value
