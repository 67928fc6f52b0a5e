"""A syntax-highlighted view of a patch: per file a header with line counts, then its hunks.

Code is highlighted by the file's language (Rust, C, ...) with Pygments through Rich; added and
removed lines get their own background. All text is rendered as data (no markup).
"""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.widgets import Static

from patchpilot.core.patches import Patch
from patchpilot.core.text import safe_text

LEXERS = {".rs": "rust", ".c": "c", ".h": "c", ".py": "python", ".sh": "bash",
          ".rst": "rst", ".yaml": "yaml", ".S": "gas", "Makefile": "make", "Kconfig": "kconfig"}
LINE_STYLES = {"+": "on #12361f", "-": "on #3d1518", " ": ""}
MAX_LINES = 5000


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


def render_file(pfile, path: str) -> list[Text]:
    """Header and highlighted hunks of one file of a diff."""
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
    return out


def render_patch(patch: Patch) -> Group:
    rows: list[Text] = []
    for pfile, change in zip(patch.diff, patch.changes):
        rows.extend(render_file(pfile, change.path))
        rows.append(Text(""))
        if len(rows) > MAX_LINES:
            rows.append(Text("[diff cut here: too long to show]", style="italic"))
            break
    return Group(*rows)


class DiffView(Static):
    """Shows the diff of one patch."""

    def show(self, patch: Patch | None) -> None:
        self.update(render_patch(patch) if patch else Text("No patch selected."))
