"""The reroll screen: the series against the revision as sent, patch by patch (its range-diff
beside), the trailers given on the list (ready, left for you, applied), the review comments
still open and those addressed, and the drafted changelog in an editor.

Keys apply the trailers, write the edited changelog into the cover, re-run the checks and
undo the last rewrite; each rewrite asks first (Confirm) and runs in a thread worker, one at
a time (the rewrite journal must never see two). Email text is untrusted: shown through
safe_text as rich Text, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static, TextArea

from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git import rewrite
from patchpilot.core.reroll.changelog import (
    HandWritten,
    edited_lines,
    write_changelog,
)
from patchpilot.core.reroll.plan import RerollPlan, make_plan, recheck
from patchpilot.core.reroll.trailers import (
    LEFT,
    TrailerItem,
    apply_trailers,
    choose,
    still_chosen,
)
from patchpilot.core.review.replies import make_client
from patchpilot.core.series.model import load_series
from patchpilot.core.text import safe_text
from patchpilot.tui.messages import PlanLoaded, Rechecked, RewriteFailed, Rewritten
from patchpilot.tui.screens import register
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets.dialogs import Confirm
from patchpilot.tui.widgets.rerolltext import (
    change_row,
    describe_change,
    describe_comments,
    describe_plan,
    describe_recheck,
    describe_state,
    describe_trailer,
    refill,
    trailer_row,
)


@register("reroll", "Reroll", "the next revision: range-diff against the sent one, trailers, "
          "comments, changelog, re-check and undo")
class RerollScreen(PilotScreen):
    """Prepare the next revision of one series."""

    BINDINGS = [
        Binding("j", "cursor(1)", "Down", show=False, id="reroll.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="reroll.up"),
        Binding("tab", "app.focus_next", "Switch pane", id="reroll.focus"),
        Binding("a", "accept", "Accept trailer", id="reroll.accept"),
        Binding("t", "apply", "Apply trailers", id="reroll.apply"),
        Binding("w,ctrl+s", "write", "Write changelog", id="reroll.write"),
        Binding("d", "draft", "Draft again", show=False, id="reroll.draft"),
        Binding("p", "per_patch", "Per-patch notes", show=False, id="reroll.per_patch"),
        Binding("c", "recheck", "Re-check", id="reroll.recheck"),
        Binding("u", "undo", "Undo rewrite", id="reroll.undo"),
        Binding("r", "refresh", "Reload", id="reroll.refresh"),
        Binding("f", "refresh(True)", "Fetch replies", show=False, id="reroll.fetch"),
        Binding("escape", "leave_editor", "Leave editor", id="reroll.leave"),
        Binding("q", "app.pop_screen", "Back", id="reroll.back"),
    ]

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.plan: RerollPlan | None = None
        self.accepted: set[str] = set()
        self.undoable: rewrite.Rewrite | None = None
        self.moved = False
        self.per_patch = False  # w also writes per-patch notes below each changed patch's ---
        self.busy: str | None = None  # the repository work under way (one at a time)
        self.checking = False
        self.note = Text("")  # the outcome of the last action, under the summary
        self._draft = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.branch}: comparing with the revision as sent", id="reroll-info")
        with Horizontal(id="reroll-top"):
            yield DataTable(id="reroll-patches", cursor_type="row")
            with VerticalScroll(id="reroll-diff-box"):
                yield Static(id="reroll-diff")
        yield DataTable(id="reroll-trailers", cursor_type="row")
        yield Static(id="reroll-trailer")
        with Horizontal(id="reroll-bottom"):
            with VerticalScroll(id="reroll-comments-box"):
                yield Static(id="reroll-comments")
            with Vertical(id="reroll-changelog-box"):
                yield Static("Changelog (ctrl+s writes it into the cover)",
                             id="reroll-changelog-title")
                yield TextArea(id="reroll-changelog", soft_wrap=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.branch}: reroll"
        self.query_one("#reroll-patches", DataTable).add_columns("Old → new", "Status", "Notes",
                                                                 "Subject")
        self.query_one("#reroll-trailers", DataTable).add_columns(
            "", "Id", "Trailer", "Given on → to", "Status", "How")
        self._start("reading the sent revision and the review")
        self.load(recover=True)

    # -- loading ------------------------------------------------------------------------

    def action_refresh(self, fetch: bool = False) -> None:
        self._start("fetching replies" if fetch else "reloading")
        self.load(fetch)

    @work(thread=True, exit_on_error=False, group="reroll-repo")
    def load(self, fetch: bool = False, recover: bool = False) -> None:
        """The plan; on opening, first put back a rewrite that was killed halfway (as the
        CLI does; later loads leave that to the next rewrite, which recovers first)."""
        try:
            repo = self.app.repo
            recovered = b4state.recover(repo, self.branch) if recover else None
            plan = make_plan(repo, self.branch, refresh=fetch, config=self.app.config)
            undoable = rewrite.last_undoable(repo, self.branch)
            moved = undoable is not None and rewrite.moved_since(repo, undoable)
            self.post_message(PlanLoaded(plan, undoable, moved, recovered))
        except PatchpilotError as exc:
            self.post_message(RewriteFailed("load", exc))

    def on_plan_loaded(self, message: PlanLoaded) -> None:
        self.plan, self.busy = message.plan, None
        self.undoable, self.moved = message.undoable, message.moved
        if message.recovered:
            self.notify(f"an interrupted rewrite ({message.recovered.what}) was taken back",
                        severity="warning", markup=False)
        ids = {t.id for t in self.plan.trailers if t.status in LEFT}
        self.accepted &= ids
        self._fill_patches()
        self._fill_trailers()
        self.query_one("#reroll-comments", Static).update(describe_comments(self.plan))
        self._fill_changelog()
        self._changed()

    def _fill_patches(self) -> None:
        assert self.plan is not None  # filled once the plan is loaded
        refill(self.query_one("#reroll-patches", DataTable),
               [change_row(c) for c in self.plan.changes])
        self._show_diff()

    def _fill_trailers(self) -> None:
        assert self.plan is not None
        chosen = self._chosen()
        refill(self.query_one("#reroll-trailers", DataTable),
               [trailer_row(t, t in chosen) for t in self.plan.trailers])
        self._show_trailer()

    def _fill_changelog(self) -> None:
        """The new draft, unless the user edited the last one (then `d` takes the new one)."""
        assert self.plan is not None
        editor = self.query_one("#reroll-changelog", TextArea)
        draft = "\n".join(self.plan.changelog)
        if editor.text.strip() in ("", self._draft.strip()):
            editor.load_text(draft)
        elif draft != self._draft:
            self.notify("the drafted changelog changed; your edits are kept (d takes the new "
                        "draft)", markup=False)
        self._draft = draft

    def _show_info(self) -> None:
        text = Text(f"{self.branch}", style="bold")
        if self.plan is not None:
            text.append(describe_plan(self.plan, len(self._chosen()), len(self.accepted)))
        text.append(describe_state(self.undoable, self.moved, self.busy, self.checking,
                                   self.note))
        self.query_one("#reroll-info", Static).update(text)

    def _start(self, what: str) -> None:
        self.busy = what
        self._changed()

    def _changed(self) -> None:
        """The summary and the keys follow the state."""
        self._show_info()
        self.refresh_bindings()

    def on_rewrite_failed(self, message: RewriteFailed) -> None:
        if message.what == "checks":
            self.checking = False
        else:
            self.busy = None
        error = message.error
        forcible = message.what == "changelog" and isinstance(error, HandWritten)
        shown = f"{error.message} (edit it on the cover screen, or replace it)" if forcible \
            else str(error)
        self.notify(shown, severity="error", markup=False, timeout=10)
        self.note = Text(shown, style="red")
        self._changed()
        if forcible:
            self._confirm_force()

    # -- the patch and trailer tables ----------------------------------------------------

    @on(DataTable.RowHighlighted, "#reroll-patches")
    def _patch_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_diff()

    def _show_diff(self) -> None:
        row = self.query_one("#reroll-patches", DataTable).cursor_row
        if self.plan and 0 <= row < len(self.plan.changes):
            self.query_one("#reroll-diff", Static).update(
                describe_change(self.plan.changes[row], self.plan.previous))
            self.query_one("#reroll-diff-box").scroll_home(animate=False)

    @on(DataTable.RowHighlighted, "#reroll-trailers")
    def _trailer_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_trailer()
        self.refresh_bindings()

    def _show_trailer(self) -> None:
        item = self.trailer
        self.query_one("#reroll-trailer", Static).update(
            describe_trailer(item, item in self._chosen()) if item else Text(""))

    def action_cursor(self, step: int) -> None:
        focused = self.focused if isinstance(self.focused, DataTable) else \
            self.query_one("#reroll-patches", DataTable)
        focused.move_cursor(row=focused.cursor_row + step)

    def action_leave_editor(self) -> None:
        self.query_one("#reroll-patches", DataTable).focus()

    @property
    def trailer(self) -> TrailerItem | None:
        row = self.query_one("#reroll-trailers", DataTable).cursor_row
        trailers = self.plan.trailers if self.plan else []
        return trailers[row] if 0 <= row < len(trailers) else None

    def _chosen(self) -> list[TrailerItem]:
        return choose(self.plan.trailers, sorted(self.accepted)) if self.plan else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot run now are greyed out (hidden: those of another pane)."""
        ready = self.plan is not None and self.busy is None
        item = self.trailer
        can = {"leave_editor": isinstance(self.focused, TextArea),
               "accept": ready and item is not None and item.status in LEFT,
               "apply": ready and bool(self._chosen()), "write": ready,
               "undo": ready and self.undoable is not None, "refresh": self.busy is None,
               "recheck": self.plan is not None and not self.checking}
        if can.get(action, True):
            return True
        return False if action in ("leave_editor", "accept") else None

    def action_accept(self) -> None:
        item = self.trailer
        if item is None or item.status not in LEFT:
            return
        self.accepted ^= {item.id}
        self._fill_trailers()
        self._changed()

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
                  f"{self.branch} through b4?", ", ".join(ids), "A backup ref is made first.")

    def _apply(self, ids: list[str]) -> None:
        repo, branch, config = self.app.repo, self.branch, self.app.config

        def run() -> tuple[str, list[str]]:
            plan = make_plan(repo, branch, config=config)
            chosen = still_chosen(plan.trailers, ids)
            result = apply_trailers(repo, plan.series, chosen, make_client(repo, config),
                                    plan.covers)
            note = (f"applied {len(result.applied)} trailer(s), {result.rewritten} commit(s) "
                    f"rewritten; backup {result.backup} (u undoes)")
            return note, [f"b4 did not apply {t.line} ({t.how})" for t in result.not_applied]

        self._rewrite("applying the trailers", "trailers", run)

    def action_write(self) -> None:
        try:
            lines = edited_lines(self.query_one("#reroll-changelog", TextArea).text)
        except PatchpilotError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        assert self.plan is not None  # the key is off until the plan is loaded
        notes = self.plan.notes() if self.per_patch else {}
        also = (f" Each changed patch gets its own note below its --- line (patches "
                f"{', '.join(map(str, notes))})." if notes else "")
        self._ask(lambda: self._write(lines, notes=notes),
                  f"Write this {len(lines)}-line changelog into the "
                  f"v{self.plan.series.revision} cover of {self.branch} (through b4)?{also}",
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

    def _write(self, lines: list[str], force: bool = False,
               notes: dict[int, list[str]] | None = None) -> None:
        repo, branch = self.app.repo, self.branch

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
                  f"Undo the last rewrite of {self.branch}, '{entry.what}'?",
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
            return f"{branch} is back at {done.before[:12]} (before '{done.what}')", []

        self._rewrite("undoing the last rewrite", "undo", run)

    def _ask(self, then: Callable[[], object], *paragraphs: str) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                then()

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
            self.post_message(Rewritten(note, warnings))
        except PatchpilotError as exc:
            self.post_message(RewriteFailed(what, exc))

    def on_rewritten(self, message: Rewritten) -> None:
        self.note = Text(message.note, style="green")
        self.notify(message.note, markup=False)
        for warning in message.warnings:
            self.notify(safe_text(warning, 300), severity="warning", markup=False)
        self._start("reloading")
        self.load()

    def action_draft(self) -> None:
        if self.plan is not None:
            self.query_one("#reroll-changelog", TextArea).load_text(self._draft)

    # -- checks --------------------------------------------------------------------------

    def action_recheck(self) -> None:
        self.checking = True
        self._changed()
        self.run_checks()

    @work(thread=True, exit_on_error=False, exclusive=True, group="reroll-checks")
    def run_checks(self) -> None:
        try:
            repo = self.app.repo
            series = load_series(repo, self.branch)
            self.post_message(Rechecked(recheck(repo, series, self.app.config)))
        except PatchpilotError as exc:
            self.post_message(RewriteFailed("checks", exc))

    def on_rechecked(self, message: Rechecked) -> None:
        self.checking = False
        self.note = describe_recheck(message.result)
        self.notify(self.note.plain, markup=False)
        self._changed()
