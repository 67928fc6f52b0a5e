"""Text for one check finding: its message, its hint (in the TUI's words), and the fix when
the checker knows it (rustfmt's formatted code) as a small diff against the lines it replaces.

The lines replaced come from the patch's own diff (the post-image lines `line`..`end_line`);
a line outside the diff is not guessed: the fix is then shown as the new text alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from rich.text import Text

from patchpilot.core.checks.model import Finding
from patchpilot.core.series.patches import Patch
from patchpilot.core.text import safe_text

MAX_FIX_LINES = 30


def post_image(patch: Patch, path: str, first: int, last: int) -> list[str] | None:
    """Lines `first`..`last` of `path` after the patch, when the diff holds all of them."""
    found: dict[int, str] = {}
    for pfile, change in zip(patch.diff, patch.changes):
        if change.path != path:
            continue
        for hunk in pfile:
            for line in hunk:
                if line.line_type != "-" and line.target_line_no is not None:
                    found[line.target_line_no] = line.value.rstrip("\n")
    wanted = range(first, last + 1)
    return [found[n] for n in wanted] if all(n in found for n in wanted) else None


def fix_diff(finding: Finding, patch: Patch | None) -> Text:
    """The fix as a diff (- the lines now, + the fix), or the fix text alone."""
    assert finding.fix is not None and finding.line is not None
    new = finding.fix.split("\n")
    old = post_image(patch, finding.file, finding.line, finding.end_line or finding.line) \
        if patch is not None and finding.file else None
    text = Text()
    if old is None:
        text.append(f"the fix for line {finding.line}:\n", style="dim")
        for line in new[:MAX_FIX_LINES]:
            text.append("+" + safe_text(line, 500) + "\n", style="green")
        return text
    where = f"{finding.file}:{finding.line}"
    text.append(f"the fix ({safe_text(where, 200)}):\n", style="dim")
    shown = 0
    for line in difflib.ndiff(old, new):
        if line.startswith("?") or shown >= MAX_FIX_LINES:
            continue
        style = "red" if line.startswith("-") else "green" if line.startswith("+") else "dim"
        text.append(line[0] + safe_text(line[2:], 500) + "\n", style=style)
        shown += 1
    return text


def describe_finding(finding: Finding, patch: Patch | None,
                     words: Callable[[str], str]) -> Text:
    """The whole message, the hint (`words` puts it in the TUI's words), the fix as a diff."""
    text = Text(safe_text(finding.message, 1000))
    if finding.hint:
        text.append("\nhint: " + words(safe_text(finding.hint, 1000)), style="dim")
    if finding.fix is not None and finding.line is not None:
        text.append("\n").append(fix_diff(finding, patch))
    return text
