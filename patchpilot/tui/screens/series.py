"""The series screen: facts of the series on top, patches on the left, the selected patch's
message, files and diff on the right."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Static

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.comments import Placed, comments_by_patch
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.messages import CommentsLoaded, LoadFailed, SeriesLoaded
from patchpilot.tui.screens import register
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.patchdetail import PatchDetail


def describe(series: Series) -> Text:
    """The header lines: branch, revision, base, change-id, cover subject, sent history."""
    text = Text()
    text.append(f"{series.branch}", style="bold")
    text.append(f"  v{series.revision}  ")
    text.append("b4-managed" if series.b4_managed else "not b4-managed", style="dim")
    text.append(f"\nbase {series.base[:12]}   change-id {series.change_id or '-'}")
    if series.sent:
        text.append("   sent " + ", ".join(f"v{s.revision}" for s in series.sent))
    cover = series.cover_subject if series.cover_subject is not None else "(no cover letter)"
    text.append("\ncover: ")
    text.append(safe_text(cover, 300), style="italic")
    if series.prerequisites:
        text.append("\ndepends on: ")
        text.append("; ".join(safe_text(p.line, 200) for p in series.prerequisites))
    for warning in series.warnings:
        text.append(f"\n! {warning}", style="yellow")
    return text


@register("series", "Series", "the patches of a series, their messages and diffs")
class SeriesScreen(PilotScreen):
    """One series; j/k move through its patches."""

    BINDINGS = [
        Binding("j", "cursor_down", "Next patch", show=False, id="series.down"),
        Binding("k", "cursor_up", "Previous patch", show=False, id="series.up"),
        Binding("tab", "app.focus_next", "Switch pane", id="series.focus"),
        Binding("r", "refresh", "Refresh", id="series.refresh"),
        Binding("c", "open('checks')", "Checks", id="series.checks"),
        Binding("m", "open('recipients')", "Recipients", id="series.recipients"),
        Binding("v", "open('replies')", "Replies", id="series.replies"),
        Binding("s", "open('send')", "Send", id="series.send"),
        Binding("e", "open('cover')", "Cover letter", id="series.cover"),
        Binding("n", "open('reroll')", "Reroll", id="series.reroll"),
        Binding("q", "app.pop_screen", "Back", id="series.back"),
    ]

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.series: Series | None = None
        self.comments: dict[int, list[Placed]] = {}  # review comments by patch index

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.branch} (loading)", id="series-info")
        with Horizontal(id="series-body"):
            yield DataTable(id="patch-table", cursor_type="row")
            yield PatchDetail(id="patch-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.branch
        # the subject last: the short columns stay visible in a narrow pane
        table = self.query_one(DataTable)
        table.add_columns("#", "Commit", "+/-")
        table.add_column("Comments", width=10, key="comments")  # filled later, from the cache
        table.add_column("Subject")
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_open(self, name: str) -> None:
        """Open another registered screen on this series."""
        self.app.open_screen(name, branch=self.branch)

    @work(thread=True, exit_on_error=False, exclusive=True, group="series-load")
    def load(self) -> None:
        try:
            series = load_series(self.app.repo, self.branch, base=self.app.default_base,
                                 allow_empty=True)
            self.post_message(SeriesLoaded(series))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_series_loaded(self, message: SeriesLoaded) -> None:
        self.series = series = message.series
        self.query_one("#series-info", Static).update(describe(series))
        table = self.query_one(DataTable)
        table.clear()
        total = len(series.patches)
        for patch in series.patches:
            table.add_row(f"{patch.index}/{total}", patch.commit[:12],
                          f"+{patch.added} -{patch.removed}", "",
                          Text(safe_text(patch.subject, 200)), key=str(patch.index))
        self.comments = {}
        self._show_selected()
        table.focus()
        if series.sent:
            self.load_comments(series)

    @work(thread=True, exit_on_error=False, exclusive=True, group="series-comments")
    def load_comments(self, series: Series) -> None:
        """Review comments from the replies cache (never the network)."""
        self.post_message(CommentsLoaded(series, comments_by_patch(self.app.repo, series)))

    def on_comments_loaded(self, message: CommentsLoaded) -> None:
        if message.series is not self.series:
            return
        self.comments = message.comments
        table = self.query_one(DataTable)
        for index, comments in self.comments.items():
            still_open = sum(c.comment.is_open for c in comments)
            label = Text(f"{len(comments)}")
            if still_open:
                label.append(f", {still_open} open", style="yellow")
            table.update_cell(str(index), "comments", label)
        self._show_selected()

    def _show_selected(self) -> None:
        index = self.selected_index
        patch = self.series.patches[index - 1] if self.series and index else None
        self.query_one(PatchDetail).show(patch, self.comments.get(index or 0))

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#series-info", Static).update(
            Text(f"{self.branch}: {message.error}", style="red"))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.series and event.cursor_row < len(self.series.patches):
            self._show_selected()

    @property
    def selected_index(self) -> int | None:
        """1-based index of the highlighted patch."""
        if not self.series or not self.series.patches:
            return None
        return self.query_one(DataTable).cursor_row + 1

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
