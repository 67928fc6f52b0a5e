"""The cover screen: edit the cover letter in a real text editor, see the subject line as b4
will number it, EDITME placeholders listed as they remain, RFC toggled; saved through b4."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TextArea

from patchpilot.core import cover
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series import Series, load_series
from patchpilot.core.text import safe_text
from patchpilot.core.tracking import clean_cover
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens import register


@dataclass
class CoverLoaded(Message):
    series: Series
    text: str


@dataclass
class CoverSaved(Message):
    series: Series


def editme_lines(text: str) -> list[int]:
    """1-based numbers of the lines that still hold an EDITME placeholder."""
    return [n for n, line in enumerate(text.splitlines(), start=1)
            if "EDITME" in line and not line.startswith("#")]


@register("cover", "Cover letter", "edit the cover letter and the subject prefixes")
class CoverScreen(Screen):
    """Edit one series' cover letter."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save (through b4)", id="cover.save"),
        Binding("ctrl+r", "toggle_rfc", "RFC on/off", id="cover.rfc"),
        Binding("escape", "app.pop_screen", "Back", id="cover.back"),
    ]

    DEFAULT_CSS = """
    #cover-info { padding: 0 1; height: auto; background: $boost; }
    #cover-text { height: 1fr; }
    """

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.series: Series | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.branch}: reading the cover through b4", id="cover-info")
        yield TextArea(id="cover-text", soft_wrap=True, show_line_numbers=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.branch}: cover letter"
        self.load()

    @work(thread=True, exclusive=True, group="cover")
    def load(self) -> None:
        try:
            repo = self.app.repo
            series = load_series(repo, self.branch, allow_empty=True)
            self.post_message(CoverLoaded(series, cover.raw_cover(repo, series)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_cover_loaded(self, message: CoverLoaded) -> None:
        self.series = message.series
        self.query_one(TextArea).load_text(message.text)
        self._show_info()

    def _show_info(self) -> None:
        if self.series is None:
            return
        text = self.query_one(TextArea).text
        subject, _ = clean_cover(text)
        self.series.cover_subject = subject
        info = Text(safe_text(cover.subject_line(self.series), 300), style="bold")
        pending = editme_lines(text)
        if pending:
            info.append(f"\nEDITME left on line(s) {', '.join(map(str, pending))}: "
                        "sending is blocked until they are gone", style="yellow")
        if len(self.series.patches) == 1:
            info.append("\none patch: b4 puts this text below the patch's '---'", style="dim")
        self.query_one("#cover-info", Static).update(info)

    @on(TextArea.Changed)
    def _changed(self, _event) -> None:
        self._show_info()

    def action_toggle_rfc(self) -> None:
        if self.series is not None:
            rfc = "RFC" not in self.series.prefixes
            self.save_prefixes(cover.compose_prefixes(self.series.prefixes, rfc=rfc))

    def action_save(self) -> None:
        self.write(cover.set_cover, self.query_one(TextArea).text)

    def save_prefixes(self, prefixes: list[str]) -> None:
        self.write(cover.set_prefixes, prefixes)

    @work(thread=True, exclusive=True, group="cover-write")
    def write(self, change, value) -> None:
        """Apply one cover change through b4 (`change(repo, series, value)`), then reload."""
        try:
            repo = self.app.repo
            change(repo, load_series(repo, self.branch, allow_empty=True), value)
            self.post_message(CoverSaved(load_series(repo, self.branch, allow_empty=True)))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_cover_saved(self, message: CoverSaved) -> None:
        self.series = message.series
        self._show_info()
        self.notify("Saved through b4 (the series commits were rewritten by b4)")

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(str(message.error), severity="error", markup=False)
