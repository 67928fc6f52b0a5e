"""The send screen threads v2 under v1 (as `send --in-reply-to` does) and its confirmation
names the revision: v1 sent through the CLI to a real SMTP server, v2 from the TUI after `i`
(the v1 cover's Message-ID offered), both checked in the mail as received."""

from __future__ import annotations

import email

from textual.widgets import Input

from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.widgets.dialogs import Confirm, Prompt
from tests.integration.test_send import SEND, point_at, run, rust_series
from tests.smtp import SmtpServer
from tests.tui.test_app import settle
from tests.tui.test_send_screen import SIZE, open_send


async def test_v2_threaded_under_v1_and_the_confirmation_names_v2(kernel_tree):
    repo = rust_series(kernel_tree, 2)
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        assert run(kernel_tree, *SEND)[0] == 0  # v1
        v1_cover = email.message_from_bytes(smtp.mailbox.messages[0].data)["Message-ID"]
        assert load_series(repo).revision == 2
        app = PatchpilotApp(kernel_tree)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_send(pilot)
            await pilot.press("i")
            await pilot.pause()
            prompt = app.screen
            assert isinstance(prompt, Prompt) and "(the v1 cover)" in prompt.question
            assert f"<{prompt.query_one(Input).value}>" == v1_cover  # offered, as it was sent
            await pilot.press("enter")
            await settle(pilot)
            assert screen.plan is not None and screen.plan.extras.in_reply_to
            await pilot.press("x")
            await pilot.pause()
            confirm = app.screen
            assert isinstance(confirm, Confirm)
            asked = " ".join(confirm.question.split())
            assert asked.startswith("Send v2 of b4/pilot, 3 message(s)") and v1_cover in asked
            await pilot.press("y")
            await settle(pilot)
            await settle(pilot)
    v2 = [email.message_from_bytes(m.data) for m in smtp.mailbox.messages[3:]]
    assert "v2 0/2" in v2[0]["Subject"] and v2[0]["In-Reply-To"] == v1_cover
    assert v1_cover in v2[0]["References"]
