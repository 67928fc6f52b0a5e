"""The reroll screen at 80x24 on a real sent and reviewed series (real b4, SMTP and
public-inbox): the changelog editor is on the screen while it has the focus, and once its
write is confirmed the focus leaves it, so the next key is a key, not changelog text."""

from __future__ import annotations

from textual.widgets import TextArea

from patchpilot.core.series.cover import raw_cover
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.reroll import RerollScreen
from patchpilot.tui.screens.send import SendScreen
from tests.integration.test_reroll import reviewed  # noqa: F401  (fixture)
from tests.tui.test_app import settle
from tests.tui.test_reroll_screen import confirm

NARROW = (80, 24)


async def test_changelog_editor_visible_and_left_after_write_at_80x24(reviewed):  # noqa: F811
    tree, _inbox = reviewed
    app = PatchpilotApp(tree)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RerollScreen)
        editor = screen.query_one("#reroll-changelog", TextArea)
        for _ in range(8):  # Tab through the panes to the editor, as a user does
            if app.focused is editor:
                break
            await pilot.press("tab")
            await pilot.pause()
        assert app.focused is editor
        await pilot.pause()
        region = editor.region
        assert region.height >= 5 and region.y >= 1 and region.bottom <= NARROW[1] - 1
        editor.move_cursor(editor.document.end)
        await pilot.press("enter", *"- Tested on QEMU")
        await pilot.press("ctrl+s")
        await confirm(pilot, "changelog")
        assert app.focused is not editor
        assert not screen.has_class("-editing") and screen.query_one("#reroll-top").display
        assert "- Tested on QEMU" in raw_cover(screen.app.repo, load_series(screen.app.repo))
        await pilot.press("s")  # a key again: the send screen, nothing typed
        await settle(pilot)
        assert isinstance(app.screen, SendScreen)
        assert not editor.text.endswith("s")
