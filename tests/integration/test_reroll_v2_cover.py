"""The journey's v2 against the real parts: v1 sent with real b4, a small patch amended, the
recipients written again after the reroll (b4 0.16's --auto-to-cc appends a second To:/Cc:
block below "Changes in v2"), the changelog drafted: the v2 cover holds only what the author
wrote, its trailers and the changelog, and the amended patch (same subject) is `changed`.
A cover with To:/Cc: lines in its text fails the pre-flight, whoever put them there.
"""

from __future__ import annotations

import re

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send import preflight
from patchpilot.core.series.model import load_series
from tests.helpers import git
from tests.integration.test_reroll import ok_json, send
from tests.integration.test_send import run, set_cover
from tests.integration.test_trailers_as_b4 import MINIMAL, series_with_blank_context

RECIPIENT = re.compile(r"^(To|Cc): ", re.M)


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
