"""Nothing typed is lost: the cover editor asks Save / Discard / Cancel before leaving with
unsaved text, keeps a draft under .git/patchpilot/drafts/ while typing, and offers it back
after a restart (real b4 series, real b4 edit-cover)."""

from __future__ import annotations

import json

from textual.widgets import TextArea

from patchpilot.core import drafts
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.cover import CoverScreen
from patchpilot.tui.screens.series import SeriesScreen
from patchpilot.tui.widgets.dialogs import Choice
from tests.tui.test_app import SIZE, settle
from tests.tui.test_cover_screen import open_cover, two_patches

TYPED = "samples: rust: two samples\n\nTyped, never saved.\n"


def test_a_draft_is_kept_read_back_and_dropped(tmp_path):
    git_dir = tmp_path / ".git"
    assert drafts.save_draft(git_dir, "cover", "b4/x", "same", "same") is None
    kept = drafts.save_draft(git_dir, "cover", "b4/x", "new text", "old text")
    assert kept is not None
    path = drafts.draft_file(git_dir, "cover", "b4/x")
    assert path.parent == git_dir / "patchpilot" / "drafts"
    assert drafts.load_draft(git_dir, "cover", "b4/x").text == "new text"
    assert drafts.load_draft(git_dir, "cover", "b4-x") is None  # another branch, another file
    assert drafts.load_draft(git_dir, "changelog", "b4/x") is None
    path.write_text("{not json")
    assert drafts.load_draft(git_dir, "cover", "b4/x") is None  # damaged: no draft, no error
    drafts.save_draft(git_dir, "cover", "b4/x", "again", "old text")
    drafts.drop_draft(git_dir, "cover", "b4/x")
    assert not path.exists()


async def type_into(pilot, area: TextArea, text: str) -> None:
    area.focus()
    area.clear()
    area.insert(text)
    await pilot.pause()


async def test_escape_with_unsaved_text_asks_and_cancel_stays(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_cover(pilot)
        area = screen.query_one(TextArea)
        stored = area.text
        await type_into(pilot, area, TYPED)
        await pilot.press("escape")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, Choice) and "unsaved changes" in dialog.question
        assert [a.value for a in dialog.answers] == ["save", "discard", "cancel"]
        await pilot.press("escape")  # Cancel: still editing, text intact
        await pilot.pause()
        assert app.screen is screen and area.text == TYPED
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+d")  # Discard: back to the series, nothing written
        await settle(pilot)
        assert isinstance(app.screen, SeriesScreen)
        assert drafts.load_draft(repo.git_dir, "cover", "b4/cov") is None
        assert "EDITME" in stored and "EDITME" in (load_series(repo).cover_subject or "")


async def test_save_from_the_question_writes_through_b4_then_leaves(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_cover(pilot)
        await type_into(pilot, screen.query_one(TextArea), TYPED)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, SeriesScreen)
    series = load_series(GitRepo(kernel_tree))
    assert series.cover_subject == "samples: rust: two samples"
    assert drafts.load_draft(repo.git_dir, "cover", "b4/cov") is None  # saved: no draft


async def test_a_draft_survives_quit_and_is_offered_back(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_cover(pilot)
        await type_into(pilot, screen.query_one(TextArea), TYPED)
        path = drafts.draft_file(repo.git_dir, "cover", "b4/cov")
        assert path.exists()  # written as soon as the user typed
        await pilot.press("ctrl+q", "ctrl+q")  # quit (asked, and ctrl+q again): the draft stays
        await pilot.pause()
        assert not app.is_running
    assert json.loads(path.read_text())["text"] == TYPED
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, Choice) and "was kept" in dialog.question
        await pilot.press("y")  # Restore
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CoverScreen)
        assert screen.query_one(TextArea).text == TYPED
        assert screen.keeper is not None and screen.keeper.dirty
