"""Patch lines to (file, new-file line)."""

from patchpilot.core.checks.patchmap import patch_line_map

PATCH = """\
From 1234 Mon Sep 17 00:00:00 2001
From: Test Dev <dev@example.org>
Subject: [PATCH] rust: x

Body with --- in it.
---
 rust/a.rs | 3 ++-
 1 file changed
diff --git a/rust/a.rs b/rust/a.rs
index 1..2 100644
--- a/rust/a.rs
+++ b/rust/a.rs
@@ -10,3 +10,4 @@ fn f() {
 ctx
--- removed line that looks like a header
+added
+-- looks like a signature
 ctx2
-- 
2.39.5
"""


def test_patch_line_map():
    places = patch_line_map(PATCH)
    assert places[3] == (None, None) and places[7] == (None, None)
    assert places[9] == ("rust/a.rs", None)
    assert places[14] == ("rust/a.rs", 10)
    assert places[15] == ("rust/a.rs", None)
    assert places[16] == ("rust/a.rs", 11)
    assert places[17] == ("rust/a.rs", 12)
    assert places[18] == ("rust/a.rs", 13)
    assert places[19] == (None, None) and places[20] == (None, None)


def test_added_lines():
    from patchpilot.core.checks.patchmap import added_lines
    assert added_lines(PATCH) == {"rust/a.rs": {11, 12}}
