"""The detail pane of a patch: commit message, files touched with line counts, and the diff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from patchpilot.core.series.patches import Patch
from patchpilot.core.text import safe_text
from patchpilot.tui.widgets.diffview import DiffView

if TYPE_CHECKING:
    from patchpilot.core.review.comments import Placed


def files_table(patch: Patch) -> Text:
    text = Text()
    for change in patch.changes:
        text.append(f"  {change.status:<9}", style="dim")
        text.append(safe_text(change.path))
        text.append(f"  +{change.added}", style="green")
        text.append(f" -{change.removed}\n", style="red")
    text.append(f"  {len(patch.changes)} files, +{patch.added} -{patch.removed}", style="bold")
    return text


class PatchDetail(VerticalScroll):
    """Everything about the selected patch, scrollable."""

    _shown: str | None = None  # the commit shown (scrolled to the top when it changes)
    _last: tuple[Patch | None, list[Placed] | None, bool] | None = None  # drawn last

    def compose(self) -> ComposeResult:
        yield Static(id="patch-message")
        yield Static(id="patch-files")
        yield DiffView(id="patch-diff")

    def show(self, patch: Patch | None, comments: list[Placed] | None = None,
             diffs: bool = True) -> None:
        """Show `patch`; `diffs` False: its diff is still being read (a light series). The
        same patch, comments and state as shown already: nothing to draw again (a table
        refill and its highlight event both ask, at start-up and on every reload)."""
        last = self._last
        if last is not None and patch is not None and last[0] is patch and \
                last[1] is comments and last[2] == diffs:
            return
        self._last = (patch, comments, diffs)  # held, so never mistaken for a new one
        message = self.query_one("#patch-message", Static)
        if patch is None:
            message.update(Text("No patches in this series yet: commit your work on the "
                                "branch (git commit -s); e writes the cover letter."))
            self.query_one("#patch-files", Static).update("")
            self.query_one(DiffView).show(None)
            return
        head = Text(f"{patch.commit[:12]}  {safe_text(patch.author)}  {patch.author_date}\n",
                    style="dim")
        head.append(safe_text(patch.subject) + "\n\n", style="bold")
        head.append(safe_text(patch.body))
        message.update(head)
        if not diffs:
            self.query_one("#patch-files", Static).update(Text("  reading the diff...",
                                                               style="dim"))
            self.query_one(DiffView).update("")
            return
        self.query_one("#patch-files", Static).update(files_table(patch))
        self.query_one(DiffView).show(patch, comments)
        if self._shown != patch.commit:
            self.scroll_home(animate=False)
        self._shown = patch.commit
