"""A series marked applied by the maintainer's own tools: a maintainer's clone takes the series
from the real public-inbox with real `b4 shazam`, thanks the author with real `b4 ty` (its
default wording, and its "Applied to TREE (BRANCH)" template), and the mail is delivered to
the list; `replies` then says what was applied, where, with which commits, and the NAK the
series got stays in view."""

from __future__ import annotations

import io
import json
from pathlib import Path

from patchpilot.cli.main import main
from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.mail import parse_mail
from patchpilot.core.review.summary import review_counts
from tests.helpers import git
from tests.integration.answering import archive, patch_mail, reviewer_mail
from tests.integration.test_replies import reviewed  # noqa: F401  (fixture)

TEMPLATE = "On ${sentdate}, ${fromname} wrote:\n${quote}\n\nApplied to ${treename} " \
           "(${branch}), thanks!\n\n${summary}\n\nBest regards,\n-- \n${signature}\n"


def thank(tree: Path, inbox, sent: dict[str, bytes], work: Path,
          tree_name: str | None = None) -> tuple[bytes, list[str]]:
    """The maintainer applies the series (b4 shazam) and thanks for it (b4 ty); the thanks
    go to the list. Returns the mail and the commits it names, in patch order."""
    cover = parse_mail(patch_mail(sent, "0/3")).msgid
    maint = work / "maint"
    git(tree.parent, "clone", "-q", "--branch", "master", str(tree), str(maint))
    for key, value in (("user.name", "Mai Ntainer"), ("user.email", "maint@example.com"),
                       ("b4.midmask", f"{inbox.base}/%s")):
        git(maint, "config", key, value)
    if tree_name:
        (work / "ty.template").write_text(TEMPLATE)
        git(maint, "config", "b4.thanks-am-template", str(work / "ty.template"))
        git(maint, "config", "b4.thanks-treename", tree_name)
    b4cli.run(["shazam", cover], cwd=maint)
    b4cli.run(["ty", "-a", "-b", "master", "-o", str(work / "ty")], cwd=maint)
    (letter,) = list((work / "ty").glob("*.thanks"))
    raw = letter.read_bytes()
    archive(inbox, raw)
    commits = git(maint, "log", "--reverse", "--format=%H", "-3").split()
    return raw, commits


def replies_json(tree: Path) -> dict:
    out, err = io.StringIO(), io.StringIO()
    assert main(["-C", str(tree), "replies", "--refresh", "--json"], out, err) == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_b4_ty_marks_the_series_applied_with_its_commits(reviewed, tmp_path):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    assert replies_json(tree)["applied"] is None  # the review alone applies nothing
    raw, commits = thank(tree, inbox, sent, tmp_path)
    assert b"Applied, thanks!" in raw and b"      commit: " in raw  # b4 ty's own wording
    doc = replies_json(tree)
    applied = doc["applied"]
    assert applied["revision"] == 1 and applied["whole"] and applied["tree"] is None
    assert [(p["index"], p["commit"]) for p in applied["patches"]] == list(
        zip([1, 2, 3], commits))
    assert applied["patches"][0]["subject"] == "samples: rust: add the rust_one sample"
    assert "Mai Ntainer" in applied["by"] and doc["revisions"][0]["applied"] == {
        k: v for k, v in applied.items() if k != "revision"}
    counts = review_counts(GitRepo(tree), doc["branch"])
    assert counts.applied == "applied" and counts.naks == 1  # the NAK stays in view
    out, err = io.StringIO(), io.StringIO()
    assert main(["-C", str(tree), "replies"], out, err) == 0
    assert f"applied by Mai Ntainer <maint@example.com>: 1 {commits[0][:12]}" in out.getvalue()


def test_b4_ty_template_with_tree_and_branch(reviewed, tmp_path):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    raw, _ = thank(tree, inbox, sent, tmp_path, tree_name="rust/rust-next")
    assert b"Applied to rust/rust-next (master), thanks!" in raw
    applied = replies_json(tree)["applied"]
    assert (applied["tree"], applied["branch"], applied["whole"]) == ("rust/rust-next",
                                                                      "master", True)
    counts = review_counts(GitRepo(tree), "b4/review")
    assert counts.applied == "applied to rust/rust-next (master)"


def test_hand_written_applied_to_one_patch(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    mail = reviewer_mail(patch_mail(sent, "2/3"), "> +struct RustTwo;\n\nApplied to the "
                         "rust-fixes branch, thanks!\n", msgid="applied-2@example.com")
    tester = reviewer_mail(patch_mail(sent, "1/3"), "Applied on top of linux-next and it "
                           "fails to build.\n", msgid="tester@example.com")
    archive(inbox, mail)
    archive(inbox, tester)
    applied = replies_json(tree)["applied"]
    assert applied["branch"] == "rust-fixes" and not applied["whole"]
    assert [p["index"] for p in applied["patches"]] == [2]
    assert applied["msgids"] == ["applied-2@example.com"]
    assert review_counts(GitRepo(tree), "b4/review").applied == "1 patch applied (rust-fixes)"
