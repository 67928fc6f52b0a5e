"""Pilot tests of the cover editor on a real b4 series: EDITME shown, save and RFC through b4."""

from __future__ import annotations

from textual.widgets import TextArea

from patchpilot.core.gitrepo import GitRepo
from patchpilot.core.prep import new_series
from patchpilot.core.series import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.cover import CoverScreen
from tests.helpers import commit, rust_sample
from tests.tui.test_app import SIZE, plain, settle


def two_patches(tree) -> GitRepo:
    repo = GitRepo(tree)
    new_series(repo, "cov", fork_point="master")
    for name in ("rust_a", "rust_b"):
        commit(tree, {f"samples/rust/{name}.rs": rust_sample(name)}, f"samples: rust: add {name}")
    return repo


async def test_edit_save_and_rfc_through_b4(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CoverScreen)
        area = screen.query_one(TextArea)
        assert "EDITME" in area.text  # b4's template
        assert "EDITME left on line(s) 1" in plain(screen.query_one("#cover-info").content)
        area.load_text("samples: rust: two samples\n\nTwo small samples.\n")
        await pilot.pause()
        info = plain(screen.query_one("#cover-info").content)
        assert "[PATCH 0/2] samples: rust: two samples" in info and "EDITME" not in info
        await pilot.press("ctrl+s")
        await settle(pilot)
        series = load_series(repo)
        assert series.cover_subject == "samples: rust: two samples"
        assert series.cover_body.startswith("Two small samples.")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert load_series(repo).prefixes == ["RFC"]
        assert "[PATCH RFC 0/2]" in plain(screen.query_one("#cover-info").content)
