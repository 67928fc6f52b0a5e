"""The patchpilot Textual app: opens on the home screen over one kernel tree.

Screens are found through patchpilot.tui.screens (each imported on first use, the rest
just after the first paint); the command palette offers every registered screen and the
current screen's own commands. Every worker runs with
`exit_on_error=False`; screens.base.PilotScreen shows what a failed worker raised in one
line and keeps the app alive. Quitting aborts every request to a lore server still in
flight, so that no thread worker waiting on a server that never answers keeps the process
alive.

One series state: every `ui.watch-interval` seconds, whenever a screen comes back, and right
after a rewrite the app makes itself (`rewritten`), a worker reads the branches' fingerprints
(core.series.watch); each screen showing a branch that changed reloads (or does when it comes
back). Keys follow tui/keys.py; the user's `[keys]` table of config.toml rebinds them by id.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import SystemCommand
from textual.message import Message
from textual.screen import ModalScreen, Screen

from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series import watch
from patchpilot.core.series.model import open_kernel_repo
from patchpilot.tui import keys
from patchpilot.tui.screens import load_all, screen_info
from patchpilot.tui.screens.base import PilotApp, PilotScreen

PRELOAD_AFTER = 3.0  # seconds after start: the first screen has painted by then


@dataclass
class StatePolled(Message):
    state: dict[str, str] | None  # None: the repository could not be read this time


class PatchpilotApp(PilotApp):
    """patchpilot over the kernel tree at `path`."""

    TITLE = "patchpilot"
    CSS_PATH = "app.tcss"
    BINDINGS = list(keys.APP)

    def __init__(self, path: str | Path = ".", auto_open: bool = True):
        super().__init__()
        self.repo = open_kernel_repo(str(path))
        self.config = Config(self.repo)
        self.default_base = self.config.text("series.base") or None
        self._auto_open = auto_open
        self._known: dict[str, str] | None = None
        self._origin: PilotScreen | None = None  # reloads itself after its own rewrite
        self._polling = self._again = False
        self._quit_dialog: ModalScreen[str | None] | None = None  # asking before quitting
        self._preloading = False

    def on_mount(self) -> None:
        theme = self.config.text("ui.theme")
        if theme in self.available_themes:
            self.theme = theme
        self._load_keymap()
        self.push_screen(screen_info("home").factory(auto_open=self._auto_open))
        self.set_timer(PRELOAD_AFTER, self.content_shown)  # at the latest
        interval = self.config.number("ui.watch-interval")
        if interval > 0:
            self.set_interval(interval, self.poll_state)

    def content_shown(self) -> None:
        """A screen painted its content: now (not before: importing holds the interpreter)
        the other screens are imported in the background."""
        if not self._preloading:
            self._preloading = True
            self.poll_state()  # the state the watch compares with from now on
            self.set_timer(0.2, self._preload)

    @work(thread=True, exit_on_error=False, group="app-preload")
    def _preload(self) -> None:
        """The other screens' modules (and the core they use), once the first screen is
        painted: a screen key opens its screen at once."""
        load_all()

    def _load_keymap(self) -> None:
        try:
            keymap = self.config.table("keys")
        except PatchpilotError as exc:
            self.notify(str(exc), severity="error", markup=False, timeout=15)
            return
        for problem in keys.validate_keymap(keymap):
            self.notify(problem, severity="warning", markup=False, timeout=15)
        self.set_keymap({k: v for k, v in keymap.items() if k in keys.META})

    def on_unmount(self) -> None:
        # the screens have gone; their workers' threads must end too (lore not imported, or
        # still being imported by the preload: no request was ever made)
        abort = getattr(sys.modules.get("patchpilot.core.review.lore"), "abort_all", None)
        if abort is not None:
            abort()

    def open_screen(self, name: str, **kwargs: Any) -> None:
        """Open a registered screen (e.g. open_screen("series", branch="b4/foo"))."""
        self.push_screen(screen_info(name).factory(**kwargs))

    def action_toggle_help(self) -> None:
        """?: the keys of this screen first (widgets/keyshelp), again to hide them."""
        from patchpilot.tui.widgets.keyshelp import KeysHelp

        shown = self.screen.query(KeysHelp)
        if shown:
            shown.remove()
        else:
            self.screen.mount(KeysHelp())

    async def action_quit(self) -> None:
        """Quit, asking first when an editor holds unsaved text (Save / Quit / Cancel);
        quitting keeps every editor's unsaved text as a draft (tui/widgets/editing)."""
        from patchpilot.tui.widgets.dialogs import unsaved_on_quit

        if self.screen is self._quit_dialog:  # ctrl+q twice: quit, keeping the drafts
            self.quit_now()
            return
        for screen in reversed(self.screen_stack):
            keeper = screen.unsaved() if isinstance(screen, PilotScreen) else None
            if keeper is not None and keeper.dirty:
                def answered(choice: str | None, screen: PilotScreen = screen) -> None:
                    self._quit_dialog = None
                    if choice == "save":
                        screen.save_then(lambda: self.call_later(self.action_quit))
                    elif choice == "quit":
                        self.quit_now()

                self._quit_dialog = unsaved_on_quit(keeper.what)
                self.push_screen(self._quit_dialog, answered)
                return
        self.quit_now()

    def quit_now(self) -> None:
        """Quit without asking; the unsaved text stays kept as a draft."""
        for screen in self.screen_stack:
            keeper = screen.unsaved() if isinstance(screen, PilotScreen) else None
            if keeper is not None:
                keeper.flush()
        self.exit()

    # -- one series state ------------------------------------------------------------------

    def rewritten(self, by: PilotScreen | None = None) -> None:
        """A screen rewrote its branch (and reloads itself): tell the others now."""
        self._origin = by
        self.poll_state()

    def poll_state(self) -> None:
        """Look at the repository now (once more after the look under way, if any)."""
        if self._polling:
            self._again = True
            return
        self._polling = True
        self._poll()

    @work(thread=True, exit_on_error=False, group="app-watch")
    def _poll(self) -> None:
        try:
            state: dict[str, str] | None = watch.fingerprints(self.repo)
        except (PatchpilotError, OSError):
            state = None  # the next look tries again
        self.post_message(StatePolled(state))

    def on_state_polled(self, message: StatePolled) -> None:
        self._polling = False
        if self._again:
            self._again = False
            self.poll_state()
        if message.state is None:
            return
        before, self._known = self._known, message.state
        if before is None:
            return
        moved = watch.changed(before, message.state)
        if not moved:
            return
        origin, self._origin = self._origin, None
        for screen in list(self.screen_stack):
            if not isinstance(screen, PilotScreen) or screen is origin:
                continue
            if watch.ALL in moved or screen.branch is None or screen.branch in moved:
                screen.series_changed()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        branch = getattr(screen, "branch", None)
        for info in load_all().values():
            if info.needs_series and branch is None:
                continue
            kwargs = {"branch": branch} if info.needs_series else {"auto_open": False}
            yield SystemCommand(f"Open {info.title}", info.description,
                                lambda info=info, kw=kwargs: self.open_screen(info.name, **kw))
        if hasattr(screen, "action_refresh"):
            yield SystemCommand("Refresh", "Reload from the repository", screen.action_refresh)
