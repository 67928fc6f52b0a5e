"""Pilot tests of the recipients screen on a real b4 series (real MAINTAINERS, real b4)."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.recipients.choices import state_file
from patchpilot.core.series.prep import new_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.recipients import RecipientsScreen
from tests.helpers import commit, git, rust_sample
from tests.tui.test_app import SIZE, plain, settle


def series(tree) -> None:
    new_series(GitRepo(tree), "rcpt", fork_point="master")
    commit(tree, {"samples/rust/rust_r.rs": rust_sample("rust_r")}, "samples: rust: add r")


async def open_recipients(pilot) -> RecipientsScreen:
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RecipientsScreen)
    return screen


async def test_shows_addresses_with_reasons(kernel_tree):
    series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_recipients(pilot)
        headers = [row.header for row in screen.rows]
        assert headers.count("To") == len(screen.result.to) and "Cc" in headers
        addresses = [row.address for row in screen.rows]
        assert "rust-for-linux@vger.kernel.org" in addresses
        assert screen.query_one(DataTable).row_count == len(screen.rows)
        detail = plain(screen.query_one("#rcpt-detail").content)
        assert "maintainers" in detail and "RUST" in detail and "patches: 1" in detail


async def test_remove_restore_and_add_are_remembered(kernel_tree):
    series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_recipients(pilot)
        first = screen.rows[0].address
        await pilot.press("d")
        await settle(pilot)
        assert first not in screen.result.to and first in screen.result.removed
        await pilot.press("A")  # add Cc
        await pilot.pause()
        app.screen.query_one(Input).value = "New Person <new@example.org>"
        await pilot.press("enter")
        await settle(pilot)
        assert "New Person <new@example.org>" in screen.result.cc
    # A fresh app (as after a restart) sees the same choices.
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_recipients(pilot)
        assert first in screen.result.removed
        row = next(i for i, r in enumerate(screen.rows) if r.header == "removed")
        screen.query_one(DataTable).move_cursor(row=row)
        await pilot.press("d")
        await settle(pilot)
        assert first in screen.result.to and not screen.result.removed


async def test_write_asks_first_then_writes_the_cover(kernel_tree):
    series(kernel_tree)
    cover_before = git(kernel_tree, "log", "-1", "--format=%B", "HEAD~1")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await open_recipients(pilot)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("n")  # declined: nothing changes
        await settle(pilot)
        assert git(kernel_tree, "log", "-1", "--format=%B", "HEAD~1") == cover_before
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
    cover = git(kernel_tree, "log", "-1", "--format=%B", "HEAD~1")
    assert "To: Miguel Ojeda <ojeda@kernel.org>" in cover
    assert "Cc: rust-for-linux@vger.kernel.org" in cover
    assert git(kernel_tree, "for-each-ref", "refs/patchpilot/backup/")


async def test_damaged_choices_found_while_adding_are_said(kernel_tree):
    """Choices damaged behind the screen's back are kept aside when an address is added, and
    the screen says so (as the CLI's --add-cc warns) instead of starting over silently."""
    series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_recipients(pilot)
        path = state_file(GitRepo(kernel_tree), screen.series)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[1, 2")  # what a crash of another tool might leave
        await pilot.press("A")  # add Cc
        await pilot.pause()
        app.screen.query_one(Input).value = "New Person <new@example.org>"
        await pilot.press("enter")
        await settle(pilot)
        info = plain(screen.query_one("#rcpt-info").content)
        assert "your recipient choices were damaged" in info and "kept as" in info
        assert "New Person <new@example.org>" in screen.result.cc
    assert list(path.parent.glob(f"{path.name}?*"))  # the damaged file kept aside
