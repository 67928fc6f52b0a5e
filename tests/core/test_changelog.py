"""The drafted changelog and where it goes in the cover (pure functions, no git)."""

from __future__ import annotations

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.reroll.changelog import draft, edited_lines, fill_cover
from patchpilot.core.review.model import Comment
from patchpilot.core.series.rangediff import PatchChange

COVER = """\
rust: phy: docs

Body.

---
Changes in v2:
- EDITME: describe what is new in this series revision.
- EDITME: use bulletpoints and terse descriptions.
- Link to v1: https://patch.msgid.link/20260101-x-v1-0-abc@example.org

"""


def changes() -> list[PatchChange]:
    return [
        PatchChange(1, 1, "rust: a", "unchanged", message="trailers",
                    trailers_added=["Reviewed-by: Rev One <rev1@example.com>"]),
        PatchChange(2, 2, "rust: b", "changed", files=["rust/kernel/b.rs"],
                    functions=["impl Foo"]),
        PatchChange(None, 3, "rust: c", "new"),
        PatchChange(3, None, "rust: old", "dropped"),
    ]


def addressed(msgid, reviewer, text, patch) -> Comment:
    return Comment(msgid, 1, "comment", text, reviewer=reviewer, revision=1, patch=patch,
                   state="addressed", addressed_in=2)


def test_draft_names_changes_comments_and_tags():
    two = addressed("a@x", '"Rev, Two" <rev2@example.com>', "Use pr_debug\nhere", 2)
    cover = addressed("b@x", "Maint <m@example.com>", "Split this " + "x" * 100, 0)
    lines = draft(changes(), [two, cover], {two.id: 2, cover.id: None})
    assert lines[0].startswith("- Addressed Maint's comment on the cover: \"Split this")
    assert lines[0].endswith('..."') and len(lines[0]) < 130
    assert "- rust: b (patch 2): changed rust/kernel/b.rs (impl Foo)" in lines
    assert '  - addresses Rev, Two\'s comment: "Use pr_debug here"' in lines
    assert "- New patch 3: rust: c" in lines and "- Dropped rust: old" in lines
    assert lines[-1] == "- Collected tags: Reviewed-by from Rev One"
    assert not any("rust: a" in line for line in lines)


def test_draft_of_nothing_says_so():
    assert draft([PatchChange(1, 1, "rust: a", "unchanged")], [], {}) == \
        ["- No changes to the patches"]


def test_fill_replaces_editme_then_own_draft_but_not_hand_written_text():
    first = fill_cover(COVER, 2, ["- one"], previous=None)
    assert "EDITME" not in first and "- one\n- Link to v1: https://patch.msgid.link/" in first
    assert first.startswith("rust: phy: docs\n\nBody.\n\n---\nChanges in v2:\n")
    second = fill_cover(first, 2, ["- two", "  - detail"], previous="- one")
    assert "- one" not in second and "- two\n  - detail\n- Link to v1:" in second
    with pytest.raises(PatchpilotError, match="written by hand"):
        fill_cover(second, 2, ["- three"], previous="- one")
    assert "- three" in fill_cover(second, 2, ["- three"], previous="- one", force=True)


def test_fill_without_a_changes_block_is_an_error():
    with pytest.raises(PatchpilotError, match="no \"Changes in v3:\" block"):
        fill_cover(COVER, 3, ["- x"], previous=None)


def test_note_below_dashes_replaces_its_own_revision_only():
    from patchpilot.core.series.notes import with_note
    from patchpilot.core.series.patches import parse_trailers, split_notes
    message = "rust: b\n\nBody.\n\nSigned-off-by: A <a@example.org>\n"
    once = with_note(message, 2, ["- one"])
    assert once == "rust: b\n\nBody.\n\nSigned-off-by: A <a@example.org>\n---\n" \
                   "Changes in v2:\n- one\n"
    assert [t.name for t in parse_trailers(once.partition("\n")[2])] == ["Signed-off-by"]
    again = with_note(once, 2, ["- two"])
    assert "- one" not in again and again.endswith("Changes in v2:\n- two\n")
    v3 = with_note(again, 3, ["- three"])
    notes = split_notes(v3.partition("\n")[2])[1]
    assert notes == "Changes in v2:\n- two\n\nChanges in v3:\n- three\n"


def test_changelog_lines_must_be_bullets():
    from patchpilot.core.reroll.changelog import HandWritten, check_lines
    check_lines(["- a", "  continued", "- b"])
    for bad in (["no bullet"], ["- a", ""], ["- a", "Signed-off-by: x"], []):
        with pytest.raises(PatchpilotError):
            check_lines(bad)
    assert issubclass(HandWritten, PatchpilotError)


def test_edited_changelog_lines_are_bullets():
    assert edited_lines("- one\n  more\n\n- two\n") == ["- one", "  more", "- two"]
    for text, error in (("", "is empty"), ("- one\nnot a bullet\n", "line 2 is not a bullet")):
        with pytest.raises(PatchpilotError, match=error):
            edited_lines(text)


def test_trailers_chosen_from_an_old_listing_must_still_be_there():
    from patchpilot.core.reroll.trailers import APPLIED, TrailerItem, still_chosen

    def item(ident: str, status: str = "ready") -> TrailerItem:
        return TrailerItem(ident, "Reviewed-by", "A <a@b.c>", "a@b.c", "<m@x>", 1, 1,
                           status=status)

    now = [item("t1"), item("t2"), item("t3", APPLIED)]
    assert [i.id for i in still_chosen(now, ["t1", "t2"])] == ["t1", "t2"]
    for stale in (["t1", "t9"], ["t3"]):  # gone from the plan, or applied since
        with pytest.raises(PatchpilotError, match="changed since they were shown"):
            still_chosen(now, stale)
