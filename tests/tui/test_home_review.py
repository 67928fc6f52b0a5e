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
    db = paths.repo_state_dir(repo.git_dir) / "review.sqlite3"
    db.write_bytes(b"not a database" * 100)
    # a damaged review database is kept aside and counted from a fresh one (issue 18)
    assert review_counts(repo, branch).problem is None
    assert [p.read_bytes() for p in db.parent.glob("review.sqlite3.damaged-*")] == \
        [b"not a database" * 100]
    assert review_counts(repo, "master").problem  # nothing sent: no counts, no error


def send_second_series(tree, inbox) -> None:
    """Another series on its own branch, sent with real b4 and delivered to the inbox."""
    from patchpilot.core.b4 import cli as b4cli
    from patchpilot.core.series.prep import new_series
    from tests.helpers import commit, git, rust_sample
    from tests.smtp import SmtpServer
    git(tree, "switch", "-q", "master")
    new_series(GitRepo(tree), "second", fork_point="master")
    for name in ("rust_four", "rust_five"):
        commit(tree, {f"samples/rust/{name}.rs": rust_sample(name)}, f"samples: rust: {name}")
    with SmtpServer() as smtp:
        git(tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        b4cli.run(["send", "--no-sign", "--to", "list@example.org"], cwd=tree, answer="\n\n")
        for message in smtp.mailbox.messages:
            inbox.deliver(message.data)


async def test_home_reads_each_thread_once(reviewed, monkeypatch):  # noqa: F811
    from patchpilot.core.review import threads
    from patchpilot.core.review.db import ReviewDB
    tree, inbox, sent, replies = reviewed
    send_second_series(tree, inbox)
    repo = GitRepo(tree)
    for summary in summarize(repo):
        if summary.sent:
            collect(repo, summary.branch, refresh=True)
    inbox.stop()
    no_network(monkeypatch)
    threads.forget()
    opened = []
    real_init = ReviewDB.__init__

    def counting_init(self, path):
        opened.append(path)
        real_init(self, path)

    monkeypatch.setattr(ReviewDB, "__init__", counting_init)
    before = dict(threads.stats)
    app = PatchpilotApp(tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        table = home.query_one(DataTable)
        assert cell(table, "b4/second", "unread") == "0" and cell(table, "b4/review", "unread")
        assert threads.stats["analysed"] - before["analysed"] == 2  # one per sent thread
        assert threads.stats["patch_id_runs"] == before["patch_id_runs"]  # counts need none
        assert len(opened) == 1  # one database connection for every series
        home.on_screen_resume()  # back on the home screen: nothing changed, nothing parsed
        await settle(pilot)
        assert threads.stats["analysed"] - before["analysed"] == 2
        assert threads.stats["reused"] - before["reused"] == 2
