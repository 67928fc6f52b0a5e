"""The answer screen on a real sent series, its review on a real public-inbox, the answer
through a real SMTP server on loopback: composed from the highlighted comment, edited in the
TextArea, previewed exactly, confirmed, sent; the app closed mid-edit keeps the draft."""

from __future__ import annotations

import email
from contextlib import asynccontextmanager

from textual.widgets import DataTable, TextArea

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.answer_drafts import DraftStore, draft_key
from patchpilot.core.review.replies import collect
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.answer import AUTOSAVE, AnswerPreview, AnswerScreen
from patchpilot.tui.screens.replies import RepliesScreen
from patchpilot.tui.widgets.dialogs import Confirm
from patchpilot.tui.widgets.fittable import FitTable
from tests.helpers import git
from tests.integration.answering import REVIEW_ID, archive, deliver_review, point_at
from tests.integration.test_replies import reviewed  # noqa: F401  (fixture)
from tests.smtp import SmtpServer
from tests.tui.test_app import SIZE, plain, settle
from tests.tui.test_replies_screen import open_replies


async def open_answer(pilot) -> AnswerScreen:
    replies = await open_replies(pilot)
    row = next(i for i, m in enumerate(replies.messages) if m.msgid == REVIEW_ID)
    replies.query_one(DataTable).move_cursor(row=row)
    await pilot.pause()
    await pilot.press("g")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AnswerScreen)
    return screen


async def write(pilot, screen: AnswerScreen, words: str) -> None:
    """Type `words` where the cursor opens: the empty line below the first comment's quote."""
    editor = screen.query_one(TextArea)
    lines = editor.text.split("\n")
    row = next(i for i, l in enumerate(lines) if i and not l and lines[i - 1] == "")
    assert editor.cursor_location == (row, 0)
    await pilot.press(*words)


@asynccontextmanager
async def answering(bed):
    """The review delivered, a real SMTP server, the app on the answer screen of it."""
    tree, inbox, sent, _ = bed
    deliver_review(tree, inbox, sent)
    with SmtpServer() as smtp:
        point_at(tree, smtp.port)
        app = PatchpilotApp(tree)
        async with app.run_test(size=SIZE) as pilot:
            yield smtp, app, pilot, await open_answer(pilot)


async def test_answer_composed_previewed_confirmed_sent(reviewed):  # noqa: F811
    tree, inbox = reviewed[0], reviewed[1]
    async with answering(reviewed) as (smtp, app, pilot, screen):
        body = screen.query_one(TextArea).text
        assert body.startswith("On Wed, 03 Jan 2024 11:22:33 +0100, Rev Iewer wrote:")
        assert "> Please use pr_debug here, this is noisy." in body
        await write(pilot, screen, "Done in v2.")
        await pilot.pause(AUTOSAVE * 2)  # saved as it is typed: no save key to press
        saved = DraftStore(GitRepo(tree).git_dir).load(draft_key(REVIEW_ID, [1, 2]))
        assert saved is not None and "\n\nDone in v2.\n" in saved.answer.body
        await pilot.press("ctrl+g")
        await settle(pilot)
        shown = app.screen
        assert isinstance(shown, AnswerPreview)
        raw = plain(shown.query_one("#answer-raw").content)
        assert f"In-Reply-To: <{REVIEW_ID}>" in raw and "Done in v2." in raw
        assert smtp.mailbox.messages == []  # nothing before the confirmation
        await pilot.click("#preview-send")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, RepliesScreen)  # back, and reloaded
        assert len(smtp.mailbox.messages) == 1
        replies = app.screen
        asked = next(m for m in replies.messages if m.msgid == REVIEW_ID)
        assert asked.comments[0].state == "replied" and asked.comments[0].answer
        archive(inbox, smtp.mailbox.messages[0].data)  # the list carries it
        await pilot.press("f")  # f fetches from the list (r reloads the cache)
        await settle(pilot)
        own = next(m for m in replies.messages if m.msgid == asked.comments[0].answer)
        assert own.kind == "own" and own.patch == 1
        # your answer is not an open comment: its row says so, as the header counts
        row = replies.query_one(FitTable).get_row_at(replies.messages.index(own))
        assert str(row[6]) == "your answer"
        assert own.comments and not any(c.is_open for c in own.comments)
    msg = email.message_from_bytes(smtp.mailbox.messages[0].data)
    assert msg["In-Reply-To"] == f"<{REVIEW_ID}>" and msg["To"] == "Rev Iewer <reviewer@example.com>"
    assert DraftStore(GitRepo(tree).git_dir).all() == []


async def test_closing_the_app_mid_edit_keeps_the_draft(reviewed):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_answer(pilot)
        await write(pilot, screen, "Half")
        await pilot.pause(AUTOSAVE * 2)  # saved as it is typed, before anything else
        typed = DraftStore(GitRepo(tree).git_dir).load(draft_key(REVIEW_ID, [1, 2]))
        assert typed is not None and "\n\nHalf\n" in typed.answer.body
        await pilot.press(*" an answer")
        await pilot.press("ctrl+q")  # no Save, no wait: leaving saves it
    draft = DraftStore(GitRepo(tree).git_dir).load(draft_key(REVIEW_ID, [1, 2]))
    assert draft is not None and "\n\nHalf an answer\n" in draft.answer.body
    inbox.stop()  # the draft needs no server, and a restart finds it
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_answer(pilot)
        assert "\n\nHalf an answer\n" in screen.query_one(TextArea).text
        await pilot.press("escape")  # Cancel: back, nothing sent, the draft kept
        await settle(pilot)
        assert isinstance(app.screen, RepliesScreen)
    assert collect(GitRepo(tree)).revisions  # the review is still readable from the cache
    assert DraftStore(GitRepo(tree).git_dir).load(draft_key(REVIEW_ID, [1, 2])) is not None


def answer_below(body: str, quoted: str) -> str:
    """The first line of the author's words below the quoted line `quoted`."""
    lines = body.splitlines()
    at = lines.index(f"> {quoted}")
    return next(l for l in lines[at + 1:] if l.strip() and not l.startswith(">"))


async def test_one_mail_answers_every_comment_each_below_its_quote(reviewed):  # noqa: F811
    async with answering(reviewed) as (smtp, app, pilot, screen):
        await write(pilot, screen, "Done.")  # the cursor opened below the first quote
        editor = screen.query_one(TextArea)
        assert answer_below(editor.text, "Please use pr_debug here, this is noisy.") == \
            "Done."
        await pilot.press("escape")  # back to the replies, the draft kept
        await settle(pilot)
        replies = app.screen
        assert isinstance(replies, RepliesScreen)
        await pilot.press("l")  # the second comment highlighted: g opens the same mail
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnswerScreen)
        editor = screen.query_one(TextArea)
        row, _ = editor.cursor_location
        assert editor.text.split("\n")[row - 2] == "> Nit: a blank line above."
        await pilot.press(*"Added.")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, AnswerPreview)
        await pilot.press("x")  # the preview's Send has a key (its button says it)
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
    assert len(smtp.mailbox.messages) == 1  # one mail for both comments
    body = email.message_from_bytes(smtp.mailbox.messages[0].data).get_payload()
    assert answer_below(body, "Please use pr_debug here, this is noisy.") == "Done."
    assert answer_below(body, "Nit: a blank line above.") == "Added."


async def test_ctrl_o_edits_the_answer_in_git_core_editor(reviewed, tmp_path):  # noqa: F811
    tree, inbox, sent, _ = reviewed
    deliver_review(tree, inbox, sent)
    script = tmp_path / "editor.sh"  # a real editor run as git runs it, non-interactive
    script.write_text("#!/bin/sh\nsed -i 's/^> Nit: a blank line above.$/&\\n\\nFrom vim./' \"$1\"\n")
    script.chmod(0o755)
    git(tree, "config", "core.editor", str(script))
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_answer(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause(AUTOSAVE * 2)
        assert answer_below(screen.query_one(TextArea).text, "Nit: a blank line above.") == \
            "From vim."
    draft = DraftStore(GitRepo(tree).git_dir).load(draft_key(REVIEW_ID, [1, 2]))
    assert draft is not None and "\n\nFrom vim.\n" in draft.answer.body
