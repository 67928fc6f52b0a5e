"""Make untrusted text (commit messages, email) safe to show: no escape sequences, no control
characters, bounded size. Pure functions; no imports from the rest of patchpilot.
"""

from __future__ import annotations

import re

# CSI/OSC/other ESC sequences first, then any C0/C1 control except tab and newline.
_ESCAPES = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_CHARS = 200_000


def safe_text(text: str, limit: int = MAX_CHARS) -> str:
    """`text` without terminal escapes or control characters, cut to `limit` characters."""
    text = text.replace("\r\n", "\n")
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    if len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters not shown]"
    return text
