"""The cover screen: edit the cover letter in a real text editor, see the subject line as b4
will number it, EDITME placeholders listed as they remain; RFC, the target tree (rust-next,
net-next ...) and RESEND set as b4 prefixes. Everything is saved through b4 (core.cover).

Nothing typed is lost: the unsaved text is kept as a draft while typing (widgets/editing),
offered back when the editor opens again, and leaving with unsaved text asks Save / Discard /
Cancel. On a branch b4 does not manage there is no cover yet: the screen says so and `+`
enrolls it (screens/start).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Header, Static, TextArea

from patchpilot.core.b4.tracking import clean_cover
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series import cover, covermerge
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.keys import bind
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens import register
from patchpilot.tui.screens.start import START, StartsSeries
from patchpilot.tui.widgets.dialogs import Prompt
from patchpilot.tui.widgets.editing import DraftKeeper, edit_externally, offer_back
from patchpilot.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    pass

CLEAR_TREE = ("-", "none")


@dataclass
class CoverLoaded(Message):
    series: Series
    text: str  # the cover as b4 hands it to an editor
    changed: bool = False  # reloaded because the branch moved


@dataclass
class CoverSeries(Message):
    series: Series  # b4 manages it; its cover text is on its way


@dataclass
class CoverUnmanaged(Message):
    branch: str
    current: bool


@dataclass
class CoverSaved(Message):
    series: Series
    text: str  # the stored cover, read back through b4
    cover_written: bool
    merged: bool = False  # the text saved took in a change stored meanwhile


@dataclass
class CoverConflict(Message):
    merged: covermerge.Merged  # both sides, marked
    stored: str  # the cover as stored now (by someone else)


@dataclass
class CoverWriteFailed(Message):
    error: PatchpilotError


@register("cover", "Cover letter", "edit the cover letter and the subject prefixes")
class CoverScreen(StartsSeries):
    """Edit one series' cover letter."""

    branch: str

    BINDINGS = [
        bind("ctrl+s", "save", "Save", "cover.save", "rewrite", 10),
        bind("ctrl+r", "toggle_rfc", "RFC", "cover.rfc", "rewrite", 15),
        bind("ctrl+t", "set_tree", "Tree", "cover.tree", "rewrite", 16),
        bind("ctrl+n", "toggle_resend", "RESEND", "cover.resend", "rewrite", 17),
        bind("ctrl+o", "external", "$EDITOR", "cover.editor", "edit", 18),
        START,
    ]

    DEFAULT_CSS = """
    #cover-info { padding: 0 1; height: auto; max-height: 6; background: $boost; }
    #cover-text { height: 1fr; }
    """

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.series: Series | None = None
        self.managed: bool | None = None  # None until the first load says
        self.pending: list[str] | None = None  # prefixes being written by b4 right now
        self.writing = False  # one b4 rewrite at a time: two would race on the branch
        self._saving: str | None = None  # the text being saved through b4
        self._after_save: Callable[[], object] | None = None
        self.keeper: DraftKeeper | None = None
        self._base: str | None = None  # the stored cover the typed text started from

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.shown_branch}: reading the cover through b4", id="cover-info")
        yield TextArea(id="cover-text", soft_wrap=True, show_line_numbers=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"{self.shown_branch}: cover letter"
        area = self.query_one(TextArea)
        # shown once b4 gave the cover: never an empty box to type in (nor a hidden one that
        # takes the keys: + would be typed into it)
        area.display, area.disabled = False, True
        self.keeper = DraftKeeper(area, self.app.repo.git_dir, "cover", self.branch,
                                  "cover letter")
        self.load()

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, exclusive=True, group="cover")
    def load(self, changed: bool = False) -> None:
        repo = self.app.repo
        try:
            series = load_series(repo, self.branch, allow_empty=True, light=True)
        except PatchpilotError:
            series = None  # no base for a branch b4 does not manage: same answer
        if series is None or not series.b4_managed:
            self.post_message(CoverUnmanaged(self.branch,
                                             repo.current_branch() == self.branch))
            return
        if not changed:
            self.post_message(CoverSeries(series))  # the subject line while b4 answers
        try:
            self.post_message(CoverLoaded(series, cover.raw_cover(repo, series), changed))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_cover_series(self, message: CoverSeries) -> None:
        if self.managed is None:
            line = cover.subject_line(message.series, None)
            self.query_one("#cover-info", Static).update(Text.assemble(
                (safe_text(line, 300), "bold"), ("\nreading the cover through b4...", "dim")))

    def on_cover_loaded(self, message: CoverLoaded) -> None:
        self.series, self.managed = message.series, True
        area, keeper = self.query_one(TextArea), self.keeper
        assert keeper is not None  # made on mount
        area.display, area.disabled = True, False
        self.refresh_bindings()
        if message.changed and keeper.dirty:
            keeper.saved = message.text  # the editor keeps the user's text
            self.notify("the cover changed outside this editor; your text is kept (ctrl+s "
                        "merges it with the new one)", severity="warning", markup=False)
        else:
            area.load_text(message.text)
            self._base = message.text
            draft = keeper.loaded(message.text)
            if draft is not None:
                offer_back(self, keeper, draft, message.text)
        area.focus()
        self._show_info()

    def on_cover_unmanaged(self, message: CoverUnmanaged) -> None:
        self.managed = False
        area = self.query_one(TextArea)
        area.display, area.disabled = False, True
        self.refresh_bindings()
        text = Text(f"{self.shown_branch} is not managed by b4, so it has no cover letter yet.\n",
                    style="bold")
        if message.current:  # + asks (opening the prompt here would take the + as text)
            text.append("Press + to start the series: enroll this branch with b4 (you give "
                        "its base), or make a new branch b4/NAME.")
            self.query_one("#cover-info", Static).update(text)
        else:
            text.append(f"b4 works on the branch you are on: git switch {self.shown_branch}, then "
                        "press + here.")
            self.query_one("#cover-info", Static).update(text)

    def current_managed(self) -> bool | None:
        return self.managed

    def series_started(self, series: Series) -> None:
        self.load()

    def reload_changed(self) -> None:
        self.load(changed=True)

    @property
    def busy_rewriting(self) -> bool:
        return self.writing

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":  # False hides the key
            return self.managed is False
        if action in ("save", "toggle_rfc", "set_tree", "toggle_resend", "external"):
            return bool(self.managed)
        return super().check_action(action, parameters)

    # -- the info lines -----------------------------------------------------------------------

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
        if self.keeper is not None and self.keeper.dirty:
            info.append("\nunsaved (kept as a draft; ctrl+s saves through b4)", style="cyan")
        for prereq in self.series.prerequisites:
            info.append(f"\nprerequisite: {safe_text(prereq.line, 200)}", style="dim")
        if len(self.series.patches) == 1:
            info.append("\none patch: b4 puts this text below the patch's '---'", style="dim")
        self.query_one("#cover-info", Static).update(info)

    @on(TextArea.Changed)
    def _changed(self, _event: TextArea.Changed) -> None:
        if self.keeper is not None:
            self.keeper.changed()
        self._show_info()

    def unsaved(self) -> DraftKeeper | None:
        return self.keeper if self.managed else None

    def action_external(self) -> None:
        """ctrl+o: the cover in your own editor (git's core.editor / $EDITOR); ctrl+s saves."""
        edit_externally(self, self.query_one(TextArea), self.app.repo, "cover.txt")

    # -- prefixes -------------------------------------------------------------------------

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
                    f"'-' for none.")
        self.app.push_screen(Prompt(question, placeholder=tree or "rust-next"),
                             self._tree_answered)

    def _tree_answered(self, answer: str | None) -> None:
        current = self._prefixes()
        if answer is None or current is None:
            return
        tree = "" if answer.lower() in CLEAR_TREE else answer
        self.save_prefixes(cover.compose_prefixes(current, tree=tree))

    def save_prefixes(self, prefixes: list[str]) -> None:
        if self.start_write(cover.set_prefixes, prefixes):
            self.pending = prefixes  # the subject line shows them at once
            self._show_info()

    # -- saving ----------------------------------------------------------------------------

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        if covermerge.has_markers(text):
            self.notify("the cover still holds the <<<<<<< / >>>>>>> lines of a merge: keep "
                        "what you want of both sides, then ctrl+s", severity="error",
                        markup=False)
            return
        base = text if self._base is None else self._base
        wrapped = cover.wrap_cover(text)  # mail wants lines of 75 columns at most
        if self.start_write(covermerge.save_merged, (base, wrapped)):
            self._saving = text
            if wrapped != text:
                self.notify(f"long lines wrapped at {cover.WIDTH} columns", markup=False)

    def save_then(self, then: Callable[[], object]) -> None:
        self._after_save = then
        self.action_save()
        if not self.writing:  # refused before b4 ran
            self._after_save = None

    def start_write(self, change: Callable[..., object], value: Any) -> bool:
        if self.writing:
            self.notify("b4 is still writing the last change; try again in a moment")
            return False
        self.writing = True
        self.write(change, value)
        return True

    @work(thread=True, exit_on_error=False, group="cover-write")
    def write(self, change: Callable[..., object], value: Any) -> None:
        """Apply one cover change through b4 (`change(repo, series, value)`), then read the
        series and the stored cover back."""
        try:
            repo = self.app.repo
            series = load_series(repo, self.branch, allow_empty=True)
            merging = change is covermerge.save_merged
            result = change(repo, series, *value) if merging else change(repo, series, value)
            if isinstance(result, covermerge.Merged) and not result.clean:
                self.post_message(CoverConflict(result, cover.raw_cover(repo, series)))
                return
            series = load_series(repo, self.branch, allow_empty=True)
            merged = isinstance(result, covermerge.Merged) and \
                result.text.rstrip("\n") != value[1].rstrip("\n")
            self.post_message(CoverSaved(series, cover.raw_cover(repo, series), merging,
                                         merged))
        except PatchpilotError as exc:
            self.post_message(CoverWriteFailed(exc))

    def on_cover_saved(self, message: CoverSaved) -> None:
        self.series, self.pending, self.writing = message.series, None, False
        area, keeper = self.query_one(TextArea), self.keeper
        assert keeper is not None
        if message.cover_written:
            if area.text == self._saving:  # nothing typed meanwhile: show what b4 stored
                area.load_text(message.text)
            keeper.stored_again(message.text)
            self._base, self._saving = message.text, None
        elif not keeper.dirty:
            keeper.stored_again(message.text)
            self._base = message.text
        self._show_info()
        self.notify("Saved through b4, merged with the change stored meanwhile" if message.merged
                    else "Saved through b4 (the series commits were rewritten by b4)",
                    markup=False)
        self.app.rewritten(self)
        then, self._after_save = self._after_save, None
        if then is not None:
            then()

    def on_cover_conflict(self, message: CoverConflict) -> None:
        """Both changed the same lines: both sides go into the editor, nothing stored."""
        self.writing, self._saving, self._after_save = False, None, None
        area, keeper = self.query_one(TextArea), self.keeper
        assert keeper is not None
        keeper.saved = self._base = message.stored
        area.load_text(message.merged.text)
        keeper.changed()
        self._show_info()
        self.notify("the cover changed outside this editor on the lines you changed: both are "
                    f"in the editor, between <<<<<<< {covermerge.MINE} and >>>>>>> "
                    f"{covermerge.THEIRS}; keep what you want, then ctrl+s",
                    severity="warning", markup=False, timeout=20)

    def on_cover_write_failed(self, message: CoverWriteFailed) -> None:
        self.pending, self.writing, self._saving = None, False, None
        self._after_save = None  # not stored: stay on the screen
        self._show_info()
        self.notify(self.say(message.error), severity="error", markup=False)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#cover-info", Static).update(
            Text(self.say(message.error), style="red"))
