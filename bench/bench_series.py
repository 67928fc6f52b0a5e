"""`patchpilot series --json` against `b4 prep --show-info` on a 20-patch b4 series, on the
one-commit and the deep-history tree.

Both read the same series (base, revision, change-id, commits); patchpilot also parses every
diff and computes patch-ids. Whole processes, medians. Prints the rows.
"""

from __future__ import annotations

from pathlib import Path

from common import Row, b4, patchpilot, scratch, series_trees, table, timed_both


def rows() -> list[Row]:
    with scratch() as tmp:
        trees = series_trees(Path(tmp))
        ours = timed_both(trees, patchpilot("series", "--json"))
        theirs = timed_both(trees, b4("prep", "--show-info"))
    return [Row("series --json", ours, theirs),
            Row("b4 prep --show-info", theirs, growth_target=None)]


if __name__ == "__main__":
    print(table(rows()))
