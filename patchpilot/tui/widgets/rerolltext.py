"""Text for the reroll screen, built from core data: the patch and trailer rows, a patch's
range-diff, the comments, the summary, and the edited changelog read back into lines.
Email text (trailers, senders, comments) goes through safe_text into rich Text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text

from patchpilot.core.reroll.plan import Recheck, RerollPlan
from patchpilot.core.reroll.trailers import APPLIED, LEFT, READY, TrailerItem
from patchpilot.core.series.rangediff import PatchChange
from patchpilot.core.text import safe_text

if TYPE_CHECKING:
    from textual.widgets import DataTable

    from patchpilot.core.git import rewrite

STATUS_STYLE = {"unchanged": "green", "changed": "yellow", "new": "cyan", "dropped": "red",
                READY: "green", APPLIED: "dim", "sender-mismatch": "yellow",
                "patch-changed": "yellow", "nak": "bold red", "bot": "magenta",
                "no-patch": "yellow", "unsafe-text": "bold red", "ignored": "dim",
                "ignore-from": "dim"}


def change_row(change: PatchChange) -> tuple[str | Text, ...]:
    notes = ["reordered"] if change.reordered else []
    if change.message:
        notes.append("+trailers" if change.message == "trailers" else "reworded")
    return (f"{change.old or '-'} → {change.new or '-'}",
            Text(change.status, style=STATUS_STYLE.get(change.status, "")),
            ", ".join(notes), Text(safe_text(change.subject, 200)))


def describe_change(change: PatchChange, previous: int) -> Text:
    """What happened to one patch, then its range-diff (+/- lines are the changes)."""
    was = f"v{previous} patch {change.old}" if change.old else f"not in v{previous}"
    now = f"patch {change.new}" if change.new else "dropped"
    text = Text(f"{now} ({was}): {change.status}", style="bold")
    text.append("\n" + safe_text(change.subject, 300) + "\n", style="italic")
    for label, items in (("files", change.files), ("functions", change.functions),
                         ("trailers added", change.trailers_added)):
        if items:
            text.append(f"{label}: ", style="dim").append(safe_text(", ".join(items), 2000))
            text.append("\n")
    if not change.diff:
        return text.append("\nno range-diff: same code and message as sent", style="dim")
    text.append("\n")
    for line in safe_text(change.diff).splitlines():
        style = "bold cyan" if line.lstrip().startswith(("##", "@@")) else \
            "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        text.append(line + "\n", style=style)
    text.no_wrap = True  # a range-diff line wrapped reads as two lines of code
    return text


def trailer_row(item: TrailerItem, chosen: bool) -> tuple[str | Text, ...]:
    mark = "=" if item.status == APPLIED else "+" if chosen else " "
    where = "cover" if item.patch == 0 else f"{item.patch}"
    targets = ",".join(map(str, item.targets)) or "-"
    return (mark, item.id, Text(safe_text(item.line, 200)),
            f"v{item.revision} {where} → {targets}",
            Text(item.status, style=STATUS_STYLE.get(item.status, "")),
            Text(safe_text(item.how, 300)))


def describe_trailer(item: TrailerItem, chosen: bool) -> Text:
    """The highlighted trailer in full: who gave it, where, how it was matched."""
    where = f"the v{item.revision} cover" if item.patch == 0 else \
        f"v{item.revision} patch {item.patch}"
    text = Text(f"{item.id} ", style="bold").append(safe_text(item.line, 300))
    text.append(f" from {safe_text(item.sender, 200)} on {where}: ")
    text.append(safe_text(item.how, 500))
    if item.status in LEFT:
        text.append("  (a: " + ("do not apply" if chosen else "accept") + ")", style="yellow")
    return text


def describe_comments(plan: RerollPlan) -> Text:
    text = Text(f"Open comments ({len(plan.open_comments)})", style="bold")
    for c in plan.open_comments:
        where = "cover" if c.patch == 0 else f"patch {c.patch}"
        if c.file:
            where += f" {c.file}:{c.line}"
        text.append(f"\n[v{c.revision} {safe_text(where, 200)}] ", style="yellow")
        text.append(safe_text(c.reviewer, 100), style="bold")
        text.append(": " + " ".join(safe_text(c.text, 600).split()))
    text.append(f"\n\nAddressed ({len(plan.addressed)})", style="bold")
    for a in plan.addressed:
        where = "cover" if a.patch == 0 else f"patch {a.patch} → {plan.moved.get(a.id) or '-'}"
        text.append(f"\n[{where}] ", style="green")
        text.append(safe_text(a.reviewer, 100), style="bold")
        text.append(": " + " ".join(safe_text(a.text, 600).split()))
    return text


def describe_plan(plan: RerollPlan, to_apply: int, accepted: int,
                  words: Callable[[str], str] = str) -> Text:
    """The summary lines: the comparison, the trailers, the comments, the warnings."""
    count = {s: sum(c.status == s for c in plan.changes) for s in ("changed", "new", "dropped")}
    text = Text(f"  v{plan.series.revision} against v{plan.previous} as sent: "
                + ", ".join(f"{n} {s}" for s, n in count.items()))
    text.append(f"  ({safe_text(plan.tag, 200)})\n", style="dim")
    left = sum(t.status in LEFT for t in plan.trailers)
    text.append(f"trailers: {len(plan.collected)} collected, {to_apply} to apply, "
                f"{left} left for you"
                + (f" ({accepted} accepted)" if accepted else "")
                + f", {sum(t.status == APPLIED for t in plan.trailers)} applied · "
                f"comments: {len(plan.open_comments)} open")
    if plan.open_comments:
        text.append(" (blocks sending)", style="yellow")
    text.append(f", {len(plan.addressed)} addressed")
    for tags in plan.stale:  # review tags given before the code changed: the user chooses
        text.append(f"\npatch {tags.patch} changed since v{tags.since} but keeps tags given "
                    f"before: {safe_text('; '.join(tags.trailers), 300)}",
                    style="dim" if tags.kept else "yellow")
        text.append(" (kept)" if tags.kept else " (on its row: K keeps them, X drops them)")
    for warning in plan.warnings:  # in the screen's words (keys, not commands)
        text.append("\n! " + words(safe_text(warning, 300)), style="yellow")
    return text


def describe_state(undoable: rewrite.Rewrite | None, moved: bool, busy: str | None, checking: bool,
                   note: Text) -> Text:
    """The screen's state under the summary: the last rewrite, the work under way, the
    outcome of the last action."""
    text = Text()
    if undoable is not None:
        text.append(f"\nlast rewrite: {undoable.what}; " + (
            "the branch moved since" if moved else "u undoes it"), style="dim")
    if busy:
        text.append(f"\n{busy}...", style="cyan")
    if checking:
        text.append("\nchecking the series...", style="cyan")
    if note.plain:
        text.append("\n").append(note)
    return text


def describe_recheck(done: Recheck) -> Text:
    summary = done.report.summary()
    counts = ", ".join(f"{summary.get(k, 0)} {k}" for k in ("error", "warning", "info"))
    return Text(f"checks: reused for patches {done.reused or '-'}, re-run for "
                f"{done.rerun or '-'}; {counts} (c shows them)")


def refill(table: DataTable[Any], rows: list[tuple[str | Text, ...]]) -> None:
    """Replace the rows of a DataTable, its cursor staying where it was."""
    row = table.cursor_row
    table.clear()
    for cells in rows:
        table.add_row(*cells)
    table.move_cursor(row=min(row, max(len(rows) - 1, 0)))
