"""Small modal dialogs: a choice among a few answers (each with its key on its button), a yes/no
confirmation and a one-line prompt. Each dismisses with the answer, so a screen can
`push_screen(dialog, callback)`.

The keys follow the app's conventions (tui/keys.py): `y` confirms, `n` or Escape declines,
`ctrl+s` saves, `ctrl+d` discards typed text, Escape cancels; every button says its key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label
from textual.widgets.button import ButtonVariant

_R = TypeVar("_R")


@dataclass(frozen=True)
class Answer:
    """One answer of a Choice: what it returns, its button label, its key(s)."""

    value: str
    label: str
    keys: tuple[str, ...]
    variant: ButtonVariant = "default"

    @property
    def button_label(self) -> str:
        shown = "/".join("esc" if k == "escape" else k for k in self.keys)
        return f"{self.label} ({shown})"


class _Asking(ModalScreen[_R]):
    """A question with a few answers, one button each; the focused one is `default`."""

    def __init__(self, question: str, answers: Sequence[Answer], default: str):
        super().__init__()
        self.question = question
        self.answers = list(answers)
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, markup=False)
            with Horizontal(classes="dialog-buttons"):
                for answer in self.answers:
                    yield Button(answer.button_label, id=f"answer-{answer.value}",
                                 variant=answer.variant)

    def on_mount(self) -> None:
        self.query_one(f"#answer-{self.default}", Button).focus()

    def result_of(self, value: str | None) -> _R:
        raise NotImplementedError

    def answer(self, value: str | None) -> None:
        self.dismiss(self.result_of(value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.answer((event.button.id or "").removeprefix("answer-"))

    def on_key(self, event: events.Key) -> None:
        value = next((a.value for a in self.answers if event.key in a.keys), None)
        if value is not None or event.key == "escape":
            event.stop()
            event.prevent_default()
            self.answer(value)


class Choice(_Asking[str | None]):
    """Ask a question with a few answers; dismisses with the answer's value (None: Escape)."""

    def result_of(self, value: str | None) -> str | None:
        return value


YES = Answer("yes", "Yes", ("y",), "warning")
NO = Answer("no", "No", ("n", "escape"))
SAVE = Answer("save", "Save", ("ctrl+s",), "primary")
DISCARD = Answer("discard", "Discard", ("ctrl+d",), "error")
CANCEL = Answer("cancel", "Cancel", ("escape",))
RESTORE = Answer("restore", "Restore", ("y",), "primary")
LATER = Answer("later", "Not now", ("escape",))


class Confirm(_Asking[bool]):
    """Ask a yes/no question; `y` confirms, `n`/Escape declines (No has the focus)."""

    def __init__(self, question: str):
        super().__init__(question, [YES, NO], default="no")

    def result_of(self, value: str | None) -> bool:
        return value == "yes"


def unsaved(what: str) -> Choice:
    """Leaving an editor with unsaved text: Save / Discard / Cancel (Cancel has the focus)."""
    return Choice(f"The {what} has unsaved changes. Save them before leaving?",
                  [SAVE, DISCARD, CANCEL], default="cancel")


QUIT = Answer("quit", "Quit, keep a draft", ("ctrl+q",), "error")


def unsaved_on_quit(what: str) -> Choice:
    """Quitting with an editor's text unsaved: Save / Quit (the text kept as a draft) /
    Cancel (Cancel has the focus; ctrl+q again quits)."""
    return Choice(f"The {what} has unsaved changes. Save them before quitting? (Quitting "
                  "keeps them as a draft, offered back next time.)", [SAVE, QUIT, CANCEL],
                  default="cancel")


def offer_draft(what: str, age: str, lines: int, moved: bool) -> Choice:
    """A kept draft found when an editor opens: Restore / Not now / Discard."""
    question = (f"Your unsaved {what} from {age} ({lines} line(s)) was kept. Restore it into "
                "the editor?")
    if moved:
        question += f" The stored {what} changed since you began it."
    return Choice(question + " Not now keeps the draft until you type.",
                  [RESTORE, LATER, DISCARD], default="restore")


class Prompt(ModalScreen[str | None]):
    """Ask for one line of text; Enter answers, Escape cancels (None)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, placeholder: str = "", value: str = "",
                 allow_empty: bool = False):
        super().__init__()
        self.question = question
        self.placeholder = placeholder
        self.value = value
        self.allow_empty = allow_empty  # an empty answer is "" (else None, as Escape)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question + "  (enter answers, esc cancels)", markup=False)
            yield Input(value=self.value, placeholder=self.placeholder)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or ("" if self.allow_empty else None))

    def action_cancel(self) -> None:
        self.dismiss(None)
