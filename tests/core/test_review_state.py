"""The review state files under damage, races and a read-only disk (issue 18, cases 11 and 12):
every kind of damaged review.sqlite3 is kept aside under a new name, reported in one line and
replaced by a fresh database; migrations run once when many open a new database at once; a
read-only state directory still shows the state; damaged lore cache entries are misses.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
import zlib
from pathlib import Path

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.db import MIGRATIONS, ReviewDB
from patchpilot.core.review.lore import LoreClient, ThreadData
from tests.helpers import read_only


def filled(path: Path) -> bytes:
    """A real review database with some state; its bytes."""
    db = ReviewDB(path)
    db.seen([f"m{i}@x" for i in range(50)])
    for i in range(50):
        db.set_state(f"m{i}@x", 1, "wontfix", note="because " * 20)
    db.close()
    return path.read_bytes()


def flip(data: bytes, offset: int, bit: int = 0) -> bytes:
    return data[:offset] + bytes([data[offset] ^ (1 << bit)]) + data[offset + 1:]


def foreign_schema(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE messages (id INTEGER, body TEXT);"
                       "CREATE TABLE comments (x TEXT);"
                       f"PRAGMA user_version = {version};")
    conn.close()


def damage(path: Path, kind: str) -> None:
    data = filled(path)
    page = int.from_bytes(data[16:18], "big")
    if kind == "truncated":
        path.write_bytes(data[:len(data) // 2 + 100])
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 40)
    elif kind == "text":
        path.write_text("not a database at all\n")
    elif kind == "bitflip-header":
        path.write_bytes(flip(data, 0))  # "SQLite format 3" magic
    elif kind == "bitflip-page":
        path.write_bytes(flip(data, page, 3))  # page 2's b-tree page type
    elif kind == "wrong-schema":
        path.unlink()
        foreign_schema(path, len(MIGRATIONS))
    elif kind == "wrong-schema-old":
        path.unlink()
        foreign_schema(path, 0)
    elif kind == "negative-version":
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = -3")
        conn.close()
    elif kind == "directory":
        path.unlink()
        (path / "inside").mkdir(parents=True)
    else:
        raise AssertionError(kind)


KINDS = ["truncated", "garbage", "text", "bitflip-header", "bitflip-page", "wrong-schema",
         "wrong-schema-old", "negative-version", "directory"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_review_db_is_kept_aside_and_replaced(tmp_path, kind):
    path = tmp_path / "review.sqlite3"
    damage(path, kind)
    before = path.read_bytes() if path.is_file() else None
    db = ReviewDB(path)
    assert db.notice and "damaged" in db.notice and "\n" not in db.notice
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("review.sqlite3.damaged-")]
    assert len(kept) == 1 and kept[0].name in db.notice
    if before is not None:
        assert kept[0].read_bytes() == before  # set aside as it was, never dropped
    else:
        assert (kept[0] / "inside").is_dir()
    db.set_state("new@x", 1, "addressed", revision=2)  # the fresh database works
    assert set(db.states(["new@x", "m1@x"])) == {("new@x", 1)}  # fresh: the old state is aside
    db.close()
    again = ReviewDB(path)  # the damaged copy is reported as long as it is there
    assert again.notice and kept[0].name in again.notice
    assert again.states(["new@x"])[("new@x", 1)].state == "addressed"
    again.close()


def test_a_sound_database_is_not_touched(tmp_path):
    path = tmp_path / "review.sqlite3"
    filled(path)
    db = ReviewDB(path)
    assert db.notice is None and not db.readonly
    assert db.states(["m3@x"])[("m3@x", 1)].state == "wontfix"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.sqlite3"]


def test_a_newer_schema_is_refused_not_set_aside(tmp_path):
    path = tmp_path / "review.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(PatchpilotError, match="newer patchpilot"):
        ReviewDB(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.sqlite3"]


def _open_at_once(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        db = ReviewDB(Path(path))
        db.set_state("m@x", 1, "wontfix")
        db.close()
        results.put("ok")
    except Exception as exc:  # noqa: BLE001  (reported to the parent)
        results.put(f"{type(exc).__name__}: {exc}")


def test_many_processes_create_the_database_at_once(tmp_path):
    """Two `patchpilot replies` at once used to fail 1 in 10 ("duplicate column name");
    here six processes open a new database together, thirty times over."""
    ctx = multiprocessing.get_context("fork")
    for round_ in range(30):
        path = tmp_path / f"r{round_}" / "review.sqlite3"
        barrier, results = ctx.Barrier(6), ctx.Queue()
        procs = [ctx.Process(target=_open_at_once, args=(str(path), barrier, results))
                 for _ in range(6)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        answers = [results.get(timeout=10) for _ in procs]
        assert answers == ["ok"] * 6, answers
        db = ReviewDB(path)
        assert db.version == len(MIGRATIONS) and db.notice is None
        db.close()


def test_many_threads_create_the_database_at_once(tmp_path):
    """The TUI's first start used to crash 2 of 3 times: its workers migrated together."""
    for round_ in range(30):
        path = tmp_path / f"t{round_}.sqlite3"
        barrier, errors = threading.Barrier(6), []

        def work(path=path, barrier=barrier, errors=errors):
            barrier.wait()
            try:
                ReviewDB(path).close()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []


def test_migrations_are_idempotent_on_a_half_migrated_file(tmp_path):
    """A migration interrupted after its ALTERs (or raced) is run again safely."""
    path = tmp_path / "r.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO comments (msgid, n, state) VALUES ('k@x', 1, 'replied')")
    conn.commit()
    conn.close()
    db = ReviewDB(path)
    assert db.version == len(MIGRATIONS) and db.notice is None
    assert db.states(["k@x"])[("k@x", 1)].state == "replied"


def test_a_read_only_state_dir_reads_and_refuses_writes_in_one_line(tmp_path):
    state = tmp_path / "patchpilot"
    filled(state / "review.sqlite3")
    old = state / "old.sqlite3"  # an older schema: migrated in memory, the file untouched
    conn = sqlite3.connect(old)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO comments (msgid, n, state) VALUES ('o@x', 2, 'replied')")
    conn.commit()
    conn.close()
    with read_only(state):
        db = ReviewDB(state / "review.sqlite3")
        assert db.states(["m2@x"])[("m2@x", 1)].state == "wontfix"
        db.seen(["new@x"])  # bookkeeping only: skipped
        db.set_newer("I1", [3])
        with pytest.raises(PatchpilotError, match="read-only") as err:
            db.set_state("m2@x", 1, "open")
        assert "\n" not in str(err.value)
        with pytest.raises(PatchpilotError, match="read-only"):
            db.mark_read(["m2@x"])
        db.close()
        migrated = ReviewDB(old)
        assert migrated.readonly and migrated.version == len(MIGRATIONS)
        assert migrated.states(["o@x"])[("o@x", 2)].state == "replied"
        migrated.close()
        missing = ReviewDB(state / "none.sqlite3")  # nothing yet: an empty state
        assert missing.readonly and missing.states(["m2@x"]) == {}
        missing.close()
    assert sqlite3.connect(old).execute("PRAGMA user_version").fetchone()[0] == 1


META = {"list": "[]", "number": "5", "null": "null", "string-time": '{"fetched_at": "abc"}',
        "bool-time": '{"fetched_at": true}', "nan-time": '{"fetched_at": NaN}',
        "server-time": '{"fetched_at": 1, "server_time": "noon"}',
        "complete": '{"fetched_at": 1, "complete": "yes"}', "not-json": "{",
        "binary": "\udcff\udcfe"}


@pytest.mark.parametrize("kind", sorted(META))
def test_damaged_lore_cache_metadata_is_a_miss(tmp_path, kind):
    client = LoreClient("http://127.0.0.1:9/x", tmp_path)
    client._store(ThreadData("c@x", b"From mboxrd@z Thu Jan  1 00:00:00 1970\n\n", 100.0))
    assert client.cached("c@x") is not None
    _, meta = client._paths("c@x")
    meta.write_bytes(META[kind].encode("utf-8", "surrogateescape"))
    assert client.cached("c@x") is None


@pytest.mark.parametrize("kind", ["garbage", "truncated", "empty", "directory"])
def test_damaged_lore_cache_data_is_a_miss(tmp_path, kind):
    client = LoreClient("http://127.0.0.1:9/x", tmp_path)
    mbox = b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: %d\n\nbody\n" % i
                    for i in range(2000))
    client._store(ThreadData("c@x", mbox, 100.0))
    data, _ = client._paths("c@x")
    packed = data.read_bytes()
    if kind == "directory":
        data.unlink()
        data.mkdir()
    else:
        data.write_bytes({"garbage": b"\x1f\x8bjunk", "empty": b"",
                          "truncated": packed[:len(packed) // 2]}[kind])
    assert client.cached("c@x") is None
    assert zlib.decompress(packed, 16 + zlib.MAX_WBITS) == mbox  # it was a real entry


def test_an_incomplete_thread_is_cached_as_incomplete(tmp_path):
    client = LoreClient("http://127.0.0.1:9/x", tmp_path)
    client._store(ThreadData("c@x", b"", 100.0, complete=False))
    assert client.cached("c@x").complete is False
    _, meta = client._paths("c@x")
    assert json.loads(meta.read_text())["complete"] is False
