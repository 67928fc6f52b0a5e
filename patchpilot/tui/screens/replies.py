"""The replies screen: the review of a series from lore, grouped by the patch each reply
answers, with reviewer, date and an unread mark; the selected reply's trailers and comments
(each anchored to file:line, with its state). Fetching runs in a thread worker, on demand
(`r`) and every `replies.refresh-interval` seconds. Email text is untrusted: shown through
safe_text as rich Text, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.replies import (
    MessageView,
    RepliesReport,
    collect,
    mark_read,
    set_comment_state,
)
from patchpilot.core.text import safe_text
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens import register
from patchpilot.tui.screens.answer import AnswerScreen
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import Prompt

STATE_STYLE = {"open": "yellow", "addressed": "green", "wontfix": "dim", "replied": "cyan"}


@dataclass
class RepliesLoaded(Message):
    report: RepliesReport


def describe_message(message: MessageView, current: int) -> Text:
    """Trailers and comments of one reply; comment `current` (0-based) is marked."""
    text = Text(safe_text(message.sender, 300), style="bold")
    text.append(f"  {message.date[:16]}  {message.kind}\n", style="dim")
    text.append(safe_text(message.subject, 300) + "\n", style="dim")
    for name, value in message.trailers:
        text.append(f"{name}: ", style="green").append(safe_text(value, 300) + "\n")
    for i, comment in enumerate(message.comments):
        mark = "▶" if i == current else " "  # not ">": that would read as a quote line
        where = f"{comment.file}:{comment.line}" if comment.file else "(general)"
        text.append(f"\n{mark} #{comment.n} ", style="bold")
        text.append(f"[{comment.state}]", style=STATE_STYLE.get(comment.state, ""))
        text.append(f" {safe_text(where, 300)}")
        if comment.note:
            text.append(f"  note: {safe_text(comment.note, 300)}", style="dim")
        if comment.quote:
            text.append("\n" + safe_text(comment.quote, 3000), style="dim")
        text.append("\n" + safe_text(comment.text, 20000) + "\n")
    return text


@register("replies", "Replies", "Review replies from lore per patch, trailers and comment states")
class RepliesScreen(PilotScreen):
    """Replies to every sent revision of one series."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="replies.down"),
        Binding("k", "cursor_up", "Up", show=False, id="replies.up"),
        Binding("n", "comment(1)", "Next comment", id="replies.next_comment"),
        Binding("p", "comment(-1)", "Prev comment", show=False, id="replies.prev_comment"),
        Binding("u", "toggle_read", "Read/unread", id="replies.read"),
        Binding("o", "state('open')", "Open", show=False, id="replies.state_open"),
        Binding("a", "state('addressed')", "Addressed", id="replies.state_addressed"),
        Binding("w", "state('wontfix')", "Won't fix", id="replies.state_wontfix"),
        Binding("y", "state('replied')", "Replied", id="replies.state_replied"),
        Binding("m", "answer", "Answer", id="replies.answer"),
        Binding("r", "refresh", "Refresh", id="replies.refresh"),
        Binding("tab", "app.focus_next", "Switch pane", id="replies.focus"),
        Binding("q", "app.pop_screen", "Back", id="replies.back"),
    ]

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.report: RepliesReport | None = None
        self.messages: list[MessageView] = []
        self.comment_index = 0
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.branch}: reading replies", id="replies-info")
        yield DataTable(id="replies-table", cursor_type="row")
        with VerticalScroll(id="replies-detail-box"):
            yield Static(id="replies-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.branch}: replies"
        self.query_one(DataTable).add_columns("", "Patch", "Kind", "From", "Date", "Comments",
                                              "Trailers")
        self.load()
        interval = self.app.config.number("replies.refresh-interval")
        if interval > 0:
            self.set_interval(interval, lambda: self.load(refresh=True))

    def action_refresh(self) -> None:
        self.query_one("#replies-info", Static).update(Text(f"{self.branch}: refreshing..."))
        self.load(refresh=True)

    @work(thread=True, exit_on_error=False, exclusive=True, group="replies")
    def load(self, refresh: bool = False, change: Callable[[], object] | None = None) -> None:
        try:
            if change is not None:
                change()
            self.post_message(RepliesLoaded(collect(self.app.repo, self.branch, refresh)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_replies_loaded(self, message: RepliesLoaded) -> None:
        self.report = message.report
        self.messages = [m for r in message.report.revisions for m in r.messages]
        table = self.query_one(DataTable)
        shown = self._shown
        row_before = table.cursor_row
        table.clear()
        for m in self.messages:
            open_count = sum(c.state == "open" for c in m.comments)
            table.add_row("●" if m.unread else " ", "cover" if m.patch == 0 else str(m.patch),
                          m.kind, Text(safe_text(m.sender, 80)), m.date[:16],
                          f"{open_count}/{len(m.comments)} open" if m.comments else "",
                          Text(", ".join(n for n, _ in m.trailers)))
        # Stay on the same reply when a refresh adds some above it (a state key must not
        # land on another reviewer's comment).
        row = next((i for i, m in enumerate(self.messages) if m.msgid == shown), row_before)
        table.move_cursor(row=min(row, max(len(self.messages) - 1, 0)))
        self._show_info()
        self._show_detail()

    def _show_info(self) -> None:
        report = self.report
        assert report is not None  # shown once the replies are loaded
        unread = sum(m.unread for m in self.messages)
        comments = [c for m in self.messages for c in m.comments]
        text = Text(f"{self.branch}: {len(self.messages)} replies, {unread} unread, "
                    f"{sum(c.state == 'open' for c in comments)}/{len(comments)} comments open"
                    f"  ({safe_text(report.server, 200)})")
        if report.newer_revisions:
            text.append(f"\nnewer revision on the list: v{max(report.newer_revisions)}",
                        style="yellow")
        if report.offline:
            text.append("\n" + safe_text(report.offline, 300), style="red")
        self.query_one("#replies-info", Static).update(text)

    def _show_detail(self) -> None:
        message = self.selected
        detail = describe_message(message, self.comment_index) if message else Text("")
        self.query_one("#replies-detail", Static).update(detail)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#replies-info", Static).update(Text(str(message.error), style="red"))

    @property
    def selected(self) -> MessageView | None:
        index = self.query_one(DataTable).cursor_row
        return self.messages[index] if 0 <= index < len(self.messages) else None

    @on(DataTable.RowHighlighted)
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        message = self.selected
        msgid = message.msgid if message else None
        if msgid != self._shown:  # a reload keeps the comment chosen in the same reply
            self.comment_index, self._shown = 0, msgid
            self.query_one("#replies-detail-box").scroll_home(animate=False)
        self._show_detail()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_comment(self, step: int) -> None:
        message = self.selected
        if message and message.comments:
            self.comment_index = (self.comment_index + step) % len(message.comments)
            self._show_detail()

    def action_toggle_read(self) -> None:
        message = self.selected
        if message is not None:
            repo, unread = self.app.repo, message.unread
            self.load(change=lambda: mark_read(repo, [message.msgid], read=unread))

    def action_answer(self) -> None:
        """Answer the highlighted comment by mail (the answer screen); reload on return."""
        message = self.selected
        if message is None or not message.comments:
            return
        comment = message.comments[min(self.comment_index, len(message.comments) - 1)]

        def back(_result: None) -> None:
            self.load()

        self.app.push_screen(AnswerScreen(self.branch, comment.id), back)

    def action_state(self, state: str) -> None:
        message = self.selected
        if message is None or not message.comments:
            return
        comment = message.comments[min(self.comment_index, len(message.comments) - 1)]
        repo, branch = self.app.repo, self.branch

        def apply(note: str | None = None) -> None:
            self.load(change=lambda: set_comment_state(repo, comment.id, state, note, branch))

        if state == "wontfix":
            def noted(note: str | None) -> None:
                if note is not None:
                    apply(note)

            self.app.push_screen(Prompt("Why won't you fix it?", "a short note"), noted)
        else:
            apply()
