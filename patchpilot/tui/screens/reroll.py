"""The reroll screen: the series against the revision as sent, patch by patch (its range-diff
beside), the trailers given on the list (ready, left for you, applied), the review comments
still open and those addressed, and the drafted changelog in an editor.

Keys apply the trailers, write the edited changelog into the cover and undo the last rewrite;
each rewrite asks first (Confirm) and runs in a thread worker, one at a time (the rewrite
journal must never see two). The checks re-run (from the cache where nothing changed) after
each load. The edited changelog is kept as a draft (widgets/editing) and leaving with it
unwritten asks first. Email text is untrusted: shown through safe_text as rich Text, never
as markup.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Header, Static, TextArea

from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git import rewrite
from patchpilot.core.reroll import stale
from patchpilot.core.reroll.changelog import (
    HandWritten,
)
from patchpilot.core.reroll.plan import RerollPlan, make_plan, recheck
from patchpilot.core.reroll.stale import StaleTags
from patchpilot.core.reroll.trailers import (
    LEFT,
    TrailerItem,
    choose,
)
from patchpilot.core.series.model import load_series
from patchpilot.tui.keys import FETCH, SCREEN_KEYS, bind
from patchpilot.tui.messages import PlanLoaded, Rechecked, RewriteFailed
from patchpilot.tui.screens import register
from patchpilot.tui.screens.rerollwrites import RerollRewrites
from patchpilot.tui.widgets.editing import DraftKeeper, offer_back
from patchpilot.tui.widgets.footer import KeyFooter
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
class RerollScreen(RerollRewrites):
    """Prepare the next revision of one series."""

    branch: str

    BINDINGS = [
        bind("t", "apply", "Apply trailers", "reroll.apply", "rewrite", 10),
        bind("w,ctrl+s", "write", "Write changelog", "reroll.write", "rewrite", 11),
        bind("u", "undo", "Undo rewrite", "reroll.undo", "rewrite", 13),
        bind("a", "accept", "Accept trailer", "reroll.accept", "mark", 12),
        bind("p", "per_patch", "Per-patch notes", "reroll.per_patch", "mark", 40),
        bind("D", "draft", "Draft again", "reroll.draft", "edit", 41, show=False),
        bind("K", "keep_tags", "Keep tags", "reroll.keep_tags", "mark", 42, show=False),
        bind("X", "drop_tags", "Drop tags", "reroll.drop_tags", "rewrite", 14, show=False),
        FETCH,
        *SCREEN_KEYS,
    ]
    PRIMARY = "#reroll-patches"

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
        self.check_round = 0  # a re-check's result counts only if no newer one started
        self.note = Text("")  # the outcome of the last action, under the summary
        self.checked = Text("")  # what the last re-check found
        self._draft = ""
        self.keeper: DraftKeeper | None = None
        self._after_write: Callable[[], object] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.shown_branch}: comparing with the revision as sent", id="reroll-info")
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
                yield Static("Changelog (w or ctrl+s writes it into the cover)",
                             id="reroll-changelog-title")
                yield TextArea(id="reroll-changelog", soft_wrap=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"{self.shown_branch}: reroll"
        self.query_one("#reroll-patches", DataTable).add_columns("Old → new", "Status", "Notes",
                                                                 "Subject")
        self.query_one("#reroll-trailers", DataTable).add_columns(
            "", "Id", "Trailer", "Given on → to", "Status", "How")
        self.keeper = DraftKeeper(self.query_one("#reroll-changelog", TextArea),
                                  self.app.repo.git_dir, "changelog", self.branch, "changelog")
        self._start("reading the sent revision and the review")
        self.load(recover=True)

    @property
    def busy_rewriting(self) -> bool:
        return self.busy is not None and self.busy != "reloading"

    def unsaved(self) -> DraftKeeper | None:
        return self.keeper if self.plan is not None else None

    def save_then(self, then: Callable[[], object]) -> None:
        self._after_write = then
        self.action_write()

    @on(TextArea.Changed, "#reroll-changelog")
    def _typed(self, _event: TextArea.Changed) -> None:
        if self.keeper is not None:
            self.keeper.changed()

    def action_escape(self) -> None:
        """Escape in the changelog editor leaves the editor; elsewhere it goes back."""
        if isinstance(self.focused, TextArea):
            self.leave_editor()
        else:
            self.action_back()

    def leave_editor(self) -> None:
        """The focus back on the patches (after Escape, and once ctrl+s / w is confirmed:
        a later key is a key again, never text in the changelog)."""
        self.query_one("#reroll-patches", DataTable).focus()

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self._fit_editor()

    def on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        self.call_after_refresh(self._fit_editor)

    def on_resize(self, event: events.Resize) -> None:
        super().on_resize(event)
        self._fit_editor()

    def _fit_editor(self) -> None:
        """Narrow (80x24): while the changelog has the focus, the panes above it make room,
        so the editor being typed in is always on the screen."""
        editing = isinstance(self.focused, TextArea) and self.has_class("-narrow")
        self.set_class(editing, "-editing")
        if self.plan is not None:
            for pane in ("#reroll-top", "#reroll-trailers", "#reroll-trailer"):
                self.query_one(pane).display = not editing

    # -- loading ------------------------------------------------------------------------

    def action_refresh(self, fetch: bool = False) -> None:
        self._start("fetching replies" if fetch else "reloading")
        self.load(fetch)

    def action_fetch(self) -> None:
        self.action_refresh(fetch=True)

    def reload_plan(self) -> None:
        self.load()

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
        for pane in ("#reroll-top", "#reroll-trailers", "#reroll-trailer", "#reroll-bottom"):
            self.query_one(pane).display = True
        self.plan, self.busy = message.plan, None
        self._fit_editor()
        self.undoable, self.moved = message.undoable, message.moved
        found = message.recovered
        if found and found.state == "abandoned":
            self.notify(f"an interrupted rewrite ({found.what}) was left alone: {found.note}; "
                        "the branch keeps its commits", severity="warning", markup=False)
        elif found:
            self.notify(f"an interrupted rewrite ({found.what}) was taken back",
                        severity="warning", markup=False)
        ids = {t.id for t in self.plan.trailers if t.status in LEFT}
        self.accepted &= ids
        self._fill_patches()
        self._fill_trailers()
        self.query_one("#reroll-comments", Static).update(describe_comments(self.plan))
        self._fill_changelog()
        self._changed()
        if self.plan.series.patches:  # a run for the branch as it was is not this one's
            self.action_recheck()  # from the cache for every patch that did not change

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
        editor, keeper = self.query_one("#reroll-changelog", TextArea), self.keeper
        assert keeper is not None  # made on mount
        draft = "\n".join(self.plan.changelog)
        first = keeper.saved is None
        if editor.text.strip() in ("", self._draft.strip()):
            editor.load_text(draft)
            kept = keeper.loaded(draft)
            if kept is not None and first:
                offer_back(self, keeper, kept, draft)
        else:  # the user's edits stay; unsaved against the new draft, unless just written
            if keeper.saved in (None, self._draft):
                keeper.saved = draft
            if draft != self._draft:
                self.notify("the drafted changelog changed; your edits are kept (D takes the "
                            "new draft)", markup=False)
        self._draft = draft

    def _show_info(self) -> None:
        text = Text(f"{self.shown_branch}", style="bold")
        if self.plan is not None:
            text.append(describe_plan(self.plan, len(self._chosen()), len(self.accepted),
                                      self.say))
        text.append(describe_state(self.undoable, self.moved, self.busy, self.checking,
                                   self.note))
        if self.checked.plain and not self.checking:
            text.append("\n").append(self.checked)
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
            else self.say(error)
        if message.what == "load" and self.plan is None:  # nothing to show but the reason
            for pane in ("#reroll-top", "#reroll-trailers", "#reroll-trailer", "#reroll-bottom"):
                self.query_one(pane).display = False
        else:
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

    @property
    def trailer(self) -> TrailerItem | None:
        row = self.query_one("#reroll-trailers", DataTable).cursor_row
        trailers = self.plan.trailers if self.plan else []
        return trailers[row] if 0 <= row < len(trailers) else None

    @property
    def stale_here(self) -> StaleTags | None:
        """The review tags given before its code changed, of the highlighted patch."""
        row = self.query_one("#reroll-patches", DataTable).cursor_row
        if self.plan is None or not 0 <= row < len(self.plan.changes):
            return None
        new = self.plan.changes[row].new
        return next((s for s in self.plan.stale if s.patch == new), None)

    def action_keep_tags(self) -> None:
        tags = self.stale_or_say()
        if tags is None or self.plan is None:
            return
        stale.keep(self.app.repo, self.plan.series, self.plan.stale, [tags.patch])
        self.note = Text(f"kept the tags of patch {tags.patch} for its code as it is now",
                         style="green")
        self._start("reloading")
        self.reload_plan()

    def _chosen(self) -> list[TrailerItem]:
        return choose(self.plan.trailers, sorted(self.accepted)) if self.plan else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot run now are greyed out (hidden: those of another pane)."""
        ready = self.plan is not None and self.busy is None
        item = self.trailer
        can = {"accept": ready and item is not None and item.status in LEFT,
               "apply": ready and bool(self._chosen()), "write": ready,
               "undo": ready and self.undoable is not None and not self.moved,
               "keep_tags": ready, "drop_tags": ready,
               "refresh": self.busy is None,
               "fetch": self.busy is None}
        if action == "open":
            return super().check_action(action, parameters)
        if can.get(action, True):
            return True
        return False if action == "accept" else None

    def action_accept(self) -> None:
        item = self.trailer
        if item is None or item.status not in LEFT:
            return
        self.accepted ^= {item.id}
        self._fill_trailers()
        self._changed()

    # -- checks --------------------------------------------------------------------------

    def action_recheck(self) -> None:
        self.checking = True
        self.check_round += 1
        self._changed()
        self.run_checks(self.check_round)

    @work(thread=True, exit_on_error=False, exclusive=True, group="reroll-checks")
    def run_checks(self, round_: int) -> None:
        try:
            repo = self.app.repo
            series = load_series(repo, self.branch)
            result = recheck(repo, series, self.app.config)
            if round_ == self.check_round:  # else the branch was read again meanwhile
                self.post_message(Rechecked(result))
        except PatchpilotError as exc:
            self.post_message(RewriteFailed("checks", exc))

    def on_rechecked(self, message: Rechecked) -> None:
        self.checking = False
        self.checked = describe_recheck(message.result)
        self._changed()
