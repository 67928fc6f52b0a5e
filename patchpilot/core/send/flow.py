"""Sending a series through b4: the exact preview, the plan to confirm, the send and its retry.

Every message comes from b4 (`b4 send --dry-run` for the preview, `b4 send` for the real thing).
For anything that mails, b4's transport is pointed, for that one run, at patchpilot's relay
(patchpilot/core/send/relay.py as `sendemail.sendmailCmd`), which delivers each message through
the user's own `sendemail.*` settings and journals it. So patchpilot knows exactly which
messages went out when the SMTP server fails at message k of n, b4 stops (no tag, no reroll),
and the next attempt skips what was delivered and keeps the original Message-IDs and threading.
Never prints; raises PatchpilotError.
"""

from __future__ import annotations

import email
import email.message
import email.utils
import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4.state import record_sent_cover
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send import headers
from patchpilot.core.send.log import COMPLETE, FAILED, PARTIAL, Attempt, SendLog
from patchpilot.core.send.message import Message, parse_message
from patchpilot.core.send.preflight import (
    b4_needs,
    check_identity,
    lore_link,
    transport_config,
    transport_hint,
)
from patchpilot.core.series.model import Series
from patchpilot.core.series.prep import require_b4_checkout

Mode = Literal["send", "reflect", "preview"]
MODES: tuple[Mode, ...] = ("send", "reflect", "preview")


def preview(repo: GitRepo, mode: Mode = "send", preview_to: list[str] | None = None,
            ) -> list[Message]:
    """The messages b4 would send, from `b4 send --dry-run` (nothing is sent)."""
    transport_config(repo)  # without SMTP, b4 would pick its web endpoint
    # b4 refuses --preview-to with --dry-run: the preview shows the real headers, and the
    # recipients of a preview are the given addresses only
    argv = b4cli.send(dry_run=True)
    result = b4cli.run(argv, cwd=repo.top, check=False)
    raws = b4cli.parse_dry_run(result.stderr + result.stdout)
    if result.returncode != 0 or not raws:
        raise PatchpilotError(f"b4 send --dry-run failed: {b4cli.last_error(result)}",
                              hint="fix what b4 says, then preview again",
                              exit_code=ExitCode.FAILURE)
    return [parse_message(raw) for raw in raws]


@dataclass
class SendPlan:
    """What a send would do now: the messages, who gets them, and a retry's leftovers."""

    mode: Mode
    series: Series
    messages: list[Message]
    preview_to: list[str] = field(default_factory=list)
    resume: Attempt | None = None
    # send-time changes (headers.py): In-Reply-To, Bcc, stripped trailers (per position)
    extras: headers.Extras = field(default_factory=headers.Extras)
    stripped: dict[int, list[str]] = field(default_factory=dict)

    def to_send(self) -> list[Message]:
        done = {m["position"] for m in self.resume.delivered()} if self.resume else set()
        return [m for m in self.messages if m.position not in done]

    def recipients(self, me: str = "") -> list[str]:
        if self.mode == "reflect":
            return [me]
        if self.mode == "preview":
            return [a.lower() for _, a in email.utils.getaddresses(self.preview_to) if a]
        seen: dict[str, None] = {}
        for message in self.to_send():
            for address in message.recipients():
                seen.setdefault(address.lower())
        for address in self.extras.bcc:  # envelope only, but counted and confirmed
            seen.setdefault(address.lower())
        return list(seen)


def plan(repo: GitRepo, series: Series, mode: Mode = "send",
         preview_to: list[str] | None = None, extras: headers.Extras | None = None,
         ) -> SendPlan:
    """Preview the series and find an unfinished earlier attempt of this revision;
    `extras` (default: the series' Bcc and send.strip-trailers) change the mail as sent."""
    if mode not in MODES:
        raise PatchpilotError(f"unknown send mode {mode}", hint=", ".join(MODES))
    _require_sendable(repo, series)
    if mode == "preview" and not preview_to:
        raise PatchpilotError("--preview-to needs at least one address",
                              hint="patchpilot send --preview-to you@example.org")
    messages = preview(repo, mode, preview_to)
    log = SendLog(repo.git_dir, series.change_id, series.branch)
    resume = log.pending(series.revision) if mode == "send" else None
    extras = extras or headers.for_send(repo, series, Config(repo), mode)
    messages, stripped = headers.apply(messages, extras)
    return SendPlan(mode, series, messages, list(preview_to or []), resume, extras, stripped)


def _require_sendable(repo: GitRepo, series: Series) -> None:
    if series.b4_managed and not series.patches:
        raise PatchpilotError(f"{series.branch} has no patches to send",
                              hint="commit your work on the branch first")
    require_b4_checkout(repo, series, "send")
    check_identity(repo)


@dataclass
class SendResult:
    """What happened: the attempt as logged, the messages that did not go out, the tag."""

    attempt: Attempt
    missing: list[Message]
    b4_output: str
    lore: str | None = None
    hint: str = ""  # for a send that stopped: what to check, then what to run

    @property
    def complete(self) -> bool:
        return self.attempt.status == COMPLETE


def execute(repo: GitRepo, send_plan: SendPlan, confirmed: tuple[int, int],
            overrides: list[str] | None = None, config: Config | None = None) -> SendResult:
    """Mail the plan through b4. `confirmed` is the (messages, recipients) the user agreed to;
    it must match the plan, so nothing goes out that the user did not see counted. Pre-flight
    (core.preflight) is the caller's job; b4's own pre-flight prompt is answered here because
    the caller has already accepted or overridden those lines."""
    me = check_identity(repo)
    expected = (len(send_plan.to_send()), len(send_plan.recipients(me)))
    if tuple(confirmed) != expected:
        raise PatchpilotError(
            f"the confirmation ({confirmed[0]} messages, {confirmed[1]} recipients) does not "
            f"match what would be sent ({expected[0]}, {expected[1]})",
            hint="preview again and confirm what is shown")
    # read once; a bad setting stops here, before an attempt is logged
    transport = {**transport_config(repo), "timeout": smtp_timeout(config or Config(repo))}
    series = send_plan.series
    log = SendLog(repo.git_dir, series.change_id, series.branch)
    attempt = log.start(send_plan.mode, series.revision, expected[0], overrides or [],
                        resumes=send_plan.resume.id if send_plan.resume else None)
    result = _run_b4(repo, log, attempt, send_plan, transport)
    return _conclude(repo, log, attempt, send_plan, result, transport)


def _relay_command(plan_file: Path) -> str:
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "patchpilot.core.send.relay",
                                              str(plan_file), "-i"))


def _resume_map(previous: Attempt | None) -> dict[str, dict[str, Any]]:
    if previous is None:
        return {}
    return {str(m["position"]): {"msgid": m["msgid"],
                                 "delivered": m["status"] in ("delivered", "skipped")}
            for m in previous.messages if m.get("msgid")}


def smtp_timeout(config: Config) -> float:
    """Seconds the relay waits on each step of an SMTP exchange (b4 itself has no limit):
    the setting send.smtp-timeout (git config patchpilot.send.smtp-timeout, env
    PATCHPILOT_SEND_SMTP_TIMEOUT, the user file, config/defaults.toml)."""
    seconds = config.number("send.smtp-timeout")
    if seconds <= 0:
        raise PatchpilotError(f"send.smtp-timeout is {seconds:g}, not a number of seconds",
                              hint="git config patchpilot.send.smtp-timeout 60")
    return seconds


def _run_b4(repo: GitRepo, log: SendLog, attempt: Attempt, send_plan: SendPlan,
            transport: dict[str, Any]) -> b4cli.B4Result:
    plan_file = log.journal(attempt).with_suffix(".plan.json")
    plan_file.write_text(json.dumps({"journal": str(log.journal(attempt)),
                                     "transport": transport,
                                     "resume": _resume_map(send_plan.resume),
                                     "extras": send_plan.extras.to_json()}))
    relay = _relay_command(plan_file)
    config = {"sendemail.sendmailCmd": relay, "sendemail.b4-really-reflect-via": relay}
    if transport.get("identity"):
        config[f"sendemail.{transport['identity']}.sendmailCmd"] = relay
        config[f"sendemail.{transport['identity']}.b4-really-reflect-via"] = relay
    # b4 asks twice when its own pre-flight fails; answer exactly what it will ask
    ignore = bool(b4_needs(repo))
    answer = (b4cli.SEND_IGNORE_PREFLIGHT if ignore else "") + b4cli.SEND_PROCEED
    argv = b4cli.send(reflect=send_plan.mode == "reflect",
                      preview_to=send_plan.preview_to if send_plan.mode == "preview" else None)
    try:
        return b4cli.run(argv, cwd=repo.top, answer=answer, check=False, config=config)
    finally:
        plan_file.unlink(missing_ok=True)


def _conclude(repo: GitRepo, log: SendLog, attempt: Attempt, send_plan: SendPlan,
              result: b4cli.B4Result, transport: dict[str, Any]) -> SendResult:
    journal = log.finish(attempt, "started").messages
    gone = {m["position"] for m in journal if m.get("status") in ("delivered", "skipped")}
    if send_plan.resume:
        gone |= {m["position"] for m in send_plan.resume.delivered()}
    missing = [m for m in send_plan.messages if m.position not in gone]
    b4_done = result.returncode == 0 and not missing
    status = COMPLETE if b4_done else (PARTIAL if gone else FAILED)
    error = None if b4_done else _failure_reason(journal, result)
    attempt = log.finish(attempt, status, error)
    if status == COMPLETE and send_plan.mode == "send":
        _after_complete(repo, log, attempt, send_plan)
    cover = next((m for m in _all_delivered(attempt, send_plan) if m["position"] in (0, 1)
                  and m.get("msgid")), None)
    link = lore_link(repo, cover["msgid"]) if cover and status == COMPLETE else None
    hint = "" if b4_done else _failure_hint(transport, journal, status, send_plan.mode)
    return SendResult(attempt, missing, result.stderr + result.stdout, link, hint)


def _all_delivered(attempt: Attempt, send_plan: SendPlan) -> list[dict[str, Any]]:
    earlier = send_plan.resume.delivered() if send_plan.resume else []
    return sorted(earlier + attempt.delivered(), key=lambda m: m["position"])


def _failure_reason(journal: list[dict[str, Any]], result: b4cli.B4Result) -> str:
    failed = [m for m in journal if m.get("status") == "failed"]
    if failed:
        return f"message {failed[-1]['position']}/{failed[-1]['total']}: {failed[-1]['error']}"
    return b4cli.last_error(result)


def _failure_hint(transport: dict[str, Any], journal: list[dict[str, Any]], status: str,
                  mode: str) -> str:
    failed = [m for m in journal if m.get("status") == "failed"]
    kind = failed[-1].get("kind", "other") if failed else None
    then = ("then run patchpilot send again: it sends only the messages marked 'not sent', "
            "threaded to what went out" if status == PARTIAL and mode == "send"
            else "then send again")
    if kind is None:
        return f"fix what b4 says; {then}"
    return f"{transport_hint(kind, transport)}; {then}"


def _after_complete(repo: GitRepo, log: SendLog, attempt: Attempt, send_plan: SendPlan) -> None:
    """Record b4's tag and the cover that really went out. A resumed send skipped the cover
    b4 made in its last run, yet b4 recorded that one (history and `Link to vN`): put the
    real one in b4's state."""
    series = send_plan.series
    tag = f"sent/{series.change_id}-v{series.revision}"
    attempt.tag = tag if repo.rev_parse(f"refs/tags/{tag}") else None
    delivered = _all_delivered(attempt, send_plan)
    cover = next((m for m in delivered if m["position"] in (0, 1)), None)
    attempt.cover_msgid = cover["msgid"] if cover else None
    if cover and cover.get("b4_msgid") and send_plan.resume:
        ours = next((m for m in attempt.messages if m["position"] == cover["position"]), None)
        if ours and ours["b4_msgid"] != cover["msgid"]:
            _record_cover(repo, attempt, series, ours["b4_msgid"], cover["msgid"])
    log.save()


def _record_cover(repo: GitRepo, attempt: Attempt, series: Series, made: str,
                  sent: str) -> None:

    try:
        backup = record_sent_cover(repo, series.branch, series.revision, made, sent)
    except (PatchpilotError, ValueError) as exc:  # the mail went out: say so, not a failure
        attempt.history_fix = {"replaced": made, "by": sent, "error": str(exc)}
        return
    attempt.history_fix = {"replaced": made, "by": sent, "backup": backup}


def export(repo: GitRepo, series: Series, directory: str,
           extras: headers.Extras | None = None) -> tuple[list[Path], list[str]]:
    """Write the messages b4 would send into `directory` (`b4 send -o DIR --no-sign`); return
    the files in series order and the `git send-email` command line that sends them as is
    (their own To/Cc, Message-IDs and threading; no Cc collected from the bodies)."""
    _require_sendable(repo, series)
    target = Path(directory).expanduser().resolve()
    if target.exists() and any(target.glob("*.eml")):
        raise PatchpilotError(f"{target} already holds .eml files",
                              hint="export into an empty or new directory")
    transport_config(repo)  # without SMTP, b4 -o insists on a patatt key (web endpoint)
    b4cli.run(b4cli.send(output_dir=str(target)), cwd=repo.top)
    files = sorted(target.glob("*.eml"),
                   key=lambda p: parse_message(p.read_text(encoding="utf-8")).position)
    extras = extras or headers.for_send(repo, series, Config(repo))
    for path in files:  # the same send-time changes as a send (headers.py)
        message = parse_message(path.read_text(encoding="utf-8"))
        raw, _ = headers.rewrite(message.raw, message.position, message.total, extras)
        path.write_text(raw, encoding="utf-8")
    command = ["git", "send-email", "--confirm=never", "--no-thread", "--suppress-cc=author",
               "--suppress-cc=body", "--8bit-encoding=UTF-8",
               *[f"--bcc={address}" for address in extras.bcc], *[str(f) for f in files]]
    return files, command
