"""Pilot tests of the send screen: the exact messages from b4, pre-flight, and a send to a real
SMTP server (aiosmtpd on loopback) that happens only after the confirmation; a send stopped by
the server says what to check, and `x` again sends only what did not go out."""

from __future__ import annotations

from textual.widgets import DataTable

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.send.log import SendLog
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.send import SendScreen
from tests.helpers import git
from tests.integration.test_send import point_at, rust_series
from tests.smtp import SmtpServer
from tests.smtp_faults import FailingSmtpServer
from tests.tui.test_app import plain, settle

SIZE = (140, 45)


async def open_send(pilot) -> SendScreen:
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SendScreen)
    assert screen.plan is not None, plain(screen.query_one("#send-info").content)
    return screen


async def test_preview_then_send_only_after_yes(kernel_tree):
    repo = rust_series(kernel_tree)
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        app = PatchpilotApp(kernel_tree)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_send(pilot)
            assert [m.position for m in screen.plan.messages] == [0, 1, 2, 3]
            assert "0/3" in screen.plan.messages[0].subject
            assert screen.query_one("#send-messages", DataTable).row_count == 4
            shown = plain(screen.query_one("#send-message").content)
            assert "rust-for-linux@vger.kernel.org" in shown
            # b4 makes new Message-IDs when it sends: the dry run's are not shown as if used
            assert "Message-ID: (b4 makes it when it sends)" in shown
            assert "exactly as b4" not in plain(screen.query_one("#send-info").content)
            assert {ln.name for ln in screen.lines} >= {"checks", "recipients", "cover"}
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("n")
            await settle(pilot)
            assert smtp.mailbox.messages == []  # declined: nothing went out
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            await settle(pilot)
            assert screen.result is not None and screen.result.complete
            info = plain(screen.query_one("#send-info").content)
            assert "sent v1: tag sent/" in info and "next:" in info
            assert "pre-flight blocks" not in info  # v2 is not planned as if v1 had failed
            went = plain(screen.query_one("#send-message").content)
            sent_ids = [m["msgid"] for m in screen.result.attempt.messages]
            assert all(msgid in went for msgid in sent_ids)  # the Message-IDs really used
            assert screen.check_action("send", ()) is None  # nothing left to send until r
        assert len(smtp.mailbox.messages) == 4
    series = load_series(repo)
    assert series.revision == 2 and [s.revision for s in series.sent] == [1]
    assert git(kernel_tree, "tag", "-l", "sent/*").strip()


async def test_failed_send_says_what_to_check_and_x_again_sends_only_the_rest(kernel_tree):
    repo = rust_series(kernel_tree, 2)
    with FailingSmtpServer(fail_at=2) as smtp:  # the cover goes out, patch 1/2 gets a 451
        point_at(kernel_tree, smtp)
        app = PatchpilotApp(kernel_tree)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_send(pilot)
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            await settle(pilot)
            assert screen.result is not None and screen.result.attempt.status == "partial"
            info = plain(screen.query_one("#send-info").content)
            assert "send stopped: message 1/2" in info and "451" in info
            assert "sendemail.smtpServerPort" in info  # what to check
            assert screen.plan is not None and screen.plan.resume is not None  # planned again
            assert len(screen.plan.to_send()) == 2
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            await settle(pilot)
            assert screen.result.complete
            assert "sent v1: tag" in plain(screen.query_one("#send-info").content)
        subjects = [m.data.split(b"Subject: ", 1)[1].split(b"\n", 1)[0]
                    for m in smtp.mailbox.messages]
    assert len(subjects) == 3 and len(set(subjects)) == 3  # the cover went out once
    assert load_series(repo).revision == 2


async def test_a_damaged_send_log_is_said_on_the_screen(kernel_tree):
    """The send log's warnings reach the screen as they reach the CLI's stderr."""
    repo = rust_series(kernel_tree)
    series = load_series(repo)
    log = SendLog(repo.git_dir, series.change_id, series.branch)
    log.path.parent.mkdir(parents=True, exist_ok=True)
    log.path.write_text("{not json")
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        app = PatchpilotApp(kernel_tree)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_send(pilot)
            info = plain(screen.query_one("#send-info").content)
            assert f"the send log {log.path.name} was damaged" in info
            assert "rebuilt from the send journals" in info
    assert list(log.path.parent.glob(f"{log.path.name}*"))  # kept aside, not dropped


async def test_the_early_preflight_shows_while_b4_prepares(kernel_tree, tmp_path, monkeypatch):
    """The lines that need no preview (identity, tree, patches, EDITME, sign-offs) show at
    once; b4's preview comes after. b4 is the real one, held back by a gate (a wrapper that
    waits for a file before it runs b4's send) so the moment in between can be looked at."""
    rust_series(kernel_tree)
    gate = tmp_path / "go"
    wrapper = tmp_path / "b4"
    wrapper.write_text(f"#!/bin/sh\ncase \" $* \" in *' send '*) while [ ! -e {gate} ]; do "
                       f"sleep 0.05; done;; esac\nexec {b4cli.executable()} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATCHPILOT_B4", str(wrapper))
    with SmtpServer() as smtp:
        point_at(kernel_tree, smtp)
        app = PatchpilotApp(kernel_tree)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("s")
            screen = app.screen
            assert isinstance(screen, SendScreen)
            for _ in range(400):
                await pilot.pause(0.05)
                if screen.early:
                    break
            table = screen.query_one("#send-preflight", DataTable)
            names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            assert screen.prepared is None  # b4 has not answered yet
            assert {"identity", "transport", "clean-tree", "patches", "cover", "sign-off"} <= set(names)
            assert {"recipients", "checks", "b4"} <= set(names)  # marked as coming
            gate.touch()
            await settle(pilot)
            assert screen.prepared is not None and "b4" in {ln.name for ln in screen.lines}
