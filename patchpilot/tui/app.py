"""The patchpilot Textual app: opens on the home screen over one kernel tree.

Screens are found through patchpilot.tui.screens.REGISTRY; the command palette offers every
registered screen and the current screen's own commands. Every worker runs with
`exit_on_error=False`; screens.base.PilotScreen shows what a failed worker raised in one
line and keeps the app alive. Quitting aborts every request to a lore server still in
flight, so that no thread worker waiting on a server that never answers keeps the process
alive.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from patchpilot.core.config import Config
from patchpilot.core.review.lore import abort_all
from patchpilot.core.series.model import open_kernel_repo
from patchpilot.tui.screens import (  # noqa: F401  (registers the screens)
    REGISTRY,
    checks,
    cover,
    home,
    recipients,
    replies,
    reroll,
    send,
    series,
)
from patchpilot.tui.screens.base import PilotApp


class PatchpilotApp(PilotApp):
    """patchpilot over the kernel tree at `path`."""

    TITLE = "patchpilot"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("question_mark", "toggle_help", "Keys", id="app.help"),
        Binding("colon", "command_palette", "Palette", show=False, id="app.palette"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit"),
    ]

    def __init__(self, path: str | Path = ".", auto_open: bool = True):
        super().__init__()
        self.repo = open_kernel_repo(str(path))
        self.config = Config(self.repo)
        self.default_base = self.config.text("series.base") or None
        self._auto_open = auto_open

    def on_mount(self) -> None:
        theme = self.config.text("ui.theme")
        if theme in self.available_themes:
            self.theme = theme
        self.push_screen(REGISTRY["home"].factory(auto_open=self._auto_open))

    def on_unmount(self) -> None:
        abort_all()  # the screens have gone; their workers' threads must end too

    def open_screen(self, name: str, **kwargs: Any) -> None:
        """Open a registered screen (e.g. open_screen("series", branch="b4/foo"))."""
        self.push_screen(REGISTRY[name].factory(**kwargs))

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        branch = getattr(screen, "branch", None)
        for info in REGISTRY.values():
            if info.needs_series and branch is None:
                continue
            kwargs = {"branch": branch} if info.needs_series else {"auto_open": False}
            yield SystemCommand(f"Open {info.title}", info.description,
                                lambda info=info, kw=kwargs: self.open_screen(info.name, **kw))
        if hasattr(screen, "action_refresh"):
            yield SystemCommand("Refresh", "Reload from the repository", screen.action_refresh)

