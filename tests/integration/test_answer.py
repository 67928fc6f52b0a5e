"""Composing an answer from the review of a series sent with real b4, its review delivered
to a real public-inbox: the reviewer's headers as the list holds them, the comments by
number, the draft from their states."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from patchpilot.core import paths
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.answer import compose
from patchpilot.core.review.answer_drafts import DraftStore, open_draft
from patchpilot.core.review.answer_source import find_target, identity, parse_ref
from patchpilot.core.review.mail import parse_mail
from patchpilot.core.review.replies import set_comment_state
from tests.integration.answering import MANY, REVIEW_ID, deliver_review, patch_mail
from tests.integration.test_replies import reviewed  # noqa: F401  (fixture)


def test_source_from_the_list_and_drafts_from_state(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    repo = GitRepo(tree)
    deliver_review(tree, inbox, sent, cc=[*MANY, "Test Dev <DEV@example.org>",
                                          "Jörg Müller <joerg@example.de>"],
                   headers={"List-Post": "<mailto:rust-for-linux@vger.kernel.org>"})
    set_comment_state(repo, f"{REVIEW_ID}:1", "addressed", revision=1)
    set_comment_state(repo, f"{REVIEW_ID}:2", "addressed")  # the revision in progress: v2
    target = find_target(repo, f"<{REVIEW_ID}>:2,1")
    source = target.source
    assert (target.revision, target.patch, target.revisions.in_progress) == (1, 1, 2)
    assert [c.n for c in source.comments] == [1, 2]
    assert target.ids == [f"{REVIEW_ID}:1", f"{REVIEW_ID}:2"]
    assert source.date == "Wed, 03 Jan 2024 11:22:33 +0100"
    patch1 = parse_mail(patch_mail(sent, "1/3")).msgid
    assert source.references[-1] == patch1
    assert len(source.cc) == len(MANY) + 2 and "Jörg Müller <joerg@example.de>" in source.cc
    answer = compose(source, identity(repo), target.revisions, datetime.now(UTC))
    assert answer.to == ["Rev Iewer <reviewer@example.com>"]
    assert answer.cc[:2] == ["list@example.org", "Person 0 <person0@example.net>"]
    assert len(answer.cc) == 1 + len(MANY) + 1 + 1  # the list, MANY, Jörg, rust-for-linux
    assert not any("dev@example.org" in a.lower() for a in answer.cc)
    assert answer.references[-2:] == [patch1, REVIEW_ID] and len(answer.references) == 3
    body = answer.body
    assert body.startswith("On Wed, 03 Jan 2024 11:22:33 +0100, Rev Iewer wrote:\n")
    assert "> Please use pr_debug here, this is noisy.\n\nFixed in v1.\n" in body
    assert "> Nit: a blank line above.\n" in body and "Will do in v2." in body
    assert body.index("pr_debug") < body.index("Nit:")


def test_bad_references(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    repo = GitRepo(tree)
    deliver_review(tree, inbox, sent)
    for ref, words in ((f"{REVIEW_ID}:7", "no comment 7 (its comments: 1, 2)"),
                       ("nobody@example.com:1", "no message"), (REVIEW_ID, "not a comment"),
                       (f"{REVIEW_ID}:1,x", "not a comment")):
        with pytest.raises(PatchpilotError) as err:
            find_target(repo, ref)
        assert words in err.value.message, ref
    assert parse_ref("<a@b>:3,1,3") == ("a@b", [1, 3])


def test_draft_kept_across_restarts_without_the_cache(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    repo = GitRepo(tree)
    deliver_review(tree, inbox, sent)
    draft, created = open_draft(repo, f"{REVIEW_ID}:1")
    assert created and draft.answer.in_reply_to == REVIEW_ID
    DraftStore(repo.git_dir).set_body(draft, draft.answer.body + "My own words.\n")
    shutil.rmtree(paths.cache_dir() / "lore")  # the thread is gone from the cache
    again, created = open_draft(GitRepo(tree), f"<{REVIEW_ID}>:1")
    assert not created and again.answer.body.endswith("My own words.\n")
    assert again.answer.msgid == draft.answer.msgid  # a retry keeps the Message-ID
    with pytest.raises(PatchpilotError):  # another set of comments needs the review
        open_draft(repo, f"{REVIEW_ID}:1,2")
