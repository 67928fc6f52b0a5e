"""The replies view under issue 18's faults, on a real sent series and a real public-inbox:
hostile mail does not end the app, a damaged review database does not stop it starting, and
quitting while a worker waits on a server that never answers ends the process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from patchpilot.tui.app import PatchpilotApp
from tests.helpers import git
from tests.integration.test_review_faults import CASE6, lab, work  # noqa: F401  (fixtures)
from tests.lore_faults import FaultyLore
from tests.tui.test_app import SIZE, plain
from tests.tui.test_replies_screen import open_replies, row_of


async def test_v_on_a_hostile_thread_keeps_the_app(work):  # noqa: F811
    work.deliver(*CASE6, "control", "uuencode", "eve")
    app = PatchpilotApp(work.tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replies(pilot)
        assert len(screen.messages) == len(CASE6) + 3 and app.is_running
        screen.query_one("DataTable").move_cursor(row=row_of(screen, "eve@"))
        await pilot.pause()
        detail = plain(screen.query_one("#replies-detail").content)
        assert "Eve <U+202E>evE<U+202C>" in detail and "<U+200B>" in detail
        assert "\u202e" not in detail and "\u200b" not in detail and "\x9b" not in detail
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running  # back on the series screen


async def test_a_damaged_review_db_does_not_stop_the_app(work):  # noqa: F811
    work.deliver("clean-trailer")
    state = work.tree / ".git" / "patchpilot"
    state.mkdir(exist_ok=True)
    (state / "review.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\xff" * 2000)
    app = PatchpilotApp(work.tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replies(pilot)
        assert len(screen.messages) == 1
        info = plain(screen.query_one("#replies-info").content)
        assert "damaged" in info and "kept" in info
    assert len(list(state.glob("review.sqlite3.damaged-*"))) == 1


QUIT = textwrap.dedent("""
    import asyncio, sys
    from patchpilot.tui.app import PatchpilotApp

    async def main(tree, how):
        app = PatchpilotApp(tree)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(50):
                await pilot.pause(0.1)
                if type(app.screen).__name__ == "SeriesScreen":
                    break
            await pilot.press("v")
            for _ in range(100):  # until the replies worker waits on the server
                await pilot.pause(0.1)
                if any(w.group == "replies" and w.state.name == "RUNNING" for w in app.workers):
                    break
            else:
                sys.exit("the replies worker never ran")
            await pilot.pause(1)
            if how == "back":
                await pilot.press("q")
                await pilot.pause()
            app.exit()
        print("app closed", flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")


def test_quitting_while_a_worker_waits_on_a_silent_server(work):  # noqa: F811
    """A server trickling a byte every 0.5 s under a 600 s replies.timeout: the worker waits
    on it; leaving the view, or the app, must end the process. The 60 s bound of the run is
    no timing assertion: without the fix the process waits for the server for an hour."""
    with FaultyLore(work.inbox.base, "trickle") as lore:
        lore.interval, lore.trickle_for = 0.5, 3600
        git(work.tree, "config", "patchpilot.replies.server", lore.base)
        git(work.tree, "config", "patchpilot.replies.timeout", "600")
        for how in ("back", "exit"):
            proc = subprocess.run([sys.executable, "-c", QUIT, str(work.tree), how],
                                  capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
            assert proc.returncode == 0 and "app closed" in proc.stdout, proc.stderr[-2000:]
        assert [m for m, method, _ in lore.requests if method == "GET"] == ["trickle"] * 2
