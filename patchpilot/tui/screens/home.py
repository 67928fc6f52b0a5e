"""The home screen: every series in the repository, one row each; Enter opens one.

The current series is read first (light) and opened at once; the rows come from the
repository next; the review columns (unread, open comments,
trailers, newer revision on the list, applied or NAKed)
follow from a second worker that reads the lore cache
only, so the list never waits on the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series.model import Series, SeriesSummary, load_series, summarize
from patchpilot.core.text import safe_text
from patchpilot.tui.messages import CurrentLoaded, LoadFailed, ReviewCounted, SummariesLoaded
from patchpilot.tui.screens import register
from patchpilot.tui.screens.start import START, StartsSeries
from patchpilot.tui.widgets.fittable import Col, FitTable
from patchpilot.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from patchpilot.core.review.summary import ReviewCounts

REVIEW_COLUMNS = {"unread": "Unread", "open": "Open", "trailers": "Trailers", "newer": "Newer",
                  "status": "Status"}
# What gives way first at 80 columns: the change-id, then the counts; the branch, an applied
# or NAK status and the cover subject stay (the subject takes the width left).
COLUMNS = [Col("mark", "", 4), Col("branch", "Branch", 0, cap=40), Col("rev", "Rev", 2),
           Col("patches", "Patches", 7), Col("sent", "Sent", 3, cap=16),
           Col("unread", "Unread", 5), Col("open", "Open", 6), Col("trailers", "Trailers", 8),
           Col("newer", "Newer", 9), Col("status", "Status", 3, cap=40),
           Col("change_id", "Change-id", 10, cap=50, yields=True),
           Col("state", "Cover / state", 1, cap=200, flex=True, least=12)]


def row_of(summary: SeriesSummary) -> tuple[str | Text, ...]:
    mark = "*" if summary.current else ""
    sent = ",".join(f"v{n}" for n in summary.sent_revisions) or "-"
    rev = f"v{summary.revision}" if summary.revision else "-"
    count = "-" if summary.patch_count is None else str(summary.patch_count)
    state = summary.problem or summary.cover_subject or "(not b4-managed)"
    style = "red" if summary.problem else ""
    pending = "…" if summary.sent_revisions and not summary.problem else ""
    return (mark, Text(safe_text(summary.branch, 200)), rev, count, sent,
            *[pending] * len(REVIEW_COLUMNS), Text(safe_text(summary.change_id or "-", 200)),
            Text(safe_text(state, 200), style=style))


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
class HomeScreen(StartsSeries):
    """Lists series; opens the current one the first time it loads."""

    BINDINGS = [START]
    BACK_LABEL = "Quit"

    def __init__(self, auto_open: bool = True):
        super().__init__()
        self.summaries: list[SeriesSummary] = []
        self._auto_open = auto_open

    def compose(self) -> ComposeResult:
        yield Static(Text(safe_text(f"Series in {self.app.repo.top}", 300)), id="home-title")
        if not self._auto_open:  # else the series screen opens over this one at once: the
            yield from self._parts()  # rest is made when this screen is first seen

    @staticmethod
    def _parts() -> list[Widget]:
        return [Header(), FitTable(COLUMNS, id="series-table", zebra_stripes=True), KeyFooter()]

    def on_mount(self) -> None:
        self.action_refresh()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.summaries and not self.query(FitTable):  # first seen now
            self.call_later(self._fill)
        elif self.summaries:  # back from a series: its replies may have been read since
            self.count_reviews(self.summaries)

    def action_back(self) -> None:
        """q on the home screen quits (drafts are kept)."""
        self.run_worker(self.app.action_quit(), exit_on_error=False)

    def action_escape(self) -> None:
        """Escape on the home screen does nothing (q quits)."""

    def current_managed(self) -> bool | None:
        current = next((s for s in self.summaries if s.current), None)
        return current.b4_managed if current else None

    def series_started(self, series: Series) -> None:
        self.action_refresh()
        self.app.open_screen("series", branch=series.branch)

    def action_refresh(self) -> None:
        self.query_one("#home-title", Static).update(
            Text(safe_text(f"Series in {self.app.repo.top} (loading)", 300)))
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="home-load")
    def load(self) -> None:
        """On the first load the current series comes first (light: commits and messages),
        so its screen opens before the other branches are read."""
        repo, base = self.app.repo, self.app.default_base
        if self._auto_open:
            current = repo.current_branch()
            try:
                if current:
                    self.post_message(CurrentLoaded(
                        load_series(repo, current, base=base, allow_empty=True, light=True)))
            except PatchpilotError:
                pass  # the list says what is wrong with it
        try:
            self.post_message(SummariesLoaded(summarize(repo, base)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    async def on_summaries_loaded(self, message: SummariesLoaded) -> None:
        self.summaries = message.summaries
        if self.app.screen is not self and not self.query(FitTable):
            return  # under the series screen it opened: filled when it is first seen
        await self._fill()

    async def _fill(self) -> None:
        if not self.query(FitTable):
            header, table, footer = self._parts()
            await self.mount(header, before="#home-title")
            await self.mount(table, after="#home-title")
            await self.mount(footer)
            table.focus()  # as a composed screen focuses its first table
        table = self.query_one(FitTable)
        table.set_rows([row_of(s) for s in self.summaries], [s.branch for s in self.summaries])
        self.call_after_refresh(self.app.content_shown)
        title = f"Series in {self.app.repo.top}: {len(self.summaries)}"
        self.query_one("#home-title", Static).update(Text(safe_text(title, 300)))
        self.count_reviews(self.summaries)
        current_row = next((i for i, s in enumerate(self.summaries) if s.current), 0)
        table.move_cursor(row=current_row)
        self._auto_open = False

    def on_current_loaded(self, message: CurrentLoaded) -> None:
        if self._auto_open:
            self._auto_open = False
            self.app.open_screen("series", branch=message.series.branch,
                                 preloaded=message.series)

    @work(thread=True, exit_on_error=False, exclusive=True, group="home-reviews")
    def count_reviews(self, summaries: list[SeriesSummary]) -> None:
        worker = get_current_worker()
        from patchpilot.core.review.summary import summarize_reviews  # after the first paint

        for counts in summarize_reviews(self.app.repo, summaries, self.app.config):
            if worker.is_cancelled:
                return
            self.post_message(ReviewCounted(counts))

    def on_review_counted(self, message: ReviewCounted) -> None:
        table = self.query_one(FitTable)
        if message.counts.branch not in table.keys:
            return  # the list was reloaded meanwhile
        for key, cell in review_cells(message.counts).items():
            table.set_cell(message.counts.branch, key, cell)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(self.say(message.error), severity="error", markup=False)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.open_screen("series", branch=event.row_key.value)
