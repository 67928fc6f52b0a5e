"""A syntax-highlighted view of a patch: per file a header with line counts, then its hunks.

Code is highlighted by the file's language (Rust, C, ...) with Pygments through Rich; added and
removed lines get their own background. All text is rendered as data (no markup).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.widgets import Static

from patchpilot.core.series.patches import Patch
from patchpilot.core.text import safe_text

if TYPE_CHECKING:
    from unidiff import PatchedFile

    from patchpilot.core.review.comments import Placed

LEXERS = {".rs": "rust", ".c": "c", ".h": "c", ".py": "python", ".sh": "bash",
          ".rst": "rst", ".yaml": "yaml", ".S": "gas", "Makefile": "make", "Kconfig": "kconfig"}
LINE_STYLES = {"+": "on #12361f", "-": "on #3d1518", " ": ""}
MAX_LINES = 5000
COMMENT_LINES = 12  # lines of a review comment shown in the diff


def lexer_for(path: str) -> str:
    """The Pygments lexer name for a file path ("text" when unknown)."""
    name = path.rsplit("/", 1)[-1]
    if name in LEXERS:
        return LEXERS[name]
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return LEXERS.get(suffix, "text")


def _highlight(lines: list[str], lexer: str) -> list[Text]:
    code = "\n".join(lines)
    text = Syntax(code, lexer, theme="ansi_dark").highlight(code)
    return text.split("\n", allow_blank=True)[: len(lines)]


def comment_rows(placed: Placed) -> list[Text]:
    """A review comment (core.review.comments.Placed: the model's Comment on a patch now) as
    rows under its line."""
    comment = placed.comment
    bar = Text("    \u258c ", style="yellow")
    head = bar + Text(safe_text(comment.reviewer, 120), style="bold")
    head.append(f"  [{comment.state}] v{comment.revision}"
                + ("" if placed.exact else "  (the patch changed since)"), style="dim")
    lines = safe_text(comment.text, 4000).splitlines()[:COMMENT_LINES] or [""]
    return [head] + [bar + Text(line) for line in lines]


def render_file(pfile: PatchedFile, path: str,
                notes: dict[int, list[Placed]] | None = None) -> list[Text]:
    """Header and highlighted hunks of one file of a diff; `notes` ({new line: review
    comments}) puts each comment under its line (and is emptied of what was placed)."""
    header = Text(f"{path}  +{pfile.added} -{pfile.removed}", style="bold reverse")
    out = [header]
    if pfile.is_binary_file:
        return out + [Text("  (binary file)", style="italic")]
    lexer = lexer_for(path)
    for hunk in pfile:
        out.append(Text(safe_text(f"@@ -{hunk.source_start},{hunk.source_length} "
                                  f"+{hunk.target_start},{hunk.target_length} @@ "
                                  f"{hunk.section_header}"), style="cyan"))
        lines = list(hunk)
        body = _highlight([safe_text(ln.value.rstrip("\n")) for ln in lines], lexer)
        for line, text in zip(lines, body):
            marker = line.line_type if line.line_type in LINE_STYLES else " "
            row = Text(marker, style="bold") + text
            row.stylize(LINE_STYLES[marker])
            out.append(row)
            if notes and marker != "-" and line.target_line_no in notes:
                for comment in notes.pop(line.target_line_no):
                    out.extend(comment_rows(comment))
    return out


def render_patch(patch: Patch, comments: list[Placed] | None = None) -> Group:
    """The patch's diff; review `comments` under the lines they are about, the others (no
    line, or a line not in this diff) first."""
    places: dict[str, dict[int, list[Placed]]] = {}
    for c in comments or []:
        if c.comment.file and c.comment.line:
            places.setdefault(c.comment.file, {}).setdefault(c.comment.line, []).append(c)
    rows: list[Text] = []
    for pfile, change in zip(patch.diff, patch.changes):
        rows.extend(render_file(pfile, change.path, places.get(change.path)))
        rows.append(Text(""))
        if len(rows) > MAX_LINES:
            rows.append(Text("[diff cut here: too long to show]", style="italic"))
            break
    unplaced = {id(c) for per_file in places.values() for cs in per_file.values() for c in cs}
    loose = [c for c in comments or [] if id(c) in unplaced
             or not (c.comment.file and c.comment.line)]
    if comments:
        still_open = sum(c.comment.is_open for c in comments)
        head = [Text(f"{len(comments)} review comment(s), {still_open} open", style="bold")]
        if loose:
            head.append(Text("  not on a line of this diff:", style="dim"))
            for comment in loose:
                head.extend(comment_rows(comment))
        rows = head + [Text("")] + rows
    return Group(*rows)


class DiffView(Static):
    """Shows the diff of one patch."""

    def show(self, patch: Patch | None, comments: list[Placed] | None = None) -> None:
        self.update(render_patch(patch, comments) if patch else Text("No patch selected."))
