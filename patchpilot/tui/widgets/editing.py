"""Nothing typed is lost: a DraftKeeper follows one TextArea and keeps its unsaved text as a
draft (core.drafts, under .git/patchpilot/drafts/) while the user types.

The first change is written at once, later ones at most once a second (and on flush: leaving
the screen, quitting the app), so a crash loses at most the last second of typing. `dirty`
says the editor holds text that differs from what is stored; the screen asks Save / Discard /
Cancel before leaving then (screens.base.PilotScreen.leave).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from patchpilot.core import drafts
from patchpilot.core.drafts import Draft

if TYPE_CHECKING:
    from pathlib import Path

    from textual.screen import Screen
    from textual.timer import Timer
    from textual.widgets import TextArea

    from patchpilot.core.git.repo import GitRepo

THROTTLE = 1.0  # seconds between two draft writes while typing


class DraftKeeper:
    """The draft of one editor (`kind` of `branch`), e.g. ("cover", "b4/foo")."""

    def __init__(self, area: TextArea, git_dir: Path, kind: str, branch: str, what: str):
        self.area, self.git_dir, self.kind, self.branch = area, git_dir, kind, branch
        self.what = what  # "cover letter", "changelog": how the dialogs name it
        self.saved: str | None = None  # the stored text; None until it is loaded
        self._written = 0.0
        self._timer: Timer | None = None
        self._mine = False  # typed here since the last load: the draft file is this editor's

    @property
    def dirty(self) -> bool:
        return self.saved is not None and self.area.text != self.saved

    def loaded(self, stored: str) -> Draft | None:
        """The editor now shows `stored`; returns a kept draft worth offering back."""
        self.saved, self._mine = stored, False
        draft = drafts.load_draft(self.git_dir, self.kind, self.branch)
        if draft is None or draft.text == stored:
            if draft is not None:
                self.discard()
            return None
        return draft

    def stored_again(self, stored: str) -> None:
        """The text was saved (or the stored one reloaded into the editor): no draft left."""
        self.saved = stored
        if self.area.text == stored:
            self.discard()
            self._mine = False

    def changed(self) -> None:
        """The user typed: keep the draft now, or within THROTTLE seconds. (Loading the
        stored text changes the editor too: that alone keeps nothing and drops nothing.)"""
        if self.saved is None or (not self._mine and self.area.text == self.saved):
            return
        self._mine = True
        wait = self._written + THROTTLE - time.monotonic()
        if wait <= 0:
            self.flush()
        elif self._timer is None:
            self._timer = self.area.set_timer(wait, self.flush)

    def flush(self) -> None:
        """Write the draft now (or remove it when the text is the stored one)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.saved is None or not self._mine:
            return
        self._written = time.monotonic()
        drafts.save_draft(self.git_dir, self.kind, self.branch, self.area.text, self.saved)

    def discard(self) -> None:
        """Forget the draft (the user chose Discard, or the text was saved)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        drafts.drop_draft(self.git_dir, self.kind, self.branch)


def edit_externally(screen: Screen[Any], area: TextArea, repo: GitRepo, name: str) -> bool:
    """The editor's text in the user's own editor (the one git starts: core.editor, $EDITOR
    ...), the TUI suspended meanwhile; True when the text came back changed (it is then in `area`,
    as typed). A failing editor leaves the text as it was and says why."""
    from textual.app import SuspendNotSupported

    from patchpilot.core.editor import edit_text
    from patchpilot.core.errors import PatchpilotError

    try:
        try:
            with screen.app.suspend():
                text = edit_text(repo, area.text, name)
        except SuspendNotSupported:  # no terminal to hand over (a headless run)
            text = edit_text(repo, area.text, name)
    except PatchpilotError as exc:
        screen.notify(f"{exc.message} (hint: {exc.hint})", severity="error", markup=False)
        return False
    screen.app.refresh()
    if text == area.text:
        return False
    area.load_text(text)
    return True


def offer_back(screen: Screen[Any], keeper: DraftKeeper, draft: Draft, stored: str) -> None:
    """Offer a kept draft back when its editor opens: Restore / Not now / Discard."""
    from patchpilot.tui.widgets.dialogs import offer_draft

    def answered(choice: str | None) -> None:
        if choice == "restore":
            keeper.area.load_text(draft.text)
        elif choice == "discard":
            keeper.discard()

    screen.app.push_screen(offer_draft(keeper.what, draft.age, len(draft.text.splitlines()),
                                       moved=draft.saved != stored), answered)
