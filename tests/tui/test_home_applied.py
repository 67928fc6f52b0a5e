"""The home screen says a series is applied (from the cache), its NAK still in view: a real
`b4 ty` mail delivered to a real public-inbox, one refresh, then the server stopped."""

from __future__ import annotations

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.replies import collect
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.home import HomeScreen
from tests.integration.test_applied import thank
from tests.integration.test_replies import reviewed  # noqa: F401  (fixture)
from tests.tui.test_app import SIZE, settle
from tests.tui.test_home_review import cell, no_network


async def test_home_shows_applied_and_the_nak(reviewed, tmp_path, monkeypatch):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    repo = GitRepo(tree)
    assert collect(repo, refresh=True).applied is None
    app = PatchpilotApp(tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert cell(app.screen.query_one("#series-table"), "b4/review", "status") == "NAK"
    thank(tree, inbox, sent, tmp_path, tree_name="rust-next")
    assert collect(repo, refresh=True).applied is not None
    inbox.stop()
    no_network(monkeypatch)
    app = PatchpilotApp(tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        table = home.query_one("#series-table")
        assert cell(table, "b4/review", "status") == "NAK · applied to rust-next (master)"
        styles = {str(s.style) for s in table.get_cell("b4/review", "status").spans}
        assert styles == {"bold red", "bold green"}  # the NAK stays prominent
