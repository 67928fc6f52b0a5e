"""The send screen: the pre-flight lines (failing ones first), the messages b4 would send, and
the send itself after a confirmation that names the number of messages and recipients.

The preview needs no mail server: with no `sendemail.*` setting or no `user.email` the
messages still show, with identity and transport as failing pre-flight lines (core.send).
After a complete send the screen says what went out and what comes next; it does not plan
the next revision until asked (r).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.send import headers
from patchpilot.core.send.flow import SendPlan, SendResult
from patchpilot.core.send.preflight import ENVIRONMENT, Line, early_preflight
from patchpilot.core.send.prepare import Prepared, prepare
from patchpilot.core.send.prepare import send as send_prepared
from patchpilot.core.series.model import load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.keys import SCREEN_KEYS, bind
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens import register
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import Confirm, Prompt
from patchpilot.tui.widgets.fittable import Col, FitTable
from patchpilot.tui.widgets.footer import KeyFooter
from patchpilot.tui.widgets.sendtext import (
    describe_message,
    describe_plan,
    describe_result,
    describe_sent,
    preflight_rows,
)

PREFLIGHT_COLUMNS = [Col("name", "Pre-flight", 1, cap=12), Col("state", "State", 2, cap=8),
                     Col("detail", "Detail / fix", 0, cap=400, wrap=True, least=20)]
MESSAGE_COLUMNS = [Col("n", "#", 1), Col("subject", "Subject", 0, cap=200, flex=True),
                   Col("rcpts", "Rcpts", 2)]


@dataclass
class SendPlanned(Message):
    prepared: Prepared


@dataclass
class PreflightEarly(Message):
    lines: list[Line]


@dataclass
class SendDone(Message):
    result: SendResult


@dataclass
class SendFailed(Message):
    error: PatchpilotError


@register("send", "Send", "preview, pre-flight and send the series through b4")
class SendScreen(PilotScreen):
    """Preview and send one series."""

    branch: str

    BINDINGS = [bind("x", "send", "Send…", "send.send", "send", 10),
                bind("i", "in_reply_to", "Thread under…", "send.in_reply_to", "mark", 40),
                *SCREEN_KEYS]
    PRIMARY = "#send-messages"

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.prepared: Prepared | None = None
        self.result: SendResult | None = None
        self.sending = False
        self.early: list[Line] = []  # the pre-flight lines known before b4's preview
        self.in_reply_to: str | None = None  # the series threaded under it (v2 under v1)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.shown_branch}: asking b4 for the messages (nothing is sent)",
                     id="send-info")
        yield FitTable(PREFLIGHT_COLUMNS, id="send-preflight")
        with Horizontal(id="send-body"):
            yield FitTable(MESSAGE_COLUMNS, id="send-messages")
            with VerticalScroll(id="send-view"):
                yield Static(id="send-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"{self.shown_branch}: send"
        self.load()

    @property
    def plan(self) -> SendPlan | None:
        return self.prepared.plan if self.prepared else None

    @property
    def lines(self) -> list[Line]:
        return self.prepared.lines if self.prepared else []

    def action_refresh(self) -> None:
        self.result = None  # r after a send: preview the next revision
        self.prepared, self.early = None, []
        self.refresh_bindings()
        self.query_one("#send-info", Static).update(
            f"{self.shown_branch}: asking b4 for the messages (nothing is sent)")
        self.load()

    @property
    def busy_rewriting(self) -> bool:
        # sending, or showing a complete send: the next revision is planned only on r
        return self.sending or bool(self.result and self.result.complete)

    @work(thread=True, exit_on_error=False, exclusive=True, group="send-plan")
    def load(self) -> None:
        try:
            repo = self.app.repo
            series = load_series(repo, self.branch, base=self.app.default_base)
            early = early_preflight(repo, series)
            self.post_message(PreflightEarly(early))
            extras = headers.for_send(repo, series, self.app.config, "send", self.in_reply_to)
            self.post_message(SendPlanned(prepare(repo, series, config=self.app.config,
                                                  early=early, extras=extras)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_preflight_early(self, message: PreflightEarly) -> None:
        """What is known before b4's preview: shown at once, the rest marked as coming."""
        if self.prepared is not None:
            return  # the whole plan is already shown
        self.early = message.lines
        coming = [Line(name, "skipped", "…") for name in ("recipients", "checks", "build", "b4")]
        table = self.query_one("#send-preflight", FitTable)
        table.display = True
        table.set_rows(preflight_rows([*message.lines, *coming], self.say))

    def on_send_planned(self, message: SendPlanned) -> None:
        self.prepared = prepared = message.prepared
        for table in ("#send-preflight", "#send-messages"):
            self.query_one(table, FitTable).display = True
        self.refresh_bindings()
        self.query_one("#send-messages", FitTable).set_rows(
            [[f"{m.position}/{m.total}", Text(safe_text(m.subject, 300)),
              str(len(m.recipients()))] for m in prepared.plan.messages])
        self.query_one("#send-preflight", FitTable).set_rows(
            preflight_rows(prepared.lines, self.say))
        self._show_info()
        self._show_message()

    def _show_info(self) -> None:
        text = describe_result(self.result, self.prepared, self.say)
        if self.prepared is not None and not (self.result and self.result.complete):
            text.append(describe_plan(self.branch, self.prepared))
        self.query_one("#send-info", Static).update(text)

    def _show_message(self) -> None:
        index = self.query_one("#send-messages", DataTable).cursor_row
        plan = self.prepared.plan if self.prepared else None
        if plan and 0 <= index < len(plan.messages):
            self.query_one("#send-message", Static).update(
                describe_message(plan.messages[index], plan))

    @on(DataTable.RowHighlighted, "#send-messages")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_message()

    def on_load_failed(self, message: LoadFailed) -> None:
        text = describe_result(self.result, self.prepared, self.say)
        text.append(self.say(message.error), style="red")
        self.query_one("#send-info", Static).update(text)
        if self.prepared is None and self.early:  # what is known, without the "…" to come
            self.query_one("#send-preflight", FitTable).set_rows(
                preflight_rows(self.early, self.say))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return bool(self.prepared) and not self.sending or None
        return super().check_action(action, parameters)

    def action_send(self) -> None:
        prepared = self.prepared
        if prepared is None or self.sending:
            return
        missing = [ln for ln in prepared.blocking() if ln.name in ENVIRONMENT]
        if missing:
            self.notify(self.say(f"cannot send: {missing[0].detail} (hint: {missing[0].fix})"),
                        severity="error", markup=False, timeout=15)
            return
        confirmed = prepared.confirmation
        overrides = [ln.name for ln in prepared.blocking()]
        series = prepared.plan.series
        threaded = f", threaded under <{prepared.plan.extras.in_reply_to}>" \
            if prepared.plan.extras.in_reply_to else ""
        question = f"Send v{series.revision} of {series.branch}, {prepared.summary()}" \
                   f"{threaded}, now?"
        if overrides:
            question += f" Pre-flight fails on: {', '.join(overrides)}; sending overrides " \
                        "them (recorded in the send log)."

        def answered(yes: bool | None) -> None:
            if yes and not self.sending:
                self.sending = True
                self.refresh_bindings()
                self.query_one("#send-info", Static).update(Text("sending through b4...",
                                                                 style="cyan"))
                self.send(confirmed, overrides)

        self.app.push_screen(Confirm(question), answered)

    def action_in_reply_to(self) -> None:
        """i: thread this revision under a message (by default the cover of the last
        revision sent: v2 under v1), as `patchpilot send --in-reply-to` does; empty: not."""
        sent = self.plan.series.sent if self.plan else []
        last = next((r.msgids[0] for r in reversed(sent) if r.msgids), None)
        current = self.in_reply_to or last or ""
        where = f" (the v{sent[-1].revision} cover)" if last and current == last else ""

        def answered(value: str | None) -> None:
            if value is None:
                return  # Escape: as it was
            self.in_reply_to = value.strip() or None
            self.action_refresh()

        self.app.push_screen(Prompt(f"Thread the series under this Message-ID{where}; empty: "
                                    "a thread of its own", placeholder="MSGID",
                                    value=current, allow_empty=True), answered)

    @work(thread=True, exit_on_error=False, exclusive=True, group="send-run")
    def send(self, confirmed: tuple[int, int], overrides: list[str]) -> None:
        prepared = self.prepared
        assert prepared is not None  # action_send checked it; it is kept until SendDone
        try:
            self.post_message(SendDone(send_prepared(self.app.repo, prepared, confirmed,
                                                     overrides, self.app.config)))
        except PatchpilotError as exc:
            self.post_message(SendFailed(exc))

    def on_send_failed(self, message: SendFailed) -> None:
        self.sending = False
        self.refresh_bindings()
        self.on_load_failed(LoadFailed(message.error))

    def on_send_done(self, message: SendDone) -> None:
        self.result, self.sending = message.result, False
        self.notify(describe_result(self.result, self.prepared, self.say).plain.strip(),
                    markup=False, severity="information" if self.result.complete else "error")
        if self.result.complete:
            # b4 moved to the next revision: say what went out and what is next; the next
            # revision is previewed when asked (r), not as if this send had failed
            for table in ("#send-preflight", "#send-messages"):
                self.query_one(table, FitTable).display = False  # the plan went out
            self.query_one("#send-message", Static).update(describe_sent(self.result))
            self._show_info()
            self.prepared = None  # that plan went out; r plans the next revision
            self.refresh_bindings()
            self.app.rewritten(self)
            return
        # a stop: plan again, so that the next x skips what went out and keeps its Message-IDs
        self.load()
        self.app.rewritten(self)
