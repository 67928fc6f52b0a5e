"""The home screen: every series in the repository, one row each; Enter opens one.

The rows come from the repository first; the review columns (unread, open comments,
trailers, newer revision on the list, applied or NAKed) follow from a second worker that
reads the lore cache only, so the list never waits on the network.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import get_current_worker

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.summary import ReviewCounts, summarize_reviews
from patchpilot.core.series.model import SeriesSummary, summarize
from patchpilot.core.text import safe_text
from patchpilot.tui.messages import LoadFailed, ReviewCounted, SummariesLoaded
from patchpilot.tui.screens import register
from patchpilot.tui.screens.base import PilotScreen

COLUMNS = ("", "Branch", "Rev", "Patches", "Sent")
REVIEW_COLUMNS = {"unread": "Unread", "open": "Open", "trailers": "Trailers", "newer": "Newer",
                  "status": "Status"}
TAIL_COLUMNS = ("Change-id", "Cover / state")


def row_of(summary: SeriesSummary) -> tuple[str | Text, ...]:
    mark = "*" if summary.current else ""
    sent = ",".join(f"v{n}" for n in summary.sent_revisions) or "-"
    rev = f"v{summary.revision}" if summary.revision else "-"
    count = "-" if summary.patch_count is None else str(summary.patch_count)
    state = summary.problem or summary.cover_subject or "(not b4-managed)"
    style = "red" if summary.problem else ""
    pending = "…" if summary.sent_revisions and not summary.problem else ""
    return (mark, Text(summary.branch), rev, count, sent, *[pending] * len(REVIEW_COLUMNS),
            Text(summary.change_id or "-"), Text(safe_text(state, 200), style=style))


def review_cells(counts: ReviewCounts) -> dict[str, Text]:
    """The review columns of one row: `-` when nothing is cached, `?` when unreadable."""
    if counts.problem or not counts.cached:
        mark = Text("?", style="red") if counts.problem else Text("-", style="dim")
        cells = dict.fromkeys(("unread", "open", "trailers"), mark)
    else:
        cells = {"unread": _number(counts.unread, "bold"),
                 "open": _number(counts.open_comments, "yellow"),
                 "trailers": _number(counts.trailers, "green")}
    newer = counts.newer_revisions
    cells["newer"] = Text(f"v{max(newer)}", style="bold yellow") if newer else Text("-")
    cells["status"] = status_cell(counts)
    return cells


def status_cell(counts: ReviewCounts) -> Text:
    """`applied to rust-next`, with a NAK before it in red: an applied series keeps it seen."""
    text = Text()
    if counts.naks:
        text.append("NAK" if counts.naks == 1 else f"{counts.naks} NAKs", style="bold red")
    if counts.applied:
        text.append(" · " if text else "").append(safe_text(counts.applied, 120),
                                                  style="bold green")
    return text or Text("-", style="dim")


def _number(value: int, style: str) -> Text:
    return Text(str(value), style=style if value else "dim")


@register("home", "Home", "every series in this repository", needs_series=False)
class HomeScreen(PilotScreen):
    """Lists series; opens the current one the first time it loads."""

    BINDINGS = [
        Binding("enter", "open", "Open", id="home.open"),
        Binding("j", "cursor_down", "Down", show=False, id="home.down"),
        Binding("k", "cursor_up", "Up", show=False, id="home.up"),
        Binding("r", "refresh", "Refresh", id="home.refresh"),
        Binding("q", "app.quit", "Quit", id="home.quit"),
    ]

    def __init__(self, auto_open: bool = True):
        super().__init__()
        self.summaries: list[SeriesSummary] = []
        self._auto_open = auto_open

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Series in {self.app.repo.top}", id="home-title")
        yield DataTable(id="series-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        for key, label in REVIEW_COLUMNS.items():
            table.add_column(label, key=key)
        table.add_columns(*TAIL_COLUMNS)
        self.action_refresh()

    def on_screen_resume(self) -> None:
        if self.summaries:  # back from a series: its replies may have been read since
            self.count_reviews(self.summaries)

    def action_refresh(self) -> None:
        self.query_one("#home-title", Static).update(f"Series in {self.app.repo.top} (loading)")
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="home-load")
    def load(self) -> None:
        try:
            self.post_message(SummariesLoaded(summarize(self.app.repo, self.app.default_base)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_summaries_loaded(self, message: SummariesLoaded) -> None:
        self.summaries = message.summaries
        table = self.query_one(DataTable)
        table.clear()
        for summary in self.summaries:
            table.add_row(*row_of(summary), key=summary.branch)
        title = f"Series in {self.app.repo.top}: {len(self.summaries)}"
        self.query_one("#home-title", Static).update(title)
        self.count_reviews(self.summaries)
        current_row = next((i for i, s in enumerate(self.summaries) if s.current), 0)
        table.move_cursor(row=current_row)
        if self._auto_open:
            self._auto_open = False
            current = next((s for s in self.summaries if s.current and not s.problem), None)
            if current:
                self.app.open_screen("series", branch=current.branch)

    @work(thread=True, exit_on_error=False, exclusive=True, group="home-reviews")
    def count_reviews(self, summaries: list[SeriesSummary]) -> None:
        worker = get_current_worker()
        for counts in summarize_reviews(self.app.repo, summaries, self.app.config):
            if worker.is_cancelled:
                return
            self.post_message(ReviewCounted(counts))

    def on_review_counted(self, message: ReviewCounted) -> None:
        table = self.query_one(DataTable)
        if message.counts.branch not in table.rows:
            return  # the list was reloaded meanwhile
        for key, cell in review_cells(message.counts).items():
            table.update_cell(message.counts.branch, key, cell)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(str(message.error), severity="error", markup=False)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_screen("series", branch=event.row_key.value)

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if self.summaries and table.cursor_row < len(self.summaries):
            self.app.open_screen("series", branch=self.summaries[table.cursor_row].branch)

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
