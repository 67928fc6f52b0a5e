"""Pilot tests of the cover editor on a real b4 series: EDITME shown, save, RFC, target tree
and RESEND through b4, with the subject line shown as b4 will mail it."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send.flow import preview
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.cover import CoverScreen
from patchpilot.tui.widgets.dialogs import Prompt
from tests.helpers import commit, rust_sample
from tests.tui.test_app import SIZE, plain, settle


def two_patches(tree) -> GitRepo:
    repo = GitRepo(tree)
    new_series(repo, "cov", fork_point="master")
    for name in ("rust_a", "rust_b"):
        commit(tree, {f"samples/rust/{name}.rs": rust_sample(name)}, f"samples: rust: add {name}")
    return repo


async def open_cover(pilot) -> CoverScreen:
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CoverScreen)
    return screen


def info_of(screen: CoverScreen) -> str:
    return plain(screen.query_one("#cover-info").content)


async def test_edit_save_and_rfc_through_b4(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_cover(pilot)
        area = screen.query_one(TextArea)
        assert "EDITME" in area.text  # b4's template
        assert "EDITME left on line(s) 1" in info_of(screen)
        area.load_text("samples: rust: two samples\n\nTwo small samples.\n")
        await pilot.pause()
        info = info_of(screen)
        assert "[PATCH 0/2] samples: rust: two samples" in info and "EDITME" not in info
        await pilot.press("ctrl+s")
        await settle(pilot)
        series = load_series(repo)
        assert series.cover_subject == "samples: rust: two samples"
        assert series.cover_body.startswith("Two small samples.")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert load_series(repo).prefixes == ["RFC"]
        assert "[PATCH RFC 0/2]" in info_of(screen)


async def answer_prompt(pilot, text: str | None) -> None:
    """Answer the Prompt dialog on top: type `text` and Enter, or Escape for None."""
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, Prompt)
    if text is None:
        await pilot.press("escape")
    else:
        dialog.query_one(Input).value = text
        await pilot.press("enter")
    await pilot.pause()


async def test_target_tree_and_resend_through_b4_subject_live(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_cover(pilot)

        def shown() -> str:
            return info_of(screen)

        screen.query_one(TextArea).load_text("samples: rust: two samples\n\nTwo samples.\n")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await answer_prompt(pilot, "rust-next")
        assert "[PATCH rust-next 0/2] samples: rust: two samples" in shown()  # before b4 is done
        await settle(pilot)
        assert load_series(repo).prefixes == ["rust-next"]
        assert "writing" not in shown()
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert load_series(repo).prefixes == ["RFC", "rust-next", "RESEND"]
        subject = "[PATCH RFC rust-next RESEND 0/2] samples: rust: two samples"
        assert subject in shown()
        assert preview(repo)[0].subject == subject  # what b4 itself would mail
        await pilot.press("ctrl+t")
        await answer_prompt(pilot, "net-next")
        await settle(pilot)
        assert load_series(repo).prefixes == ["RFC", "net-next", "RESEND"]
        await pilot.press("ctrl+t")
        await answer_prompt(pilot, None)  # Escape keeps the tree
        await settle(pilot)
        assert load_series(repo).prefixes == ["RFC", "net-next", "RESEND"]
        await pilot.press("ctrl+t")
        await answer_prompt(pilot, "net next")  # not one word: refused, nothing written
        await settle(pilot)
        assert load_series(repo).prefixes == ["RFC", "net-next", "RESEND"]
        assert "[PATCH RFC net-next RESEND 0/2]" in shown()
        await pilot.press("ctrl+t")
        await answer_prompt(pilot, "-")  # no target tree
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert load_series(repo).prefixes == ["RFC"]
        assert "[PATCH RFC 0/2] samples: rust: two samples" in shown()


async def test_prerequisites_shown_on_the_series_and_cover_screens(kernel_tree):
    two_patches(kernel_tree)
    deps = kernel_tree.parent / "deps.txt"
    deps.write_text("change-id: 20240320-example-change-id:v1\n"
                    "message-id: <20240320-prereq-v1-0@example.com>\nbase-commit: master\n")
    b4cli.run(["prep", "--edit-deps"], cwd=kernel_tree, editor=f"cp {deps}")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        info = plain(app.screen.query_one("#series-info").content)
        assert ("depends on: change-id: 20240320-example-change-id:v1; message-id: "
                "<20240320-prereq-v1-0@example.com>; base-commit: master") in info
        screen = await open_cover(pilot)
        shown = info_of(screen)
        assert "prerequisite: change-id: 20240320-example-change-id:v1" in shown
        assert "prerequisite: base-commit: master" in shown
