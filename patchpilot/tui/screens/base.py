"""What every screen shares: the app's state they read (PilotApp), the global keys, the one
error path of its thread workers, leaving with unsaved text, and reloading when its series
changed.

Workers run with `exit_on_error=False`; Textual sends their state changes to the screen that
started them (they do not bubble), so the base screen turns an error into one line (a
notification, markup off, hints in the TUI's words) and the app keeps running.

A screen showing a series sets `branch`; the app tells every screen on the stack when that
branch changed (app.PatchpilotApp.watch_state): the screen on top reloads at once, the others
when they come back (`stale`). A screen whose own work is rewriting the branch says so with
`busy_rewriting`; its own reload follows that work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.text import safe_text
from patchpilot.tui import keys
from patchpilot.tui.hints import in_tui_words

if TYPE_CHECKING:
    from textual import getters

    from patchpilot.tui.widgets.editing import DraftKeeper


NARROW = 100  # columns

class PilotApp(App[None]):
    """What screens read of the app: the repository, the settings, the default base, how
    to open another screen, and the one series state (app.PatchpilotApp is the one there is)."""

    repo: GitRepo
    config: Config
    default_base: str | None

    def open_screen(self, name: str, **kwargs: Any) -> None:
        raise NotImplementedError

    def rewritten(self, by: PilotScreen | None = None) -> None:
        """A screen rewrote its branch (and reloads itself): tell the others now."""
        raise NotImplementedError

    def poll_state(self) -> None:
        """Look at the repository now for branches that moved."""
        raise NotImplementedError

    def content_shown(self) -> None:
        """A screen painted its content (the app may start background work now)."""


class PilotScreen(Screen[None]):
    """A patchpilot screen (see the module docstring)."""

    if TYPE_CHECKING:
        app = getters.app(PilotApp)  # self.app with its attributes

    BINDINGS: ClassVar[list[BindingType]] = list(keys.GLOBAL)
    NAME: ClassVar[str] = ""  # the registry name (screens.register sets it)
    PRIMARY: ClassVar[str] = "DataTable"  # the table j/k move when no table has the focus

    branch: str | None = None

    @property
    def shown_branch(self) -> str:
        """The branch name as shown: git allows bidi and zero-width characters in it."""
        return safe_text(self.branch or "", 200)
    stale = False

    def on_resize(self, event: events.Resize) -> None:
        """Below NARROW columns the panes stack (app.tcss: .-narrow)."""
        self.set_class(event.size.width < NARROW, "-narrow")

    # -- errors ------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.app.notify(worker_error_line(event.worker.error, self), title="patchpilot",
                            severity="error", markup=False, timeout=10)

    def say(self, error: PatchpilotError | str) -> str:
        """An error (with its hint) or a core hint in this screen's words (keys, not commands)."""
        text = str(error) if isinstance(error, PatchpilotError) else error
        return in_tui_words(safe_text(text, 2000), self)

    # -- the global keys -----------------------------------------------------------------

    def action_back(self) -> None:
        """q / Escape: leave the screen (asking first when typed text is unsaved)."""
        self.leave(None)

    def action_escape(self) -> None:
        """Escape: back, like q (a screen with an editor first leaves the editor)."""
        self.action_back()

    def action_refresh(self) -> None:
        """r: load again from the repository (each screen says what that means)."""

    def action_cursor(self, step: int) -> None:
        """j / k: move in the focused table, else in the screen's main table."""
        table = self.focused if isinstance(self.focused, DataTable) else \
            self.query(self.PRIMARY).first()
        if isinstance(table, DataTable) and table.row_count:
            table.move_cursor(row=max(0, min(table.cursor_row + step, table.row_count - 1)))
        elif self.focused is not None and hasattr(self.focused, "scroll_relative"):
            self.focused.scroll_relative(y=step, animate=False)

    def action_open(self, name: str) -> None:
        """A screen key (c, m, e, s, v, n): open that screen of this series, in place of
        this one (the series screen stays underneath, so q goes back to it)."""
        if name == self.NAME or self.branch is None:
            return
        branch = self.branch
        self.leave(lambda: self.app.open_screen(name, branch=branch), replace=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open" and parameters and parameters[0] == self.NAME:
            return False  # this screen's own key: hidden (None would grey it out)
        return True

    # -- leaving with unsaved text -------------------------------------------------------

    def unsaved(self) -> DraftKeeper | None:
        """The editor holding unsaved text, if any (editor screens override it)."""
        return None

    def save_then(self, then: Callable[[], object]) -> None:
        """Save the editor's text, then call `then` once it is stored (editor screens)."""
        raise NotImplementedError

    def leave(self, then: Callable[[], object] | None, replace: bool = False) -> None:
        """Pop this screen (asking Save / Discard / Cancel first when text is unsaved), then
        run `then`. `replace`: another screen takes this one's place (the series screen is
        never popped for it)."""
        def go(keep: bool = True) -> None:
            keeper = self.unsaved()
            if keeper is not None and keep:
                keeper.flush()
            if not (replace and self.NAME == "series"):
                self.app.pop_screen()
            if then is not None:
                then()

        keeper = self.unsaved()
        if keeper is None or not keeper.dirty:
            go()
            return
        from patchpilot.tui.widgets.dialogs import unsaved

        def answered(choice: str | None) -> None:
            if choice == "save":
                self.save_then(go)
            elif choice == "discard":
                keeper.discard()
                go(keep=False)

        self.app.push_screen(unsaved(keeper.what), answered)

    # -- one series state ----------------------------------------------------------------

    @property
    def busy_rewriting(self) -> bool:
        """True while this screen's own worker rewrites the branch (its reload follows)."""
        return False

    def series_changed(self) -> None:
        """The branch moved (a rewrite here, elsewhere in the app, or in another terminal)."""
        if self.busy_rewriting:
            return
        if self.app.screen is self:
            self.stale = False
            self.reload_changed()
        else:
            self.stale = True

    def reload_changed(self) -> None:
        """Show the series as it is now (default: what r does)."""
        self.action_refresh()

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self.reload_changed()
        self.app.poll_state()


def worker_error_line(error: BaseException, screen: PilotScreen | None = None) -> str:
    """What went wrong, in one line (a PatchpilotError with its hint; else the error's type)."""
    if isinstance(error, PatchpilotError):
        text = error.message + (f" (hint: {error.hint})" if error.hint else "")
    else:
        text = f"unexpected {type(error).__name__}: {error}"
    line = " ".join(safe_text(text, 500).split())
    return in_tui_words(line, screen) if screen is not None else line
