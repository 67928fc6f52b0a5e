"""Opening the review database file (review.sqlite3) so that it never costs the user a
traceback or their state:

- migrations run under SQLite's write lock (BEGIN IMMEDIATE), the version read again inside
  it, and each step is idempotent: two workers or processes opening a new database at once
  migrate it once (the second finds it done);
- a damaged file (not a database, truncated, corrupt pages, a schema that is not ours) is
  never used and never dropped: it is renamed aside (`review.sqlite3.damaged-<time>`), a fresh
  database is started, and `Opened.notice` says so in one line, on every open for as long as
  the damaged copy is there to look at;
- a read-only state directory still reads: an existing database opens read-only (migrated in
  memory when it is older), a missing one is an empty in-memory one; `Opened.readonly` says
  that writes cannot be kept.

Standard library only; no UI.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.errors import PatchpilotError

# Each entry upgrades the schema by one version; append only. Every statement may run on a
# database that has it already (a migration interrupted, or raced, is run again safely):
# CREATE ... IF NOT EXISTS, and an ADD COLUMN is skipped when the column exists.
MIGRATIONS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS messages (msgid TEXT PRIMARY KEY,
           read INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE IF NOT EXISTS comments (msgid TEXT NOT NULL, n INTEGER NOT NULL,
           patch_id TEXT, state TEXT NOT NULL DEFAULT 'open', revision INTEGER, note TEXT,
           PRIMARY KEY (msgid, n));""",
    """ALTER TABLE messages ADD COLUMN first_seen REAL;
       ALTER TABLE comments ADD COLUMN updated_at REAL;
       CREATE INDEX IF NOT EXISTS comments_patch ON comments (patch_id);""",
    """CREATE TABLE IF NOT EXISTS newer (change_id TEXT PRIMARY KEY, revisions TEXT NOT NULL,
           checked_at REAL NOT NULL);""",
    """CREATE TABLE IF NOT EXISTS answers (msgid TEXT NOT NULL, n INTEGER NOT NULL,
           answer_msgid TEXT NOT NULL, sent_at REAL NOT NULL, PRIMARY KEY (msgid, n));""",
)
# The columns each table has at the latest version (what the queries rely on).
SCHEMA = {"messages": {"msgid", "read", "first_seen"},
          "comments": {"msgid", "n", "patch_id", "state", "revision", "note", "updated_at"},
          "newer": {"change_id", "revisions", "checked_at"},
          "answers": {"msgid", "n", "answer_msgid", "sent_at"}}
DAMAGED = ".damaged-"
_ADD_COLUMN = re.compile(r"\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.I)
# primary result codes (sqlite3.h) that mean the file is not a sound database
_SQL_ERROR, _CORRUPT, _NOTADB, _READONLY, _CANTOPEN, _BUSY = 1, 11, 26, 8, 14, 5


class Damaged(Exception):
    """The file is not a sound review database (why)."""


@dataclass
class Opened:
    conn: sqlite3.Connection
    readonly: bool = False
    notice: str | None = None


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def open_database(path: Path) -> Opened:
    """Open (create, migrate) the review database at `path`; see the module docstring."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # a read-only place: _connect opens what is there read-only, or nothing
    found: str | None = None
    for _attempt in range(3):  # another process may set the same damaged file aside
        inode = _inode(path)
        try:
            opened = _connect(path)
        except Damaged as why:
            found = str(why)
            if _inode(path) != inode:  # someone else moved it aside meanwhile
                continue
            try:
                kept = set_aside(path)
            except OSError as exc:
                return Opened(_memory(), True, f"the review state {path} is damaged ({why}) "
                              f"and cannot be moved aside ({exc.strerror}): shown without it")
            found = f"{why}; kept as {kept.name}"
            continue
        opened.notice = _notice(path, found)
        return opened
    raise PatchpilotError(f"cannot open the review state {path}: {found}",
                          hint="another patchpilot may be repairing it; try again")


def _notice(path: Path, found: str | None) -> str | None:
    """One line about damaged copies kept next to `path`, if any."""
    kept = sorted(p.name for p in path.parent.glob(f"{path.name}{DAMAGED}*")
                  if not p.name.endswith(("-journal", "-wal", "-shm")))
    if found:
        return (f"the review state {path} was damaged ({found}): a fresh one was started, "
                "the damaged copy is kept to look at")
    if kept:
        return (f"a damaged review state is kept as {', '.join(kept)} next to {path} (a fresh "
                "one was started then): look at it, then delete it")
    return None


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def set_aside(path: Path) -> Path:
    """Rename a damaged database (and its journal files) to a new name; return it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}{DAMAGED}{stamp}")
    n = 1
    while kept.exists():
        kept, n = path.with_name(f"{path.name}{DAMAGED}{stamp}-{n}"), n + 1
    os.replace(path, kept)
    for suffix in ("-journal", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    return kept


def _memory() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    _migrate(conn)
    return conn


def _connect(path: Path) -> Opened:
    """Connect, check and migrate; Damaged when the file is not a sound review database."""
    if path.is_dir():
        raise Damaged("a directory, not a database file")
    try:
        conn = sqlite3.connect(path, timeout=10)
    except sqlite3.Error as exc:
        if _code(exc) == _CANTOPEN and not path.exists():  # a read-only directory
            return Opened(_memory(), readonly=True)
        raise _error(path, exc) from None
    try:
        return _prepare(path, conn)
    except BaseException:
        conn.close()
        raise


def _prepare(path: Path, conn: sqlite3.Connection) -> Opened:
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            raise Damaged(f"corrupt: {str(rows[0][0])[:80] if rows else 'no answer'}")
        version = _version(conn)
        if version > len(MIGRATIONS):
            raise PatchpilotError(f"{path} was written by a newer patchpilot "
                                  f"(schema {version})", hint="upgrade patchpilot")
        if version < 0:
            raise Damaged(f"schema version {version}")
        if version < len(MIGRATIONS):
            try:
                migrate(conn)
            except sqlite3.OperationalError as exc:
                if _code(exc) != _READONLY:
                    raise
                return Opened(_in_memory_copy(conn), readonly=True)
        check_schema(conn)
        return Opened(conn)
    except sqlite3.Error as exc:
        if _code(exc) in (_CORRUPT, _NOTADB):
            raise Damaged(str(exc)) from None
        raise _error(path, exc) from None


def _error(path: Path, exc: sqlite3.Error) -> PatchpilotError:
    if _code(exc) == _BUSY:
        return PatchpilotError(f"the review state {path} is locked by another patchpilot",
                               hint="let it finish, then try again")
    return PatchpilotError(f"cannot use the review state {path}: {exc}",
                           hint="check the disk and the permissions of .git/patchpilot")


def _version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _in_memory_copy(conn: sqlite3.Connection) -> sqlite3.Connection:
    """A migrated copy in memory of a database that cannot be written."""
    memory = sqlite3.connect(":memory:", check_same_thread=False)
    conn.backup(memory)
    conn.close()
    _migrate(memory)
    check_schema(memory)
    return memory


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date under the write lock, the version read inside it (so
    two at once migrate once)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        _migrate(conn)
        check_schema(conn)  # a file that is not ours is set aside as it was: rolled back
        conn.commit()
    except sqlite3.OperationalError as exc:
        conn.rollback()
        if _code(exc) == _SQL_ERROR:  # a migration that does not fit the tables found
            raise Damaged(f"not our schema: {exc}") from None
        raise
    except BaseException:
        conn.rollback()
        raise


def _migrate(conn: sqlite3.Connection) -> None:
    current = _version(conn)
    for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
        for statement in filter(str.strip, script.split(";")):
            add = _ADD_COLUMN.match(statement)
            if add and add.group(2) in _columns(conn, add.group(1)):
                continue
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def check_schema(conn: sqlite3.Connection) -> None:
    """Damaged unless every table has the columns the queries use."""
    for table, columns in SCHEMA.items():
        missing = columns - _columns(conn, table)
        if missing:
            raise Damaged(f"not our schema: {table} lacks {', '.join(sorted(missing))}")
