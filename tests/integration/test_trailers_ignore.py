"""Rejected trailers shared with b4 through `.git/b4-trailers-ignore.json`: a trailer
rejected in patchpilot is written in b4's format and real `b4 trailers -i` leaves it out; one
rejected in `b4 trailers -i` is shown as ignored by `patchpilot trailers`; accepting a rejected
one takes it off the list and applies it; --unreject makes it ready again.
"""

from __future__ import annotations

import email
import json

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.config import Config
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.replies import make_client
from tests.helpers import git
from tests.integration.test_replies import reply
from tests.integration.test_reroll import ok_json, sent_to_inbox
from tests.integration.test_send import run

REV1 = "Reviewed-by: Rev One <rev1@example.com>"
ACK = "Acked-by: Ack Two <ack2@example.com>"
TESTED = "Tested-by: Tester Three <tester3@example.com>"


def listed(tree) -> dict[str, dict]:
    return {t["trailer"]: t for t in ok_json(tree, "trailers")["trailers"]}


def test_rejections_agree_with_b4(kernel_tree, tmp_path):
    tree, repo = kernel_tree, GitRepo(kernel_tree)
    with sent_to_inbox(tree, tmp_path) as (inbox, by):
        msgids = {}
        for number, sender, text in (("1/3", "Rev One <rev1@example.com>", REV1),
                                     ("2/3", "Ack Two <ack2@example.com>", ACK),
                                     ("3/3", "Tester Three <tester3@example.com>", TESTED)):
            raw = reply(by[number], sender, f"Thanks.\n\n{text}\n")
            msgids[text] = email.message_from_bytes(raw)["Message-ID"].strip("<>")
            inbox.deliver(raw)
        assert run(tree, "replies", "--refresh")[0] == 0
    cover = email.message_from_bytes(by["0/3"])["Message-ID"].strip("<>")
    assert {t["status"] for t in listed(tree).values()} == {"ready"}

    code, _, err = run(tree, "trailers", "--reject", listed(tree)[REV1]["id"])
    assert code == 0 and "rejected: Reviewed-by: Rev One" in err, err
    ignore_file = repo.git_dir / "b4-trailers-ignore.json"
    assert json.loads(ignore_file.read_text()) == {
        "ignored": [{"trailer": REV1, "via": msgids[REV1]}]}  # b4's own format
    assert listed(tree)[REV1]["status"] == "ignored"

    # b4 trailers -i on the whole thread: it does not offer Reviewed-by (ours); the user
    # rejects Acked-by in b4's editor ('+' -> 'x'), b4 applies Tested-by only
    mbox = tree.parent / "thread.mbox"
    mbox.write_bytes(make_client(repo, Config(repo)).cached(cover).mbox)
    script = tree.parent / "reject-ack.sh"
    offered = tree.parent / "offered.txt"
    script.write_text(f"#!/bin/sh\ncp \"$1\" {offered}\n"
                      "sed -i 's/^  + Acked-by/  x Acked-by/' \"$1\"\n")
    script.chmod(0o755)
    result = b4cli.run(["--no-stdin", "--offline-mode", "trailers", "-i", "-m", str(mbox)],
                       cwd=tree, editor=str(script), check=False)
    assert result.returncode == 0, result.stderr
    assert f"  + {ACK}" in offered.read_text() and "Reviewed-by" not in offered.read_text()
    log = git(tree, "log", "--format=%B", "master..HEAD")
    assert TESTED in log and ACK not in log and REV1 not in log
    entries = json.loads(ignore_file.read_text())["ignored"]
    assert entries == [{"trailer": ACK, "via": msgids[ACK]},
                       {"trailer": REV1, "via": msgids[REV1]}]  # b4 kept ours
    shown = listed(tree)
    assert {k: v["status"] for k, v in shown.items()} == {
        REV1: "ignored", ACK: "ignored", TESTED: "applied"}
    assert "b4-trailers-ignore.json" in shown[ACK]["how"]

    code, _, err = run(tree, "trailers", "--apply", "--yes")
    assert code == 2 and "no trailer to apply" in err  # nothing ready: both were rejected
    applied = ok_json(tree, "trailers", "--apply", "--yes", "--accept", shown[ACK]["id"])
    assert [t["trailer"] for t in applied["applied"]] == [ACK]
    assert ACK in git(tree, "log", "--format=%B", "master..HEAD")
    assert json.loads(ignore_file.read_text())["ignored"] == [
        {"trailer": REV1, "via": msgids[REV1]}]

    code, _, err = run(tree, "trailers", "--unreject", shown[REV1]["id"])
    assert code == 0 and "no longer rejected" in err
    assert json.loads(ignore_file.read_text()) == {"ignored": []}
    assert listed(tree)[REV1]["status"] == "ready"
