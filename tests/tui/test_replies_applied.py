"""The replies screen on a real sent series, its review on a real public-inbox: the revision
of each reply in its own column, a maintainer's real `b4 ty` mail shown as "applied" (not as
an aside), and a reply read once it stays highlighted."""

from __future__ import annotations

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.replies import collect
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.replies import READ_AFTER
from patchpilot.tui.widgets.footer import KeyFooter
from tests.integration.test_applied import thank
from tests.integration.test_replies import reviewed  # noqa: F401  (fixture)
from tests.tui.test_app import SIZE, plain, settle
from tests.tui.test_replies_screen import open_replies


async def test_applied_and_revision_shown_and_reading_marks_read(reviewed, tmp_path):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    thank(tree, inbox, sent, tmp_path, tree_name="rust-next")
    repo = GitRepo(tree)
    collect(repo, refresh=True)
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replies(pilot)
        table = screen.query_one("#replies-table")
        rows = [[plain(c).strip() for c in row] for row in table.data]
        assert {r[1] for r in rows} == {"v1"}  # the revision column
        ty = next(i for i, m in enumerate(screen.messages) if "Mai Ntainer" in m.sender)
        assert rows[ty][3] == "applied"
        info = plain(screen.query_one("#replies-info").content)
        assert "v1 applied to rust-next (master) by Mai Ntainer" in info
        table.move_cursor(row=ty)
        await pilot.pause()
        detail = plain(screen.query_one("#replies-detail").content)
        assert "v1 applied to rust-next (master) by Mai Ntainer <maint@example.com>: 1 " \
            in detail
        assert "(praise)" not in detail and "[open]" not in detail  # asks nothing
        assert rows[ty][6] == ""  # no comment counted
        assert screen.messages[ty].unread
        await pilot.pause(READ_AFTER * 2)  # stayed on it: read
        await settle(pilot)
        assert not screen.messages[ty].unread and plain(table.data[ty][0]).strip() == ""
        stored = next(m for m in collect(repo).replies() if "Mai Ntainer" in m.sender)
        assert not stored.unread  # read in the review state, not only on the screen
        await pilot.press("space")  # unread again, on purpose: it stays so
        await settle(pilot)
        await pilot.pause(READ_AFTER * 2)
        await settle(pilot)
        assert screen.messages[ty].unread
    kept = next(m for m in collect(repo).replies() if "Mai Ntainer" in m.sender)
    assert kept.unread


async def test_the_replies_footer_shows_f_at_80_columns(reviewed):  # noqa: F811
    tree, *_ = reviewed
    app = PatchpilotApp(tree)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_replies(pilot)
        for row, reply in enumerate(screen.messages):  # with and without comments
            screen.query_one("#replies-table").move_cursor(row=row)
            await pilot.pause()
            shown = [b.id for b, _, _ in screen.query_one(KeyFooter)._choose()]
            assert shown[:2] == ["app.back", "app.help"] and "review.fetch" in shown, \
                (reply.sender, shown)
