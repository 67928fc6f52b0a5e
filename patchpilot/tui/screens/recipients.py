"""The recipients screen: To and Cc of the series, why each address is there, and the user's
edits (add, remove, restore), remembered for the series; `w` writes them into the b4 cover."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.recipients.choices import bare, update_choices
from patchpilot.core.recipients.compute import SeriesRecipients, compute, preload
from patchpilot.core.recipients.write import write_cover
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.keys import SCREEN_KEYS, bind
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens import register
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import Confirm, Prompt
from patchpilot.tui.widgets.fittable import Col, FitTable
from patchpilot.tui.widgets.footer import KeyFooter

COLUMNS = [Col("header", "", 1), Col("address", "Address", 0, cap=50),
           Col("source", "Source", 3, cap=20), Col("why", "Why", 2, cap=120, flex=True)]


@dataclass
class RecipientsLoaded(Message):
    series: Series
    result: SeriesRecipients


@dataclass
class CoverWritten(Message):
    backup: str


@dataclass(frozen=True)
class Row:
    header: str  # "To", "Cc" or "removed"
    address: str


def rows_of(result: SeriesRecipients) -> list[Row]:
    return ([Row("To", a) for a in result.to] + [Row("Cc", a) for a in result.cc]
            + [Row("removed", a) for a in result.removed])


def describe_address(result: SeriesRecipients, row: Row) -> Text:
    """Every reason for one address, and which patches it receives."""
    text = Text(safe_text(row.address, 300), style="bold")
    if row.header == "removed":
        return text.append("\nremoved by you; d restores it", style="yellow")
    for why in result.reasons.get(row.address, []):
        text.append(f"\n  {why.source:<11} {why.role:<14} {why.entry or '':<24} ")
        text.append(safe_text(why.match, 200))
    patches = [str(p.index) for p in result.patches
               if bare(row.address) in {bare(a) for a in p.to + p.cc}]
    text.append(f"\n  patches: {', '.join(patches) or 'cover letter only'}", style="dim")
    return text


@register("recipients", "Recipients", "To/Cc of the series with the reason for each address")
class RecipientsScreen(PilotScreen):
    """Recipients of one series."""

    branch: str

    BINDINGS = [
        bind("w", "write", "Write to cover", "recipients.write", "rewrite", 10),
        bind("a", "add('to')", "Add To", "recipients.add_to", "mark", 11),
        bind("A", "add('cc')", "Add Cc", "recipients.add_cc", "mark", 12),
        bind("d", "toggle_remove", "Drop/restore", "recipients.remove", "mark", 13),
        *SCREEN_KEYS,
    ]
    PRIMARY = "#rcpt-table"

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.series: Series | None = None
        self.result: SeriesRecipients | None = None
        self.rows: list[Row] = []
        self.writing = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.shown_branch}: computing recipients", id="rcpt-info")
        yield FitTable(COLUMNS, id="rcpt-table")
        yield Static(id="rcpt-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"{self.shown_branch}: recipients"
        self.load()

    @property
    def busy_rewriting(self) -> bool:
        return self.writing

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="recipients")
    def load(self, add_to: Sequence[str] = (), add_cc: Sequence[str] = (),
             remove: Sequence[str] = (), restore: Sequence[str] = ()) -> None:
        try:
            repo = self.app.repo
            maint = preload(repo)
            series = load_series(repo, self.branch, base=self.app.default_base, light=True)
            notice = None
            if add_to or add_cc or remove or restore:  # damaged choices are kept aside here
                notice = update_choices(repo, series, add_to, add_cc, remove,
                                        restore=restore).notice
            result = compute(repo, series, maint=maint)
            if notice and notice not in result.notes:
                result.notes.insert(0, notice)
            self.post_message(RecipientsLoaded(series, result))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_recipients_loaded(self, message: RecipientsLoaded) -> None:
        self.series, self.result = message.series, message.result
        self.rows = rows_of(message.result)
        cells: list[list[str | Text]] = []
        for row in self.rows:
            why = message.result.reasons.get(row.address, [])
            sources = ",".join(sorted({w.source for w in why})) or "user"
            first = f"{why[0].entry or ''} {why[0].match}" if why else "removed by you"
            style = "strike dim" if row.header == "removed" else ""
            cells.append([row.header, Text(safe_text(row.address, 200), style=style), sources,
                          Text(safe_text(first, 200))])
        self.query_one(FitTable).set_rows(cells)
        self._show_info()
        self._show_detail()

    def _show_info(self) -> None:
        result = self.result
        assert result is not None  # shown once the recipients are loaded
        text = Text(f"{self.shown_branch}: To {len(result.to)}, Cc {len(result.cc)}, "
                    f"{len(result.patches)} patches")
        for problem in result.problems[:3]:
            text.append(f"\n! MAINTAINERS:{problem.lineno}: {problem.message}", style="yellow")
        for note in result.notes:
            text.append(f"\n{safe_text(note, 300)}", style="dim")
        self.query_one("#rcpt-info", Static).update(text)

    def _show_detail(self) -> None:
        row = self.selected
        detail = describe_address(self.result, row) if row and self.result else Text("")
        self.query_one("#rcpt-detail", Static).update(detail)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.writing = False
        self.query_one("#rcpt-info", Static).update(Text(self.say(message.error), style="red"))

    @property
    def selected(self) -> Row | None:
        index = self.query_one(DataTable).cursor_row
        return self.rows[index] if 0 <= index < len(self.rows) else None

    @on(DataTable.RowHighlighted)
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def action_add(self, header: str) -> None:
        def added(address: str | None) -> None:
            if address:
                self.load(add_to=[address] if header == "to" else [],
                          add_cc=[address] if header == "cc" else [])
        self.app.push_screen(Prompt(f"Add to {header.capitalize()}:",
                                    "Name <user@example.org>"), added)

    def action_toggle_remove(self) -> None:
        row = self.selected
        if row is None:
            return
        if row.header == "removed":
            self.load(restore=[row.address])
        else:
            self.load(remove=[row.address])

    def action_write(self) -> None:
        if self.result is None:
            return
        question = (f"Write {len(self.result.to)} To and {len(self.result.cc)} Cc addresses "
                    f"into the cover of {self.shown_branch}? b4 rewrites the branch; it is backed "
                    "up first.")
        def confirmed(yes: bool | None) -> None:
            if yes and not self.writing:
                self.writing = True
                self.write()

        self.app.push_screen(Confirm(question), confirmed)

    @work(thread=True, exit_on_error=False, exclusive=True, group="recipients-write")
    def write(self) -> None:
        try:
            repo = self.app.repo
            series = load_series(repo, self.branch, base=self.app.default_base, light=True)
            self.post_message(CoverWritten(write_cover(repo, series, compute(repo, series))))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_cover_written(self, message: CoverWritten) -> None:
        self.writing = False
        self.notify(f"Cover updated; previous branch kept as {message.backup}", markup=False)
        self.load()
        self.app.rewritten(self)
