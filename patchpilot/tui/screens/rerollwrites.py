"""The reroll screen's rewrites: apply the trailers, write the changelog into the cover, undo
the last rewrite. Each asks first (Confirm) and runs in one thread worker at a time (the
rewrite journal must never see two); after it the screen reloads and tells the app, so the
other screens of the series reload too (one series state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.widgets import TextArea

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git import rewrite
from patchpilot.core.reroll import stale
from patchpilot.core.reroll.apply import apply_trailers
from patchpilot.core.reroll.changelog import edited_lines, write_changelog
from patchpilot.core.reroll.plan import RerollPlan, make_plan
from patchpilot.core.reroll.stale import StaleTags
from patchpilot.core.reroll.trailers import TrailerItem, still_chosen
from patchpilot.core.series.model import load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.messages import RewriteFailed, Rewritten
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import Confirm
from patchpilot.tui.widgets.editing import DraftKeeper

if TYPE_CHECKING:
    from textual import getters

    from patchpilot.tui.app import PatchpilotApp


class RerollRewrites(PilotScreen):
    """The rewrites of the reroll screen (see the module docstring)."""

    if TYPE_CHECKING:
        app = getters.app(PatchpilotApp)  # self.app with its attributes

    branch: str
    plan: RerollPlan | None = None
    busy: str | None = None
    per_patch = False
    undoable: rewrite.Rewrite | None = None
    note = Text("")
    keeper: DraftKeeper | None = None
    _draft = ""
    _after_write: Callable[[], object] | None = None

    def _chosen(self) -> list[TrailerItem]:
        raise NotImplementedError

    @property
    def stale_here(self) -> StaleTags | None:
        raise NotImplementedError

    def _start(self, what: str) -> None:
        raise NotImplementedError

    def reload_plan(self) -> None:
        raise NotImplementedError

    # -- rewrites: each confirmed, then one worker at a time ----------------------------

    def action_apply(self) -> None:
        chosen = self._chosen()
        if not chosen:
            return
        assert self.plan is not None  # something is chosen from it
        everything = range(1, len(self.plan.series.patches) + 1)
        commits = {n for item in chosen for n in (item.targets or everything)}
        ids = [item.id for item in chosen]
        self._ask(lambda: self._apply(ids),
                  f"Apply {len(chosen)} trailer(s) to {len(commits)} commit(s) of "
                  f"{self.shown_branch} through b4?", ", ".join(ids), "A backup ref is made first.")

    def _apply(self, ids: list[str]) -> None:
        repo, branch, config = self.app.repo, self.branch, self.app.config

        def run() -> tuple[str, list[str]]:
            plan = make_plan(repo, branch, config=config)
            chosen = still_chosen(plan.trailers, ids)
            result = apply_trailers(repo, plan.series, chosen)
            note = (f"applied {len(result.applied)} trailer(s), {result.rewritten} commit(s) "
                    f"rewritten; backup {result.backup} (u undoes)")
            return note, [f"b4 did not apply {t.line} ({t.how}): {result.why.get(t.id, '')}"
                          for t in result.not_applied]

        self._rewrite("applying the trailers", "trailers", run)

    def stale_or_say(self) -> StaleTags | None:
        """The highlighted patch's tags given before its code changed; else it is said."""
        tags = self.stale_here
        if tags is None:
            self.notify("the highlighted patch keeps no tag given before a change",
                        markup=False)
        return tags

    def action_drop_tags(self) -> None:
        tags = self.stale_or_say()
        if tags is None or self.plan is None:
            return
        repo, branch, config, patch = self.app.repo, self.branch, self.app.config, tags.patch

        def run() -> tuple[str, list[str]]:
            plan = make_plan(repo, branch, config=config)
            backup = stale.drop(repo, plan.series, plan.stale, [patch])
            return f"dropped the tags of patch {patch}; backup {backup} (u undoes)", []

        self._ask(lambda: self._rewrite("dropping the tags", "tags", run),
                  f"Drop from patch {patch} the tags given before its code changed?",
                  safe_text("; ".join(tags.trailers), 400), "A backup ref is made first.")

    def action_write(self) -> None:
        try:
            lines = edited_lines(self.query_one("#reroll-changelog", TextArea).text)
        except PatchpilotError as exc:
            self.notify(self.say(exc), severity="error", markup=False)
            self._after_write = None
            return
        assert self.plan is not None  # the key is off until the plan is loaded
        notes = self.plan.notes() if self.per_patch else {}
        also = (f" Each changed patch gets its own note below its --- line (patches "
                f"{', '.join(map(str, notes))})." if notes else "")
        self._ask(lambda: self._write(lines, notes=notes),
                  f"Write this {len(lines)}-line changelog into the "
                  f"v{self.plan.series.revision} cover of {self.shown_branch} (through b4)?{also}",
                  "A backup ref is made first.")

    def action_per_patch(self) -> None:
        self.per_patch = not self.per_patch
        self.notify("w also writes per-patch notes below each changed patch's ---"
                    if self.per_patch else "w writes the cover's changelog only", markup=False)

    def _confirm_force(self) -> None:
        lines = edited_lines(self.query_one("#reroll-changelog", TextArea).text)
        assert self.plan is not None  # a changelog write of this plan failed
        notes = self.plan.notes() if self.per_patch else {}
        self._ask(lambda: self._write(lines, force=True, notes=notes),
                  f"The Changes in v{self.plan.series.revision} block of the cover was "
                  "written by hand. Replace it with this changelog anyway?",
                  "The cover as it is now is kept under a backup ref.")

    def leave_editor(self) -> None:
        raise NotImplementedError

    def _write(self, lines: list[str], force: bool = False,
               notes: dict[int, list[str]] | None = None) -> None:
        repo, branch = self.app.repo, self.branch
        self.leave_editor()  # confirmed: the next key is a key, not changelog text

        def run() -> tuple[str, list[str]]:
            series = load_series(repo, branch)
            write_changelog(repo, series, lines, force=force, notes=notes)
            entry = rewrite.last_undoable(repo, branch)
            return (f"changelog written into the v{series.revision} cover; backup "
                    f"{entry.backup if entry else rewrite.BACKUP_PREFIX} (u undoes)"), []

        self._rewrite("writing the changelog", "changelog", run)

    def action_undo(self) -> None:
        entry = self.undoable
        if entry is None:
            return
        self._ask(lambda: self._undo(entry),
                  f"Undo the last rewrite of {self.shown_branch}, '{entry.what}'?",
                  f"The branch goes back to {entry.before[:12]}; its state now is kept under "
                  "a backup ref.")

    def _undo(self, entry: rewrite.Rewrite) -> None:
        repo, branch = self.app.repo, self.branch

        def run() -> tuple[str, list[str]]:
            last = rewrite.last_undoable(repo, branch)
            if last is None or last.backup != entry.backup:
                raise PatchpilotError("the last rewrite is not the one shown; nothing was "
                                      "undone", hint="look again (r reloads)")
            done = rewrite.undo(repo, branch)
            shown = safe_text(branch, 200)
            return f"{shown} is back at {done.before[:12]} (before '{done.what}')", []

        self._rewrite("undoing the last rewrite", "undo", run)

    def _ask(self, then: Callable[[], object], *paragraphs: str) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                then()
            else:
                self._after_write = None  # not written: stay

        self.app.push_screen(Confirm("\n".join(paragraphs)), confirmed)

    def _rewrite(self, doing: str, what: str, run: Callable[[], tuple[str, list[str]]]) -> None:
        if self.busy is not None:
            self.notify(f"wait: {self.busy}", markup=False)
            return
        self._start(doing)
        self.rewrite_worker(what, run)

    @work(thread=True, exit_on_error=False, group="reroll-repo")
    def rewrite_worker(self, what: str, run: Callable[[], tuple[str, list[str]]]) -> None:
        try:
            note, warnings = run()
            self.post_message(Rewritten(note, warnings, what))
        except PatchpilotError as exc:
            self.post_message(RewriteFailed(what, exc))

    def on_rewritten(self, message: Rewritten) -> None:
        self.note = Text(message.note, style="green")
        self.notify(message.note, markup=False)
        for warning in message.warnings:
            self.notify(safe_text(warning, 300), severity="warning", markup=False)
        if message.what == "changelog" and self.keeper is not None:
            # the editor keeps what was written; it is no longer unsaved
            self.keeper.stored_again(self.query_one("#reroll-changelog", TextArea).text)
        self._start("reloading")
        self.reload_plan()
        self.app.rewritten(self)
        then, self._after_write = self._after_write, None
        if then is not None and message.what == "changelog":
            then()

    def action_draft(self) -> None:
        if self.plan is not None:
            self.query_one("#reroll-changelog", TextArea).load_text(self._draft)
