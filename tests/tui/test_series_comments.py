"""Review comments on the series screen: "N comments" per patch and each comment under the
line of the diff it is about, from the replies cache (the real public-inbox is stopped before
the app opens: no network is needed)."""

from __future__ import annotations

from textual.widgets import DataTable

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.comments import comments_by_patch
from patchpilot.core.review.replies import collect
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.series import SeriesScreen
from tests.helpers import commit, git, rust_sample
from tests.integration.test_replies import line_of, reviewed  # noqa: F401  (fixture)
from tests.tui.test_app import SIZE, plain, settle


async def test_comment_counts_and_comments_under_their_lines(reviewed):  # noqa: F811
    tree, inbox, _, _ = reviewed
    repo = GitRepo(tree)
    collect(repo, refresh=True)
    inbox.stop()
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SeriesScreen)
        table = screen.query_one(DataTable)
        column = [plain(table.get_cell_at((row, 3))).strip() for row in range(3)]
        assert column[0] == "2, 2 open"  # the inline review of patch 1
        assert column[1] == "2, 2 open"  # the HTML reply and the bot report
        diff = plain(screen.query_one("#patch-diff").content).splitlines()
        at = next(i for i, line in enumerate(diff) if 'pr_info!("Rust rust_one' in line)
        assert "Rev One" in diff[at + 1] and "[open] v1" in diff[at + 1]
        assert "Please use pr_debug here" in diff[at + 2]
        assert diff[0].startswith("2 review comment(s), 2 open")


def test_a_patch_changed_since_keeps_its_comments_by_subject(reviewed):  # noqa: F811
    tree, _, _, _ = reviewed
    repo = GitRepo(tree)
    collect(repo, refresh=True)
    commit(tree, {"samples/rust/rust_one.rs": rust_sample("rust_one") + "// more\n"},
           "fixup! samples: rust: add the rust_one sample")
    cover = git(tree, "rev-list", "--reverse", "master..HEAD").split()[0]
    git(tree, "-c", "sequence.editor=true", "rebase", "-q", "-i", "--autosquash", cover)
    comments = comments_by_patch(repo, load_series(repo))
    first = comments[1][0]
    assert not first.exact and first.comment.line == line_of("rust_one", "pr_info!")
    assert all(c.exact for c in comments[2])  # patch 2 is as it was sent
