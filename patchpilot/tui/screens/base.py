"""What every screen shares: the app's state they read (PilotApp), and the one error path of
their thread workers.

Workers run with `exit_on_error=False`; Textual sends their state changes to the screen that
started them (they do not bubble), so the base screen turns an error into one line (a
notification, markup off) and the app keeps running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.text import safe_text

if TYPE_CHECKING:
    from textual import getters


class PilotApp(App[None]):
    """What screens read of the app: the repository, the settings, the default base, and how
    to open another screen (app.PatchpilotApp is the one there is)."""

    repo: GitRepo
    config: Config
    default_base: str | None

    def open_screen(self, name: str, **kwargs: Any) -> None:
        raise NotImplementedError


class PilotScreen(Screen[None]):
    """A patchpilot screen (see the module docstring)."""

    if TYPE_CHECKING:
        app = getters.app(PilotApp)  # self.app with its attributes

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.app.notify(worker_error_line(event.worker.error), title="patchpilot",
                            severity="error", markup=False, timeout=10)


def worker_error_line(error: BaseException) -> str:
    """What went wrong, in one line (a PatchpilotError with its hint; else the error's type)."""
    if isinstance(error, PatchpilotError):
        text = error.message + (f" (hint: {error.hint})" if error.hint else "")
    else:
        text = f"unexpected {type(error).__name__}: {error}"
    return " ".join(safe_text(text, 500).split())
