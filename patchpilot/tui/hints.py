"""Hints in the TUI's own words: a CLI command in a core hint becomes the key that does it.

Core speaks CLI (`patchpilot recipients --write`); the TUI maps each such command to the
binding that does the same (ACTIONS: command pattern -> binding id) and says the key as it is
bound now (the user's [keys] included): on the screen that has it, "press w"; elsewhere the
screen key first, "press m, then w". Text without a known command is left as it is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from patchpilot.tui import keys

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.screen import Screen

# (CLI words, binding id); the first pattern that matches a stretch of text wins.
ACTIONS: list[tuple[str, str]] = [
    (r"patchpilot cover --edit", "series.cover"),
    (r"patchpilot recipients --write(?: again)?(?: \(or --add-cc \S+\))?", "recipients.write"),
    (r"patchpilot check(?:, or --override checks)?(?! --json)", "series.checks"),
    (r"patchpilot send --dry-run", "series.send"),
    (r"patchpilot replies --refresh", "review.fetch"),
    (r"patchpilot replies --set-state ID addressed\|replied\|wontfix(?:, or --override "
     r"comments)?", "replies.addressed"),
    (r"patchpilot reply(?: MSGID:N| \S+:\d+)?", "replies.answer"),
    (r"patchpilot replies(?! --json)", "series.replies"),
    (r"patchpilot trailers(?: lists them(?: with their ids)?)?", "series.reroll"),
    (r"patchpilot reroll", "series.reroll"),
    (r"patchpilot enroll(?: BASE)?", "series.start"),
    (r"patchpilot new \S+ --fork-point \S+", "series.start"),
    (r"patchpilot undo", "reroll.undo"),
    (r"patchpilot build", "checks.build"),
    (r"(?:run )?patchpilot send again", "send.send"),
    (r"patchpilot send(?! --)", "series.send"),
    (r"\bb4 send(?! -)\b", "series.send"),
    (r"patchpilot series(?: shows it| says more)?", "series.screen"),
    (r"send anyway with (?:--override \S+ ?)+|--override \S+", "send.override"),
]
_PATTERN = re.compile("|".join(f"({p})" for p, _ in ACTIONS))
# CLI flags the TUI has no key for, in the TUI's words (the setting that does the same)
FLAGS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r",? or --kbuild DIR"), ""),
    (re.compile(r"\bpass --base REV, "), "set a base (git config patchpilot.series.base REV), "),
]


def in_tui_words(text: str, screen: Screen[Any] | None) -> str:
    """`text` with each known CLI command replaced by the keys that do it from `screen`."""
    if screen is None or not any(w in text for w in ("patchpilot", "--", "b4 send")):
        return text
    for flag, words in FLAGS:
        text = flag.sub(words, text)

    def replace(match: re.Match[str]) -> str:
        binding_id = ACTIONS[(match.lastindex or 1) - 1][1]
        return key_phrase(screen, binding_id) or match.group(0)

    return _PATTERN.sub(replace, text)


def key_phrase(screen: Screen[Any], binding_id: str) -> str | None:
    """How to do binding `binding_id` from `screen`: "press w", "press m, then w", or the
    series / home screen route; None when no screen has it."""
    if binding_id == "series.screen":
        return "the series screen (q from here)" if getattr(screen, "NAME", "") != "series" \
            else "this screen"
    if binding_id == "send.override":
        if getattr(screen, "NAME", "") == "send":
            return f"{key_of(screen, 'send.send')} (it asks before overriding)"
        binding_id = "send.send"
    if _has(screen, binding_id):
        return f"press {key_of(screen, binding_id)}"
    home = binding_id in ("series.start",) or binding_id.startswith("home.")
    owner = _owner(binding_id)
    if owner is None:
        return None
    if home:
        return f"press {key_of(screen, binding_id)} on the home screen"
    opener = next((i for i, name in keys.OPENS.items() if name == owner), None)
    if opener is None or not _has(screen, opener):
        return f"press {key_of(screen, binding_id)} on the {owner} screen"
    return f"press {key_of(screen, opener)}, then {key_of(screen, binding_id)}"


def key_of(screen: Screen[Any], binding_id: str) -> str:
    """The key bound to `binding_id` now (the user's keymap first), as the footer shows it."""
    keymap: dict[str, str] = getattr(screen.app, "_keymap", {}) or {}
    binding = _binding(binding_id)
    chosen = keymap.get(binding_id) or (binding.key if binding else "?")
    return keys.shown(chosen.split(",")[0].strip())


def _has(screen: Screen[Any], binding_id: str) -> bool:
    return any(b.id == binding_id for b in _bindings_of(type(screen)))


def _bindings_of(cls: type) -> list[Binding]:
    from textual.binding import Binding

    found: list[Binding] = []
    for klass in reversed(cls.__mro__):
        found += [b for b in klass.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
    return found


def _owner(binding_id: str) -> str | None:
    from patchpilot.tui.screens import REGISTRY, load_all

    load_all()
    if binding_id in keys.OPENS:
        return "series"
    for name, info in REGISTRY.items():
        if any(b.id == binding_id for b in _bindings_of(info.factory)):
            return name
    return None


def _binding(binding_id: str) -> Binding | None:
    from patchpilot.tui.screens import REGISTRY, load_all

    load_all()
    for info in REGISTRY.values():
        for b in _bindings_of(info.factory):
            if b.id == binding_id:
                return b
    return None
