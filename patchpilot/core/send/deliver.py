"""Mailing a confirmed send plan through b4 and patchpilot's relay, and what it did.

`execute` holds the repository's send lock (core.send.lock) for the whole run, checks that
the plan is still what would be sent (no other send ran, the branch did not move, no relay of
a killed send is still delivering), journals the attempt (core.send.journal) before b4 runs,
and concludes from the journal alone: which messages went out, which did not, which are
unconfirmed. An interruption (Ctrl-C; the CLI turns SIGHUP and SIGTERM into one) kills b4 and
its relay and ends in one line saying how far it got; the next send resumes from there.
Never prints; raises PatchpilotError.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4.state import record_sent_cover
from patchpilot.core.b4.tracking import read_tracking
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.fs import write_atomic
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send.flow import SendPlan, SendResult, smtp_timeout
from patchpilot.core.send.journal import GONE
from patchpilot.core.send.lock import owner, relay_busy, relay_lock_path, send_lock
from patchpilot.core.send.log import (
    COMPLETE,
    FAILED,
    INTERRUPTED,
    PARTIAL,
    Attempt,
    SendLog,
)
from patchpilot.core.send.preflight import (
    b4_needs,
    check_identity,
    lore_link,
    transport_config,
    transport_hint,
)
from patchpilot.core.send.sign import signing_key
from patchpilot.core.series.model import Series


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
    with send_lock(repo.git_dir):
        log = SendLog(repo.git_dir, series.change_id, series.branch)
        _still_current(repo, send_plan, log)
        attempt = log.start(send_plan.mode, series.revision, expected[0], overrides or [],
                            resumes=send_plan.resume.id if send_plan.resume else None)
        try:
            result = _run_b4(repo, log, attempt, send_plan, transport)
        except BaseException as exc:  # b4 could not run, or Ctrl-C / SIGHUP / SIGTERM
            raise _stopped_early(log, attempt, send_plan, exc) from None
        return _conclude(repo, log, attempt, send_plan, result, transport)


def _still_current(repo: GitRepo, send_plan: SendPlan, log: SendLog) -> None:
    """Under the send lock: the plan the user confirmed is still what a send does now."""
    if relay_busy(repo.git_dir):
        raise PatchpilotError(
            "a message of an earlier send is still being handed to the server by its relay "
            "(that patchpilot was stopped)",
            hint="wait for it to finish (it gives up after send.smtp-timeout), then send "
                 "again; nothing was sent", exit_code=ExitCode.FAILURE)
    series = send_plan.series
    now = log.pending(series.revision) if send_plan.mode == "send" else None
    tracking = read_tracking(repo, series.branch)
    moved = repo.rev_parse(f"refs/heads/{series.branch}") != send_plan.tip or \
        (tracking.revision if tracking else series.revision) != series.revision
    if moved or _state(now) != _state(send_plan.resume):
        what = f"{series.branch} changed" if moved else "the send log changed"
        raise PatchpilotError(f"{what} since the preview (another send?)",
                              hint="preview again and confirm what is shown; nothing was sent",
                              exit_code=ExitCode.FAILURE)


def _state(attempt: Attempt | None) -> object:
    if attempt is None:
        return None
    return attempt.id, sorted((m["position"], m.get("status")) for m in attempt.messages)


def _relay_command(plan_file: Path) -> str:
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "patchpilot.core.send.relay",
                                              str(plan_file), "-i"))


def _resume_map(previous: Attempt | None) -> dict[str, dict[str, Any]]:
    """Per position: the Message-ID it had, whether it went out, and what it said."""
    if previous is None:
        return {}
    return {str(m["position"]): {"msgid": m["msgid"], "delivered": m["status"] in GONE,
                                 "digest": m.get("digest"), "patch_id": m.get("patch_id")}
            for m in previous.messages if m.get("msgid")}


def _run_b4(repo: GitRepo, log: SendLog, attempt: Attempt, send_plan: SendPlan,
            transport: dict[str, Any]) -> b4cli.B4Result:
    plan_file = log.journal(attempt).with_suffix(".plan.json")
    try:
        write_atomic(plan_file, json.dumps({
            "journal": str(log.journal(attempt)), "transport": transport, "owner": owner(),
            "relay_lock": str(relay_lock_path(repo.git_dir)),
            "resume": _resume_map(send_plan.resume),
            "extras": send_plan.extras.to_json()}))  # --in-reply-to, Bcc, stripped trailers
    except OSError as exc:
        raise PatchpilotError(f"cannot write the relay's plan {plan_file} "
                              f"({exc.strerror or exc})", hint="free some space, then send "
                              "again", exit_code=ExitCode.FAILURE)
    relay = _relay_command(plan_file)
    config = {"sendemail.sendmailCmd": relay, "sendemail.b4-really-reflect-via": relay}
    if transport.get("identity"):
        config[f"sendemail.{transport['identity']}.sendmailCmd"] = relay
        config[f"sendemail.{transport['identity']}.b4-really-reflect-via"] = relay
    # b4 asks twice when its own pre-flight fails; answer exactly what it will ask
    ignore = bool(b4_needs(repo))
    answer = (b4cli.SEND_IGNORE_PREFLIGHT if ignore else "") + b4cli.SEND_PROCEED
    argv = b4cli.send(reflect=send_plan.mode == "reflect",
                      preview_to=send_plan.preview_to if send_plan.mode == "preview" else None,
                      sign=signing_key(repo) is not None)
    try:
        return b4cli.run(argv, cwd=repo.top, answer=answer, check=False, config=config)
    finally:
        plan_file.unlink(missing_ok=True)


def _gone(attempt: Attempt, send_plan: SendPlan) -> set[int]:
    gone = {m["position"] for m in attempt.delivered()}
    if send_plan.resume:
        gone |= {m["position"] for m in send_plan.resume.delivered()}
    return gone


def _stopped_early(log: SendLog, attempt: Attempt, send_plan: SendPlan,
                   exc: BaseException) -> BaseException:
    """Record an attempt b4 did not finish; the error to raise, saying how far it got."""
    log.refresh(attempt)
    gone = _gone(attempt, send_plan)
    unconfirmed = len(attempt.unconfirmed())
    interrupted = isinstance(exc, KeyboardInterrupt)
    status = INTERRUPTED if interrupted else (PARTIAL if gone or unconfirmed else FAILED)
    log.finish(attempt, status, "interrupted" if interrupted else str(exc))
    if not interrupted:
        return exc
    total = len(send_plan.messages)
    doubt = f", {unconfirmed} unconfirmed" if unconfirmed else ""
    return PatchpilotError(
        f"send interrupted: {len(gone)} of {total} message(s) went out{doubt}; series not "
        "marked sent", hint="run patchpilot send again: it sends only what did not go out, "
        "under the original Message-IDs", exit_code=ExitCode.FAILURE)


def _conclude(repo: GitRepo, log: SendLog, attempt: Attempt, send_plan: SendPlan,
              result: b4cli.B4Result, transport: dict[str, Any]) -> SendResult:
    journal = log.refresh(attempt).messages
    gone = _gone(attempt, send_plan)
    missing = [m for m in send_plan.messages if m.position not in gone]
    b4_done = result.returncode == 0 and not missing
    status = COMPLETE if b4_done else (PARTIAL if gone or attempt.unconfirmed() else FAILED)
    error = None if b4_done else _failure_reason(journal, result)
    if status == COMPLETE and send_plan.mode == "send":
        _after_complete(repo, attempt, send_plan)
    attempt = log.finish(attempt, status, error)
    cover = next((m for m in _all_delivered(attempt, send_plan) if m["position"] in (0, 1)
                  and m.get("msgid")), None)
    link = lore_link(repo, cover["msgid"]) if cover and status == COMPLETE else None
    hint = "" if b4_done else _failure_hint(transport, journal, status, send_plan.mode,
                                            error or "")
    return SendResult(attempt, missing, result.stderr + result.stdout, link, hint,
                      list(log.warnings))


def _all_delivered(attempt: Attempt, send_plan: SendPlan) -> list[dict[str, Any]]:
    earlier = send_plan.resume.delivered() if send_plan.resume else []
    return sorted(earlier + attempt.delivered(), key=lambda m: m["position"])


def _failure_reason(journal: list[dict[str, Any]], result: b4cli.B4Result) -> str:
    failed = [m for m in journal if m.get("status") == "failed"]
    if failed:
        return f"message {failed[-1]['position']}/{failed[-1]['total']}: {failed[-1]['error']}"
    relay = [ln.split("patchpilot relay: ", 1)[1] for ln in result.stderr.splitlines()
             if "patchpilot relay: " in ln]
    return relay[-1] if relay else b4cli.last_error(result)


def _failure_hint(transport: dict[str, Any], journal: list[dict[str, Any]], status: str,
                  mode: str, reason: str) -> str:
    failed = [m for m in journal if m.get("status") == "failed"]
    kind = failed[-1].get("kind", "other") if failed else None
    then = ("then run patchpilot send again: it sends only the messages marked 'not sent', "
            "threaded to what went out" if status == PARTIAL and mode == "send"
            else "then send again")
    if kind is None and "send journal" in reason:
        return f"free some space in .git/patchpilot (or make it writable); {then}"
    if kind is None:
        return f"fix what b4 says; {then}"
    if kind == "changed":
        return f"preview again (patchpilot send --dry-run); {then}"
    return f"{transport_hint(kind, transport)}; {then}"


def _after_complete(repo: GitRepo, attempt: Attempt, send_plan: SendPlan) -> None:
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


def _record_cover(repo: GitRepo, attempt: Attempt, series: Series, made: str,
                  sent: str) -> None:
    try:
        backup = record_sent_cover(repo, series.branch, series.revision, made, sent)
    except (PatchpilotError, ValueError, OSError) as exc:  # the mail went out: not a failure
        attempt.history_fix = {"replaced": made, "by": sent, "error": str(exc)}
        return
    attempt.history_fix = {"replaced": made, "by": sent, "backup": backup}

