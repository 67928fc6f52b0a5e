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

    def compose(self) -> ComposeResult:
        yield Static(id="patch-message")
        yield Static(id="patch-files")
        yield DiffView(id="patch-diff")

    def show(self, patch: Patch | None, comments: list[Placed] | None = None) -> None:
        message = self.query_one("#patch-message", Static)
        if patch is None:
            message.update(Text("No patches in this series yet."))
            self.query_one("#patch-files", Static).update("")
            self.query_one(DiffView).show(None)
            return
        head = Text(f"{patch.commit[:12]}  {safe_text(patch.author)}  {patch.author_date}\n",
                    style="dim")
        head.append(safe_text(patch.subject) + "\n\n", style="bold")
        head.append(safe_text(patch.body))
        message.update(head)
        self.query_one("#patch-files", Static).update(files_table(patch))
        self.query_one(DiffView).show(patch, comments)
        self.scroll_home(animate=False)
