"""The replies screen: the review of a series from lore, grouped by the patch each reply
answers, with reviewer, date and an unread mark; the selected reply's trailers and comments
(each anchored to file:line, with its state). Fetching runs in a thread worker, on demand
(`f`) and every `replies.refresh-interval` seconds; leaving the screen (or the app) aborts
the requests in flight, so a server that never answers cannot keep the app from quitting,
and a worker that fails for any reason shows why instead of ending the app. Email text is
untrusted: shown through safe_text as rich Text, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Static

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.applied import Applied
from patchpilot.core.review.lore import LoreClient
from patchpilot.core.review.model import Reply, Review
from patchpilot.core.review.replies import collect, make_client, mark_read, set_comment_state
from patchpilot.core.text import safe_text
from patchpilot.tui.keys import FETCH, SCREEN_KEYS, bind
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens import register
from patchpilot.tui.screens.answer import AnswerScreen
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import Prompt
from patchpilot.tui.widgets.fittable import Col, FitTable
from patchpilot.tui.widgets.footer import KeyFooter

COLUMNS = [Col("unread", "", 3), Col("rev", "Rev", 2, cap=4), Col("patch", "Patch", 1),
           Col("kind", "Kind", 4, cap=10),
           Col("from", "From", 0, cap=40), Col("date", "Date", 5, cap=16),
           Col("comments", "Comments", 2, cap=12),
           Col("trailers", "Trailers", 6, cap=80, flex=True)]
READ_AFTER = 1.5  # seconds a reply stays highlighted before it counts as read
STATE_STYLE = {"open": "yellow", "addressed": "green", "wontfix": "dim", "replied": "cyan"}


@dataclass
class RepliesLoaded(Message):
    report: Review


@dataclass
class ReadMarked(Message):
    msgid: str


def applied_line(applied: Applied, revision: int) -> Text:
    """`v2 applied to rust-next (main) by Maint: 1 abc123def456, 2 ...` in green."""
    patches = ", ".join(f"{p.index}" + (f" {p.commit[:12]}" if p.commit else "")
                        for p in applied.patches)
    return Text(f"v{revision} {safe_text(applied.label, 200)} by {safe_text(applied.by, 200)}"
                + (f": {safe_text(patches, 400)}" if patches else ""), style="bold green")


def describe_message(message: Reply, current: int, applied: Applied | None = None) -> Text:
    """Trailers and every item of one reply, in order: the comments with their state (comment
    `current`, 0-based among them, marked), the asides (greetings, sign-offs, "Looks good",
    quotes nobody answered) dimmed with what they are. A maintainer's "applied" mail says
    so first, not as an aside."""
    text = Text(safe_text(message.sender, 300), style="bold")
    kind = "applied" if applied is not None else message.kind
    text.append(f"  {message.date[:16]}  v{message.revision}  {kind}\n", style="dim")
    text.append(safe_text(message.subject, 300) + "\n", style="dim")
    if applied is not None:
        text.append(applied_line(applied, message.revision)).append("\n")
    for trailer in message.trailers:
        text.append(f"{trailer.name}: ", style="green").append(safe_text(trailer.value, 300))
        text.append("\n")
    counted = [c.n for c in message.comments]
    for item in message.items:
        if item.quote:
            text.append("\n" + safe_text(item.quote, 3000), style="dim")
        if not item.counted:
            if item.text and applied is not None:
                text.append("\n" + safe_text(item.text, 2000) + "\n")
            elif item.text:
                text.append(f"\n  ({item.kind}) ", style="dim italic")
                text.append(safe_text(item.text, 2000) + "\n", style="dim")
            elif item.quote:
                text.append("\n  (quoted, not answered)\n", style="dim italic")
            continue
        mark = "▶" if counted.index(item.n) == current else " "  # ">" would read as a quote
        text.append(f"\n{mark} #{item.n} ", style="bold")
        text.append(f"[{item.state}]", style=STATE_STYLE.get(item.state, ""))
        text.append(f" {safe_text(item.where, 300)}")
        if item.note:
            text.append(f"  note: {safe_text(item.note, 300)}", style="dim")
        text.append("\n" + safe_text(item.text, 20000) + "\n")
        if item.aside:
            text.append(safe_text(item.aside, 2000) + "\n", style="dim")
    return text


def _as_error(exc: Exception) -> PatchpilotError:
    if isinstance(exc, PatchpilotError):
        return exc
    return PatchpilotError(f"reading the replies failed: {type(exc).__name__}: {exc}",
                           hint="r tries again; patchpilot replies shows the same in the shell")


def review_problem(review: Review) -> str | None:
    """The one line that says the server holds none of the covers (or none is reachable)."""
    covers = [r for r in review.revisions if r.cover_msgid]
    if covers and all(r.missing for r in covers):
        return covers[0].missing
    return review.offline


@register("replies", "Replies", "Review replies from lore per patch, trailers and comment states")
class RepliesScreen(PilotScreen):
    """Replies to every sent revision of one series."""

    branch: str

    BINDINGS = [
        bind("l", "comment(1)", "Next comment", "replies.next_comment", "move", 14),
        bind("h", "comment(-1)", "Prev comment", "replies.prev_comment", "move", 60,
             show=False),
        bind("space", "toggle_read", "Read/unread", "replies.read", "mark", 15),
        bind("1", "state('open')", "Open", "replies.open", "mark", 16, show=False),
        bind("2", "state('addressed')", "Addressed", "replies.addressed", "mark", 11),
        bind("3", "state('wontfix')", "Won't fix", "replies.wontfix", "mark", 12),
        bind("4", "state('replied')", "Replied", "replies.replied", "mark", 13),
        bind("g", "answer", "Answer", "replies.answer", "edit", 10),
        bind("G", "answer(True)", "Answer this one", "replies.answer_one", "edit", 61,
             show=False),
        FETCH,
        *SCREEN_KEYS,
    ]
    PRIMARY = "#replies-table"

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.report: Review | None = None
        self.messages: list[Reply] = []
        self.applied: dict[str, Applied] = {}  # msgid -> what its maintainer applied
        self.comment_index = 0
        self._shown: str | None = None
        self._clients: set[LoreClient] = set()  # the requests of running workers
        self._reading: Timer | None = None  # marks the highlighted reply read
        self._kept_unread: set[str] = set()  # marked unread with space: left so

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.shown_branch}: reading replies", id="replies-info")
        yield FitTable(COLUMNS, id="replies-table")
        with VerticalScroll(id="replies-detail-box"):
            yield Static(id="replies-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"{self.shown_branch}: replies"
        self.load()
        interval = self.app.config.number("replies.refresh-interval")
        if interval > 0:
            self.set_interval(interval, lambda: self.load(refresh=True))

    def action_refresh(self) -> None:
        """r: the replies again from the cache (f fetches from the list)."""
        self.load()

    def action_fetch(self) -> None:
        self.query_one("#replies-info", Static).update(Text(f"{self.shown_branch}: fetching..."))
        self.load(refresh=True)

    @work(thread=True, exit_on_error=False, exclusive=True, group="replies")
    def load(self, refresh: bool = False, change: Callable[[], object] | None = None) -> None:
        repo = self.app.repo
        try:
            client = make_client(repo, self.app.config)
        except (PatchpilotError, ValueError) as exc:
            self.post_message(LoadFailed(_as_error(exc)))
            return
        self._clients.add(client)
        try:
            if change is not None:
                change()
            self.post_message(RepliesLoaded(collect(repo, self.branch, refresh, client=client)))
        except Exception as exc:  # noqa: BLE001  (one reply, or one state file, never ends the app)
            self.post_message(LoadFailed(_as_error(exc)))
        finally:
            self._clients.discard(client)

    def on_unmount(self) -> None:
        for client in list(self._clients):  # the worker's request ends now; it posts nothing
            client.abort()

    def on_replies_loaded(self, message: RepliesLoaded) -> None:
        self.refresh_bindings()
        self.query_one("#replies-table").display = True
        self.query_one("#replies-detail-box").display = True
        self.report = message.report
        self.messages = list(message.report.replies(own=True))
        self.applied = {msgid: rev.applied for rev in message.report.revisions
                        if rev.applied for msgid in rev.applied.msgids}
        table = self.query_one(FitTable)
        shown = self._shown
        row_before = table.cursor_row
        rows: list[list[str | Text]] = []
        for m in self.messages:
            open_count = sum(c.is_open for c in m.comments)
            applied = m.msgid in self.applied
            rows.append(["●" if m.unread else " ", f"v{m.revision}",
                         "cover" if m.patch == 0 else str(m.patch),
                         Text("applied", style="bold green") if applied else m.kind,
                         Text(safe_text(m.sender, 80)), m.date[:16],
                         "your answer" if m.kind == "own" else
                         f"{open_count}/{len(m.comments)} open" if m.comments else "",
                         Text(", ".join(t.name for t in m.trailers))])
        table.set_rows(rows, keys=[m.msgid for m in self.messages])
        # Stay on the same reply when a refresh adds some above it (a state key must not
        # land on another reviewer's comment).
        row = next((i for i, m in enumerate(self.messages) if m.msgid == shown), row_before)
        table.move_cursor(row=min(row, max(len(self.messages) - 1, 0)))
        self._show_info()
        self._show_detail()

    def _show_info(self) -> None:
        report = self.report
        assert report is not None  # shown once the replies are loaded
        unread = sum(m.unread for m in report.replies())
        comments = list(report.comments())
        text = Text(f"{self.shown_branch}: {len(self.messages)} replies, {unread} unread, "
                    f"{len(report.open_comments())}/{len(comments)} comments open"
                    f"  ({safe_text(report.server, 200)})")
        for revision in report.revisions:
            if revision.applied:
                text.append("\n").append(applied_line(revision.applied, revision.revision))
        if report.newer_revisions:
            text.append(f"\nnewer revision on the list: v{max(report.newer_revisions)}",
                        style="yellow")
        problem = review_problem(report)
        if problem:
            text.append("\n" + self.say(safe_text(problem, 300)), style="red")
        for revision in report.revisions:
            if revision.missing and revision.missing != problem:
                text.append(f"\nv{revision.revision}: {safe_text(revision.missing, 300)}",
                            style="yellow")
        for warning in report.warnings[1 if report.offline else 0:]:  # [0]: the offline one
            if not any(r.missing and r.missing in warning for r in report.revisions):
                text.append("\n" + safe_text(warning, 300), style="yellow")
        self.query_one("#replies-info", Static).update(text)

    def _show_detail(self) -> None:
        message = self.selected
        detail = describe_message(message, self.comment_index,
                                  self.applied.get(message.msgid)) if message else Text("")
        self.query_one("#replies-detail", Static).update(detail)

    def on_load_failed(self, message: LoadFailed) -> None:
        if self.report is None:  # nothing to list: the reason alone
            self.query_one("#replies-table").display = False
            self.query_one("#replies-detail-box").display = False
        self.query_one("#replies-info", Static).update(Text(self.say(message.error),
                                                            style="red"))

    @property
    def selected(self) -> Reply | None:
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
        self.refresh_bindings()
        if self._reading is not None:
            self._reading.stop()
        if message is not None and message.unread:
            self._reading = self.set_timer(READ_AFTER, lambda: self._read(message.msgid))

    def _read(self, msgid: str) -> None:
        """The reply was on screen long enough: read (space toggles it back)."""
        message = self.selected
        if message is not None and message.msgid == msgid and message.unread and \
                msgid not in self._kept_unread:
            self.mark_read_worker(msgid)

    @work(thread=True, exit_on_error=False, group="replies-read")
    def mark_read_worker(self, msgid: str) -> None:
        mark_read(self.app.repo, [msgid])
        self.post_message(ReadMarked(msgid))

    def on_read_marked(self, message: ReadMarked) -> None:
        for reply in self.messages:
            if reply.msgid == message.msgid:
                reply.unread = False
        self.query_one(FitTable).set_cell(message.msgid, "unread", " ")
        if self.report is not None:
            self._show_info()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keys about a reply are greyed out until there is one."""
        if action in ("comment", "state", "answer"):
            message = self.selected
            return True if message is not None and message.comments else None
        if action == "toggle_read":
            return True if self.selected is not None else None
        return super().check_action(action, parameters)

    def action_comment(self, step: int) -> None:
        message = self.selected
        if message and message.comments:
            self.comment_index = (self.comment_index + step) % len(message.comments)
            self._show_detail()

    def action_toggle_read(self) -> None:
        message = self.selected
        if message is not None:
            repo, unread = self.app.repo, message.unread
            if unread:
                self._kept_unread.discard(message.msgid)
            else:  # marked unread on purpose: highlighting it does not read it again
                self._kept_unread.add(message.msgid)
            self.load(change=lambda: mark_read(repo, [message.msgid], read=unread))

    def action_answer(self, one: bool = False) -> None:
        """g: answer the reply in one mail, each comment not answered yet below its quote
        (as mutt users do), the cursor below the highlighted one; G: that comment alone.
        The answer screen opens; the replies reload on return."""
        message = self.selected
        if message is None or not message.comments:
            return
        comment = message.comments[min(self.comment_index, len(message.comments) - 1)]
        chosen = [comment] if one else \
            [c for c in message.comments if c.state != "replied" or c is comment]
        ref = f"{message.msgid}:{','.join(str(c.n) for c in chosen)}"

        def back(_result: None) -> None:
            self.load()

        self.app.push_screen(AnswerScreen(self.branch, ref, focus=comment.n), back)

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
