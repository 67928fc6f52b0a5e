"""Commit text (subjects, messages, file names, tool output quoting them) is as untrusted as
mail: every string a command prints, in text and in --json, passes core.text.safe_text, so
no escape sequence or control character reaches the terminal or a script."""

from __future__ import annotations

from typing import Any

from patchpilot.core.text import safe_text


def clean(data: Any) -> Any:
    """`data` (a JSON document) with every string, key or value, made safe to show."""
    if isinstance(data, str):
        return safe_text(data)
    if isinstance(data, dict):
        return {clean(key): clean(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [clean(item) for item in data]
    return data
