"""The home screen's review columns come from the lore cache alone: a real series sent with
real b4, its replies (and a newer revision) on a real public-inbox, one refresh to fill the
cache, then the server is stopped (and HTTP forbidden) before the app opens.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.utils import make_msgid

from textual.widgets import DataTable

from patchpilot.core import paths
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.lore import LoreClient
from patchpilot.core.review.replies import collect, mark_read, set_comment_state
from patchpilot.core.review.summary import review_counts
from patchpilot.core.series.model import summarize
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.home import HomeScreen, row_of
from tests.integration.test_replies import by_sender, reviewed  # noqa: F401  (fixture)
from tests.tui.test_app import SIZE, plain, settle


def newer_cover(sent: dict[str, bytes]) -> bytes:
    """The cover letter again as v2 of the same change-id (as `b4 send` of v2 would mail)."""
    cover = message_from_bytes(next(raw for s, raw in sent.items() if "0/3" in s),
                               policy=policy.default)
    subject = cover["Subject"].replace("[PATCH 0/3]", "[PATCH v2 0/3]")
    del cover["Subject"], cover["Message-ID"]
    cover["Subject"], cover["Message-ID"] = subject, make_msgid(domain="example.com")
    return cover.as_bytes()


def no_network(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("the home screen asked the network")
    monkeypatch.setattr(LoreClient, "_request", refuse)


def cell(table: DataTable, branch: str, column: str) -> str:
    return plain(table.get_cell(branch, column)).strip()


async def test_home_shows_review_counts_from_the_cache(reviewed, monkeypatch):  # noqa: F811
    tree, inbox, sent, replies = reviewed
    inbox.deliver(newer_cover(sent))
    repo = GitRepo(tree)
    report = collect(repo, refresh=True)
    assert report.newer_revisions == [2]
    mark_read(repo, [by_sender(report, "maint@").msgid])
    set_comment_state(repo, by_sender(report, "rev1@").comments[0].id, "addressed")
    comments = list(report.comments())
    inbox.stop()
    no_network(monkeypatch)
    app = PatchpilotApp(tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        table = home.query_one(DataTable)
        branch = repo.current_branch()
        assert cell(table, branch, "unread") == str(len(replies) - 2)  # read, and state set
        assert cell(table, branch, "open") == str(len(comments) - 1)
        # Reviewed-by (1/3), Acked-by (cover), Tested-by (3/3); not the robot's Reported-by.
        assert cell(table, branch, "trailers") == "3"
        assert cell(table, branch, "newer") == "v2"


def test_counts_survive_a_broken_cache(reviewed, monkeypatch):  # noqa: F811
    tree, inbox, sent, replies = reviewed
    repo = GitRepo(tree)
    collect(repo, refresh=True)
    inbox.stop()
    no_network(monkeypatch)
    branch = repo.current_branch()
    assert review_counts(repo, branch).unread == len(replies)
    pending = row_of(next(s for s in summarize(repo) if s.branch == branch))
    assert "…" in pending  # the row shows before its counts arrive
    threads = list((paths.cache_dir() / "lore").rglob("*.mbox.gz"))
    assert threads
    for path in threads:
        path.write_bytes(b"not gzip")
    broken = review_counts(repo, branch)
    assert (broken.cached, broken.problem, broken.unread) == (False, None, 0)
    (paths.repo_state_dir(repo.git_dir) / "review.sqlite3").write_bytes(b"not a database" * 100)
    assert review_counts(repo, branch).problem
    assert review_counts(repo, "master").problem  # nothing sent: no counts, no error
