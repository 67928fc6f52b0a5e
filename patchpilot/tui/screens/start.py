"""Starting a series from the TUI: a new b4 branch (name and fork point asked) or the current
branch enrolled (its base asked), through core.series.prep, as `patchpilot new` / `enroll` do.

A mixin for screens (home; the cover screen of a branch b4 does not manage): `+` asks, a
thread worker runs b4, and b4's own words come back in one line when it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series import prep
from patchpilot.core.series.model import Series
from patchpilot.core.text import safe_text
from patchpilot.tui import keys
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import CANCEL, Answer, Choice, Prompt

if TYPE_CHECKING:
    from textual import getters

    from patchpilot.tui.app import PatchpilotApp

START = keys.bind("plus", "start", "New series", "series.start", "start", 12)


@dataclass
class SeriesStarted(Message):
    series: Series
    how: str


@dataclass
class StartFailed(Message):
    error: PatchpilotError


class StartsSeries(PilotScreen):
    """`+`: start a series (see the module docstring)."""

    if TYPE_CHECKING:
        app = getters.app(PatchpilotApp)  # self.app with its attributes

    def current_managed(self) -> bool | None:
        """Whether b4 manages the checked-out branch (None: not known here)."""
        return None

    def action_start(self) -> None:
        current = self.app.repo.current_branch()
        enroll = current if current and self.current_managed() is not True else None
        # `b` (b4/NAME): `n` means No in every dialog (tui/keys.py)
        answers = [Answer("new", "New b4/NAME", ("b",), "primary")]
        if enroll:
            answers.append(Answer("enroll", f"Enroll {enroll}", ("e",)))
        question = "Start a series: a new branch b4/NAME, forked where you say"
        if enroll:
            question += f", or the branch you are on ({enroll}) enrolled with b4"
        self.app.push_screen(Choice(question + ".", [*answers, CANCEL], default="new"),
                             lambda choice: self._started(choice, enroll))

    def _started(self, choice: str | None, current: str | None) -> None:
        if choice == "new":
            self.ask_new()
        elif choice == "enroll" and current:
            self.ask_enroll(current)

    def _default_base(self, branch: str | None = None) -> str:
        repo = self.app.repo
        upstream = repo.upstream_of(branch) if branch else None
        return upstream or self.app.default_base or \
            ("master" if repo.rev_parse("master") else "HEAD")

    def ask_new(self) -> None:
        def named(name: str | None) -> None:
            def forked(point: str | None) -> None:
                if name:
                    self.start_worker("new", name, point)

            if name:
                self.app.push_screen(Prompt(
                    f"Fork b4/{name} from (a branch, tag or commit; empty: where you are "
                    "now)", placeholder="HEAD", value=self._default_base()), forked)

        self.app.push_screen(Prompt("Name of the new series (its branch is b4/NAME)",
                                    placeholder="rust-phy-fix"), named)

    def ask_enroll(self, branch: str) -> None:
        def based(base: str | None) -> None:
            if base:
                self.start_worker("enroll", branch, base)

        self.app.push_screen(Prompt(f"Base of {branch}: the commit its first patch sits on "
                                    "(b4 adds a cover letter commit after it)",
                                    value=self._default_base(branch)), based)

    @work(thread=True, exit_on_error=False, exclusive=True, group="start-series")
    def start_worker(self, how: str, name: str, point: str | None) -> None:
        repo = self.app.repo
        try:
            series = prep.new_series(repo, name, point) if how == "new" else \
                prep.enroll(repo, point or "")
            self.post_message(SeriesStarted(series, how))
        except PatchpilotError as exc:
            self.post_message(StartFailed(exc))

    def on_series_started(self, message: SeriesStarted) -> None:
        done = "created" if message.how == "new" else "enrolled"
        shown = safe_text(message.series.branch, 200)
        self.notify(f"{shown} {done} through b4; e writes its cover letter",
                    markup=False)
        self.app.rewritten(self)
        self.series_started(message.series)

    def series_started(self, series: Series) -> None:
        """What the screen does next (home: open the series)."""

    def on_start_failed(self, message: StartFailed) -> None:
        self.notify(self.say(message.error), severity="error", markup=False, timeout=15)
