"""The cover editor never loses an update: text typed in the editor and a change stored
meanwhile from the shell (`patchpilot recipients --write` adding a Cc, `patchpilot cover
--set-file`) are merged on ctrl+s (real b4, real git merge-file); when both changed the same
lines, both sides stay in the editor and nothing is stored until the user settles it."""

from __future__ import annotations

import io

from textual.widgets import TextArea

from patchpilot.cli.main import main
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.cover import CoverScreen
from tests.tui.test_app import SIZE, settle
from tests.tui.test_cover_screen import open_cover, two_patches

CC = "Jane Reviewer <jane.reviewer@example.org>"


def cli(tree, *argv: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["-C", str(tree), *argv], stdout=out, stderr=err) == 0, err.getvalue()


def set_cover(tree, text: str) -> None:
    path = tree.parent / "cover.txt"
    path.write_text(text)
    cli(tree, "cover", "--set-file", str(path))


def edit_line(area: TextArea, old: str, new: str) -> None:
    assert old in area.text
    area.load_text(area.text.replace(old, new))


async def typed(pilot, old: str, new: str) -> tuple[CoverScreen, TextArea]:
    """The cover screen open, `old` typed over with `new` and not saved."""
    screen = await open_cover(pilot)
    area = screen.query_one(TextArea)
    edit_line(area, old, new)
    await pilot.pause()
    return screen, area


async def test_ctrl_s_keeps_a_cc_written_meanwhile_from_the_shell(kernel_tree):
    repo = two_patches(kernel_tree)
    set_cover(kernel_tree, "samples: rust: two samples\n\nTwo small samples.\n")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen, area = await typed(pilot, "Two small samples.", "Two small samples, with docs.")
        cli(kernel_tree, "recipients", "--add-cc", CC, "--write")  # another terminal
        assert "jane.reviewer@example.org" in (load_series(repo).cover_body or "")
        await pilot.press("ctrl+s")
        await settle(pilot)
        body = load_series(repo).cover_body or ""
        assert "Two small samples, with docs." in body  # mine
        assert "jane.reviewer@example.org" in body  # theirs
        assert "jane.reviewer@example.org" in area.text and not screen.keeper.dirty


async def test_same_line_changed_on_both_sides_keeps_both_until_settled(kernel_tree):
    repo = two_patches(kernel_tree)
    set_cover(kernel_tree, "samples: rust: two samples\n\nTwo small samples.\n")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen, area = await typed(pilot, "Two small samples.", "Two samples, mine.")
        set_cover(kernel_tree, "samples: rust: two samples\n\nTwo samples, theirs.\n")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (load_series(repo).cover_body or "").startswith("Two samples, theirs.")
        assert "<<<<<<< your text" in area.text and ">>>>>>> stored meanwhile" in area.text
        assert "Two samples, mine." in area.text and "Two samples, theirs." in area.text
        assert screen.keeper.dirty  # kept as a draft meanwhile
        await pilot.press("ctrl+s")  # markers left: refused, nothing stored
        await settle(pilot)
        assert (load_series(repo).cover_body or "").startswith("Two samples, theirs.")
        lines = [ln for ln in area.text.splitlines()
                 if not ln.startswith(("<<<<<<<", "=======", ">>>>>>>", "Two samples, theirs"))]
        area.load_text("\n".join(lines) + "\n")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (load_series(repo).cover_body or "").startswith("Two samples, mine.")
