"""One series state: after a rewrite (recipients written, a send, a commit amended in another
terminal) every screen showing that series reloads, at once when it is on top, else when it
comes back. Trailers applied and the changelog written are covered in test_reroll_screen.
Real b4, real git, a real SMTP server."""

from __future__ import annotations

from textual.widgets import DataTable

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.home import HomeScreen
from patchpilot.tui.screens.recipients import RecipientsScreen
from patchpilot.tui.screens.series import SeriesScreen
from tests.helpers import git
from tests.integration.test_send import point_at, rust_series
from tests.smtp import SmtpServer
from tests.tui.test_app import SIZE, plain, settle
from tests.tui.test_recipients_screen import series as recipients_series


async def until(pilot, condition, tries: int = 200) -> None:
    """Let the app run until `condition()` holds (a state reached, not a time measured)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never got there")


def shown_commits(screen: SeriesScreen) -> list[str]:
    table = screen.query_one("#patch-table", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


def branch_commits(tree) -> list[str]:
    return [p.commit[:12] for p in load_series(GitRepo(tree), light=True).patches]


async def test_writing_recipients_reloads_the_series_screen(kernel_tree):
    recipients_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        series = app.screen
        assert isinstance(series, SeriesScreen)
        before = shown_commits(series)
        assert before == branch_commits(kernel_tree)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, RecipientsScreen)
        assert series.stale  # told while under the recipients screen
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is series and not series.stale
        assert shown_commits(series) == branch_commits(kernel_tree) != before


async def test_a_send_reloads_the_series_and_home(kernel_tree):
    rust_series(kernel_tree, 2)
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        app = PatchpilotApp(kernel_tree)
        async with app.run_test(size=(140, 45)) as pilot:
            await settle(pilot)
            series = app.screen
            home = app.screen_stack[-2]
            assert isinstance(series, SeriesScreen) and isinstance(home, HomeScreen)
            await pilot.press("s")
            await settle(pilot)
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            await settle(pilot)
            assert len(smtp.mailbox.messages) == 3
            assert series.stale and home.stale
            await pilot.press("q")
            await settle(pilot)
            info = plain(series.query_one("#series-info").content)
            assert "v2" in info and "sent v1" in info
            await pilot.press("q")
            await settle(pilot)
            row = next(s for s in home.summaries if s.branch == "b4/pilot")
            assert (row.revision, row.sent_revisions) == (2, [1])
            cells = [plain(c).strip() for c in home.query_one(DataTable).get_row("b4/pilot")]
            assert "v2" in cells and "v1" in cells


async def test_an_amend_in_another_terminal_reloads_what_shows_it(kernel_tree, monkeypatch):
    recipients_series(kernel_tree)
    monkeypatch.setenv("PATCHPILOT_UI_WATCH_INTERVAL", "0.2")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        series = app.screen
        assert isinstance(series, SeriesScreen)
        await pilot.press("m")
        await settle(pilot)
        recipients = app.screen
        assert isinstance(recipients, RecipientsScreen)
        # "another terminal": git itself, while the app runs
        git(kernel_tree, "commit", "-q", "--amend", "-m", "samples: rust: amended elsewhere")
        head = GitRepo(kernel_tree).rev_parse("HEAD")
        await until(pilot, lambda: series.stale and recipients.series is not None
                    and recipients.series.head == head)
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert series.series is not None and series.series.head == head
        table = series.query_one("#patch-table", DataTable)
        assert "amended elsewhere" in plain(table.get_row_at(table.row_count - 1)[-1])
        assert load_series(GitRepo(kernel_tree)).patches[-1].commit == head
