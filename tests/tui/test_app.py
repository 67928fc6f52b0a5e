"""Pilot tests: the app on a real kernel tree with real b4 series."""

from __future__ import annotations

from rich.console import Console
from textual.widgets import DataTable, HelpPanel
from textual.worker import WorkerCancelled

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.prep import new_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.home import HomeScreen
from patchpilot.tui.screens.series import SeriesScreen
from patchpilot.tui.widgets.diffview import DiffView, lexer_for, render_file
from patchpilot.tui.widgets.patchdetail import PatchDetail
from tests.helpers import commit, git, rust_sample

SIZE = (120, 40)


def plain(renderable) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def two_series(tree) -> None:
    repo = GitRepo(tree)
    new_series(repo, "first", fork_point="master")
    commit(tree, {"samples/rust/rust_one.rs": rust_sample("rust_one")},
           "samples: rust: add the one sample")
    git(tree, "switch", "-q", "master")
    new_series(repo, "second", fork_point="master")
    commit(tree, {"samples/rust/rust_two.rs": rust_sample("rust_two")},
           "samples: rust: add the two sample")
    commit(tree, {"drivers/block/rnull.rs": (tree / "drivers/block/rnull.rs").read_text()
                  + "// Trailing note.\n"}, "block: rnull: add a note")


async def settle(pilot) -> None:
    """Wait until no worker runs (a worker replaced by a newer one counts as done)."""
    for _ in range(50):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            await pilot.pause()
            return


async def test_opens_current_series_and_walks_patches(kernel_tree):
    two_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SeriesScreen) and screen.branch == "b4/second"
        table = screen.query_one("#patch-table", DataTable)
        assert table.row_count == 2
        detail = screen.query_one(PatchDetail)
        message = plain(detail.query_one("#patch-message").content)
        assert "samples: rust: add the two sample" in message
        diff = plain(detail.query_one(DiffView).content)
        assert "samples/rust/rust_two.rs  +" in diff and "+use kernel::prelude::*;" in diff
        await pilot.press("j")
        await pilot.pause()
        assert screen.selected_index == 2
        message = plain(detail.query_one("#patch-message").content)
        assert "block: rnull: add a note" in message
        assert "+// Trailing note." in plain(detail.query_one(DiffView).content)
        files = plain(detail.query_one("#patch-files").content)
        assert "drivers/block/rnull.rs" in files and "+1 -0" in files
        info = plain(screen.query_one("#series-info").content)
        assert "v1" in info and screen.series.change_id in info


async def test_home_lists_series_and_q_goes_back(kernel_tree):
    two_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert [s.branch for s in home.summaries] == ["b4/first", "b4/second"]
        table = home.query_one(DataTable)
        assert table.row_count == 2 and table.cursor_row == 1  # the current series
        await pilot.press("k")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SeriesScreen) and app.screen.branch == "b4/first"
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query(HelpPanel)
        await pilot.press("q")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_palette_offers_screens(kernel_tree):
    two_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Open Series" in titles and "Open Home" in titles and "Refresh" in titles


async def test_hostile_commit_message_is_shown_as_plain_text(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "topic")
    git(kernel_tree, "branch", "--set-upstream-to=master")
    commit(kernel_tree, {"samples/rust/rust_h.rs": rust_sample("rust_h")},
           "samples: [bold]add[/bold] \x1b[31mred\x1b[0m sample\n\nBody \x1b]0;title\x07 ok.")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        message = plain(app.screen.query_one("#patch-message").content)
        assert "\x1b" not in message and "\x07" not in message
        assert "[bold]add[/bold]" in message  # markup shown literally, not interpreted


async def test_unmanaged_current_branch_without_base_shows_the_problem(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "topic")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "--base" in app.screen.summaries[0].problem


def test_diff_is_highlighted_by_language(kernel_tree):
    assert lexer_for("rust/kernel/lib.rs") == "rust" and lexer_for("drivers/x.c") == "c"
    assert lexer_for("samples/rust/Makefile") == "make"
    git(kernel_tree, "switch", "-q", "-c", "topic")
    commit(kernel_tree, {"samples/rust/rust_x.rs": rust_sample("rust_x")}, "add x")
    from patchpilot.core.series.model import load_series
    patch = load_series(GitRepo(kernel_tree), base="master").patches[0]
    rows = render_file(patch.diff[0], patch.files[0])
    fn_row = next(r for r in rows if "fn init" in r.plain)
    styles = {str(span.style) for span in fn_row.spans}
    assert len(styles) > 2  # keyword, name, punctuation... not one flat colour
