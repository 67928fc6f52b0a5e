"""Map the lines of a `git format-patch` text to (file, new-file line).

Used to place what checkpatch.pl reports at a patch line. Pure text; no git, no UI.
"""

from __future__ import annotations

import re

_DIFF = re.compile(r"^diff --git a/(.*) b/(.*)$")
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

Place = tuple[str | None, int | None]


def patch_line_map(text: str) -> dict[int, Place]:
    """For every 1-based line of the patch: the file it belongs to (None in the commit
    message, diffstat and signature) and the new-file line (None outside hunks, and for
    removed lines)."""
    places: dict[int, Place] = {}
    file: str | None = None
    old_left = new_left = 0
    new_line = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if old_left > 0 or new_left > 0:
            places[number], old_left, new_left, new_line = _in_hunk(
                file, line, old_left, new_left, new_line)
            continue
        diff, hunk = _DIFF.match(line), _HUNK.match(line)
        if diff:
            file = diff.group(2)
        elif hunk and file is not None:
            old_left = int(hunk.group(1) or 1)
            new_line = int(hunk.group(2))
            new_left = int(hunk.group(3) or 1)
        elif line == "-- " or (line.startswith("+++ ") and file is None):
            file = None
        elif line.startswith("+++ b/"):
            file = line[6:]
        places[number] = (file, None)
    return places


def _in_hunk(file: str | None, line: str, old_left: int, new_left: int,
             new_line: int) -> tuple[Place, int, int, int]:
    """One line inside a hunk: its place and the counters after it."""
    if line.startswith("+"):
        return (file, new_line), old_left, new_left - 1, new_line + 1
    if line.startswith("-"):
        return (file, None), old_left - 1, new_left, new_line
    if line.startswith("\\"):
        return (file, new_line - 1 if new_line > 1 else None), old_left, new_left, new_line
    return (file, new_line), old_left - 1, new_left - 1, new_line + 1


def added_lines(text: str) -> dict[str, set[int]]:
    """The new-file line numbers each file of the patch adds, by path in the patched tree."""
    places = patch_line_map(text)
    added: dict[str, set[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        file, new_line = places[number]
        if line.startswith("+") and file is not None and new_line is not None:
            added.setdefault(file, set()).add(new_line)
    return added
