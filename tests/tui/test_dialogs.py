"""The modal dialogs with the app's own stylesheet: a long question wraps inside the dialog
(it used to be cut at the dialog's edge, hiding what the user was asked to confirm)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import Label

from patchpilot.tui import app as app_module
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.widgets.dialogs import Confirm

QUESTION = ("Send 4 messages to 13 recipients through smtp.example.org, among them "
            "rust-for-linux@vger.kernel.org and linux-kernel@vger.kernel.org? Once the server "
            "accepts them they cannot be taken back.")


class DialogApp(App):
    CSS_PATH = Path(app_module.__file__).parent / PatchpilotApp.CSS_PATH

    def on_mount(self) -> None:
        self.push_screen(Confirm(QUESTION))


async def test_a_long_question_wraps_inside_the_dialog():
    app = DialogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        label = app.screen.query_one(Label)
        dialog = app.screen.query_one(".dialog")
        assert label.size.height >= 3 and label.region.right <= dialog.region.right
        shown = " ".join(label.render_line(y).text.strip() for y in range(label.size.height))
        assert "cannot be taken back." in shown
