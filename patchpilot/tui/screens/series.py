"""The series screen: facts of the series on top, patches on the left (on top at 80 columns),
the selected patch's message, files and diff beside (below).

First paint never waits on diffs: the light series (commits and messages, core's `light`
load) comes first, then the diffs, then the review comments from the replies cache, each
from a thread worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Static

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.keys import SCREEN_KEYS
from patchpilot.tui.messages import CommentsLoaded, LoadFailed, SeriesLoaded
from patchpilot.tui.screens import register
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.fittable import Col, FitTable
from patchpilot.tui.widgets.footer import KeyFooter
from patchpilot.tui.widgets.patchdetail import PatchDetail

if TYPE_CHECKING:
    from patchpilot.core.review.comments import Placed

# The subject stays longest and takes the width left; the commit id goes first.
COLUMNS = [Col("n", "#", 1), Col("commit", "Commit", 4, cap=12, yields=True),
           Col("lines", "+/-", 3), Col("comments", "Comments", 2, cap=14),
           Col("subject", "Subject", 0, cap=200, flex=True, least=16)]


def describe(series: Series) -> Text:
    """The header lines: branch, revision, base, change-id, cover subject, sent history."""
    text = Text()
    text.append(safe_text(series.branch, 200), style="bold")
    text.append(f"  v{series.revision}  ")
    text.append("b4-managed" if series.b4_managed else "not b4-managed", style="dim")
    if series.sent:
        text.append("  sent " + ", ".join(f"v{s.revision}" for s in series.sent))
    text.append(f"\nbase {series.base[:12]}   change-id {safe_text(series.change_id or '-', 200)}")
    cover = series.cover_subject if series.cover_subject is not None else "(no cover letter)"
    text.append("\ncover: ")
    text.append(safe_text(cover, 300), style="italic")
    if series.prerequisites:
        text.append("\ndepends on: ")
        text.append("; ".join(safe_text(p.line, 200) for p in series.prerequisites))
    for warning in series.warnings:
        text.append(f"\n! {safe_text(warning, 300)}", style="yellow")
    return text


def patch_row(series: Series, index: int, complete: bool) -> list[str | Text]:
    patch = series.patches[index - 1]
    lines = f"+{patch.added} -{patch.removed}" if complete else "…"
    return [f"{patch.index}/{len(series.patches)}", patch.commit[:12], lines, "",
            Text(safe_text(patch.subject, 200))]


@register("series", "Series", "the patches of a series, their messages and diffs")
class SeriesScreen(PilotScreen):
    """One series; j/k move through its patches."""

    branch: str

    BINDINGS = list(SCREEN_KEYS)
    PRIMARY = "#patch-table"

    def __init__(self, branch: str, preloaded: Series | None = None):
        super().__init__()
        self.branch = branch
        self.preloaded = preloaded  # the light series, already read (the app's first screen)
        self.series: Series | None = None
        self.complete = False  # the diffs are loaded (not only commits and messages)
        self.comments: dict[int, list[Placed]] = {}  # review comments by patch index

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.shown_branch} (loading)", id="series-info")
        with Horizontal(id="series-body"):
            yield FitTable(COLUMNS, id="patch-table")
            yield PatchDetail(id="patch-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = self.shown_branch
        if self.preloaded is not None:
            self.on_series_loaded(SeriesLoaded(self.preloaded, complete=False))
        self.load(light=self.preloaded is None)
        self.preloaded = None

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="series-load")
    def load(self, light: bool = True) -> None:
        """The light series first (the first paint), then the one with diffs."""
        try:
            repo, base = self.app.repo, self.app.default_base
            if light:
                self.post_message(SeriesLoaded(load_series(
                    repo, self.branch, base=base, allow_empty=True, light=True), complete=False))
            self.post_message(SeriesLoaded(load_series(repo, self.branch, base=base,
                                                       allow_empty=True)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_series_loaded(self, message: SeriesLoaded) -> None:
        was = self.series
        self.series = series = message.series
        self.complete = message.complete
        self.query_one("#series-info", Static).update(describe(series))
        table = self.query_one(FitTable)
        table.set_rows([patch_row(series, p.index, message.complete) for p in series.patches],
                       [str(p.index) for p in series.patches])
        if was is None or not message.complete:
            self.comments = {}
        self._show_selected()
        if not isinstance(self.focused, DataTable):
            table.focus()
        self.call_after_refresh(self.app.content_shown)
        if message.complete and series.sent:
            self.load_comments(series)

    @work(thread=True, exit_on_error=False, exclusive=True, group="series-comments")
    def load_comments(self, series: Series) -> None:
        """Review comments from the replies cache (never the network)."""
        from patchpilot.core.review.comments import comments_by_patch  # after the first paint

        self.post_message(CommentsLoaded(series, comments_by_patch(self.app.repo, series)))

    def on_comments_loaded(self, message: CommentsLoaded) -> None:
        if message.series is not self.series:
            return
        self.comments = message.comments
        table = self.query_one(FitTable)
        for index, comments in self.comments.items():
            still_open = sum(c.comment.is_open for c in comments)
            label = Text(f"{len(comments)}")
            if still_open:
                label.append(f", {still_open} open", style="yellow")
            table.set_cell(str(index), "comments", label)
        self._show_selected()

    def _show_selected(self) -> None:
        index = self.selected_index
        patch = self.series.patches[index - 1] if self.series and index else None
        detail = self.query_one(PatchDetail)
        detail.show(patch, self.comments.get(index or 0), diffs=self.complete)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#series-info", Static).update(
            Text(f"{self.shown_branch}: {self.say(message.error)}", style="red"))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.series and event.cursor_row < len(self.series.patches):
            self._show_selected()

    @property
    def selected_index(self) -> int | None:
        """1-based index of the highlighted patch."""
        if not self.series or not self.series.patches:
            return None
        return self.query_one(FitTable).cursor_row + 1
