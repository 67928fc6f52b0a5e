"""Commit message rules B1-B8."""

from __future__ import annotations

from patchpilot.core.checks.commit_msg import (
    SEVERITY,
    check_commit_message,
    drop_checkpatch_duplicates,
    split_message,
)
from patchpilot.core.checks.model import Finding

AUTHOR = "Test Dev <dev@example.org>"
GOOD_BODY = ("Add a sample that prints a greeting, so that new contributors have a\n"
             "template to start from.\n\nSigned-off-by: Test Dev <dev@example.org>\n")


def rules(subject, body, author=AUTHOR, paths=()):
    return [(f.rule, f.line) for f in check_commit_message(subject, body, author, paths)]


def test_good_message_is_clean():
    assert rules("samples: rust: add a greeting sample", GOOD_BODY,
                 paths=["samples/rust/rust_hello.rs"]) == []
    for rule in SEVERITY.values():
        assert rule in ("error", "warning", "info")


def test_split_message_numbers_lines():
    msg = split_message("s: x", GOOD_BODY)
    assert msg.trailers == [(6, "Signed-off-by", "Test Dev <dev@example.org>")]
    assert msg.lines[msg.prose_end - 1] == ""
    assert split_message("s: x", "No trailers here.\n").trailers == []


def test_b1_sign_off():
    body = "Explain it.\n"
    assert rules("rust: add x", body) == [("B1", None)]
    other = "Explain it.\n\nSigned-off-by: Someone Else <else@example.org>\n"
    assert rules("rust: add x", other) == [("B1", None)]
    codev = ("Explain it.\n\nCo-developed-by: Pal <pal@example.org>\n"
             "Signed-off-by: Test Dev <dev@example.org>\n")
    assert rules("rust: add x", codev) == [("B1-codev", 5)]
    good = ("Explain it.\n\nCo-developed-by: Pal <pal@example.org>\n"
            "Signed-off-by: Pal <pal@example.org>\nSigned-off-by: Test Dev <dev@example.org>\n")
    assert rules("rust: add x", good) == []


def test_b2_subject():
    assert rules("add a thing", GOOD_BODY) == [("B2", 1)]
    assert rules("rust: sync: Add a lock.", GOOD_BODY) == [("B2-style", 1), ("B2-style", 1)]
    long = "rust: " + "word " * 15
    assert rules(long.strip(), GOOD_BODY) == [("B2", 1)]
    assert rules("rust: add x", GOOD_BODY, paths=["samples/rust/a.rs"]) == [("B2-style", 1)]
    found = check_commit_message("rust: Add a lock", GOOD_BODY, AUTHOR)
    assert found[0].fix == "rust: add a lock"


def test_b2_lower_case_summary_is_for_rust_patches_only():
    rs, c = ["drivers/net/phy/x.rs", "drivers/net/phy/Makefile"], ["arch/x86/mm/init.c"]
    assert rules("net: phy: Add the X driver", GOOD_BODY, paths=rs) == [("B2-style", 1)]
    assert rules("x86/mm: Fix the direct map", GOOD_BODY, paths=c) == []
    assert rules("x86/mm: Fix the direct map.", GOOD_BODY, paths=c) == [("B2-style", 1)]
    # Without a prefix the full stop and the length are still reported.
    long = "Add " + "word " * 16 + "done."
    assert rules(long, GOOD_BODY, paths=c) == [("B2", 1), ("B2-style", 1), ("B2", 1)]


def test_b3_imperative():
    body = "This patch adds a thing.\n\nSigned-off-by: Test Dev <dev@example.org>\n"
    assert rules("rust: adds a thing", body) == [("B3", 1), ("B3", 3)]


def test_b4_wrapping_and_empty_body():
    long = "word " * 17
    body = f"{long.strip()}\nSee https://example.org/{'x' * 80}\n    {'quoted ' * 12}\n\n" \
           "Signed-off-by: Test Dev <dev@example.org>\n"
    assert rules("rust: add x", body) == [("B4", 3)]
    assert rules("rust: add x", "Signed-off-by: Test Dev <dev@example.org>\n") == \
        [("B4-empty", None)]


def test_b5_fixes_and_commit_references():
    body = ("Since commit 0123456789ab (\"rust: add x\") it breaks; commit 01234567 and\n"
            "commit 0123456789abcdef broke it too.\n\n"
            "Fixes: 0123456789ab (\"rust: add x\")\nFixes: 01234567 rust: add y\n"
            "Signed-off-by: Test Dev <dev@example.org>\n")
    assert rules("rust: fix x", body) == [("B5", 7), ("B5-commit-ref", 3),
                                          ("B5-commit-ref", 4)]


def test_b6_b7_b8_trailers():
    body = ("Explain it.\n\nReported-by: R <r@example.org>\nSigned-off-by: Test Dev "
            "<dev@example.org>\nLink: not a url\nCc: Stable Team <stable@vger.kernel.org>\n"
            "Change-Id: I0123\nFrobbed-by: F <f@example.org>\n")
    assert rules("rust: fix x", body) == [("B6", 5), ("B6", 7), ("B7", 8), ("B8", 9),
                                          ("B8-tag", 10)]
    good = ("Explain it.\n\nReported-by: R <r@example.org>\n"
            "Closes: https://lore.kernel.org/r/123@example.org\nCc: stable@vger.kernel.org\n"
            "Signed-off-by: Test Dev <dev@example.org>\n")
    assert rules("rust: fix x", good) == []


def test_b8_version_history():
    body = "Explain it.\n\nChanges in v2:\n- reworded.\n\nSigned-off-by: Test Dev <dev@example.org>\n"
    assert rules("rust: fix x", body) == [("B8", 5)]


def test_drop_checkpatch_duplicates():
    ours = check_commit_message("rust: adds x", "Explain it.\n", AUTHOR)
    assert {f.rule for f in ours} == {"B1", "B3"}
    theirs = [Finding("checkpatch", "MISSING_SIGN_OFF", "error", None, None, "Missing")]
    assert [f.rule for f in drop_checkpatch_duplicates(ours, theirs)] == ["B3"]
    assert drop_checkpatch_duplicates(ours, []) == ours


def test_revert_subjects_are_standard():
    assert rules('Revert "rust: add x"', GOOD_BODY) == []
