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
