"""`?`: the keys of this screen first, by footer rank (tui/keys.py), then those of the focused
widget (a table's cursor keys) below them, without the widget's long help text, so that at
80x24 the panel shows what the screen does, not mostly how a table scrolls."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import HelpPanel, KeyPanel
from textual.widgets._key_panel import BindingsTable

from patchpilot.tui import keys


class ScreenKeysTable(BindingsTable):
    def render_bindings_table(self) -> Table:
        table = Table(padding=(0, 0), show_header=False, box=box.SIMPLE)
        table.add_column("", justify="right")
        key_style = self.get_component_rich_style("bindings-table--key")
        ours: dict[str, tuple[int, Any, bool]] = {}
        others: dict[str, tuple[Any, bool]] = {}
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.system or not binding.description:
                continue
            meta = keys.META.get(binding.id or "")
            if meta is not None:
                ours.setdefault(binding.action, (meta.rank, binding, enabled))
            else:
                others.setdefault(binding.action, (binding, enabled))
        shown = self.app.get_key_display
        for _, binding, enabled in sorted(ours.values(), key=lambda item: item[0]):
            table.add_row(Text(shown(binding), style=key_style),
                          Text(binding.description, style="" if enabled else "dim"))
        if others:
            table.add_section()
            table.add_row("", Text("in the focused pane", style="dim italic"))
            for binding, _enabled in others.values():
                table.add_row(Text(shown(binding), style=key_style),
                              Text(binding.description, style="dim"))
        return table


class ScreenKeyPanel(KeyPanel):
    def compose(self) -> ComposeResult:
        yield ScreenKeysTable(shrink=True, expand=False)


class KeysHelp(HelpPanel):
    """The help panel `?` opens (see the module docstring)."""

    def compose(self) -> ComposeResult:
        yield ScreenKeyPanel(id="keys-help")

    def update_help(self, focused_widget: Widget | None) -> None:
        """No widget help text: the keys say it."""
