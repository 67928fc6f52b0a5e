"""ctrl+q with unsaved text in an editor asks first (real b4 series, real cover): Cancel
keeps the app and the text, Save stores it through b4 then quits, ctrl+q again quits and
keeps the text as a draft."""

from __future__ import annotations

from textual.widgets import TextArea

from patchpilot.core import drafts
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.widgets.dialogs import Choice
from tests.tui.test_app import SIZE, settle
from tests.tui.test_cover_screen import open_cover, two_patches

TEXT = "samples: rust: two samples\n\nTyped, not saved.\n"


async def typed_then_quit(pilot) -> None:
    screen = await open_cover(pilot)
    screen.query_one(TextArea).load_text(TEXT)
    await pilot.pause()
    await pilot.press("ctrl+q")
    await pilot.pause()
    assert isinstance(pilot.app.screen, Choice)
    assert "cover letter has unsaved changes" in pilot.app.screen.question


async def test_ctrl_q_asks_cancel_stays_then_quit_keeps_a_draft(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await typed_then_quit(pilot)
        await pilot.press("escape")  # Cancel
        await pilot.pause()
        assert app.is_running and app.screen.query_one(TextArea).text == TEXT
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("ctrl+q")  # again: quit
        await pilot.pause()
        assert not app.is_running
    draft = drafts.load_draft(repo.git_dir, "cover", "b4/cov")
    assert draft is not None and draft.text == TEXT
    assert "Typed, not saved." not in (load_series(repo).cover_body or "")


async def test_ctrl_q_save_stores_through_b4_then_quits(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await typed_then_quit(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not app.is_running
    assert (load_series(repo).cover_body or "").startswith("Typed, not saved.")
    assert drafts.load_draft(repo.git_dir, "cover", "b4/cov") is None
