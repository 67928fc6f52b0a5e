"""Review state in SQLite (standard library): one database per repository, under
.git/patchpilot/review.sqlite3.

Per comment (keyed by the reply's Message-ID and the comment's number, with the patch-id of the
patch it is about): open / addressed (in which revision) / wontfix (with a note) / replied
(with the Message-ID of the author's answer, when patchpilot sent it). Per message: read or
unread. Per change-id: the newer revisions last seen on the list (so a view from the cache
alone still knows them). The schema is versioned with PRAGMA user_version and upgraded by
MIGRATIONS, which only ever add: the user's data is never dropped. Opening the file (dbfile.py)
survives races, damage and a read-only state directory: `notice` is the one line to show the
user about it, `readonly` says that the state shown cannot be changed (changing it raises
PatchpilotError; remembering a message as seen, or what a refresh found newer, is skipped). Any
other SQLite failure is a PatchpilotError. No UI.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.dbfile import MIGRATIONS, open_database

__all__ = ["MIGRATIONS", "STATES", "FILENAME", "CommentState", "ReviewDB"]

STATES = ("open", "addressed", "wontfix", "replied")
FILENAME = "review.sqlite3"
_READONLY = 8  # SQLITE_READONLY


@dataclass(frozen=True)
class CommentState:
    state: str = "open"
    revision: int | None = None
    note: str | None = None


class ReviewDB:
    """The review state of one repository."""

    def __init__(self, path: Path):
        self.path = path
        opened = open_database(path)
        self.conn, self.readonly, self.notice = opened.conn, opened.readonly, opened.notice

    @classmethod
    def for_state_dir(cls, state_dir: Path) -> ReviewDB:
        return cls(state_dir / FILENAME)

    @property
    def version(self) -> int:
        version: int = self.conn.execute("PRAGMA user_version").fetchone()[0]
        return version

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _writing(self, needed: bool) -> Iterator[bool]:
        """A write transaction; yields False (and writes nothing) when the database is
        read-only and the write is bookkeeping (`needed` False), raises when it is not."""
        if self.readonly and not needed:
            yield False
            return
        if self.readonly:
            raise self._cannot_write()
        try:
            with self.conn:
                yield True
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != _READONLY:
                raise self._failed(exc) from None
            self.readonly = True
            if needed:
                raise self._cannot_write() from None
        except sqlite3.Error as exc:
            raise self._failed(exc) from None

    def _cannot_write(self) -> PatchpilotError:
        return PatchpilotError(f"cannot save review state: {self.path} is read-only",
                               hint="make .git/patchpilot writable, then try again")

    def _failed(self, exc: sqlite3.Error) -> PatchpilotError:
        return PatchpilotError(f"the review state {self.path} failed: {exc}",
                               hint="check the disk; a damaged file is set aside at the next "
                                    "start")

    # -- messages -------------------------------------------------------------------------
    def seen(self, msgids: list[str]) -> None:
        """Remember messages (unread) the first time they are seen."""
        with self._writing(needed=False) as ok:
            if ok:
                self.conn.executemany(
                    "INSERT OR IGNORE INTO messages (msgid, read, first_seen) VALUES (?, 0, ?)",
                    [(m, time.time()) for m in msgids])

    def unread(self, msgids: list[str]) -> set[str]:
        """Which of `msgids` are unread (an unknown message is unread)."""
        read = {row[0] for row in self._in("SELECT msgid FROM messages WHERE read = 1 AND "
                                           "msgid IN ({})", msgids)}
        return set(msgids) - read

    def mark_read(self, msgids: list[str], read: bool = True) -> None:
        with self._writing(needed=True):
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
        with self._writing(needed=True):
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
        with self._writing(needed=True):
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
        with self._writing(needed=False) as ok:
            if ok:
                self.conn.execute(
                    "INSERT INTO newer (change_id, revisions, checked_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (change_id) DO UPDATE SET revisions = excluded.revisions, "
                    "checked_at = excluded.checked_at",
                    (change_id, ",".join(str(r) for r in sorted(revisions)), time.time()))

    def newer(self, change_id: str) -> list[int]:
        """The newer revisions last found for `change_id` (empty when never checked)."""
        rows = self._query("SELECT revisions FROM newer WHERE change_id = ?", (change_id,))
        return [int(r) for r in str(rows[0][0]).split(",") if r.isdigit()] if rows else []

    def _in(self, sql: str, values: list[str]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows += self._query(sql.format(marks), chunk)
        return rows

    def _query(self, sql: str, values: list[str] | tuple[str, ...]) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql, values).fetchall()
        except sqlite3.Error as exc:
            raise self._failed(exc) from None
