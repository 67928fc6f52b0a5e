"""Review state in SQLite (standard library): one database per repository, under
.git/patchpilot/review.sqlite3.

Per comment (keyed by the reply's Message-ID and the comment's number, with the patch-id of
the patch it is about): open / addressed (in which revision) / wontfix (with a note) /
replied (with the Message-ID of the author's answer, when patchpilot sent it). Per message:
read or unread. Per change-id: the newer revisions last seen on the
list (so a view from the cache alone still knows them). The schema is versioned with PRAGMA
user_version and upgraded by MIGRATIONS, which only ever add: the user's data is never
dropped. No UI.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchpilot.core.errors import PatchpilotError

STATES = ("open", "addressed", "wontfix", "replied")
FILENAME = "review.sqlite3"

# Each entry upgrades the schema by one version; append only, never edit a shipped one.
MIGRATIONS: tuple[str, ...] = (
    """CREATE TABLE messages (msgid TEXT PRIMARY KEY, read INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE comments (msgid TEXT NOT NULL, n INTEGER NOT NULL, patch_id TEXT,
           state TEXT NOT NULL DEFAULT 'open', revision INTEGER, note TEXT,
           PRIMARY KEY (msgid, n));""",
    """ALTER TABLE messages ADD COLUMN first_seen REAL;
       ALTER TABLE comments ADD COLUMN updated_at REAL;
       CREATE INDEX comments_patch ON comments (patch_id);""",
    """CREATE TABLE newer (change_id TEXT PRIMARY KEY, revisions TEXT NOT NULL,
           checked_at REAL NOT NULL);""",
    """CREATE TABLE answers (msgid TEXT NOT NULL, n INTEGER NOT NULL,
           answer_msgid TEXT NOT NULL, sent_at REAL NOT NULL, PRIMARY KEY (msgid, n));""",
)


@dataclass(frozen=True)
class CommentState:
    state: str = "open"
    revision: int | None = None
    note: str | None = None


class ReviewDB:
    """The review state of one repository."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path, timeout=10)
        self.migrate()

    @classmethod
    def for_state_dir(cls, state_dir: Path) -> ReviewDB:
        return cls(state_dir / FILENAME)

    @property
    def version(self) -> int:
        version: int = self.conn.execute("PRAGMA user_version").fetchone()[0]
        return version

    def migrate(self) -> None:
        """Apply the migrations this database has not seen, each in one transaction."""
        current = self.version
        if current > len(MIGRATIONS):
            raise PatchpilotError(f"{self.path} was written by a newer patchpilot "
                                  f"(schema {current})", hint="upgrade patchpilot")
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.conn:
                for statement in filter(str.strip, script.split(";")):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        self.conn.close()

    # -- messages -------------------------------------------------------------------------
    def seen(self, msgids: list[str]) -> None:
        """Remember messages (unread) the first time they are seen."""
        with self.conn:
            self.conn.executemany(
                "INSERT OR IGNORE INTO messages (msgid, read, first_seen) VALUES (?, 0, ?)",
                [(m, time.time()) for m in msgids])

    def unread(self, msgids: list[str]) -> set[str]:
        """Which of `msgids` are unread (an unknown message is unread)."""
        read = {row[0] for row in self._in("SELECT msgid FROM messages WHERE read = 1 AND "
                                           "msgid IN ({})", msgids)}
        return set(msgids) - read

    def mark_read(self, msgids: list[str], read: bool = True) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT INTO messages (msgid, read, first_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (msgid) DO UPDATE SET read = excluded.read",
                [(m, int(read), time.time()) for m in msgids])

    # -- comments -------------------------------------------------------------------------
    def set_state(self, msgid: str, n: int, state: str, patch_id: str | None = None,
                  revision: int | None = None, note: str | None = None) -> None:
        """Set one comment's state; `addressed` takes a revision, `wontfix` a note."""
        if state not in STATES:
            raise PatchpilotError(f"unknown comment state {state!r}",
                                  hint=f"use one of {', '.join(STATES)}")
        with self.conn:
            self.conn.execute(
                "INSERT INTO comments (msgid, n, patch_id, state, revision, note, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (msgid, n) DO UPDATE SET "
                "state = excluded.state, revision = excluded.revision, note = excluded.note, "
                "updated_at = excluded.updated_at, "
                "patch_id = COALESCE(excluded.patch_id, comments.patch_id)",
                (msgid, n, patch_id, state, revision, note, time.time()))

    def states(self, msgids: list[str]) -> dict[tuple[str, int], CommentState]:
        """Known states of the comments of these messages; absent means open."""
        rows = self._in("SELECT msgid, n, state, revision, note FROM comments "
                        "WHERE msgid IN ({})", msgids)
        return {(m, n): CommentState(s, r, note) for m, n, s, r, note in rows}

    def set_answer(self, msgid: str, n: int, answer_msgid: str) -> None:
        """Remember the answer (its Message-ID) sent to comment `n` of `msgid`."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO answers (msgid, n, answer_msgid, sent_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (msgid, n) DO UPDATE SET answer_msgid = excluded.answer_msgid, "
                "sent_at = excluded.sent_at", (msgid, n, answer_msgid, time.time()))

    def answers(self, msgids: list[str]) -> dict[tuple[str, int], str]:
        """The Message-IDs of the answers sent to the comments of these messages."""
        rows = self._in("SELECT msgid, n, answer_msgid FROM answers WHERE msgid IN ({})",
                        msgids)
        return {(m, n): a for m, n, a in rows}

    # -- newer revisions on the list ------------------------------------------------------
    def set_newer(self, change_id: str, revisions: list[int]) -> None:
        """Remember what the last refresh found newer on the list for `change_id`."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO newer (change_id, revisions, checked_at) VALUES (?, ?, ?) "
                "ON CONFLICT (change_id) DO UPDATE SET revisions = excluded.revisions, "
                "checked_at = excluded.checked_at",
                (change_id, ",".join(str(r) for r in sorted(revisions)), time.time()))

    def newer(self, change_id: str) -> list[int]:
        """The newer revisions last found for `change_id` (empty when never checked)."""
        row = self.conn.execute("SELECT revisions FROM newer WHERE change_id = ?",
                                (change_id,)).fetchone()
        return [int(r) for r in row[0].split(",") if r.isdigit()] if row else []

    def _in(self, sql: str, values: list[str]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows += self.conn.execute(sql.format(marks), chunk).fetchall()
        return rows
