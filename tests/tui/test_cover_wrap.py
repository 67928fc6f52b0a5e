"""The cover is saved wrapped at 75 columns (real b4 series): prose lines wrapped, a bullet
continued under its text, the subject, trailers and a long URL kept as written; the editor
shows what b4 stored."""

from __future__ import annotations

from textual.widgets import TextArea

from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from tests.tui.test_app import SIZE, settle
from tests.tui.test_cover_screen import open_cover, two_patches

URL = "Link: https://lore.kernel.org/rust-for-linux/" + "a" * 80 + "@example.org/"
PROSE = " ".join(["These two samples show the allocation API and the module macro."] * 3)
BULLET = "- " + " ".join(["switched the sample to the new vector API"] * 3)


async def test_ctrl_s_wraps_the_cover_at_75_columns(kernel_tree):
    repo = two_patches(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_cover(pilot)
        area = screen.query_one(TextArea)
        area.load_text(f"samples: rust: two samples\n\n{PROSE}\n\n{BULLET}\n\n{URL}\n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        body = load_series(repo).cover_body or ""
        lines = body.splitlines()
        assert all(len(line) <= 75 for line in lines if line != URL), lines
        assert URL in lines  # unbreakable: as written
        assert " ".join(body.split()).startswith(PROSE)  # every word kept, in order
        bullet = next(i for i, ln in enumerate(lines) if ln.startswith("- "))
        assert lines[bullet + 1].startswith("  ") and lines[bullet + 1][2] != " "
        assert area.text.splitlines()[2] == lines[0]  # the editor shows what b4 stored
        assert not screen.keeper.dirty
