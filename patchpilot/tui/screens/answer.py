"""The answer screen: write the answer to a reviewer's comments, then send it.

Opened from the replies screen on the highlighted comment. The draft (core.review.
answer_drafts) is loaded, or composed from the comment's state, in a thread worker; the body
is edited in a TextArea and saved to the draft as it changes (and on leaving), so closing the
app or a crash mid-edit loses nothing. Save keeps it; Cancel leaves, the draft kept; Send shows
the exact message (headers and body), then asks, then sends in a thread worker
(core.send.answer_send); a failure is one line and the draft stays. Mail text is untrusted: it
is shown through safe_text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Header, Static, TextArea

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.answer import answer_slots
from patchpilot.core.review.answer_drafts import Draft, DraftStore, open_draft
from patchpilot.core.send.answer_send import Preview, Sent, preview, require_answer, send
from patchpilot.core.text import safe_text
from patchpilot.tui.keys import bind
from patchpilot.tui.messages import LoadFailed
from patchpilot.tui.screens.base import PilotScreen, worker_error_line
from patchpilot.tui.widgets.dialogs import Confirm
from patchpilot.tui.widgets.editing import edit_externally
from patchpilot.tui.widgets.footer import KeyFooter

AUTOSAVE = 1.0  # seconds after the last change


@dataclass
class DraftLoaded(Message):
    draft: Draft


@dataclass
class Previewed(Message):
    shown: Preview


@dataclass
class AnswerSent(Message):
    sent: Sent


@dataclass
class AnswerFailed(Message):
    error: PatchpilotError


class AnswerPreview(ModalScreen[bool]):
    """The message exactly as it would go out; Send (True) or Back (False)."""

    # x sends mail everywhere (tui/keys.py); ctrl+g is the answer screen's own Send
    BINDINGS = [Binding("escape", "answer(False)", "Back"),
                Binding("x,ctrl+g", "answer(True)", "Send")]
    DEFAULT_CSS = """
    AnswerPreview { align: center middle; }
    #answer-preview { width: 90%; height: 90%; border: thick $primary; background: $surface; }
    #answer-preview-text { height: 1fr; padding: 0 1; }
    #answer-preview Horizontal { height: auto; }
    """

    def __init__(self, shown: Preview):
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        with Vertical(id="answer-preview"):
            yield Static(Text(self.shown.summary() + ", no Bcc", style="bold"))
            with VerticalScroll(id="answer-preview-text"):
                yield Static(Text(safe_text(self.shown.text, 400_000)), id="answer-raw")
            with Horizontal():
                yield Button("Send (x)", id="preview-send", variant="warning")
                yield Button("Back (esc)", id="preview-back")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "preview-send")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class AnswerScreen(PilotScreen):
    """The answer to comments `ref` (MSGID:N[,N...]) of the series on `branch`."""

    # the draft is saved as it is typed and on leaving (q types into the editor; Escape
    # leaves it, the draft kept); the global keys are the app's own (tui/keys.py)
    BINDINGS = [bind("ctrl+g", "send", "Send", "answer.send", "send", 10),
                bind("ctrl+o", "external", "$EDITOR", "answer.editor", "edit", 20)]
    DEFAULT_CSS = """
    #answer-head { padding: 0 1; height: auto; background: $boost; }
    #answer-body { height: 1fr; }
    #answer-buttons { height: auto; }
    """

    def __init__(self, branch: str, ref: str, focus: int | None = None):
        super().__init__()
        self.branch, self.ref = branch, ref
        self.focus_comment = focus  # the comment whose answer the cursor starts below
        self.draft: Draft | None = None
        self.sent: Sent | None = None
        self._autosave: Timer | None = None
        self._text: str | None = None  # the body as last edited

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"answering {safe_text(self.ref, 300)}"), id="answer-head")
        yield TextArea(id="answer-body", soft_wrap=True, disabled=True)
        with Horizontal(id="answer-buttons"):
            yield Button("Save", id="answer-save")
            yield Button("Send", id="answer-send", variant="warning")
            yield Button("Cancel", id="answer-cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"{self.shown_branch}: answer"
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="answer-load")
    def load(self) -> None:
        try:
            self.post_message(DraftLoaded(open_draft(self.app.repo, self.ref, self.branch,
                                                     self.app.config)[0]))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_draft_loaded(self, message: DraftLoaded) -> None:
        self.draft = message.draft
        answer = self.draft.answer
        head = Text(f"To {safe_text(', '.join(answer.to), 300)}", style="bold")
        head.append(f"  Cc {len(answer.cc)} address{'es' if len(answer.cc) != 1 else ''}")
        head.append(f"\n{safe_text(answer.subject, 300)}", style="dim")
        if answer.dropped:
            head.append(f"\nleft out {len(answer.dropped)} unusable address(es)", style="yellow")
        self.query_one("#answer-head", Static).update(head)
        editor = self.query_one(TextArea)
        editor.load_text(answer.body)
        editor.disabled = False
        editor.focus()
        self._cursor_below_quote()

    def _cursor_below_quote(self) -> None:
        """The cursor below the quote of the comment chosen (else the first): typing answers
        it there, never above the quote."""
        assert self.draft is not None
        editor = self.query_one(TextArea)
        slots = answer_slots(editor.text)
        numbers = sorted(self.draft.comments)
        at = numbers.index(self.focus_comment) if self.focus_comment in numbers else 0
        if slots:
            row = slots[min(at, len(slots) - 1)]
            editor.cursor_location = (row, len(editor.document.get_line(row)))
            editor.scroll_cursor_visible(center=True, animate=False)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#answer-head", Static).update(
            Text(worker_error_line(message.error), style="red"))

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        self._text = event.text_area.text  # kept here: on unmount the widget is gone
        if self._autosave is not None:
            self._autosave.stop()
        self._autosave = self.set_timer(AUTOSAVE, self._save, name="answer-autosave")

    def _save(self) -> bool:
        """Write the body to the draft when it changed; False when there is no draft."""
        if self.draft is None or self.sent is not None:
            return False
        if self._text is not None and self._text != self.draft.answer.body:
            DraftStore(self.app.repo.git_dir).set_body(self.draft, self._text)
        return True

    def on_unmount(self) -> None:
        try:
            self._save()
        except (OSError, PatchpilotError):  # leaving anyway; the last autosave stands
            pass

    def on_button_pressed(self, event: Button.Pressed) -> None:
        action = {"answer-save": self.action_save, "answer-send": self.action_send,
                  "answer-cancel": self.action_cancel}.get(event.button.id or "")
        if action:
            action()

    def action_external(self) -> None:
        """ctrl+o: the body in the user's own editor (git's core.editor / $EDITOR)."""
        if self.draft is None or self.sent is not None:
            return
        editor = self.query_one(TextArea)
        if edit_externally(self, editor, self.app.repo, "answer.txt"):
            self._text = editor.text
            self._save()

    def action_save(self) -> None:
        if self._save():
            self.notify("draft saved", markup=False)

    def action_back(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        kept = self._save()
        self.dismiss(None)
        if kept:
            self.app.notify("not sent; the draft is kept", markup=False)

    def action_send(self) -> None:
        if self._save():
            self.prepare()

    @work(thread=True, exit_on_error=False, exclusive=True, group="answer-send")
    def prepare(self) -> None:
        """The exact message (rendering hundreds of addresses takes a moment)."""
        assert self.draft is not None  # prepared only once loaded
        try:
            require_answer(self.draft)
            self.post_message(Previewed(preview(self.app.repo, self.draft)))
        except PatchpilotError as exc:
            self.post_message(AnswerFailed(exc))

    def on_previewed(self, message: Previewed) -> None:
        shown = message.shown

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.query_one(TextArea).disabled = True  # what goes out is what was shown
                self.send_now(shown.digest)

        def previewed(ok: bool | None) -> None:
            if ok:
                self.app.push_screen(Confirm(f"Send {shown.summary()}?"), confirmed)

        self.app.push_screen(AnswerPreview(shown), previewed)

    @work(thread=True, exit_on_error=False, exclusive=True, group="answer-send")
    def send_now(self, digest: str) -> None:
        assert self.draft is not None  # sent only once loaded
        try:
            self.post_message(AnswerSent(send(self.app.repo, self.draft, digest,
                                              config=self.app.config)))
        except PatchpilotError as exc:
            self.post_message(AnswerFailed(exc))

    def on_answer_sent(self, message: AnswerSent) -> None:
        self.sent = message.sent
        what = "sent" if message.sent.now else "had gone out earlier"
        self.app.notify(f"answer {what}: <{safe_text(message.sent.msgid, 200)}>", markup=False)
        self.dismiss(None)

    def on_answer_failed(self, message: AnswerFailed) -> None:
        self.query_one(TextArea).disabled = False
        self.notify(worker_error_line(message.error), severity="error", markup=False,
                    timeout=15)
