"""Text for the send screen, from core.send data: the pre-flight rows (failing first, the fix
under the detail), one message's headers and body, the plan's summary, a send's outcome.

Message-IDs: b4 makes new ones when it sends, so the preview does not show the dry run's as if
they would be used; a resumed send keeps the ones it had, and those are shown. Text from
commits and mail goes through safe_text into rich Text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from patchpilot.core.send.flow import SendPlan, SendResult
from patchpilot.core.send.message import Message
from patchpilot.core.send.preflight import ENVIRONMENT, Line
from patchpilot.core.send.prepare import Prepared, stopped
from patchpilot.core.text import safe_text

STATE_STYLE = {"ok": "green", "fail": "bold red", "warn": "yellow", "skipped": "dim"}
STATE_ORDER = {"fail": 0, "warn": 1, "skipped": 2, "ok": 3}


def preflight_rows(lines: list[Line], words: Callable[[str], str]) -> list[list[str | Text]]:
    """One row per line, failing ones first; the fix (in the TUI's words) under the detail."""
    rows: list[list[str | Text]] = []
    for line in sorted(lines, key=lambda ln: STATE_ORDER.get(ln.state, 9)):
        detail = Text(safe_text(line.detail, 400))
        if line.fix and line.state != "ok":
            detail.append("\n→ " + words(safe_text(line.fix, 400)), style="yellow")
        rows.append([line.name, Text(line.state, style=STATE_STYLE.get(line.state, "")),
                     detail])
    return rows


def kept_msgids(plan: SendPlan) -> dict[int, str]:
    """The Message-IDs a resumed send keeps, by position (none for a fresh send)."""
    if plan.resume is None:
        return {}
    return {int(m["position"]): str(m["msgid"]) for m in plan.resume.messages
            if m.get("msgid")}


def describe_message(message: Message, plan: SendPlan) -> Text:
    """Headers and body of one message, as data (never markup)."""
    kept = kept_msgids(plan)
    cover = plan.messages[0].msgid if plan.messages else ""
    msgid = kept.get(message.position) or "(b4 makes it when it sends)"
    reply = message.in_reply_to
    if reply and reply == cover:
        reply = kept.get(plan.messages[0].position) or "the cover letter's Message-ID"
    text = Text()
    for name, value in (("From", message.sender), ("To", ", ".join(message.to)),
                        ("Cc", ", ".join(message.cc)), ("Subject", message.subject),
                        ("Message-ID", msgid), ("In-Reply-To", reply)):
        text.append(f"{name}: ", style="bold")
        text.append(safe_text(value or "-", 5000) + "\n")
    return text.append("\n" + safe_text(message.body, 200_000))


def describe_plan(branch: str, prepared: Prepared) -> Text:
    """What a send would do now, and what holds it back."""
    text = Text(f"{safe_text(branch, 200)}: {prepared.count} message(s) to {prepared.recipients} "
                "recipient(s), as b4 will send them (Message-IDs are made at send time)")
    blocking = [ln.name for ln in prepared.blocking()]
    fixed_first = [name for name in blocking if name in ENVIRONMENT]
    if fixed_first:
        text.append(f"\npre-flight blocks: {', '.join(blocking)} ({' and '.join(fixed_first)} "
                    "must be set up before anything can be sent)", style="yellow")
    elif blocking:
        text.append(f"\npre-flight blocks: {', '.join(blocking)} (x asks before "
                    "overriding)", style="yellow")
    else:
        text.append("\npre-flight passes: x sends (it asks first)", style="green")
    resume = prepared.plan.resume
    if resume:
        doubt = len(resume.unconfirmed())
        text.append(f"\nan earlier attempt stopped; {len(prepared.plan.messages) - prepared.count}"
                    " message(s) already went out and will be skipped"
                    + (f"; {doubt} whose delivery was not confirmed go out again under the "
                       "same Message-ID" if doubt else ""), style="yellow")
    for warning in prepared.warnings:  # state found damaged and kept aside, and the like
        text.append(f"\n{safe_text(warning, 500)}", style="yellow")
    return text


def describe_result(result: SendResult | None, prepared: Prepared | None,
                    words: Callable[[str], str]) -> Text:
    """The last send's outcome, what to check when it stopped, what is next; then a new line."""
    if result is None:
        return Text()
    attempt = result.attempt
    if result.complete:
        revision = prepared.plan.series.revision if prepared else None
        sent = f"sent v{revision}" if revision else "sent"
        text = Text(f"{sent}: tag {attempt.tag or '-'}, cover {result.lore or '-'}\n",
                    style="bold green")
        fix = attempt.history_fix or {}
        if fix.get("error"):
            text.append(f"b4's record still names {fix['replaced']}: "
                        f"{safe_text(fix['error'], 300)}\n", style="yellow")
        text.append("next: v follows the review on the list; n prepares the next revision "
                    "when it asks for changes; r previews that revision here\n")
        return _with_warnings(text, result)
    gone = stopped(result, prepared) if prepared else "stopped"
    if attempt.status != "failed":
        gone += f"; {len(result.missing)} not sent, x sends only those"
    text = Text(f"send stopped: {safe_text(str(attempt.error), 300)}; {gone}\n",
                style="red")
    if result.hint:
        text.append(words(safe_text(result.hint, 800)) + "\n", style="yellow")
    return _with_warnings(text, result)


def _with_warnings(text: Text, result: SendResult) -> Text:
    """The send log's warnings (a journal line a full disk kept unwritten, ...), as the CLI
    says them."""
    for warning in result.warnings:
        text.append(f"{safe_text(warning, 500)}\n", style="yellow")
    return text


def describe_sent(result: SendResult) -> Text:
    """The messages that went out, with the Message-IDs they really had."""
    text = Text("What went out:\n", style="bold")
    for entry in result.attempt.messages:
        text.append(f"{entry.get('status', '?'):<10}", style="green")
        text.append(f"{safe_text(str(entry.get('subject', '')), 300)}\n")
        text.append(f"          {safe_text(str(entry.get('msgid', '')), 300)}\n", style="dim")
    return text
