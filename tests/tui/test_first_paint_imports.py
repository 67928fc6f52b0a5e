"""The first paint pays only for what it shows: opening the TUI imports no command module,
and the app, the home and the series screens import neither the network stack (requests,
liblore) nor the checks nor the other screens (they are imported after the first paint).
A fresh interpreter each time (the test process has imported everything already)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("requests", "liblore", "patchpilot.core.checks.runner", "patchpilot.core.review.lore",
         "patchpilot.core.send.preflight", "patchpilot.tui.screens.checks",
         "patchpilot.tui.screens.reroll", "patchpilot.tui.screens.replies")
PROBE = f"""
import sys
from patchpilot.cli.main import build_parser
build_parser([])
from patchpilot.tui.screens import screen_info
import patchpilot.tui.app
screen_info("home"); screen_info("series")
print(",".join(sorted(m for m in sys.modules if m.startswith("patchpilot.cli.")
                      and m.endswith("_cmd"))))
print(",".join(m for m in {HEAVY!r} if m in sys.modules))
"""


def test_opening_the_tui_imports_nothing_the_first_screen_does_not_show():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["", ""], out


def test_every_screen_is_still_found_after_the_first_paint():
    from patchpilot.tui.screens import load_all

    assert set(load_all()) == {"home", "series", "checks", "recipients", "cover", "send",
                               "replies", "reroll"}


async def test_the_home_screen_under_the_series_is_built_when_first_seen(kernel_tree):
    from patchpilot.tui.app import PatchpilotApp
    from patchpilot.tui.screens.home import HomeScreen
    from patchpilot.tui.widgets.fittable import FitTable
    from tests.tui.test_app import SIZE, settle, two_series

    two_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen_stack[-2]
        assert isinstance(home, HomeScreen) and home.summaries  # read, not drawn
        assert not home.query(FitTable)  # the first paint did not pay for it
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is home and home.query_one(FitTable).row_count == 2
