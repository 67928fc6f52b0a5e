"""No preview without a transport used to be the rule: now the messages show with no
`sendemail.*` setting and no `user.email`, and identity and transport are failing pre-flight
lines (TUI), or warnings after a dry run that exits 0 (CLI). Real b4, nothing sent."""

from __future__ import annotations

import json

from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.send import SendScreen
from patchpilot.tui.widgets.dialogs import Confirm
from tests.helpers import git
from tests.integration.test_send import run, rust_series
from tests.tui.test_app import settle
from tests.tui.test_send_screen import SIZE, open_send


def no_transport(tree) -> None:
    for key in ("sendemail.smtpServer", "sendemail.smtpServerPort"):
        git(tree, "config", "--global", "--unset", key)


def preflight_text(screen: SendScreen) -> list[str]:
    table = screen.query_one("#send-preflight")
    return [" ".join(" ".join(str(c) for c in table.get_row_at(i)).split())
            for i in range(table.row_count)]


async def test_no_transport_still_shows_the_messages_and_what_is_missing(kernel_tree):
    rust_series(kernel_tree, 2)
    no_transport(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_send(pilot)
        assert [m.position for m in screen.plan.messages] == [0, 1, 2]
        lines = {ln.name: ln for ln in screen.lines}
        assert lines["transport"].state == "fail" and lines["identity"].state == "ok"
        assert "cover" in lines and "recipients" in lines  # the whole pre-flight, at once
        rows = preflight_text(screen)
        assert rows[0].startswith("transport fail")  # failing lines first
        assert "git config sendemail.smtpServer" in rows[0]
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen and not isinstance(app.screen, Confirm)  # nothing asked
        assert any("cannot send: no mail transport" in n.message for n in app._notifications)


async def test_no_identity_either_still_previews(kernel_tree):
    rust_series(kernel_tree, 2)
    no_transport(kernel_tree)
    git(kernel_tree, "config", "--global", "--unset", "user.email")
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_send(pilot)
        assert len(screen.plan.messages) == 3
        lines = {ln.name: ln for ln in screen.lines}
        assert lines["identity"].state == "fail" and "user.email" in lines["identity"].fix
        assert lines["transport"].state == "fail"
        await settle(pilot)


def test_cli_dry_run_shows_the_messages_and_says_what_is_missing(kernel_tree):
    rust_series(kernel_tree, 2)
    no_transport(kernel_tree)
    code, out, err = run(kernel_tree, "send", "--dry-run")
    assert code == 0, err
    assert "[PATCH 1/2]" in out and "nothing sent" in out
    assert "to send for real: no mail transport" in err and "sendemail.smtpServer" in err
    code, out, err = run(kernel_tree, "send", "--dry-run", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert len(shown["messages"]) == 3
    assert [m["name"] for m in shown["missing"]] == ["transport"]
    code, _, err = run(kernel_tree, "send", "--yes", "--no-checks", "--override", "checks")
    assert code == 2 and "sendemail.smtpServer" in err  # a real send: one clear line
