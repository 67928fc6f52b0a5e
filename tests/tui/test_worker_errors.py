"""One error path for workers: a worker that raises anything (an OSError from git, say) shows
one line and the app keeps running; every worker in the TUI is declared so."""

from __future__ import annotations

import ast
from pathlib import Path

from textual.worker import WorkerState

from patchpilot.core.errors import PatchpilotError
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.base import worker_error_line
from tests.tui.test_app import SIZE, settle, two_series

TUI = Path(__file__).resolve().parents[2] / "patchpilot" / "tui"


def test_every_worker_leaves_errors_to_the_app():
    undeclared = []
    for path in TUI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "work":
                keywords = {k.arg: k.value for k in node.keywords}
                value = keywords.get("exit_on_error")
                if not (isinstance(value, ast.Constant) and value.value is False):
                    undeclared.append(f"{path.name}:{node.lineno}")
    assert not undeclared, undeclared


async def test_a_failing_worker_is_one_line_and_the_app_lives(kernel_tree):
    two_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def broken() -> None:
            raise OSError(5, "Input/output error", "/repo/.git/index\x1b[31m")

        worker = app.screen.run_worker(broken, thread=True, exit_on_error=False)
        for _ in range(100):
            await pilot.pause(0.02)
            if worker.state == WorkerState.ERROR and app._notifications:
                break
        assert app.is_running and app.return_code is None
        shown = [n.message for n in app._notifications]
        assert any(m.startswith("unexpected OSError: [Errno 5] Input/output error")
                   for m in shown), shown
        assert all("\x1b" not in m and "\n" not in m for m in shown)
        await pilot.press("j")  # still answering keys
        assert app.is_running


def test_error_line_keeps_the_hint():
    line = worker_error_line(PatchpilotError("b4 failed\nbadly", hint="see b4's message"))
    assert line == "b4 failed badly (hint: see b4's message)"
