"""F on the checks screen writes rustfmt's fix into the patch that brought the lines (real
rustfmt, real git, a real b4 series): the commits after it are made again with their
messages, a backup ref is kept, the re-check finds nothing left; when a later patch changes
the same file the fix is refused and nothing moves."""

from __future__ import annotations

from textual.widgets import DataTable

from patchpilot.core.checks.rustfmt import format_text, rustfmt_config
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.widgets.dialogs import Confirm
from tests.helpers import commit, git, rust_sample
from tests.tui.test_app import SIZE, settle
from tests.tui.test_checks_screen import open_checks

BAD = rust_sample("rust_ugly").replace("    ", "  ")  # rustfmt wants four spaces


def ugly_series(tree, later_same_file: bool) -> GitRepo:
    repo = GitRepo(tree)
    new_series(repo, "ugly", fork_point="master")
    commit(tree, {"samples/rust/rust_ugly.rs": BAD}, "samples: rust: add an ugly sample")
    if later_same_file:
        commit(tree, {"samples/rust/rust_ugly.rs": BAD + "// A note.\n"},
               "samples: rust: ugly: add a note")
    else:
        commit(tree, {"samples/rust/rust_fine.rs": rust_sample("rust_fine")},
               "samples: rust: add a fine sample")
    return repo


async def press_fix(pilot, screen) -> None:
    findings = screen.selected_findings
    row = next(i for i, f in enumerate(findings) if f.tool == "rustfmt")
    screen.query_one("#checks-findings", DataTable).move_cursor(row=row)
    await pilot.pause()
    await pilot.press("F")
    await pilot.pause()


async def test_f_writes_rustfmts_fix_into_its_patch(kernel_tree):
    repo = ugly_series(kernel_tree, later_same_file=False)
    before = load_series(repo)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checks(pilot)
        await press_fix(pilot, screen)
        assert isinstance(app.screen, Confirm) and "patch 1" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
        assert not [f for f in screen.results[1].findings if f.tool == "rustfmt"]
    after = load_series(repo)
    assert [p.subject for p in after.patches] == [p.subject for p in before.patches]
    assert [p.commit for p in after.patches] != [p.commit for p in before.patches]
    fixed = git(kernel_tree, "show", f"{after.patches[0].commit}:samples/rust/rust_ugly.rs")
    formatted = format_text(BAD, rustfmt_config(kernel_tree)).stdout  # rustfmt itself
    assert fixed != BAD.strip() and fixed.strip() == formatted.strip()
    assert git(kernel_tree, "for-each-ref", "refs/patchpilot/backup/").strip()
    assert not git(kernel_tree, "status", "--porcelain").strip()  # the work tree followed


async def test_f_refused_when_a_later_patch_changes_the_file(kernel_tree):
    repo = ugly_series(kernel_tree, later_same_file=True)
    tip = repo.rev_parse("HEAD")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checks(pilot)
        await press_fix(pilot, screen)
        await pilot.press("y")
        await settle(pilot)
        shown = " ".join(n.message for n in app._notifications) + str(
            screen.query_one("#checks-info").content)
        assert "patch 2 changes samples/rust/rust_ugly.rs too" in shown
    assert repo.rev_parse("HEAD") == tip
