"""The send screen: the exact messages b4 would send, the pre-flight lines, and the send itself
after a confirmation that names the number of messages and recipients."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.send.flow import SendPlan, SendResult
from patchpilot.core.send.message import Message as SendMessage
from patchpilot.core.send.preflight import Line
from patchpilot.core.send.prepare import Prepared, prepare, stopped
from patchpilot.core.send.prepare import send as send_prepared
from patchpilot.core.series.model import load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens import register
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import Confirm

STATE_STYLE = {"ok": "green", "fail": "bold red", "warn": "yellow", "skip": "dim"}


@dataclass
class SendPlanned(Message):
    prepared: Prepared


@dataclass
class SendDone(Message):
    result: SendResult


def describe_message(message: SendMessage) -> Text:
    """Headers and body of one message, as data (never markup)."""
    text = Text()
    for name, value in (("From", message.sender), ("To", ", ".join(message.to)),
                        ("Cc", ", ".join(message.cc)), ("Subject", message.subject),
                        ("Message-ID", message.msgid), ("In-Reply-To", message.in_reply_to)):
        text.append(f"{name}: ", style="bold")
        text.append(safe_text(value or "-", 5000) + "\n")
    return text.append("\n" + safe_text(message.body, 200_000))


@register("send", "Send", "preview, pre-flight and send the series through b4")
class SendScreen(PilotScreen):
    """Preview and send one series."""

    BINDINGS = [
        Binding("j", "cursor_down", "Next", show=False, id="send.down"),
        Binding("k", "cursor_up", "Previous", show=False, id="send.up"),
        Binding("x", "send", "Send...", id="send.send"),
        Binding("r", "refresh", "Preview again", id="send.refresh"),
        Binding("q", "app.pop_screen", "Back", id="send.back"),
    ]

    DEFAULT_CSS = """
    #send-info { padding: 0 1; height: auto; background: $boost; }
    #send-body { height: 2fr; }
    #send-messages { width: 45%; }
    #send-view { width: 1fr; padding: 0 1; border-left: solid $primary-background; }
    #send-preflight { height: 1fr; border-top: solid $primary-background; }
    """

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.prepared: Prepared | None = None
        self.result: SendResult | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.branch}: asking b4 for the messages (nothing is sent)",
                     id="send-info")
        with Horizontal(id="send-body"):
            yield DataTable(id="send-messages", cursor_type="row")
            with VerticalScroll(id="send-view"):
                yield Static(id="send-message")
        yield DataTable(id="send-preflight", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.branch}: send"
        self.query_one("#send-messages", DataTable).add_columns("#", "Subject", "Rcpts")
        self.query_one("#send-preflight", DataTable).add_columns("Pre-flight", "State",
                                                                 "Detail", "Fix")
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="send-plan")
    def load(self) -> None:
        try:
            repo = self.app.repo
            series = load_series(repo, self.branch, base=self.app.default_base)
            self.post_message(SendPlanned(prepare(repo, series, config=self.app.config)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    @property
    def plan(self) -> SendPlan | None:
        return self.prepared.plan if self.prepared else None

    @property
    def lines(self) -> list[Line]:
        return self.prepared.lines if self.prepared else []

    def on_send_planned(self, message: SendPlanned) -> None:
        self.prepared = prepared = message.prepared
        table = self.query_one("#send-messages", DataTable)
        table.clear()
        for m in prepared.plan.messages:
            table.add_row(f"{m.position}/{m.total}", Text(safe_text(m.subject, 300)),
                          str(len(m.recipients())))
        checks = self.query_one("#send-preflight", DataTable)
        checks.clear()
        for line in prepared.lines:
            checks.add_row(line.name, Text(line.state, style=STATE_STYLE.get(line.state, "")),
                           Text(safe_text(line.detail, 300)), Text(safe_text(line.fix, 300)))
        self._show_info()
        self._show_message()

    def _show_info(self) -> None:
        prepared = self.prepared
        assert prepared is not None  # shown once the plan is loaded
        count = prepared.count
        text = self._result_text()
        text.append(f"{self.branch}: {count} message(s) to {prepared.recipients} "
                    "recipient(s), exactly as b4 will send them")
        blocking = [ln.name for ln in prepared.blocking()]
        if blocking:
            text.append(f"\npre-flight blocks: {', '.join(blocking)} (x asks before "
                        "overriding)", style="yellow")
        if prepared.plan.resume:
            text.append(f"\nan earlier attempt stopped; {len(prepared.plan.messages) - count} "
                        "message(s) already went out and will be skipped", style="yellow")
        self.query_one("#send-info", Static).update(text)

    def _show_message(self) -> None:
        index = self.query_one("#send-messages", DataTable).cursor_row
        if self.plan and 0 <= index < len(self.plan.messages):
            self.query_one("#send-message", Static).update(
                describe_message(self.plan.messages[index]))

    @on(DataTable.RowHighlighted, "#send-messages")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_message()

    def on_load_failed(self, message: LoadFailed) -> None:
        text = self._result_text().append(safe_text(str(message.error), 1000), style="red")
        self.query_one("#send-info", Static).update(text)

    def action_cursor_down(self) -> None:
        self.query_one("#send-messages", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#send-messages", DataTable).action_cursor_up()

    def action_send(self) -> None:
        if self.prepared is None:
            return
        confirmed = self.prepared.confirmation
        overrides = [ln.name for ln in self.prepared.blocking()]
        question = f"Send {self.prepared.summary()} now?"
        if overrides:
            question += f" Pre-flight fails on: {', '.join(overrides)}; sending overrides " \
                        "them (recorded in the send log)."

        def answered(yes: bool | None) -> None:
            if yes:
                self.send(confirmed, overrides)

        self.app.push_screen(Confirm(question), answered)

    @work(thread=True, exit_on_error=False, exclusive=True, group="send-run")
    def send(self, confirmed: tuple[int, int], overrides: list[str]) -> None:
        prepared = self.prepared
        assert prepared is not None  # action_send checked it; it is kept until SendDone
        try:
            self.post_message(SendDone(send_prepared(self.app.repo, prepared, confirmed,
                                                     overrides, self.app.config)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_send_done(self, message: SendDone) -> None:
        self.result = message.result
        text = self._result_text()
        self.query_one("#send-info", Static).update(text)
        self.notify(text.plain.strip(), markup=False,
                    severity="information" if self.result.complete else "error")
        # plan again: after a stop the next `x` must skip what went out (and keep its
        # Message-IDs); after a complete send b4 has moved to the next revision
        self.prepared = None
        self.load()

    def _result_text(self) -> Text:
        """The last send's outcome (and what to check when it stopped), then a new line."""
        result = self.result
        if result is None:
            return Text()
        attempt = result.attempt
        if result.complete:
            text = Text(f"sent: tag {attempt.tag or '-'}, cover {result.lore or '-'}\n",
                        style="green")
            fix = attempt.history_fix or {}
            if fix.get("error"):
                text.append(f"b4's record still names {fix['replaced']}: "
                            f"{safe_text(fix['error'], 300)}\n", style="yellow")
            return text
        gone = stopped(result, self.prepared) if self.prepared else "stopped"
        if attempt.status != "failed":
            gone += f"; {len(result.missing)} not sent, x sends only those"
        text = Text(f"send stopped: {safe_text(str(attempt.error), 300)}; {gone}\n",
                    style="red")
        if result.hint:
            text.append(safe_text(result.hint, 800) + "\n", style="yellow")
        return text
