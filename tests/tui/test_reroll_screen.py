"""Pilot tests of the reroll screen on a real sent and reviewed series (real b4, a real SMTP
server, a real public-inbox): trailers accepted and applied through b4, a patch amended,
the edited changelog written into the cover (and forced over a hand-written block), the
checks re-run and the last rewrite undone."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import DataTable, TextArea

from patchpilot.core import drafts
from patchpilot.core.config import Config
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.reroll.plan import make_plan
from patchpilot.core.review.mail import split_mbox
from patchpilot.core.review.replies import make_client
from patchpilot.core.series.cover import raw_cover
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.reroll import RerollScreen
from patchpilot.tui.screens.series import SeriesScreen
from patchpilot.tui.widgets.dialogs import Choice, Confirm
from tests.helpers import git
from tests.integration.test_replies import reply
from tests.integration.test_reroll import amend_patch_2, reviewed  # noqa: F401  (fixture)
from tests.integration.test_send import run, rust_series, set_cover
from tests.tui.test_app import SIZE, plain, settle

SUBJECTS = [f"samples: rust: add the {name} sample" for name in ("alpha", "beta", "gamma")]
EVIL = "[bold red]Evil[/] <evil@example.com>"


def cells(table: DataTable) -> list[list[str]]:
    return [[c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)]
            for i in range(table.row_count)]


def patch_mail(tree, number: int) -> bytes:
    """Patch `number` of v1 as it was mailed, from the lore cache."""
    repo = GitRepo(tree)
    thread = make_client(repo, Config(repo)).cached(make_plan(repo).covers[1])
    return next(m for m in split_mbox(thread.mbox) if f" {number}/3]".encode() in m)


def info(screen) -> str:
    return plain(screen.query_one("#reroll-info").content)


async def confirm(pilot, *needles: str) -> None:
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, Confirm), dialog
    asked = " ".join(dialog.question.split())  # wrapped to the dialog's width
    assert all(n in asked for n in needles), asked
    await pilot.press("y")
    await settle(pilot)


async def open_reroll(pilot) -> RerollScreen:
    """The reroll screen of the series, opened from the start screen with n."""
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RerollScreen)
    return screen


def bodies(tree) -> dict[str, str]:
    log = git(tree, "log", "--format=%s%n%b%x00", "master..HEAD").split("\0")
    return {s: next(b for b in log if s in b) for s in SUBJECTS}


async def test_reroll_trailers_changelog_checks_undo(reviewed):  # noqa: F811
    tree, inbox = reviewed
    repo = GitRepo(tree)
    assert run(tree, "check")[0] in (0, 1)  # fills the checks cache for v1's patches
    inbox.deliver(reply(patch_mail(tree, 3), EVIL, "Reviewed-by: Rev Three <rev3@example.com>\n"))
    inbox.stop()  # public-inbox-httpd keeps its search index open: a new one sees the reply
    inbox.start()
    # no watching: the amend below is read on r alone, so the re-check after it is the first
    # to see the amended patch (a poll between would have cached it already)
    git(tree, "config", "patchpilot.ui.watch-interval", "0")
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reroll(pilot)
        patches = screen.query_one("#reroll-patches", DataTable)
        assert cells(patches) == [[f"{n} → {n}", "unchanged", "", s]
                                  for n, s in enumerate(SUBJECTS, start=1)]
        trailers = screen.query_one("#reroll-trailers", DataTable)
        assert [(r[0], r[2], r[3], r[4]) for r in cells(trailers)] == [
            ("+", "Acked-by: Maint <maint@example.com>", "v1 cover → 1,2,3", "ready"),
            ("+", "Reviewed-by: Rev One <rev1@example.com>", "v1 1 → 1", "ready")]

        await pilot.press("f")  # fetch: the hostile reviewer's trailer arrives
        await settle(pilot)
        rows = cells(trailers)
        evil = next(i for i, r in enumerate(rows) if "Rev Three" in r[2])
        assert rows[evil][4] == "sender-mismatch" and rows[evil][0] == " "
        assert 'sent by "[bold red]Evil[/]" <evil@' in rows[evil][5]  # as it is, not as markup
        trailers.focus()
        trailers.move_cursor(row=evil)
        await pilot.press("a")
        assert cells(trailers)[evil][0] == "+"

        before = repo.rev_parse("HEAD")
        await pilot.press("t")
        await confirm(pilot, "3 trailer(s)", "3 commit(s)")
        applied = bodies(tree)
        assert "Reviewed-by: Rev One <rev1@example.com>" in applied[SUBJECTS[0]]
        assert all("Acked-by: Maint <maint@example.com>" in b for b in applied.values())
        assert "Reviewed-by: Rev Three <rev3@example.com>" in applied[SUBJECTS[2]]
        backup = re.search(r"backup (refs/patchpilot/backup/\S+)", info(screen)).group(1)
        assert repo.rev_parse(backup) == before
        assert {r[0] for r in cells(trailers)} == {"="}
        series_screen = app.screen_stack[-2]
        assert isinstance(series_screen, SeriesScreen)
        assert series_screen.stale  # the trailers rewrote it: it reloads when it comes back
        series_screen.stale = False

        amend_patch_2(tree)
        await pilot.press("r")
        await settle(pilot)
        assert [r[1] for r in cells(patches)] == ["unchanged", "changed", "unchanged"]
        await settle(pilot)  # the checks re-run after each load, from the cache where they can
        assert "reused for patches [1, 3], re-run for [2]" in info(screen)
        patches.focus()
        patches.move_cursor(row=1)
        await pilot.pause()
        diff = plain(screen.query_one("#reroll-diff").content)
        assert "samples/rust/rust_beta.rs" in diff and "pr_debug!" in diff

        editor = screen.query_one("#reroll-changelog", TextArea)
        assert "changed samples/rust/rust_beta.rs" in editor.text
        editor.load_text(editor.text + "\n\n- Tested on QEMU\n")
        await pilot.pause()
        assert drafts.load_draft(repo.git_dir, "changelog", "b4/pilot") is not None
        await pilot.press("q")  # unwritten changelog: asks first
        await pilot.pause()
        assert isinstance(app.screen, Choice) and "changelog" in app.screen.question
        await pilot.press("escape")  # Cancel
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("p", "w")  # with per-patch notes
        await confirm(pilot, "changelog", "v2 cover", "below its --- line (patches 2)")
        assert series_screen.stale  # the changelog rewrote the branch too
        messages = {s.split("\n", 1)[0]: s for s in
                    git(tree, "log", "--format=%B%x00", "master..HEAD").split("\0\n")}
        assert "\n---\nChanges in v2:\n- Changed samples/rust/rust_beta.rs" in \
            messages[SUBJECTS[1]]
        assert "Changes in v2" not in messages[SUBJECTS[0]] + messages[SUBJECTS[2]]
        cover = run(tree, "cover")[1]
        assert "- Tested on QEMU" in cover and "changed samples/rust/rust_beta.rs" in cover
        assert "EDITME" not in cover and "- Link to v1:" in cover

        text = raw_cover(repo, load_series(repo))
        set_cover(tree, text.replace("- Tested on QEMU", "- By hand"))
        hand_written = repo.rev_parse("HEAD")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("w")
        await confirm(pilot, "changelog")  # refused: the block was written by hand
        await confirm(pilot, "written by hand", "Replace")
        cover = run(tree, "cover")[1]
        assert "- Tested on QEMU" in cover and "- By hand" not in cover


        await pilot.press("u")
        await confirm(pilot, "changelog for v2", hand_written[:12])
        assert repo.rev_parse("HEAD") == hand_written
        assert "- By hand" in run(tree, "cover")[1]
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is series_screen
        assert series_screen.series.head == hand_written  # back: it shows the branch as it is


async def test_never_sent_series_says_so_and_writes_nothing(kernel_tree):
    rust_series(kernel_tree)
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert "no sent revision before v1" in info(app.screen)
        assert [app.screen.check_action(a, ()) for a in ("apply", "write", "undo")] == \
            [None, None, None]

