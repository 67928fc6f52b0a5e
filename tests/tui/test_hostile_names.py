"""Issue 24 case 13: the TUI shows a branch name as the CLI does, through safe_text: a bidi
override or a zero-width character in it (git allows both) is shown as <U+202E>/<U+200B>,
on the home screen and on the series screen it opens (a real kernel tree, real b4)."""

from __future__ import annotations

from textual.widgets import DataTable

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.prep import new_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.home import HomeScreen
from patchpilot.tui.screens.series import SeriesScreen
from tests.helpers import commit, git, rust_sample
from tests.tui.test_app import SIZE, plain, settle
from tests.tui.test_home_review import cell

HOSTILE = "b4/pi\u202etol\u200bx"
SHOWN = "b4/pi<U+202E>tol<U+200B>x"


async def test_a_hostile_branch_name_is_shown_escaped(kernel_tree):
    repo = GitRepo(kernel_tree)
    new_series(repo, "pilot", fork_point="master")
    commit(kernel_tree, {"samples/rust/rust_one.rs": rust_sample("rust_one")},
           "samples: rust: add the one sample")
    git(kernel_tree, "branch", "-m", "b4/pilot", HOSTILE)
    app = PatchpilotApp(kernel_tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen) and [s.branch for s in home.summaries] == [HOSTILE]
        shown = cell(home.query_one("#series-table", DataTable), HOSTILE, "branch")
        assert shown == SHOWN
        await pilot.press("enter")
        await settle(pilot)
        series = app.screen
        assert isinstance(series, SeriesScreen) and series.branch == HOSTILE
        assert series.sub_title == SHOWN
        info = plain(series.query_one("#series-info").render())
        assert SHOWN in info and "\u202e" not in info and "\u200b" not in info
