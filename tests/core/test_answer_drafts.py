"""Drafts of answers on disk: saved atomically, read back by a new store (a restart), an
edit interrupted by a crash taken back, a damaged draft kept and reported, names that never
come from a Message-ID."""

from __future__ import annotations

import json
import os
import time

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.review.answer import Answer
from patchpilot.core.review.answer_drafts import Draft, DraftStore, draft_key

HOSTILE = "../../etc/passwd;$(rm -rf ~)@evil"


def draft(key: str = "k1") -> Draft:
    answer = Answer("Test Dev <dev@example.org>", ["Rev <rev@example.com>"], ["l@example.org"],
                    "Re: [PATCH] x", "r@example.com", ["r@example.com"], "m@example.org",
                    "On x, Rev wrote:\n> Why?\n\nBecause.\n")
    return Draft(key, "b4/x", "r@example.com", [1], 1, 1, None, "c@example.org", answer)


def test_saved_draft_survives_a_restart(tmp_path):
    store = DraftStore(tmp_path)
    store.save(draft())
    assert store.path("k1").parent == tmp_path / "patchpilot" / "drafts" / "replies"
    again = DraftStore(tmp_path).load("k1")
    assert again is not None and again.answer.body.endswith("Because.\n")
    assert again.answer.msgid == "m@example.org" and again.ids == ["r@example.com:1"]
    assert not list(store.dir.glob(".*.tmp"))  # written through write_atomic


def test_an_edit_a_crash_interrupted_is_taken_back(tmp_path):
    store = DraftStore(tmp_path)
    store.save(draft())
    edit = store.edit_path("k1")
    edit.write_text("On x, Rev wrote:\n> Why?\n\nBecause I said so.\n")
    later = time.time() + 5
    os.utime(edit, (later, later))
    found = store.load("k1")
    assert found is not None and found.answer.body.endswith("Because I said so.\n")
    assert found.edited and not edit.exists()
    assert DraftStore(tmp_path).load("k1").answer.body.endswith("so.\n")  # now in the draft


def test_stale_edit_file_is_not_taken(tmp_path):
    store = DraftStore(tmp_path)
    store.dir.mkdir(parents=True)
    store.edit_path("k1").write_text("old\n")
    earlier = time.time() - 60
    os.utime(store.edit_path("k1"), (earlier, earlier))
    store.save(draft())
    assert store.load("k1").answer.body.endswith("Because.\n")


def test_damaged_draft_is_kept_and_reported(tmp_path):
    store = DraftStore(tmp_path)
    store.save(draft())
    store.path("k1").write_text('{"key": "k1", "answer": ')
    with pytest.raises(PatchpilotError) as err:
        store.load("k1")
    (kept,) = store.dir.glob("k1.json.damaged-*")  # kept aside, as it was
    assert "was damaged (not JSON" in err.value.message and str(kept) in err.value.message
    assert kept.read_text() == '{"key": "k1", "answer": ' and not store.path("k1").exists()
    assert store.load("k1") is None and store.all() == []


def test_keys_never_come_from_the_message_id():
    key = draft_key(HOSTILE, [2, 1])
    assert key == draft_key(HOSTILE, [1, 2]) and key != draft_key(HOSTILE, [1])
    assert key.isalnum() and len(key) == 24


def test_draft_json_is_versioned(tmp_path):
    store = DraftStore(tmp_path)
    store.save(draft())
    data = json.loads(store.path("k1").read_text())
    assert data["version"] == 1 and data["answer"]["in_reply_to"] == "r@example.com"
