"""The mail relay b4 runs as `sendemail.sendmailCmd` while patchpilot sends a series.

`python -m patchpilot.core.send.relay PLAN.json -i [-f SENDER] RCPT...` with one message on stdin.
b4 calls it once per message, in order, and stops at the first non-zero exit (its
`_run_command` path raises RuntimeError: no tag, no reroll). For each message the hook, holding
the repository's relay lock (core.send.lock),

1. refuses when the patchpilot that started the attempt is gone (killed with SIGKILL: its b4
   goes on alone, and nobody would record or report what it sends),
2. skips it when the plan says an earlier attempt already delivered that position (a retry),
   but only if it is the same message (core.send.content; else it refuses),
3. gives it back its original Message-ID and threading when an earlier attempt generated one,
   and makes the send-time changes (core.send.headers: In-Reply-To, Bcc, stripped trailers;
   the fingerprint is taken of the message as it goes out),
4. journals `sending` (and reserves room for the outcome) before anything goes out; when the
   journal cannot be written (a full disk), the message is not sent,
5. delivers it through the user's own git `sendemail.*` transport (SMTP via smtplib, or the
   user's own sendmailCmd): a message is delivered once the server said 250 to its DATA,
   whatever the server answers to QUIT after that, and
6. writes the outcome into the reserved room, fsynced, before answering b4.

Passwords are read from git config or `git credential fill` at delivery time; never stored.
"""

from __future__ import annotations

import email
import email.utils
import json
import os
import re
import shlex
import smtplib
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.send import journal
from patchpilot.core.send.content import difference, fingerprint
from patchpilot.core.send.headers import Extras, rewrite_bytes
from patchpilot.core.send.lock import owner_alive, relay_lock
from patchpilot.core.send.log import position
from patchpilot.core.send.sign import resign
from patchpilot.core.send.smtp import BoundedSMTP, BoundedSMTP_SSL, Uncertain


def parse_args(argv: list[str]) -> tuple[Path, str | None, list[str]]:
    plan, rest, sender, rcpts = Path(argv[0]), argv[1:], None, []
    index = 0
    while index < len(rest):
        arg = rest[index]
        if arg == "-f" and index + 1 < len(rest):
            sender, index = rest[index + 1], index + 2
            continue
        if not arg.startswith("-"):
            rcpts.append(arg)
        index += 1
    return plan, sender, rcpts


def rewrite_ids(data: bytes, mapping: dict[str, str]) -> bytes:
    """Replace b4's fresh Message-IDs by the originals, in the header block only."""
    head, sep, body = data.partition(b"\n\n") if b"\r\n\r\n" not in data \
        else data.partition(b"\r\n\r\n")
    for new, old in mapping.items():
        head = head.replace(new.encode(), old.encode())
    return head + sep + body


class NoPassword(Exception):
    """smtpUser is set but neither sendemail.smtpPass nor a git credential helper has one."""


def _password(transport: dict[str, Any], server: str, port: int, user: str) -> str:
    keys = ([f"sendemail.{transport['identity']}.smtppass"] if transport.get("identity")
            else []) + ["sendemail.smtppass"]  # as b4 reads it: the identity's value first
    for key in keys:
        found = subprocess.run(["git", "config", "--get", key], capture_output=True, text=True)
        if found.stdout.rstrip("\n"):
            return found.stdout.rstrip("\n")
    query = f"protocol=smtp\nhost={server}:{port}\nusername={user}\n\n" if port \
        else f"protocol=smtp\nhost={server}\nusername={user}\n\n"
    filled = subprocess.run(["git", "credential", "fill"], input=query, capture_output=True,
                            text=True, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    for line in filled.stdout.splitlines():
        if line.startswith("password="):
            return line.split("=", 1)[1]
    raise NoPassword(user)


def tls_context(transport: dict[str, Any]) -> ssl.SSLContext:
    """The server's certificate is verified before a password goes out (b4 does not check
    it; git send-email does): against sendemail.smtpSSLCertPath (a CA file or directory) when
    set, the system's CAs when unset; set to "" it is not checked, as in git send-email."""
    path = transport.get("smtpsslcertpath")
    if path == "":
        return ssl._create_unverified_context()
    if path and os.path.isdir(path):
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path or None)


def smtp_send(transport: dict[str, Any], sender: str, rcpts: list[str], data: bytes,
              ) -> str | None:
    """Deliver one message; return a note on what the server said besides its 250 (some
    recipients refused, QUIT answered with an error), or None."""
    server = transport.get("smtpserver") or "localhost"
    port = int(transport.get("smtpserverport") or 0)
    encryption = (transport.get("smtpencryption") or "").lower()
    ssl_port = encryption in ("ssl", "smtps")
    klass: type[smtplib.SMTP] = BoundedSMTP_SSL if ssl_port else BoundedSMTP
    kwargs: dict[str, Any] = {"context": tls_context(transport)} if ssl_port else {}
    # every connect, read and write is bounded: a server that accepts and never answers
    # must not hold b4 (which has no timeout of its own) forever
    smtp = klass(server, port, timeout=timeout_of(transport), **kwargs)
    try:
        if encryption in ("tls", "starttls"):
            smtp.ehlo()
            smtp.starttls(context=tls_context(transport))
            smtp.ehlo()
        user = transport.get("smtpuser") or ""
        if encryption and user and (transport.get("smtpauth") or "").lower() != "none":
            smtp.login(user, _password(transport, server, port, user))
        data = re.sub(rb"\r\n|\n|\r(?!\n)", b"\r\n", data)
        refused = smtp.sendmail(sender, rcpts, data)
    except BaseException as exc:
        smtp.close()
        if getattr(smtp, "handed_over", False) and isinstance(exc, OSError) and \
                not isinstance(exc, smtplib.SMTPResponseException):
            raise Uncertain(exc) from exc  # no answer (a refusal is one) to what it has
        raise
    notes = [f"refused for {', '.join(sorted(refused))}"] if refused else []
    try:  # the message is delivered: the server said 250 to its DATA
        code, answer = smtp.quit()
        if code != 221:
            notes.append(f"the server accepted it, then answered QUIT with {code} "
                         f"{answer.decode(errors='replace')[:200]}")
    except (smtplib.SMTPException, OSError) as exc:
        notes.append(f"the server accepted it, then answered QUIT with "
                     f"{_answer(exc) if isinstance(exc, smtplib.SMTPResponseException) else exc}")
    finally:
        smtp.close()
    return "; ".join(notes) or None


def command_send(transport: dict[str, Any], rcpts: list[str], data: bytes) -> str | None:
    argv = shlex.split(transport["sendmailcmd"]) + ["-i", *rcpts]
    proc = subprocess.run(argv, input=data, capture_output=True)
    if proc.returncode:
        raise OSError(f"{argv[0]} exited {proc.returncode}: "
                      f"{proc.stderr.decode(errors='replace').strip()[:300]}")
    return None


def timeout_of(transport: dict[str, Any]) -> float:
    return float(transport["timeout"])  # checked by core.send.smtp_timeout


AUTH_CODES = (530, 534, 535, 538)  # authentication required / too weak / refused / TLS first


def classify(exc: Exception) -> str:
    """What kind of trouble: auth, timeout, refused, resolve, tls, disconnected, rejected,
    command or other (core.send turns the kind into what to check)."""
    if isinstance(exc, Uncertain):
        return classify(exc.cause) if isinstance(exc.cause, Exception) else "other"
    if isinstance(exc, (smtplib.SMTPAuthenticationError, NoPassword)):
        return "auth"
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code in AUTH_CODES:
        return "auth"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "auth" if "AUTH" in str(exc) else "tls"
    if _timed_out(exc):
        return "timeout"
    kinds = ((smtplib.SMTPServerDisconnected, "disconnected"), (ssl.SSLError, "tls"),
             (ConnectionRefusedError, "refused"), (socket.gaierror, "resolve"),
             (smtplib.SMTPRecipientsRefused, "rejected"),
             (smtplib.SMTPResponseException, "rejected"), (OSError, "network"))
    for klass, kind in kinds:
        if isinstance(exc, klass):
            return kind
    return "other"


def _timed_out(exc: BaseException) -> bool:
    """smtplib turns a read that timed out into SMTPServerDisconnected('... timed out')."""
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return True
    return isinstance(exc, smtplib.SMTPServerDisconnected) and (
        isinstance(exc.__context__, (socket.timeout, TimeoutError)) or "timed out" in str(exc))


def describe(exc: Exception, transport: dict[str, Any]) -> str:
    """One line on what the transport said, without any secret (a password is never in it:
    smtplib's exceptions carry the server's answer, not what the client sent)."""
    ssl_port = (transport.get("smtpencryption") or "").lower() in ("ssl", "smtps")
    where = f"{transport.get('smtpserver') or 'localhost'}:" \
            f"{transport.get('smtpserverport') or (465 if ssl_port else 25)}"
    user = transport.get("smtpuser") or ""
    if isinstance(exc, Uncertain) and isinstance(exc.cause, Exception):
        return (f"{describe(exc.cause, transport)} after the whole message was handed over, "
                "before the server confirmed it: it may have been delivered")
    if isinstance(exc, NoPassword):
        return f"no password for {user} at {where}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{where} refused authentication as {user} ({_answer(exc)})"
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code in AUTH_CODES:
        return f"{where} wants authentication first ({_answer(exc)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where} answered {_answer(exc)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{where} refused the recipients {', '.join(exc.recipients)}"
    if _timed_out(exc):
        return f"{where} did not answer within {timeout_of(transport):g}s (timed out)"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection ({exc})"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where} (connection refused)"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {transport.get('smtpserver')} ({exc.strerror})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"the certificate of {where} could not be verified ({exc.verify_message}); "
                "no password was sent")
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {where} failed ({exc.reason or exc})"
    return f"{type(exc).__name__}: {exc}"


def _answer(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())[:200]}"


def handle(plan: dict[str, Any], sender: str | None, rcpts: list[str], data: bytes) -> int:
    """Relay one message (see the module docstring); the exit code b4 acts on."""
    with relay_lock(Path(plan["relay_lock"])):
        return _handle(plan, sender, rcpts, data)


def _say(pos: int, total: int, what: str) -> None:
    print(f"patchpilot relay: message {pos}/{total} {what}", file=sys.stderr)


def _handle(plan: dict[str, Any], sender: str | None, rcpts: list[str], data: bytes) -> int:
    path = Path(plan["journal"])
    message = email.message_from_bytes(data)
    subject = " ".join(str(message.get("Subject", "")).split())
    pos, total = position(subject)
    if not owner_alive(plan.get("owner")):
        _say(pos, total, "not sent: the patchpilot send that started this attempt is gone")
        return 1
    b4_id = str(message.get("Message-ID", "")).strip()
    original = data
    extras = Extras.from_json(plan.get("extras"))  # --in-reply-to, Bcc, stripped trailers
    rcpts = extras.envelope(rcpts)
    try:  # the message as it goes out: its fingerprint is what the journal records
        data = rewrite_bytes(data, pos, total, extras)
    except PatchpilotError as exc:  # the preview rewrote it; b4 made it differently now
        _say(pos, total, f"not sent: {exc.message}")
        return 1
    earlier = plan.get("resume", {}).get(str(pos), {})
    mapping = {e["b4_msgid"]: e["msgid"] for e in journal.fold(journal.read(path)).messages
               if e.get("b4_msgid") and e.get("msgid")}
    if earlier.get("msgid"):
        mapping[b4_id] = earlier["msgid"]
    entry = {"position": pos, "total": total, "subject": subject, "b4_msgid": b4_id,
             "msgid": mapping.get(b4_id, b4_id), "rcpt": rcpts,
             "to": message.get_all("To", []), "cc": message.get_all("Cc", []),
             **fingerprint(data)}
    if earlier.get("delivered"):
        return _skip(path, entry, earlier)
    out = rewrite_ids(data, mapping)
    try:  # changed after b4 signed it: signed again (send.sign)
        out = resign(out) if out != original else out
    except PatchpilotError as exc:
        _say(pos, total, f"not sent: {exc.message}")
        return 1
    try:
        offset = journal.reserve(path, {"event": "sending", **entry})
    except OSError as exc:
        _say(pos, total, f"not sent: cannot write the send journal ({exc.strerror or exc})")
        return 1
    return _deliver(plan["transport"], path, offset, entry, sender, rcpts, out)


def _skip(path: Path, entry: dict[str, Any], earlier: dict[str, Any]) -> int:
    pos, total = entry["position"], entry["total"]
    changed = difference(earlier, entry)
    try:
        if changed:
            journal.append(path, {"event": "refused", **entry, "kind": "changed",
                                  "error": f"not what went out earlier: {changed}"})
        else:
            journal.append(path, {"event": "skipped", **entry, "note": "delivered earlier"})
    except OSError as exc:  # without the line, the threading of what follows is lost
        _say(pos, total, f"not sent: cannot write the send journal ({exc.strerror or exc})")
        return 1
    if changed:
        _say(pos, total, f"not sent: it is not the message that went out earlier ({changed})")
        return 1
    return 0


def _deliver(transport: dict[str, Any], path: Path, offset: int, entry: dict[str, Any],
             sender: str | None, rcpts: list[str], data: bytes) -> int:
    pos, total = entry["position"], entry["total"]
    outcome: dict[str, Any] = {"event": "outcome", "position": pos}
    try:
        if transport.get("sendmailcmd"):
            note = command_send(transport, rcpts, data)
        else:
            note = smtp_send(transport, sender or transport["from"], rcpts, data)
    except Exception as exc:  # every failure is reported to b4 and journaled, never hidden
        reason = describe(exc, transport)
        kind = "command" if transport.get("sendmailcmd") else classify(exc)
        # handed over, no answer: unconfirmed, as when killed (never reported as not sent)
        status = journal.UNCONFIRMED if isinstance(exc, Uncertain) else "failed"
        try:
            journal.settle(path, offset, {**outcome, "status": status, "error": reason,
                                          "kind": kind})
        except OSError:
            pass  # it stays unconfirmed: the retry sends it again, under the same Message-ID
        _say(pos, total, f"not delivered: {reason}")
        return 1
    try:
        journal.settle(path, offset, {**outcome, "status": "delivered",
                                      **({"note": note} if note else {})})
    except OSError as exc:
        _say(pos, total, f"delivered, but the send journal could not record it ({exc})")
        return 1
    return 0


def main(argv: list[str]) -> int:
    plan_path, sender, rcpts = parse_args(argv)
    try:
        plan = json.loads(plan_path.read_text())
        if not isinstance(plan, dict) or not {"journal", "transport", "relay_lock"} <= set(plan):
            raise ValueError("not a relay plan")
    except (OSError, ValueError) as exc:
        print(f"patchpilot relay: not sent: cannot read the plan {plan_path} ({exc})",
              file=sys.stderr)
        return 1
    try:
        return handle(plan, sender, rcpts, sys.stdin.buffer.read())
    except KeyboardInterrupt:  # the message stays unconfirmed in the journal
        print("patchpilot relay: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
