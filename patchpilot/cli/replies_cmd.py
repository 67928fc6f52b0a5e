"""`patchpilot replies [--json] [--refresh] [--branch NAME] [--set-state ID STATE] ...`."""

from __future__ import annotations

import argparse

from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.review.classify import headline
from patchpilot.core.review.db import STATES
from patchpilot.core.review.model import Comment, Review
from patchpilot.core.review.replies import collect, mark_read, set_comment_state
from patchpilot.core.series.model import open_kernel_repo
from patchpilot.core.text import safe_text


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("replies", help="review replies from lore per patch and line, "
                                            "trailers, and the state of every comment")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--refresh", action="store_true",
                        help="ask the server for new replies (else the cache is shown)")
    parser.add_argument("--branch", metavar="NAME", help="the series on NAME (default: current)")
    parser.add_argument("--set-state", nargs=2, metavar=("MSGID:N", "STATE"),
                        help=f"set a comment's state ({', '.join(STATES)})")
    parser.add_argument("--note", help="with --set-state wontfix: why")
    parser.add_argument("--revision", type=int, help="with --set-state addressed: the "
                                                     "revision (default: the one in progress)")
    parser.add_argument("--mark-read", action="append", default=[], metavar="MSGID",
                        help="mark a message read ('all': every message shown)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    if args.set_state:
        comment_id, state = args.set_state
        if state not in STATES:
            raise PatchpilotError(f"unknown state {state!r}",
                                  hint=f"use one of {', '.join(STATES)}")
        comment = set_comment_state(repo, comment_id, state, args.note, args.branch, args.revision)
        out.warn(f"comment {safe_text(comment.id, 200)} is now {comment.state}")
    review = collect(repo, args.branch, refresh=args.refresh)
    if args.mark_read:
        every = [r.msgid for r in review.replies(own=True)]
        mark_read(repo, every if "all" in args.mark_read else args.mark_read)
    if review.offline:
        out.warn(review.offline)
    lost = not_on_server(review)
    for warning in review.warnings[1 if review.offline else 0:]:
        if lost is None or not warning.endswith(lost):
            out.warn(safe_text(warning, 300))
    if args.json:
        out.json(review.to_json())
    else:
        render(review, out)
    if lost is not None:  # not one cover is on that server: a wrong server, not "no replies"
        raise PatchpilotError(lost, exit_code=ExitCode.FAILURE)
    return ExitCode.OK


def not_on_server(review: Review) -> str | None:
    """The one line to fail with when the server holds none of the covers."""
    covers = [r for r in review.revisions if r.cover_msgid]
    if covers and all(r.missing for r in covers):
        return covers[0].missing
    return None


def render(review: Review, out: Output) -> None:
    for rev in review.revisions:
        unread = sum(m.unread for m in rev.replies)
        state = f"  ({rev.missing})" if rev.missing else ""
        out.line(f"v{rev.revision} <{safe_text(rev.cover_msgid or '-', 200)}>: "
                 f"{len(rev.replies)} replies, {unread} unread{state}")
        if rev.applied:
            out.line(f"  {safe_text(rev.applied.label, 200)} by "
                     f"{safe_text(rev.applied.by, 200)}: " + ", ".join(
                         f"{p.index}" + (f" {p.commit[:12]}" if p.commit else "")
                         for p in rev.applied.patches))
        for m in rev.replies:
            mark = "*" if m.unread else " "
            where = "cover" if m.patch == 0 else f"patch {m.patch}"
            out.line(f" {mark} [{where}] {m.kind:<6} {safe_text(m.sender, 120)}  {m.date[:16]}")
            for trailer in m.trailers:
                out.line(f"      {trailer.name}: {safe_text(trailer.value, 200)}")
            for c in m.items:
                out.line(_item_line(c))
    if review.newer_revisions:
        out.line(f"newer revision(s) on the list: {review.newer_revisions}")


def _item_line(c: Comment) -> str:
    """`#N open  file:line  first line` for a comment; an aside in brackets, its kind."""
    first = next((line for line in headline(c.text or c.quote).splitlines() if line.strip()),
                 "")
    first = safe_text(first, 400)[:100]
    if not c.counted or c.own:
        return f"      #{c.n} ({'your answer' if c.own else c.kind}) {first}"
    at = f"{c.file}:{c.line}" if c.file else "-"
    return f"      #{c.n} {c.state:<9} {safe_text(at, 200)}  {first}"
