"""The cover screen: edit the cover letter in a real text editor, see the subject line as b4
will number it, EDITME placeholders listed as they remain; RFC, the target tree (rust-next,
net-next ...) and RESEND set as b4 prefixes. Everything is saved through b4 (core.cover)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static, TextArea

from patchpilot.core.b4.tracking import clean_cover
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series import cover
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens import register
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import Prompt

if TYPE_CHECKING:
    from patchpilot.core.git.repo import GitRepo

CLEAR_TREE = ("-", "none")


@dataclass
class CoverLoaded(Message):
    series: Series
    text: str


@dataclass
class CoverSaved(Message):
    series: Series


@dataclass
class CoverWriteFailed(Message):
    error: PatchpilotError


@register("cover", "Cover letter", "edit the cover letter and the subject prefixes")
class CoverScreen(PilotScreen):
    """Edit one series' cover letter."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save (through b4)", id="cover.save"),
        Binding("ctrl+r", "toggle_rfc", "RFC on/off", id="cover.rfc"),
        Binding("ctrl+t", "set_tree", "Target tree...", id="cover.tree"),
        Binding("ctrl+n", "toggle_resend", "RESEND on/off", id="cover.resend"),
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
        self.pending: list[str] | None = None  # prefixes being written by b4 right now
        self.writing = False  # one b4 rewrite at a time: two would race on the branch

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.branch}: reading the cover through b4", id="cover-info")
        yield TextArea(id="cover-text", soft_wrap=True, show_line_numbers=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.branch}: cover letter"
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="cover")
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
        info = Text(safe_text(cover.subject_line(self.series, self.pending), 300), style="bold")
        if self.pending is not None:
            info.append("  (writing the prefixes through b4)", style="dim")
        pending = [n for n, _ in cover.editme_lines(text)]
        if pending:
            info.append(f"\nEDITME left on line(s) {', '.join(map(str, pending))}: "
                        "sending is blocked until they are gone", style="yellow")
        for prereq in self.series.prerequisites:
            info.append(f"\nprerequisite: {safe_text(prereq.line, 200)}", style="dim")
        if len(self.series.patches) == 1:
            info.append("\none patch: b4 puts this text below the patch's '---'", style="dim")
        self.query_one("#cover-info", Static).update(info)

    @on(TextArea.Changed)
    def _changed(self, _event: TextArea.Changed) -> None:
        self._show_info()

    def _prefixes(self) -> list[str] | None:
        """The prefixes as they are, or as they will be once b4 has written them."""
        if self.series is None:
            return None
        return list(self.series.prefixes if self.pending is None else self.pending)

    def action_toggle_rfc(self) -> None:
        current = self._prefixes()
        if current is not None:
            self.save_prefixes(cover.compose_prefixes(current, rfc="RFC" not in current))

    def action_toggle_resend(self) -> None:
        current = self._prefixes()
        if current is not None:
            resend = cover.RESEND not in current
            self.save_prefixes(cover.compose_prefixes(current, resend=resend))

    def action_set_tree(self) -> None:
        current = self._prefixes()
        if current is None:
            return
        tree = cover.tree_of(current)
        question = (f"Target tree (now {tree or 'none'}), e.g. rust-next or net-next; "
                    f"'-' for none. Enter sets it, Escape keeps it.")
        self.app.push_screen(Prompt(question, placeholder=tree or "rust-next"),
                             self._tree_answered)

    def _tree_answered(self, answer: str | None) -> None:
        current = self._prefixes()
        if answer is None or current is None:
            return
        tree = "" if answer.lower() in CLEAR_TREE else answer
        self.save_prefixes(cover.compose_prefixes(current, tree=tree))

    def action_save(self) -> None:
        self.start_write(cover.set_cover, self.query_one(TextArea).text)

    def save_prefixes(self, prefixes: list[str]) -> None:
        if self.start_write(cover.set_prefixes, prefixes):
            self.pending = prefixes  # the subject line shows them at once
            self._show_info()

    def start_write(self, change: Callable[[GitRepo, Series, Any], object], value: Any) -> bool:
        if self.writing:
            self.notify("b4 is still writing the last change; try again in a moment")
            return False
        self.writing = True
        self.write(change, value)
        return True

    @work(thread=True, exit_on_error=False, group="cover-write")
    def write(self, change: Callable[[GitRepo, Series, Any], object], value: Any) -> None:
        """Apply one cover change through b4 (`change(repo, series, value)`), then reload."""
        try:
            repo = self.app.repo
            change(repo, load_series(repo, self.branch, allow_empty=True), value)
            self.post_message(CoverSaved(load_series(repo, self.branch, allow_empty=True)))
        except PatchpilotError as exc:
            self.post_message(CoverWriteFailed(exc))

    def on_cover_saved(self, message: CoverSaved) -> None:
        self.series, self.pending, self.writing = message.series, None, False
        self._show_info()
        self.notify("Saved through b4 (the series commits were rewritten by b4)")

    def on_cover_write_failed(self, message: CoverWriteFailed) -> None:
        self.pending, self.writing = None, False  # b4 did not write it: show what is stored
        self._show_info()
        self.notify(str(message.error), severity="error", markup=False)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(str(message.error), severity="error", markup=False)
