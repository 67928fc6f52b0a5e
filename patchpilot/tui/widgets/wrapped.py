"""Rows of text (a diff) wrapped to the width they are drawn at, each wrapped part marked.

A diff line too long for the pane goes on over more lines; those continuation lines start with
MARKER, so a wrapped line never reads as two lines of code. `offsets` records, at each
render, the first screen line of every row (a view scrolls to a row with it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

MARKER = "↪"


class MarkedRows:
    """A renderable of rows; wrapped parts begin with MARKER (see the module docstring)."""

    def __init__(self, rows: Sequence[Text]):
        self.rows = list(rows)
        self.offsets: list[int] = []

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.offsets = []
        line = 0
        for row in self.rows:
            self.offsets.append(line)
            for part in wrap_row(row, options.max_width, console):
                line += 1
                yield part

    def line_of(self, row: int) -> int | None:
        """The screen line row `row` began at, the last time it was drawn."""
        return self.offsets[row] if 0 <= row < len(self.offsets) else None


def wrap_row(row: Text, width: int, console: Console) -> Iterator[Text]:
    """`row` as lines of at most `width` cells; parts after the first start with MARKER."""
    row = row.copy()
    row.no_wrap, row.end = True, "\n"
    if width <= 2 or row.cell_len <= width:
        yield row
        return
    head = row[:width]
    yield head
    rest = row[width:]
    while rest.cell_len:
        part = Text(MARKER, style="dim") + rest[: width - 1]
        part.no_wrap, part.end = True, "\n"
        yield part
        rest = rest[width - 1:]
