"""Pilot tests of the replies screen on a real sent series and a real public-inbox server."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.replies import RepliesScreen
from tests.helpers import git
from tests.integration.test_replies import reply, reviewed  # noqa: F401  (fixture)
from tests.tui.test_app import SIZE, plain, settle


async def open_replies(pilot) -> RepliesScreen:
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RepliesScreen)
    return screen


def row_of(screen: RepliesScreen, needle: str) -> int:
    return next(i for i, m in enumerate(screen.messages) if needle in m.sender)


async def test_replies_grouped_states_and_refresh(reviewed):  # noqa: F811
    tree, inbox, sent, replies = reviewed
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replies(pilot)
        assert len(screen.messages) == len(replies) and all(m.unread for m in screen.messages)
        assert [m.patch for m in screen.messages] == sorted(m.patch for m in screen.messages)
        table = screen.query_one(DataTable)
        assert table.row_count == len(replies)
        table.move_cursor(row=row_of(screen, "rev1@"))
        await pilot.pause()
        detail = plain(screen.query_one("#replies-detail").content)
        assert "samples/rust/rust_one.rs:19" in detail and "Reviewed-by" in detail
        await pilot.press("n", "a")
        await settle(pilot)
        second = screen.messages[row_of(screen, "rev1@")].comments[1]
        assert second.state == "addressed" and second.addressed_in == 2 and second.revision == 1
        await pilot.press("p", "w")
        await pilot.pause()
        app.screen.query_one(Input).value = "on purpose"
        await pilot.press("enter")
        await settle(pilot)
        first = screen.messages[row_of(screen, "rev1@")].comments[0]
        assert (first.state, first.note) == ("wontfix", "on purpose")
        assert not screen.messages[row_of(screen, "rev1@")].unread  # set state marks read
        table.move_cursor(row=row_of(screen, "maint@"))
        await pilot.press("u")
        await settle(pilot)
        assert not screen.messages[row_of(screen, "maint@")].unread
        cover = next(raw for s, raw in sent.items() if "0/3" in s)
        inbox.deliver(reply(cover, "[bold red]Evil[/] <evil@example.com>",
                            "\x1b[2J[link=x]click[/link]\n> cover\n"))
        await pilot.press("r")
        await settle(pilot)
        evil = screen.messages[row_of(screen, "evil@")]
        assert evil.unread and len(screen.messages) == len(replies) + 1
        table.move_cursor(row=row_of(screen, "evil@"))
        await pilot.pause()
        detail = plain(screen.query_one("#replies-detail").content)
        assert "[bold red]Evil[/]" in detail and "[link=x]click[/link]" in detail
        assert "\x1b" not in detail
        inbox.stop()
        await pilot.press("r")
        await settle(pilot)
        info = plain(screen.query_one("#replies-info").content)
        assert "unreachable" in info and len(screen.messages) == len(replies) + 1


async def test_a_server_without_the_cover_is_one_line(reviewed):  # noqa: F811
    tree, inbox, _, _ = reviewed
    wrong = f"{inbox.base}-elsewhere"
    git(tree, "config", "patchpilot.replies.server", wrong)
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replies(pilot)
        info = plain(screen.query_one("#replies-info").content).splitlines()
        assert f"the cover is not on {wrong}: check replies.server, or it is not archived " \
               "yet" in info
        assert screen.messages == []
