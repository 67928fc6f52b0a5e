"""The reroll screen says which patch keeps review tags given before its code changed; on
that patch's row K keeps them and X drops them (asked first, a guarded rewrite)."""

from __future__ import annotations

from textual.widgets import DataTable

from patchpilot.tui.app import PatchpilotApp
from tests.helpers import git
from tests.integration.test_reroll_v2_cover import REV1, REV2, reviewed_then_amended
from tests.tui.test_app import SIZE, settle
from tests.tui.test_reroll_screen import confirm, info, open_reroll


async def test_keep_then_drop_the_tags_of_a_changed_patch(kernel_tree, tmp_path):
    tree = kernel_tree
    reviewed_then_amended(tree, tmp_path)
    git(tree, "config", "patchpilot.ui.watch-interval", "0")
    async with PatchpilotApp(tree).run_test(size=SIZE) as pilot:
        screen = await open_reroll(pilot)
        said = " ".join(info(screen).split())
        assert f"patch 2 changed since v1 but keeps tags given before: {REV2}" in said
        assert "K keeps them, X drops them" in said and "patch 1 changed" not in said
        patches = screen.query_one("#reroll-patches", DataTable)
        patches.focus()
        patches.move_cursor(row=1)
        await pilot.press("K")
        await settle(pilot)
        assert screen.plan is not None and screen.plan.stale[0].kept
        assert "(kept)" in info(screen)
        patches.move_cursor(row=1)
        await pilot.press("X")
        await confirm(pilot, "Drop from patch 2", REV2)
        log = git(tree, "log", "--format=%B", "master..HEAD")
        assert REV2 not in log and REV1 in log
        assert screen.plan is not None and screen.plan.stale == []
