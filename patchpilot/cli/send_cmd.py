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
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.send.flow import Mode, SendPlan, SendResult, export, plan
from patchpilot.core.send.lock import send_lock
from patchpilot.core.send.message import Message
from patchpilot.core.send.preflight import Line
from patchpilot.core.send.prepare import Prepared, prepare, send, stopped
from patchpilot.core.series.model import load_series, open_kernel_repo
from patchpilot.core.text import safe_text


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
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)
    exp = sub.add_parser("export", help="write the messages b4 would send as files for "
                                        "git send-email, and print the command that sends them")
    exp.add_argument("dir", metavar="DIR")
    exp.add_argument("--json", action="store_true", help="machine-readable output")
    exp.set_defaults(handler=run_export)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    mode: Mode = "reflect" if args.reflect else "preview" if args.preview_to else "send"
    if args.dry_run:
        plain = plan(repo, load_series(repo), mode, args.preview_to)
        for warning in plain.warnings:
            out.warn(safe_text(warning, 500))
        return _show_dry_run(plain, out, args.json)
    # one send at a time, from the preview the user confirms to the end of b4's run
    with send_lock(repo.git_dir):
        series = load_series(repo)
        prepared = prepare(repo, series, mode, args.preview_to, run_checks=not args.no_checks)
        for warning in prepared.warnings:
            out.warn(safe_text(warning, 500))
        _show_preflight(prepared.lines, args.override, out)
        if not prepared.blocking(args.override):
            confirmed = _confirm(prepared, args.yes, out)
        else:
            confirmed = prepared.confirmation  # send() refuses with the blocking lines named
        result = send(repo, prepared, confirmed, args.override)
    return _report(result, prepared, out, args.json)


def _show_dry_run(send_plan: SendPlan, out: Output, as_json: bool) -> ExitCode:
    if as_json:
        out.json({"messages": [_message_json(m) for m in send_plan.messages]})
        return ExitCode.OK
    for message in send_plan.messages:
        out.line(safe_text(message.raw, 100_000).rstrip())
        out.line("-" * 72)
    out.line(f"dry run: {len(send_plan.messages)} messages, nothing sent")
    return ExitCode.OK


def _message_json(m: Message) -> dict[str, Any]:
    return {"position": m.position, "total": m.total, "subject": m.subject, "from": m.sender,
            "to": m.to, "cc": m.cc, "message_id": m.msgid, "in_reply_to": m.in_reply_to,
            "references": m.references, "body": m.body}


def _show_preflight(lines: list[Line], overrides: list[str], out: Output) -> None:
    for line in lines:
        state = "override" if line.state == "fail" and line.name in overrides else line.state
        fix = f"  -> {line.fix}" if line.fix and line.state != "ok" else ""
        out.warn(f"pre-flight {line.name:<11} {state:<8} {line.detail}{fix}")


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
    series = load_series(repo)
    files, command = export(repo, series, args.dir)
    if args.json:
        out.json({"files": [str(f) for f in files], "command": command})
        return ExitCode.OK
    for path in files:
        out.line(str(path))
    out.line(" ".join(shlex.quote(a) for a in command))
    return ExitCode.OK
