"""The footer: the screen's keys by rank (tui/keys.py), as many as fit the width.

Textual's own footer shows the keys in declaration order and cuts what does not fit, so at 80
columns `q Back` and `? Keys` were the first to go. This one picks the bindings by rank
(lower first) until the line is full, then shows them in rank order, the keys that cannot
run now (greyed) last. Where the focused
editor takes `q` and `?` as text, `esc Back` and `f1 Keys` show instead.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from patchpilot.tui import keys

DEFAULT_RANK = 50


def rank_of(binding: Binding) -> int:
    meta = keys.META.get(binding.id or "")
    return meta.rank if meta else DEFAULT_RANK


def fit(bindings: list[tuple[Binding, bool, str]], width: int, display: dict[str, str],
        ) -> list[tuple[Binding, bool, str]]:
    """The bindings that fit `width` columns, best rank first (one per action); keys that
    cannot run now (greyed) come after every key that can; `esc Back` only where q is not
    bound (where q types text)."""
    if any(b.id == "app.back" for b, _, _ in bindings):
        bindings = [item for item in bindings if item[0].id != "app.escape"]
    seen: set[str] = set()
    chosen = []
    used = 0
    for item in sorted(bindings, key=lambda b: (not b[1], rank_of(b[0]))):
        binding = item[0]
        if binding.action in seen:
            continue
        seen.add(binding.action)
        cost = len(display[binding.key]) + len(binding.description) + 3
        if used + cost > width:
            continue
        used += cost
        chosen.append(item)
    return chosen


class KeyFooter(Footer):
    """A one-line footer of the most important keys (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(show_command_palette=False)
        self._shown: tuple[tuple[str, str, bool], ...] | None = None  # what compose drew

    def _choose(self) -> list[tuple[Binding, bool, str]]:
        shown = [(binding, enabled, tooltip)
                 for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
                 if binding.show]
        display = {b.key: self.app.get_key_display(b) for b, _, _ in shown}
        width = self.size.width or self.app.size.width
        return sorted(fit(shown, width, display), key=lambda b: (not b[1], rank_of(b[0])))

    def _signature(self, chosen: list[tuple[Binding, bool, str]]) -> tuple[
            tuple[str, str, bool], ...]:
        return tuple((b.key, b.description, enabled) for b, enabled, _ in chosen)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        chosen = self._choose()
        self._shown = self._signature(chosen)
        back = getattr(self.screen, "BACK_LABEL", "Back")  # the home screen quits
        for binding, enabled, tooltip in chosen:
            label = back if binding.id == "app.back" else binding.description
            yield FooterKey(binding.key, self.app.get_key_display(binding), label,
                            binding.action, disabled=not enabled,
                            tooltip=tooltip).data_bind(compact=Footer.compact)

    async def _recompose_if_changed(self) -> None:
        """Draw again only when the keys shown would change: a screen refreshes its bindings
        on every update, and rebuilding the footer each time cost a screen's first paint
        more than its data did."""
        if not self.is_attached:
            return
        if self._shown is None or self._signature(self._choose()) != self._shown:
            await self.recompose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self._recompose_if_changed)
