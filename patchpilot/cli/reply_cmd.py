"""`patchpilot reply MSGID:N[,N...] [--edit] [--dry-run] [--yes] [--resend] [--json]`: answer a
reviewer's comments by mail.

The answer starts as a draft from the comments' states (kept under .git/patchpilot/drafts/
replies until it is sent); `--edit` (and, on a terminal, a draft never edited) opens it in the
editor (GIT_EDITOR, VISUAL, EDITOR, else vi). The exact message is shown, then sent only
after `yes` on a terminal or `--yes`; with no terminal and no --yes it refuses.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from typing import Any

from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.fs import write_atomic
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.answer_drafts import Draft, DraftStore, open_draft
from patchpilot.core.send.answer_send import Preview, Sent, preview, require_answer, send
from patchpilot.core.series.model import open_kernel_repo
from patchpilot.core.text import safe_text


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("reply", help="answer a reviewer's comments by mail (threaded, "
                                          "reply-all, quoted), after showing the message")
    parser.add_argument("ref", metavar="MSGID:N[,N...]",
                        help="the comments answered, as `patchpilot replies` lists them")
    parser.add_argument("--edit", action="store_true", help="edit the answer in $EDITOR first")
    parser.add_argument("--dry-run", action="store_true",
                        help="show the exact message; send nothing (the draft is kept)")
    parser.add_argument("--yes", action="store_true",
                        help="do not ask: send what is shown (for scripts)")
    parser.add_argument("--resend", action="store_true",
                        help="send again an answer whose earlier send was cut off")
    parser.add_argument("--discard", action="store_true", help="delete the draft; send nothing")
    parser.add_argument("--branch", metavar="NAME", help="the series on NAME (default: current)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    if args.json and not (args.yes or args.dry_run or args.discard):
        raise PatchpilotError("--json needs --dry-run or --yes (there is no prompt in JSON)",
                              hint="patchpilot reply MSGID:N --dry-run --json")
    repo = open_kernel_repo(args.directory)
    draft, created = open_draft(repo, args.ref, args.branch)
    store = DraftStore(repo.git_dir)
    if args.discard:
        store.remove(draft.key)
        out.warn(f"the draft answering {_ids(draft)} is deleted")
        return ExitCode.OK
    interactive = sys.stdin.isatty() and not (args.yes or args.dry_run or args.json)
    if args.edit or (interactive and not draft.edited):
        _edit(repo, store, draft)
    shown = preview(repo, draft)
    _show(shown, out, args.json and args.dry_run, store)
    if args.dry_run:
        if shown.empty:
            out.warn("the answer is still empty: write it below the quote (--edit)")
        out.warn(f"dry run: nothing sent; the draft is kept ({store.path(draft.key)})")
        return ExitCode.OK
    require_answer(draft)
    _confirm(shown, args.yes, out)
    sent = send(repo, draft, shown.digest, resend=args.resend)
    _report(sent, shown, out, args.json)
    return ExitCode.OK


def _ids(draft: Draft) -> str:
    return safe_text(", ".join(draft.ids), 400)


def _edit(repo: GitRepo, store: DraftStore, draft: Draft) -> None:
    """The body in the editor, from a file beside the draft (a crash mid-edit leaves it)."""
    editor = os.environ.get("GIT_EDITOR") or os.environ.get("VISUAL") or \
        os.environ.get("EDITOR") or repo.config("core.editor") or "vi"
    path = store.edit_path(draft.key)
    write_atomic(path, draft.answer.body)
    try:
        code = subprocess.run([*shlex.split(editor), str(path)]).returncode
    except OSError as exc:
        raise PatchpilotError(f"cannot run the editor {editor!r} ({exc.strerror or exc})",
                              hint="set EDITOR; the draft is kept as it was")
    if code != 0:
        path.unlink(missing_ok=True)
        raise PatchpilotError(f"the editor ({editor}) exited {code}",
                              hint="the draft is kept as it was", exit_code=ExitCode.FAILURE)
    store.set_body(draft, path.read_text(encoding="utf-8"))
    path.unlink(missing_ok=True)


def _show(shown: Preview, out: Output, as_json: bool, store: DraftStore) -> None:
    answer = shown.draft.answer
    if as_json:
        out.json(_clean({"status": "dry-run", **_message_json(shown),
                          "draft": str(store.path(shown.draft.key))}))
        return
    out.line(safe_text(shown.text, 400_000).rstrip())
    out.line("-" * 72)
    out.line(f"{shown.summary()}: {len(shown.recipients)} recipients, no Bcc")
    if answer.dropped:
        out.warn(f"left out {len(answer.dropped)} address(es) no mail could go to: "
                 + safe_text(", ".join(answer.dropped), 500))


def _message_json(shown: Preview) -> dict[str, Any]:
    answer = shown.draft.answer
    return {"message_id": answer.msgid, "in_reply_to": answer.in_reply_to,
            "references": answer.references, "from": answer.sender, "to": answer.to,
            "cc": answer.cc, "subject": answer.subject, "date": shown.draft.date,
            "comments": shown.draft.ids, "recipients": len(shown.recipients),
            "dropped": answer.dropped, "message": shown.text}


def _clean(value: Any) -> Any:
    """Every string of a JSON document through safe_text (mail text is untrusted)."""
    if isinstance(value, str):
        return safe_text(value, 400_000)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _confirm(shown: Preview, assume_yes: bool, out: Output) -> None:
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise PatchpilotError(f"refusing to send {shown.summary()} without a confirmation",
                              hint="run it in a terminal, or pass --yes after a --dry-run")
    answer = input(f"Send {shown.summary()}? Type 'yes' to send: ").strip().lower()
    if answer != "yes":
        raise PatchpilotError("not sent", hint="the draft is kept; patchpilot reply again",
                              exit_code=ExitCode.FAILURE)


def _report(sent: Sent, shown: Preview, out: Output, as_json: bool) -> None:
    if as_json:
        out.json(_clean({"status": "sent" if sent.now else "sent earlier",
                         **_message_json(shown), "note": sent.note}))
    else:
        what = "sent" if sent.now else "had gone out earlier, not sent again:"
        out.line(f"{what} <{safe_text(sent.msgid, 300)}>; replied: "
                 f"{safe_text(', '.join(sent.ids), 400)}")
    if sent.note and sent.now:
        out.warn(safe_text(sent.note, 300))
