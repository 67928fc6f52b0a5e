"""Screens, and the registry that lets the app and its command palette find them.

A new screen is a Screen subclass decorated with @register("name", "Title", "what it shows");
it takes `branch` (or nothing) and the app opens it with `app.open_screen("name", branch=...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

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
        return cls
    return wrap
