"""What every screen shares: the one error path of its thread workers.

Workers run with `exit_on_error=False`; Textual sends their state changes to the screen that
started them (they do not bubble), so the base screen turns an error into one line (a
notification, markup off) and the app keeps running.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.text import safe_text


class PilotScreen(Screen[None]):
    """A patchpilot screen (see the module docstring)."""

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
