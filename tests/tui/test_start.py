"""Starting a series from the TUI through real b4: `+` on the home screen makes b4/NAME at
the fork point asked; on a branch b4 does not manage the cover screen says so and enrolls it
(its base asked); b4's own warning comes back in its words when it refuses."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.cover import CoverScreen
from patchpilot.tui.screens.series import SeriesScreen
from patchpilot.tui.widgets.dialogs import Choice, Prompt
from tests.helpers import commit, git, rust_sample
from tests.tui.test_app import SIZE, plain, settle, two_series


async def answer(pilot, text: str | None) -> None:
    """Answer the Prompt on top (None: leave it empty)."""
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, Prompt), dialog
    dialog.query_one(Input).value = text or ""
    await pilot.press("enter")
    await pilot.pause()


async def test_a_new_series_from_the_home_screen(kernel_tree):
    app = PatchpilotApp(kernel_tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        assert "New b4/NAME (b)" in str(app.screen.query_one("#answer-new").label)
        await pilot.press("b")
        await answer(pilot, "fresh")
        dialog = app.screen
        assert isinstance(dialog, Prompt) and dialog.query_one(Input).value == "master"
        await answer(pilot, "master")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, SeriesScreen) and app.screen.branch == "b4/fresh"
        home = app.screen_stack[-2]
        await pilot.press("q")
        await settle(pilot)
        assert "b4/fresh" in [s.branch for s in home.summaries]
    series = load_series(GitRepo(kernel_tree), "b4/fresh", allow_empty=True)
    assert series.b4_managed and series.patches == []


async def test_b4s_own_warning_is_shown_when_it_refuses(kernel_tree):
    two_series(kernel_tree)  # on b4/second: b4 would chain a new series onto it
    app = PatchpilotApp(kernel_tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("plus")
        await pilot.pause()
        await pilot.press("b")
        await answer(pilot, "chained")
        await answer(pilot, None)  # no fork point: from where we are
        await settle(pilot)
        shown = " ".join(n.message for n in app._notifications)
        assert "This appears to already be a b4-prep managed branch" in shown
        assert "start the new one elsewhere" in shown
    assert GitRepo(kernel_tree).rev_parse("refs/heads/b4/chained") is None


def test_cli_new_on_a_b4_branch_says_b4s_words(kernel_tree):
    two_series(kernel_tree)
    with pytest.raises(PatchpilotError) as raised:
        new_series(GitRepo(kernel_tree), "chained")
    assert "already be a b4-prep managed branch" in raised.value.message
    assert "--fork-point" in raised.value.hint


async def test_cover_on_a_branch_b4_does_not_manage_offers_enroll(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "topic")
    git(kernel_tree, "branch", "--set-upstream-to=master")
    commit(kernel_tree, {"samples/rust/rust_t.rs": rust_sample("rust_t")},
           "samples: rust: add t")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SeriesScreen) and app.screen.branch == "topic"
        await pilot.press("e")
        await settle(pilot)
        cover = app.screen
        assert isinstance(cover, CoverScreen)
        info = plain(cover.query_one("#cover-info").content)
        assert "not managed by b4" in info and "reading the cover" not in info
        assert not cover.query_one(TextArea).display  # no empty box to type into
        await pilot.press("plus")  # as the screen says: + asks, the + typed nowhere
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.press("e")  # Enroll topic
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, Prompt) and "Base of topic" in dialog.question
        assert dialog.query_one(Input).value == "master"
        await answer(pilot, "master")
        await settle(pilot)
        await settle(pilot)
        assert app.screen is cover and cover.query_one(TextArea).display
        assert "EDITME" in cover.query_one(TextArea).text  # b4's cover template
    assert load_series(GitRepo(kernel_tree), "topic").b4_managed
