"""Pilot tests of the checks screen on a real series in the real slim tree (real checkpatch,
rustfmt and Rust rules)."""

from __future__ import annotations

from textual.widgets import DataTable

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.prep import new_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.checks import ChecksScreen
from patchpilot.tui.screens.series import SeriesScreen
from tests.helpers import commit, rust_sample
from tests.tui.test_app import plain, settle

SIZE = (140, 40)
UNSAFE = "\n/// Reads.\npub fn read(p: &u32) -> u32 {\n    unsafe { core::ptr::read(p) }\n}\n"


def rust_series(tree) -> None:
    new_series(GitRepo(tree), "checked", fork_point="master")
    commit(tree, {"samples/rust/rust_c.rs": rust_sample("rust_c")},
           "samples: rust: add the c sample\n\nAdd a sample that prints a line at load.")
    commit(tree, {"samples/rust/rust_c.rs": rust_sample("rust_c") + UNSAFE},
           "samples: rust: c: add a read helper\n\nRead through a reference.")


async def open_checks(pilot) -> ChecksScreen:
    await settle(pilot)
    assert isinstance(pilot.app.screen, SeriesScreen)
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChecksScreen)
    return screen


async def test_statuses_findings_and_jump_to_line(kernel_tree):
    rust_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checks(pilot)
        assert screen.report is not None and not screen.running
        assert sorted(screen.results) == [1, 2]
        assert screen.results[2].status == "error"
        patches = screen.query_one("#checks-patches", DataTable)
        assert "error" in str(patches.get_cell_at((1, 1)))
        await pilot.press("j")
        await pilot.pause()
        assert screen.selected_index == 2
        findings = screen.query_one("#checks-findings", DataTable)
        rules = [f.rule for f in screen.selected_findings]
        assert "A4" in rules and findings.row_count == len(rules)
        a4 = screen.selected_findings[rules.index("A4")]
        findings.focus()
        findings.move_cursor(row=rules.index("A4"))
        await pilot.press("enter")
        await pilot.pause()
        assert screen.diff_target is not None
        diff = plain(screen.query_one("#checks-diff-text").content).splitlines()
        assert "unsafe { core::ptr::read(p) }" in diff[screen.diff_target]
        assert a4.line is not None and a4.file == "samples/rust/rust_c.rs"


async def test_rerun_comes_from_the_cache(kernel_tree):
    rust_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checks(pilot)
        assert screen.report.cached == 0
        await pilot.press("r")
        await settle(pilot)
        assert screen.report.cached == 2
        assert all(r.cached for r in screen.results.values())
        assert "cached" in str(screen.query_one("#checks-patches", DataTable)
                               .get_cell_at((0, 1)))
        info = plain(screen.query_one("#checks-info").content)
        assert "(2 cached)" in info and "rust-for-linux" in info
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, SeriesScreen)


async def test_highlighted_finding_shows_its_whole_message(kernel_tree):
    from textual.widgets import Static
    rust_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checks(pilot)
        patches = screen.query_one("#checks-patches", DataTable)
        bad = next(i for i, r in screen.results.items() if r.findings)
        patches.move_cursor(row=bad - 1)
        await pilot.pause()
        findings = screen.query_one("#checks-findings", DataTable)
        findings.move_cursor(row=0)
        await pilot.pause()
        shown = plain(screen.query_one("#checks-finding", Static).content)
        first = screen.selected_findings[0]
        assert first.message in shown


async def test_ctrl_c_stops_running_checks(kernel_tree):
    """The tree's real checkpatch.pl made to hang (a hang cannot be had otherwise): x kills
    it (ctrl+c) and the screen says the checks were cancelled."""
    rust_series(kernel_tree)
    script = kernel_tree / "scripts/checkpatch.pl"
    lines = script.read_text().split("\n")
    script.write_text("\n".join(lines[:1] + ["sleep 600;"] + lines[1:]))
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecksScreen) and screen.running
        assert screen.check_action("cancel", ()) is True
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert not screen.running and screen.report is None
        assert "checks cancelled" in plain(screen.query_one("#checks-info").content)
        assert screen.check_action("cancel", ()) is None


async def test_rustfmt_finding_shows_the_formatted_code_as_a_diff(kernel_tree):
    """rustfmt knows the fix (the formatted code): the finding shows it against the lines it
    replaces, instead of only "would reformat line N"."""
    from textual.widgets import Static
    new_series(GitRepo(kernel_tree), "fmt", fork_point="master")
    bad = rust_sample("rust_f") + "\nfn helper(a:u32,b:u32)->u32{a+b}\n"
    commit(kernel_tree, {"samples/rust/rust_f.rs": bad},
           "samples: rust: add the f sample\n\nAdd a sample with a helper.")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checks(pilot)
        rules = [(f.tool, f.rule) for f in screen.selected_findings]
        assert ("rustfmt", "A1") in rules
        findings = screen.query_one("#checks-findings", DataTable)
        findings.move_cursor(row=rules.index(("rustfmt", "A1")))
        await pilot.pause()
        shown = plain(screen.query_one("#checks-finding", Static).content)
        assert "-fn helper(a:u32,b:u32)->u32{a+b}" in shown
        assert "+fn helper(a: u32, b: u32) -> u32 {" in shown
        assert "hint: run `rustfmt`" in shown
