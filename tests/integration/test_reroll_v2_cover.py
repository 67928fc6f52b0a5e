"""The journey's v2 against the real parts: v1 sent with real b4, a small patch amended, the
recipients written again after the reroll (b4 0.16's --auto-to-cc appends a second To:/Cc:
block below "Changes in v2"), the changelog drafted: the v2 cover holds only what the author
wrote, its trailers and the changelog, and the amended patch (same subject) is `changed`.
A cover with To:/Cc: lines in its text fails the pre-flight, whoever put them there. A
Reviewed-by on a patch whose code changed since is said, and kept or dropped per patch.
"""

from __future__ import annotations

import re

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send import preflight
from patchpilot.core.series.model import load_series
from tests.helpers import git
from tests.integration.test_replies import reply
from tests.integration.test_reroll import by_number, ok_json, send
from tests.integration.test_send import run, set_cover
from tests.integration.test_trailers_as_b4 import MINIMAL, series_with_blank_context
from tests.publicinbox import PublicInbox

RECIPIENT = re.compile(r"^(To|Cc): ", re.M)
REV1 = "Reviewed-by: Rev One <rev1@example.com>"
REV2 = "Reviewed-by: Rev Two <rev2@example.com>"


def amend_patch_2(tree) -> None:
    """Patch 2 (a one-line edit) edits another line instead: range-diff alone pairs it with
    nothing (too little of it stayed)."""
    text = git(tree, "show", f"master:{MINIMAL}").replace(
        "struct RustMinimal {", "/// The numbers it keeps.\nstruct RustMinimal {")
    (tree / MINIMAL).write_text(text)
    git(tree, "add", MINIMAL)
    git(tree, "commit", "-q", "--fixup", "HEAD~1")
    cover = git(tree, "rev-list", "--reverse", "master..HEAD").split()[0]
    git(tree, "-c", "sequence.editor=true", "rebase", "-q", "-i", "--autosquash", cover)


def test_v2_cover_and_changelog_tell_the_truth(kernel_tree):
    tree = kernel_tree
    series_with_blank_context(tree)
    send(tree)
    tag = git(tree, "tag", "-l", "sent/*").split()[0]
    amend_patch_2(tree)
    # range-diff alone: the amended patch is "new" and the sent one "dropped"
    series = load_series(GitRepo(tree))
    alone = git(tree, "range-diff", "--no-color", f"{tag}~3..{tag}",
                f"{series.patches[0].commit}~1..{series.head}")
    assert re.search(r"^\s*2:\s+\w+\s+<\s+-:", alone, re.M), alone

    code, _, err = run(tree, "recipients", "--write")
    assert code == 0, err
    text = load_series(GitRepo(tree)).cover_body or ""
    above, below = text.split("\n---\n", 1)
    assert not RECIPIENT.search(below), below  # b4 alone puts a second block here
    assert "Cc: rust-for-linux@vger.kernel.org" in above
    assert len(re.findall(r"^Cc: rust-for-linux@vger.kernel.org$", above, re.M)) == 1
    assert "needs-auto-to-cc" not in preflight.b4_needs(GitRepo(tree))  # b4 agrees

    plan = ok_json(tree, "reroll")["plan"]
    assert [(p["old"], p["new"], p["status"]) for p in plan["patches"]] == \
        [(1, 1, "unchanged"), (2, 2, "changed"), (3, 3, "unchanged")]
    assert plan["patches"][1]["files"] == [MINIMAL]
    changelog = "\n".join(plan["changelog"])
    assert f"minimal: say what it shows (patch 2): changed {MINIMAL}" in changelog
    assert "New patch" not in changelog and "Dropped" not in changelog

    assert ok_json(tree, "reroll", "--write-changelog", "--yes")["changelog_written"]
    messages = ok_json(tree, "send", "--dry-run")["messages"]
    cover = messages[0]["body"]
    assert "Changes in v2:" in cover and f"changed {MINIMAL}" in cover
    assert not RECIPIENT.search(cover), cover  # only what the author wrote, and the changelog
    assert "rust-for-linux@vger.kernel.org" in " ".join(messages[0]["to"] + messages[0]["cc"])
    lines = {ln.name: ln for ln in preflight.early_preflight(GitRepo(tree),
                                                             load_series(GitRepo(tree)))}
    assert lines["cover-to-cc"].state == "ok"


def test_preflight_fails_on_recipient_lines_in_any_cover(kernel_tree):
    tree = kernel_tree
    series_with_blank_context(tree)
    set_cover(tree, "samples: rust: three changes\n\nThree small changes.\n\n"
                    "Cc: rust-for-linux@vger.kernel.org\n\n---\nNotes for the reviewers.\n\n"
                    "To: Someone <someone@example.org>\nCc: other@example.org\n")
    repo = GitRepo(tree)
    lines = {ln.name: ln for ln in preflight.early_preflight(repo, load_series(repo))}
    stray = lines["cover-to-cc"]
    assert stray.state == "fail" and stray.detail.startswith("2 To:/Cc: line(s) below ---")
    code, _, err = run(tree, "send", "--yes", "--no-checks", "--override", "checks",
                       "--override", "b4")
    assert code == 1 and "pre-flight cover-to-cc failed" in err, err


def reviewed_then_amended(tree, tmp_path) -> None:
    """v1 sent, a Reviewed-by on patches 1 and 2 applied, then patch 2 amended."""
    series_with_blank_context(tree)
    by = by_number(send(tree))
    with PublicInbox(tmp_path / "pi") as inbox:
        git(tree, "config", "b4.midmask", f"{inbox.base}/%s")
        for raw in by.values():
            inbox.deliver(raw)
        inbox.deliver(reply(by["1/3"], "Rev One <rev1@example.com>", f"{REV1}\n"))
        inbox.deliver(reply(by["2/3"], "Rev Two <rev2@example.com>", f"{REV2}\n"))
        assert run(tree, "replies", "--refresh")[0] == 0
    assert len(ok_json(tree, "trailers", "--apply", "--yes")["applied"]) == 2
    assert ok_json(tree, "reroll")["plan"]["stale_tags"] == []  # nothing changed yet
    amend_patch_2(tree)


def test_tags_given_before_the_code_changed_are_said_and_chosen_per_patch(kernel_tree,
                                                                          tmp_path):
    tree = kernel_tree
    reviewed_then_amended(tree, tmp_path)
    stale = ok_json(tree, "reroll")["plan"]["stale_tags"]
    assert stale == [{"patch": 2, "since": 1, "subject": "samples: rust: minimal: say what "
                      "it shows", "trailers": [REV2], "kept": False}]  # not patch 1's
    code, text, _ = run(tree, "reroll")
    assert "patch 2 changed since v1 but keeps tags given before: " + REV2 in text
    assert "--keep-tags 2" in text
    repo = GitRepo(tree)
    tags = {ln.name: ln for ln in preflight.run_preflight(repo, load_series(repo), None,
                                                          run_checks=False)}["tags"]
    assert tags.state == "warn" and tags.detail.startswith("patch(es) 2 changed since v1")

    kept = ok_json(tree, "reroll", "--keep-tags", "2")["plan"]["stale_tags"]
    assert kept[0]["kept"] is True
    assert ok_json(tree, "reroll")["plan"]["stale_tags"][0]["kept"] is True  # remembered
    assert {ln.name: ln for ln in preflight.run_preflight(
        repo, load_series(repo), None, run_checks=False)}["tags"].state == "ok"
    (tree / MINIMAL).write_text((tree / MINIMAL).read_text().replace("numbers it keeps",
                                                                     "numbers it holds"))
    git(tree, "commit", "-q", "-a", "--fixup", "HEAD~1")
    cover = git(tree, "rev-list", "--reverse", "master..HEAD").split()[0]
    git(tree, "-c", "sequence.editor=true", "rebase", "-q", "-i", "--autosquash", cover)
    assert ok_json(tree, "reroll")["plan"]["stale_tags"][0]["kept"] is False  # changed again

    plan = ok_json(tree, "reroll", "--drop-tags", "2", "--yes")["plan"]
    assert plan["stale_tags"] == []
    messages = git(tree, "log", "--reverse", "--format=%B%x00", "master..HEAD").split("\0")
    assert REV1 in messages[1] and REV2 not in messages[2]
    assert ("- samples: rust: minimal: say what it shows (patch 2): dropped Reviewed-by from "
            "Rev Two, given before the code changed") in plan["changelog"]
    assert run(tree, "undo", "--yes")[0] == 0
    assert REV2 in git(tree, "log", "--format=%B", "master..HEAD")
