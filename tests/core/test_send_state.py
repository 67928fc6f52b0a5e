"""State files of the send and of the checks, damaged in every shape, and a full disk.

The send log's summary is user state: when it is damaged it is kept aside under a new name,
reported in one line, and the log is rebuilt from the send journals (the truth). Journal lines
of the wrong shape are skipped. A checks-cache entry of the wrong shape is a miss, removed and
rebuilt. On a full disk (a real tmpfs, mounted: the tests run as root) nothing is left behind:
no temporary file, no empty file.
"""

from __future__ import annotations

import json

import pytest

from patchpilot.core.checks.cache import CheckCache
from patchpilot.core.checks.model import Finding
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.fs import write_atomic
from patchpilot.core.send.log import SendLog
from tests.faults import leftovers, small_disk

HEADER = {"event": "attempt", "id": "20260101T000000-1-abcd", "mode": "send", "revision": 1,
          "started": "2026-01-01T00:00:00+0000", "branch": "b4/x", "planned": 2,
          "overrides": [], "resumes": None}
MESSAGE = {"position": 0, "total": 1, "subject": "[PATCH 0/1] x", "b4_msgid": "<a@b>",
           "msgid": "<a@b>", "rcpt": ["l@example.org"], "to": [], "cc": [], "digest": "d",
           "patch_id": ""}

SHAPES = {
    "a list": b"[]", "a number": b"5", "null": b"null", "a string": b'"log"',
    "attempts a number": b'{"attempts": 5}', "an attempt a number": b'{"attempts": [5]}',
    "an id a number": b'{"attempts": [{"id": 1, "mode": "send", "revision": 1, '
                      b'"started": "x", "branch": "b4/x"}]}',
    "messages not objects": b'{"attempts": [{"id": "i", "mode": "send", "revision": 1, '
                            b'"started": "x", "branch": "b4/x", "messages": [1]}]}',
    "a message without a position": b'{"attempts": [{"id": "i", "mode": "send", '
                                    b'"revision": 1, "started": "x", "branch": "b4/x", '
                                    b'"messages": [{"status": "delivered"}]}]}',
    "a revision a string": b'{"attempts": [{"id": "i", "mode": "send", "revision": "1", '
                           b'"started": "x", "branch": "b4/x"}]}',
    "truncated": b'{"attempts": [{"id": "x"', "garbage": bytes(range(256)),
    "not UTF-8": b'\xff\xfe{"attempts": []}', "empty": b"",
}


def summary(git_dir):
    return git_dir / "patchpilot" / "sendlog" / "cid.json"


def with_journal(git_dir, *lines):
    path = git_dir / "patchpilot" / "sendlog" / "cid.d" / f"{HEADER['id']}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n"
                            for ln in lines))
    return path


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_damaged_send_log_is_kept_aside_reported_and_rebuilt(tmp_path, shape):
    path = summary(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(SHAPES[shape])
    with_journal(tmp_path, HEADER, {"event": "sending", **MESSAGE}, "",
                 {"event": "outcome", "position": 0, "status": "delivered"})
    log = SendLog(tmp_path, "cid", "b4/x")
    assert len(log.warnings) == 1 and "\n" not in log.warnings[0]
    assert "was damaged" in log.warnings[0] and "kept as" in log.warnings[0]
    kept = [p for p in path.parent.iterdir() if p.name.startswith("cid.json.damaged-")]
    assert len(kept) == 1 and kept[0].read_bytes() == SHAPES[shape]
    assert not path.exists()
    [attempt] = log.attempts  # rebuilt from the journal, which is the truth
    assert attempt.id == HEADER["id"] and attempt.status == "interrupted"
    assert [m["status"] for m in attempt.messages] == ["delivered"]
    assert log.pending(1) is attempt
    again = SendLog(tmp_path, "cid", "b4/x")  # nothing left to report
    assert again.warnings == [] and [a.id for a in again.attempts] == [HEADER["id"]]


def test_a_send_log_that_is_a_directory_is_kept_aside(tmp_path):
    path = summary(tmp_path)
    (path / "inside").mkdir(parents=True)
    log = SendLog(tmp_path, "cid", "b4/x")
    assert len(log.warnings) == 1 and "a directory" in log.warnings[0]
    assert [p.name for p in path.parent.glob("cid.json.damaged-*/inside")] == ["inside"]
    log.start("send", 1, 1, [])
    assert json.loads(path.read_text())["attempts"][0]["mode"] == "send"


def test_journal_lines_of_the_wrong_shape_are_skipped(tmp_path):
    with_journal(tmp_path, HEADER, "[1, 2]", '"x"', "5", "null",
                 {"event": "sending", **MESSAGE, "position": "0"},
                 {"event": "bogus", "position": 0},
                 {"event": "sending", **MESSAGE},
                 {"event": "outcome", "position": 9, "status": "delivered"},
                 '{"event": "outcome", "posi')
    [attempt] = SendLog(tmp_path, "cid", "b4/x").attempts
    assert [(m["position"], m["status"]) for m in attempt.messages] == [(0, "unconfirmed")]


def test_a_journal_directory_that_is_a_file_is_kept_aside(tmp_path):
    where = tmp_path / "patchpilot" / "sendlog" / "cid.d"
    where.parent.mkdir(parents=True)
    where.write_text("not a directory")
    log = SendLog(tmp_path, "cid", "b4/x")
    assert len(log.warnings) == 1 and "not a directory" in log.warnings[0]
    log.start("send", 1, 1, [])
    assert where.is_dir() and list(where.parent.glob("cid.d.damaged-*"))


def test_a_full_disk_leaves_nothing_behind_and_sends_nothing(tmp_path):
    from patchpilot.core.send import journal

    state = tmp_path / "patchpilot"
    with small_disk(state, room=16 * 1024) as disk:
        log = SendLog(tmp_path, "cid", "b4/x")
        disk.fill()
        with pytest.raises(PatchpilotError) as caught:
            log.start("send", 1, 1, [])
        assert "nothing was sent" in str(caught.value) and "No space left" in str(caught.value)
        assert log.attempts == [] and not leftovers(state), leftovers(state)
        with pytest.raises(OSError):
            write_atomic(state / "rewrites.json", "[]" * 10_000)
        assert not leftovers(state), leftovers(state)
        disk.free()
        attempt = log.start("send", 1, 1, [])
        path = log.journal(attempt)
        offset = journal.reserve(path, {"event": "sending", **MESSAGE})
        disk.fill()
        journal.settle(path, offset, {"event": "outcome", "position": 0,
                                      "status": "delivered"})  # no new space needed
        log.finish(attempt, "complete")  # its line has room; the summary does not
        assert any("could not be written" in w for w in log.warnings)
        assert not leftovers(state), leftovers(state)
        disk.free()
        [again] = SendLog(tmp_path, "cid", "b4/x").attempts
        assert again.status == "complete"
        assert [m["status"] for m in again.messages] == ["delivered"]


CACHE_SHAPES = {
    "a list": "[]", "a number": "5", "null": "null", "garbage": "\x00{{",
    "another format": '{"format": 99, "findings": []}',
    "findings a number": '{"format": 1, "findings": 5}',
    "a finding a string": '{"format": 1, "findings": ["x"]}',
    "a line a string": '{"format": 1, "findings": [{"tool": "t", "rule": "r", "severity": '
                       '"error", "file": null, "line": "3", "message": "m"}]}',
    "an unknown severity": '{"format": 1, "findings": [{"tool": "t", "rule": "r", '
                           '"severity": "fatal", "file": null, "line": 3, "message": "m"}]}',
    "a field missing": '{"format": 1, "findings": [{"tool": "t"}]}',
    "an unknown field": '{"format": 1, "findings": [{"tool": "t", "rule": "r", "severity": '
                        '"error", "file": null, "line": 3, "message": "m", "x": 1}]}',
}


@pytest.mark.parametrize("shape", list(CACHE_SHAPES))
def test_a_damaged_checks_cache_entry_is_a_miss_and_is_rebuilt(tmp_path, shape):
    cache = CheckCache(tmp_path)
    key = "ab" + "0" * 62
    findings = [Finding("commit", "subject", "warning", None, 1, "too long")]
    cache.put(key, findings)
    path = next((tmp_path / "patchpilot" / "checks-cache").glob("*/*.json"))
    path.write_text(CACHE_SHAPES[shape])
    assert cache.get(key) is None
    assert not path.exists()  # removed: the next run rebuilds it
    cache.put(key, findings)
    assert cache.get(key) == findings


def test_a_checks_cache_entry_that_is_a_directory_is_a_miss(tmp_path):
    cache = CheckCache(tmp_path)
    key = "cd" + "1" * 62
    (tmp_path / "patchpilot" / "checks-cache" / "cd" / f"{'1' * 62}.json").mkdir(parents=True)
    assert cache.get(key) is None
    cache.put(key, [])
    assert cache.get(key) == []
