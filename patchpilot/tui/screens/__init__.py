"""Screens, and the registry that lets the app and its command palette find them.

A new screen is a Screen subclass decorated with @register("name", "Title", "what it shows");
it takes `branch` (or nothing) and the app opens it with `app.open_screen("name", branch=...)`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from textual.binding import Binding

_T = TypeVar("_T", bound=type)


@dataclass(frozen=True)
class ScreenInfo:
    name: str
    title: str
    description: str
    factory: type
    needs_series: bool


REGISTRY: dict[str, ScreenInfo] = {}


def register(name: str, title: str, description: str,
             needs_series: bool = True) -> Callable[[_T], _T]:
    """Class decorator adding a screen to the registry (palette entry: 'Open <title>')."""
    def wrap(cls: _T) -> _T:
        REGISTRY[name] = ScreenInfo(name, title, description, cls, needs_series)
        cls.NAME = name  # type: ignore[attr-defined]
        return cls
    return wrap


ORDER = ("home", "series", "checks", "recipients", "cover", "send", "replies", "reroll")


def screen_info(name: str) -> ScreenInfo:
    """A registered screen, its module imported on first use (so the first paint pays only
    for the home and series screens; the app imports the others just after it)."""
    if name not in REGISTRY:
        importlib.import_module(f"patchpilot.tui.screens.{name}")
    return REGISTRY[name]


def load_all() -> dict[str, ScreenInfo]:
    """Every screen registered (the palette, the key table, the hints need them all)."""
    for name in ORDER:
        screen_info(name)
    return REGISTRY


def all_bindings(registry: dict[str, ScreenInfo]) -> dict[str, list[Binding]]:
    """Every binding by where it applies: the global set ("all screens"), the screen keys
    ("series screens"), then each screen's own, in the order a series goes through them."""
    from patchpilot.tui import keys

    load_all()  # `registry` is REGISTRY: every screen in it
    shared = {b.id for b in keys.GLOBAL + keys.APP + keys.SCREEN_KEYS}
    found: dict[str, list[Binding]] = {"all screens": keys.GLOBAL + keys.APP,
                                       "series screens": list(keys.SCREEN_KEYS)}
    names = [n for n in ORDER if n in registry] + [n for n in registry if n not in ORDER]
    for name in names:
        own: list[Binding] = []
        for klass in reversed(registry[name].factory.__mro__):
            if not klass.__module__.startswith("patchpilot."):
                continue  # Textual's own (tab, shift+tab on Screen)
            own += [b for b in klass.__dict__.get("BINDINGS", []) if isinstance(b, Binding)
                    and b.id not in shared and b not in own]
        found[name] = own
    return found
