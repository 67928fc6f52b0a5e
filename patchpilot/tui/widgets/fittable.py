"""A table whose columns give way by priority: designed for 80 columns, growing with the width.

Each column has a priority (0 is the last to go: the subject), a width cap, and may be the
flexible one (it gets the width left, the subject) or wrap its text onto more lines (the
pre-flight's fix). An empty column is not shown at all until a cell has something, so an
empty Comments column does not keep its width. The layout is redone when the table is
resized or its rows change; cut text ends in "…".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.widgets import DataTable

PAD = 2  # DataTable's cell padding, one column each side


@dataclass(frozen=True)
class Col:
    """One column: `priority` 0 stays longest; `flex` takes the width left; `wrap` wraps;
    `yields`: rather hidden than the flexible column cut (a commit id, a change-id)."""

    key: str
    label: str
    priority: int
    cap: int = 80
    flex: bool = False
    wrap: bool = False
    least: int = 6  # a flexible or wrapping column is never narrower than this
    yields: bool = False


Cell = str | Text


def cell_width(cell: Cell) -> int:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return max((len(line) for line in text.splitlines()), default=0)


def layout(cols: Sequence[Col], rows: Sequence[Sequence[Cell]], width: int) -> dict[str, int]:
    """{column key: width} of the columns shown at `width` (see the module docstring)."""
    natural = {}
    for i, col in enumerate(cols):
        content = max((cell_width(r[i]) for r in rows if i < len(r)), default=0)
        if content:
            natural[col.key] = min(max(content, len(col.label)), col.cap)
    shown = sorted((c for c in cols if c.key in natural), key=lambda c: c.priority)

    def need(columns: list[Col]) -> int:
        return sum(min(natural[c.key], c.least) if c.flex or c.wrap else natural[c.key]
                   for c in columns) + PAD * len(columns)

    while len(shown) > 1 and need(shown) > width:
        shown.pop()
    widths = _shrink(shown, natural, width)
    while True:  # a column that yields goes before the flexible one is cut
        cut = any(widths[c.key] < natural[c.key] for c in shown if c.flex)
        yielding = [c for c in shown if c.yields]
        if not cut or not yielding:
            break
        shown.remove(yielding[-1])
        widths = _shrink(shown, natural, width)
    return {c.key: widths[c.key] for c in cols if c.key in widths}


def _shrink(shown: list[Col], natural: dict[str, int], width: int) -> dict[str, int]:
    """Natural widths, the flexible and wrapping columns cut to what is left."""
    widths = {c.key: natural[c.key] for c in shown}
    spare = width - sum(widths.values()) - PAD * len(shown)
    for col in (c for c in shown if c.flex or c.wrap):
        if spare < 0:
            cut = min(-spare, widths[col.key] - min(col.least, widths[col.key]))
            widths[col.key] -= cut
            spare += cut
    return widths


def fit_cell(cell: Cell, width: int, wrap: bool, console: Any) -> Text:
    """The cell cut to `width` with "…", or wrapped onto lines of that width."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    if wrap:
        lines = text.wrap(console, width)
        return Text("\n").join(lines)
    text.truncate(width, overflow="ellipsis")
    return text


class FitTable(DataTable[Any]):
    """A DataTable laid out by column priority (see the module docstring)."""

    def __init__(self, columns: Sequence[Col], **kwargs: Any):
        kwargs.setdefault("cursor_type", "row")
        super().__init__(**kwargs)
        self.cols = list(columns)
        self.data: list[list[Cell]] = []
        self.keys: list[str | None] = []
        self.widths: dict[str, int] = {}
        self._laid_for = (-1, -1)

    def set_rows(self, rows: Sequence[Sequence[Cell]], keys: Sequence[str | None] | None = None,
                 ) -> None:
        """Replace every row (the cursor stays on the same row number)."""
        self.data = [list(r) for r in rows]
        self.keys = list(keys) if keys is not None else [None] * len(rows)
        self._relayout(force=True)

    def set_cell(self, row_key: str, col_key: str, value: Cell) -> None:
        """Change one cell (a column that was empty may appear)."""
        index = self.keys.index(row_key) if row_key in self.keys else None
        col = next((i for i, c in enumerate(self.cols) if c.key == col_key), None)
        if index is None or col is None:
            return
        self.data[index][col] = value
        column = self.cols[col]
        if column.key in self.widths and not column.wrap and \
                layout(self.cols, self.data, self._laid_for[0]) == self.widths:
            # the same widths: change the one cell (a status arriving per patch redraws
            # nothing else)
            self.update_cell(row_key, col_key, fit_cell(value, self.widths[column.key],
                                                        False, self.app.console))
            return
        self._relayout(force=True)

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def _relayout(self, force: bool = False) -> None:
        # room for a vertical scrollbar when the rows will not fit (no horizontal scrolling)
        rows = len(self.data) + 1  # and the header
        scrolls = self.size.height and rows > self.size.height or any(c.wrap for c in self.cols)
        bar = self.styles.scrollbar_size_vertical if scrolls else 0
        width = (self.size.width or self.app.size.width) - bar
        if not force and (width, self.size.height) == self._laid_for:
            return
        self._laid_for = (width, self.size.height)
        widths = layout(self.cols, self.data, width)
        row = self.cursor_row
        self.widths = widths
        self.clear(columns=True)
        shown = [(i, c) for i, c in enumerate(self.cols) if c.key in widths]
        for _, col in shown:
            self.add_column(col.label, width=widths[col.key], key=col.key)
        wraps = any(c.wrap for _, c in shown)
        for cells, key in zip(self.data, self.keys):
            self.add_row(*[fit_cell(cells[i] if i < len(cells) else "", widths[c.key], c.wrap,
                                    self.app.console) for i, c in shown],
                         key=key, height=None if wraps else 1)
        if self.data:
            self.move_cursor(row=min(max(row, 0), len(self.data) - 1))
