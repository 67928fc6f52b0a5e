"""The three-way merge of a cover (core.series.covermerge) with real git merge-file: the
To:/Cc: block merged address by address, the text by git, conflicts marked with both sides."""

from __future__ import annotations

from patchpilot.core.series.covermerge import has_markers, merge

BASE = "subject\n\nBody one.\n\nCc: a@example.org\nCc: b@example.org\n"


def test_recipients_added_and_removed_on_either_side_both_count(tmp_path):
    mine = BASE.replace("Body one.", "Body two.").replace("Cc: a@example.org\n", "") \
        + "Cc: mine@example.org\n"
    theirs = BASE + "Cc: theirs@example.org\n"
    merged = merge(BASE, mine, theirs, tmp_path)
    assert merged.clean
    assert merged.text == ("subject\n\nBody two.\n\nCc: b@example.org\n"
                           "Cc: theirs@example.org\nCc: mine@example.org\n")


def test_same_line_changed_on_both_sides_is_marked_with_both(tmp_path):
    merged = merge(BASE, BASE.replace("one", "mine"), BASE.replace("one", "theirs"), tmp_path)
    assert not merged.clean and has_markers(merged.text)
    assert "Body mine." in merged.text and "Body theirs." in merged.text
    assert not has_markers(BASE + "=======\n")  # an underline is not a conflict
