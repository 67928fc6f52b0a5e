"""ctrl+o edits the cover in git's core.editor (a real script run as git runs an editor, on a
real b4 series): the text comes back into the editor unsaved, ctrl+s stores it through b4; an
editor that fails leaves the text as it was."""

from __future__ import annotations

from textual.widgets import TextArea

from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from tests.helpers import git
from tests.tui.test_app import SIZE, settle
from tests.tui.test_cover_screen import open_cover, two_patches


def editor(tmp_path, name: str, script: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return str(path)


async def test_ctrl_o_edits_the_cover_in_core_editor(kernel_tree, tmp_path):
    repo = two_patches(kernel_tree)
    good = editor(tmp_path, "good.sh", 'printf "samples: rust: two samples\\n\\nFrom vim.\\n" > "$1"\n')
    bad = editor(tmp_path, "bad.sh", 'echo broken > "$1"; exit 3\n')
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_cover(pilot)
        area = screen.query_one(TextArea)
        git(kernel_tree, "config", "core.editor", bad)
        before = area.text
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert area.text == before  # failed: as it was
        assert any("exited with status 3" in n.message for n in app._notifications)
        git(kernel_tree, "config", "core.editor", good)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert area.text == "samples: rust: two samples\n\nFrom vim.\n"
        assert screen.keeper.dirty
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert (load_series(repo).cover_body or "").startswith("From vim.")
