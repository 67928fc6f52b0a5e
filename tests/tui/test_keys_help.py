"""`?` at 80x24 lists the screen's own keys first (by footer rank), the focused table's
cursor keys after them, and no widget help text (real series on a real tree)."""

from __future__ import annotations

from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.series import SeriesScreen
from patchpilot.tui.widgets.keyshelp import KeysHelp, ScreenKeysTable
from tests.tui.test_app import settle, two_series


async def test_question_mark_lists_the_screen_keys_first_at_80x24(kernel_tree):
    two_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SeriesScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query(KeysHelp) and not app.screen.query("Markdown")
        table = app.screen.query_one(ScreenKeysTable).render_bindings_table()
        described = [str(cell) for cell in table.columns[1].cells]
        assert described[:5] == ["Back", "Back", "Keys", "Checks", "Recipients"]  # q, esc
        assert described.index("Reroll") < described.index("in the focused pane") < \
            described.index("Cursor up")
        await pilot.press("question_mark")  # again: hidden
        await pilot.pause()
        assert not app.screen.query(KeysHelp)
