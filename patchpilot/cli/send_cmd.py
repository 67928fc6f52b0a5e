"""`patchpilot send` (--dry-run, --reflect, --preview-to, the real send) and `patchpilot export`.

The real send names the number of messages and recipients and asks for `yes` on a terminal;
`--yes` is for scripts; with no terminal and no --yes it refuses. Pre-flight lines that fail
block it unless overridden by name (`--override NAME`, recorded in the send log).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send import headers
from patchpilot.core.send.flow import Mode, SendPlan, SendResult, export, plan
from patchpilot.core.send.lock import send_lock
from patchpilot.core.send.message import Message
from patchpilot.core.send.preflight import Line
from patchpilot.core.send.preflight import to_json as preflight_json
from patchpilot.core.send.prepare import Prepared, prepare, send, stopped
from patchpilot.core.series.model import Series, load_series, open_kernel_repo
from patchpilot.core.text import safe_text

# b4 sends the checked-out branch: another one is named, then refused with how to switch
BRANCH_HELP = "the series on NAME (default: current; b4 sends it only once checked out)"


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("send", help="preview, check and send the series through b4")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true",
                      help="show the exact messages b4 would send; send nothing")
    mode.add_argument("--reflect", action="store_true", help="send everything to yourself only")
    mode.add_argument("--preview-to", action="append", metavar="ADDR",
                      help="send a [PREVIEW] copy to ADDR only (repeatable)")
    parser.add_argument("--yes", action="store_true",
                        help="do not ask: confirm the count shown (for scripts)")
    parser.add_argument("--override", action="append", default=[], metavar="NAME",
                        help="send although pre-flight line NAME fails (logged)")
    parser.add_argument("--no-checks", action="store_true",
                        help="skip running the checks (the 'checks' line then fails)")
    parser.add_argument("--in-reply-to", metavar="MSGID",
                        help="thread the series under this message (a discussion, an "
                             "earlier version)")
    parser.add_argument("--bcc", action="append", default=[], metavar="ADDR",
                        help="also deliver every message to ADDR, never named in a header "
                             "(repeatable; patchpilot recipients --add-bcc remembers one)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--branch", metavar="NAME", help=BRANCH_HELP)
    parser.set_defaults(handler=run)
    exp = sub.add_parser("export", help="write the messages b4 would send as files for "
                                        "git send-email, and print the command that sends them")
    exp.add_argument("dir", metavar="DIR")
    exp.add_argument("--json", action="store_true", help="machine-readable output")
    exp.add_argument("--branch", metavar="NAME", help=BRANCH_HELP)
    exp.add_argument("--in-reply-to", metavar="MSGID", help="thread the messages under it")
    exp.add_argument("--bcc", action="append", default=[], metavar="ADDR",
                     help="add --bcc ADDR to the git send-email command")
    exp.set_defaults(handler=run_export)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    mode: Mode = "reflect" if args.reflect else "preview" if args.preview_to else "send"
    if args.dry_run:
        series = load_series(repo, args.branch)
        plain = plan(repo, series, mode, args.preview_to, _extras(repo, series, mode, args))
        for warning in plain.warnings:
            out.warn(safe_text(warning, 500))
        return _show_dry_run(plain, out, args.json)
    # one send at a time, from the preview the user confirms to the end of b4's run
    with send_lock(repo.git_dir):
        series = load_series(repo, args.branch)
        prepared = prepare(repo, series, mode, args.preview_to, run_checks=not args.no_checks,
                           extras=_extras(repo, series, mode, args))
        for warning in prepared.warnings:
            out.warn(safe_text(warning, 500))
        _show_preflight(prepared.lines, args.override, out, args.json)
        if not args.json:
            _show_extras(prepared.plan, out)
        if not prepared.blocking(args.override):
            confirmed = _confirm(prepared, args.yes, out)
        else:
            confirmed = prepared.confirmation  # send() refuses with the blocking lines named
        result = send(repo, prepared, confirmed, args.override)
    return _report(result, prepared, out, args.json)


def _extras(repo: GitRepo, series: Series, mode: Mode,
            args: argparse.Namespace) -> headers.Extras:
    """This send's changes to b4's mail: --in-reply-to, --bcc (and the series' own Bcc),
    send.strip-trailers."""
    return headers.for_send(repo, series, Config(repo), mode, args.in_reply_to,
                            tuple(args.bcc))


def _show_dry_run(send_plan: SendPlan, out: Output, as_json: bool) -> ExitCode:
    if as_json:
        out.json({"messages": [{**_message_json(m),
                                "stripped": send_plan.stripped.get(m.position, [])}
                               for m in send_plan.messages],
                  "bcc": list(send_plan.extras.bcc)})
        return ExitCode.OK
    for message in send_plan.messages:
        out.line(safe_text(message.raw, 100_000).rstrip())
        out.line("-" * 72)
    _show_extras(send_plan, out)
    out.line(f"dry run: {len(send_plan.messages)} messages, nothing sent")
    return ExitCode.OK


def _show_extras(send_plan: SendPlan, out: Output) -> None:
    """What patchpilot changes in b4's mail: the trailers taken out, the Bcc recipients."""
    for position, lines in sorted(send_plan.stripped.items()):
        what = "the cover" if position == 0 else f"patch {position}"
        out.line(f"stripped from {what} as mailed (the branch keeps them): "
                 f"{safe_text('; '.join(lines), 500)}")
    if send_plan.extras.in_reply_to:
        out.line(f"threaded under <{safe_text(send_plan.extras.in_reply_to, 300)}>")
    if send_plan.extras.bcc:
        out.line(f"bcc (delivered, in no header): {', '.join(send_plan.extras.bcc)}")


def _message_json(m: Message) -> dict[str, Any]:
    return {"position": m.position, "total": m.total, "subject": m.subject, "from": m.sender,
            "to": m.to, "cc": m.cc, "message_id": m.msgid, "in_reply_to": m.in_reply_to,
            "references": m.references, "body": m.body}


def _show_preflight(lines: list[Line], overrides: list[str], out: Output,
                    as_json: bool = False) -> None:
    """The pre-flight as a table on stdout (not with --json: the JSON carries it); the lines
    that fail or warn are said again on stderr, so they show when stdout goes elsewhere."""
    width = max((len(line.name) for line in lines), default=0) + 2
    if not as_json:
        out.line("pre-flight:")
    for line in lines:
        state = "override" if line.state == "fail" and line.name in overrides else line.state
        fix = f"  -> {line.fix}" if line.fix and line.state != "ok" else ""
        if not as_json:
            out.line(f"  {line.name:<{width}}{state:<10}{safe_text(line.detail, 300)}{fix}")
        if state == "fail":
            out.warn(f"pre-flight {line.name} failed: {safe_text(line.detail, 300)}{fix}")
        elif state in ("warn", "override"):
            what = "overridden" if state == "override" else "warning"
            out.warn(f"pre-flight {line.name} {what}: {safe_text(line.detail, 300)}")


def _confirm(prepared: Prepared, assume_yes: bool, out: Output) -> tuple[int, int]:
    what = prepared.summary()
    if assume_yes:
        return prepared.confirmation
    if not sys.stdin.isatty():
        raise PatchpilotError(f"refusing to send {what} without a confirmation",
                              hint="run it in a terminal, or pass --yes after a --dry-run")
    out.line(f"About to send {what} via {prepared.plan.mode}.")
    try:
        answer = input("Type 'yes' to send: ").strip().lower()
    except EOFError:  # Ctrl-D: no answer is not a yes
        out.line("")
        raise PatchpilotError("not sent: no answer", hint="nothing was sent",
                              exit_code=ExitCode.FAILURE)
    if answer != "yes":
        raise PatchpilotError("not sent", hint="nothing was sent", exit_code=ExitCode.FAILURE)
    return prepared.confirmation


def _report(result: SendResult, prepared: Prepared, out: Output, as_json: bool) -> ExitCode:
    attempt = result.attempt
    if as_json:
        out.json({"status": attempt.status, "attempt": attempt.id, "tag": attempt.tag,
                  "preflight": preflight_json(prepared.lines),
                  "cover_message_id": attempt.cover_msgid, "lore": result.lore,
                  "messages": attempt.messages,
                  "not_sent": [m.subject for m in result.missing], "error": attempt.error,
                  "hint": result.hint or None, "history_fix": attempt.history_fix})
    else:
        for entry in attempt.messages:
            out.line(f"{entry['status']:<9} {entry['msgid']}  {safe_text(entry['subject'], 200)}")
        for message in result.missing:
            out.line(f"not sent  {safe_text(message.subject, 200)}")
        if result.complete:
            out.line(f"sent; tag {attempt.tag or '-'}; cover {result.lore or '-'}")
    for warning in result.warnings:
        out.warn(safe_text(warning, 500))
    fix = attempt.history_fix or {}
    if fix.get("error"):
        out.warn(f"the mail went out, but b4's record still names {fix['replaced']} instead "
                 f"of {fix['by']}: {fix['error']}")
    if result.complete:
        return ExitCode.OK
    raise PatchpilotError(f"send stopped: {attempt.error}; {stopped(result, prepared)}, "
                          "series not marked sent",
                          hint=result.hint, exit_code=ExitCode.FAILURE)


def run_export(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    series = load_series(repo, args.branch)
    files, command = export(repo, series, args.dir, headers.for_send(
        repo, series, Config(repo), "send", args.in_reply_to, tuple(args.bcc)))
    if args.json:
        out.json({"files": [str(f) for f in files], "command": command})
        return ExitCode.OK
    for path in files:
        out.line(str(path))
    out.line(" ".join(shlex.quote(a) for a in command))
    return ExitCode.OK
