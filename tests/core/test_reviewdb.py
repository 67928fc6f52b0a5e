"""Review state in SQLite: states, unread marks, and migrations that keep the user's data."""

from __future__ import annotations

import sqlite3

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.db import MIGRATIONS, ReviewDB


def test_states_and_unread(tmp_path):
    db = ReviewDB(tmp_path / "r.sqlite3")
    db.seen(["a@x", "b@x"])
    db.mark_read(["a@x"])
    assert db.unread(["a@x", "b@x", "new@x"]) == {"b@x", "new@x"}
    db.set_state("a@x", 1, "addressed", patch_id="p1", revision=2)
    db.set_state("a@x", 2, "wontfix", note="intended")
    db.set_state("a@x", 1, "replied")
    states = db.states(["a@x"])
    assert states[("a@x", 1)].state == "replied" and states[("a@x", 2)].note == "intended"
    with pytest.raises(PatchpilotError):
        db.set_state("a@x", 1, "done")


def test_migration_from_v1_keeps_data(tmp_path):
    path = tmp_path / "r.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO comments (msgid, n, state, note) VALUES ('m@x', 3, 'wontfix', 'n')")
    conn.execute("INSERT INTO messages (msgid, read) VALUES ('m@x', 1)")
    conn.commit()
    conn.close()
    db = ReviewDB(path)
    assert db.version == len(MIGRATIONS)
    assert db.states(["m@x"])[("m@x", 3)].note == "n" and db.unread(["m@x"]) == set()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "r.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(PatchpilotError, match="newer patchpilot"):
        ReviewDB(path)
