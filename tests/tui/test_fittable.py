"""Columns give way by priority (widgets/fittable.layout): the subject is the last to go and
takes the width left, a column that yields goes before the subject is cut, an empty column
takes no width; and a wrapped diff line is marked (widgets/wrapped)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from patchpilot.tui.widgets.fittable import Col, layout
from patchpilot.tui.widgets.wrapped import MARKER, MarkedRows

COLS = [Col("n", "#", 1), Col("commit", "Commit", 4, cap=12, yields=True),
        Col("lines", "+/-", 3), Col("comments", "Comments", 2, cap=14),
        Col("subject", "Subject", 0, cap=200, flex=True, least=16)]
SUBJECT = "samples: rust: add the sample that shows the allocation API"
ROWS = [["1/2", "0123456789ab", "+38 -0", "", SUBJECT], ["2/2", "ba9876543210", "+1 -0", "",
                                                         "block: rnull: add a note"]]


def test_wide_everything_shows_and_the_subject_is_whole():
    widths = layout(COLS, ROWS, 160)
    assert widths == {"n": 3, "commit": 12, "lines": 6, "subject": len(SUBJECT)}
    assert "comments" not in widths  # empty: no width at all


def test_narrow_the_commit_yields_before_the_subject_is_cut():
    widths = layout(COLS, ROWS, 80)
    assert "commit" not in widths and widths["subject"] == len(SUBJECT)


def test_very_narrow_the_subject_stays_last():
    widths = layout(COLS, ROWS, 30)
    assert list(widths) == ["n", "subject"] or list(widths) == ["n", "lines", "subject"]
    assert widths["subject"] >= 16
    assert list(layout(COLS, ROWS, 5)) == ["subject"]


def test_a_filled_column_appears():
    rows = [r[:3] + ["2, 1 open"] + r[4:] for r in ROWS]
    assert layout(COLS, rows, 160)["comments"] == len("2, 1 open")


def test_wrapped_lines_are_marked():
    console = Console(width=20, color_system=None, record=True)
    rows = MarkedRows([Text("+" + "x" * 45), Text(" short")])
    console.print(rows)
    lines = console.export_text().splitlines()
    assert lines[0] == "+" + "x" * 19
    assert lines[1].startswith(MARKER) and lines[2].startswith(MARKER)
    assert lines[3] == " short"
    assert rows.line_of(1) == 3  # where the second row began
