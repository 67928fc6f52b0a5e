"""Send the author's answer to a reviewer: the exact message is previewed, then confirmed (by
the digest of what was shown), then delivered through the same transport and relay code as
`patchpilot send` (git's `sendemail.*` settings; relay.smtp_send or relay.command_send, called
directly: a reply has no b4 to start the relay), journaled, never twice.

The journal (.git/patchpilot/answers/journal.jsonl, one fsynced JSON line per event, under a
lock) says `sending` with the answer's Message-ID and digest before anything goes out, then
`delivered` or `failed`. A send of an answer the journal knows:
- delivered (also when the server said 250 to its DATA and failed after it): nothing is mailed
  again; the comments are marked and the draft removed, as after the send;
- `sending` with no outcome (patchpilot was killed mid-delivery), or `uncertain` (the server
  broke the connection after the whole message was handed over): it may have gone out; found
  in the cached thread it counts as delivered, else it is refused unless `resend` (under the
  same Message-ID, so a duplicate is one message to every archive and mail client).
After delivery each comment becomes `replied` with the answer's Message-ID, then the draft is
removed. Never prints; a failure is one PatchpilotError, and the draft is kept.
"""

from __future__ import annotations

import email.utils
import fcntl
import hashlib
import json
import os
import smtplib
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchpilot.core.addresses import parse_sender
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.fs import cannot_write, move_aside
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir
from patchpilot.core.review.answer import has_answer, recipients
from patchpilot.core.review.answer_drafts import Draft, DraftStore
from patchpilot.core.review.mail import parse_mail, split_mbox
from patchpilot.core.review.replies import make_client, open_db
from patchpilot.core.send import relay
from patchpilot.core.send.preflight import transport_config, transport_hint
from patchpilot.core.send.smtp import Uncertain

UNCERTAIN = "uncertain"  # handed to the server, which broke off before confirming it


@dataclass
class Preview:
    """The message exactly as it would go out, and what confirming it means."""

    draft: Draft
    raw: bytes
    recipients: list[str]

    @property
    def digest(self) -> str:
        return digest_of(self.raw)

    @property
    def empty(self) -> bool:
        return not has_answer(self.draft.answer.body)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")

    def summary(self) -> str:
        """`1 message to 1 To and 312 Cc addresses` (what the confirmation names)."""
        answer = self.draft.answer
        return (f"1 answer to {len(answer.to)} To and {len(answer.cc)} Cc "
                f"address{'es' if len(answer.cc) != 1 else ''}")


@dataclass
class Sent:
    """What happened: the answer's Message-ID, whether it went out now, any note."""

    msgid: str
    ids: list[str]
    now: bool  # False: it had gone out earlier and this only finished the job
    note: str | None = None


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def require_answer(draft: Draft) -> None:
    """Refuse an answer with no words of the author's in it (nothing to send)."""
    if not has_answer(draft.answer.body):
        raise PatchpilotError("the answer is empty: only the reviewer's words are in it",
                              hint="write your answer below their quote (--edit)")


def preview(repo: GitRepo, draft: Draft) -> Preview:
    """Fix the Date (saved in the draft) and give the message exactly as it would go out."""
    draft.date = email.utils.formatdate(localtime=True)
    DraftStore(repo.git_dir).save(draft)
    return Preview(draft, draft.message(), recipients(draft.answer))


def send(repo: GitRepo, draft: Draft, digest: str, resend: bool = False,
         config: Config | None = None) -> Sent:
    """Deliver the previewed message (see the module docstring); `digest` is the one of the
    preview the user confirmed: a draft changed since is refused."""
    require_answer(draft)
    raw = draft.message()
    if digest_of(raw) != digest:
        raise PatchpilotError("the answer changed since it was previewed; nothing was sent",
                              hint="preview it again and confirm what is shown")
    transport = {**transport_config(repo), "timeout": _timeout(config or Config(repo))}
    journal = Journal(repo.git_dir)
    with journal.locked():
        status = journal.status(draft.answer.msgid)
        if status == "delivered":
            return _finish(repo, draft, now=False, note="it had gone out earlier")
        if status in ("sending", UNCERTAIN) and not resend:
            if _in_thread(repo, config, draft):
                journal.append("delivered", draft, note="found in the thread")
                return _finish(repo, draft, now=False, note="found in the thread")
            raise PatchpilotError(
                f"an earlier send of this answer <{draft.answer.msgid}> was interrupted and "
                "may have gone out; nothing was sent now",
                hint="refresh the replies (patchpilot replies --refresh); if it is not in the "
                     "thread, send it again with --resend", exit_code=ExitCode.FAILURE)
        journal.append("sending", draft, digest=digest)
        note = _deliver(journal, draft, transport, raw)
        journal.append("delivered", draft, **({"note": note} if note else {}))
    return _finish(repo, draft, now=True, note=note)


def _deliver(journal: Journal, draft: Draft, transport: dict[str, Any], raw: bytes,
             ) -> str | None:
    """relay's delivery; a failure after the server's 250 (its QUIT) counts as delivered."""
    rcpts = recipients(draft.answer)
    envelope = transport.get("envelopesender") or ""
    sender = envelope if envelope and envelope != "auto" else \
        parse_sender(draft.answer.sender).address  # git send-email's "auto": the From
    # typed as returning anything: relay.smtp_send returns None today, a note in its rework
    deliver: Callable[..., object]
    try:
        if transport.get("sendmailcmd"):
            deliver = relay.command_send
            result = deliver(transport, rcpts, raw)
        else:
            deliver = relay.smtp_send
            result = deliver(transport, sender, rcpts, raw)
    except Exception as exc:  # every failure is journaled and said in one line
        reason = relay.describe(exc, transport)
        if _after_data(exc):
            return f"the server accepted it, then failed: {reason}"
        if isinstance(exc, Uncertain):  # it may have gone out: never again unasked
            journal.append(UNCERTAIN, draft, error=reason)
            raise PatchpilotError(f"the answer may have gone out: {reason}",
                                  hint="refresh the replies (patchpilot replies --refresh); "
                                       "if it is not in the thread, send it again with "
                                       "--resend", exit_code=ExitCode.FAILURE)
        kind = "command" if transport.get("sendmailcmd") else relay.classify(exc)
        journal.append("failed", draft, error=reason, kind=kind)
        raise PatchpilotError(f"the answer was not sent: {reason}",
                              hint=f"{transport_hint(kind, transport)}; the draft is kept, "
                                   "send it again", exit_code=ExitCode.FAILURE)
    return result if isinstance(result, str) else None


def _after_data(exc: BaseException) -> bool:
    """Whether smtplib raised while closing (QUIT), that is after the server's 250 to DATA."""
    if not isinstance(exc, smtplib.SMTPResponseException) or isinstance(
            exc, (smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPConnectError,
                  smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError)):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].name in ("__exit__", "quit") \
        and frames[-1].filename.endswith("smtplib.py")


def _timeout(config: Config) -> float:
    seconds = config.number("send.smtp-timeout")
    if seconds <= 0:
        raise PatchpilotError(f"send.smtp-timeout is {seconds:g}, not a number of seconds",
                              hint="git config patchpilot.send.smtp-timeout 60")
    return seconds


def _in_thread(repo: GitRepo, config: Config | None, draft: Draft) -> bool:
    """Whether the cached thread holds the answer (a send that was cut off went out)."""
    if not draft.cover_msgid:
        return False
    data = make_client(repo, config or Config(repo)).cached(draft.cover_msgid)
    for raw in split_mbox(data.mbox) if data else []:
        try:
            if parse_mail(raw).msgid == draft.answer.msgid:
                return True
        except PatchpilotError:
            continue
    return False


def _finish(repo: GitRepo, draft: Draft, now: bool, note: str | None) -> Sent:
    """Mark each comment replied (with the answer's Message-ID), then drop the draft."""
    msgid, answer = draft.reviewer_msgid, draft.answer.msgid
    try:
        db = open_db(repo)
        try:
            states = db.states([msgid])
            for n in draft.comments:
                old = states.get((msgid, n))
                db.set_state(msgid, n, "replied", draft.patch_id, old.revision if old else None,
                             old.note if old else None)
                db.set_answer(msgid, n, answer)
            db.mark_read([msgid])
        finally:
            db.close()
    except Exception as exc:  # noqa: BLE001  (the mail went out: say so, keep the draft)
        raise PatchpilotError(f"the answer <{answer}> went out, but its comments could not be "
                              f"marked replied ({exc})",
                              hint="run the same command again: it marks them and sends nothing",
                              exit_code=ExitCode.FAILURE)
    DraftStore(repo.git_dir).remove(draft.key)
    return Sent(answer, draft.ids, now, note)


def _damaged(what: str, aside: Path) -> PatchpilotError:
    return PatchpilotError(f"{what}: it may record answers that went out; nothing was sent",
                           hint="see what went out (patchpilot replies --refresh), then delete "
                                f"{aside} to send again", exit_code=ExitCode.FAILURE)


class Journal:
    """The answers' send journal and its lock (see the module docstring)."""

    def __init__(self, git_dir: Path):
        self.dir = repo_state_dir(git_dir) / "answers"
        self.path = self.dir / "journal.jsonl"

    @contextmanager
    def locked(self) -> Iterator[None]:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise cannot_write("the answers' send lock", self.dir / "lock", exc,
                               "; nothing was sent")
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PatchpilotError("another patchpilot is sending an answer right now",
                                      hint="wait for it, then try again")
            yield
        finally:
            os.close(fd)

    def entries(self, msgid: str) -> list[dict[str, Any]]:
        """This answer's lines, oldest first (a torn last line is ignored); a journal that
        cannot be read is kept aside and nothing is sent (see `_read`)."""
        return [e for e in self._read() if e.get("msgid") == msgid]

    def _read(self) -> list[dict[str, Any]]:
        """Every line; fails closed: a damaged journal (a directory, not UTF-8, a line that is
        no journal line but the torn last one) is moved aside and, as long as it is there,
        no answer is sent (it may record answers that went out)."""
        kept = sorted(self.dir.glob(f"{self.path.name}.damaged-*"))
        if kept:
            raise _damaged(f"the answers journal was damaged and is kept as {kept[-1]}",
                           kept[-1])
        try:
            lines = self.path.read_bytes().decode("utf-8").splitlines()
        except FileNotFoundError:
            return []
        except UnicodeDecodeError:
            raise self._keep_aside("not UTF-8")
        except IsADirectoryError:
            raise self._keep_aside("a directory")
        except OSError as exc:
            raise PatchpilotError(f"cannot read the answers journal {self.path} "
                                  f"({exc.strerror or exc}); nothing was sent",
                                  hint="make .git/patchpilot readable", exit_code=ExitCode.FAILURE)
        found = []
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line) if line.strip() else {}
            except ValueError:
                entry = None
            if not isinstance(entry, dict):
                if number == len(lines):  # torn by a crash while it was written
                    continue
                raise self._keep_aside(f"line {number} is not a journal line")
            found.append(entry)
        return found

    def _keep_aside(self, why: str) -> PatchpilotError:
        aside = move_aside(self.path, "the answers journal")
        return _damaged(f"the answers journal {self.path} is damaged ({why}); kept as {aside}",
                        aside)

    def status(self, msgid: str) -> str | None:
        """delivered, sending (no outcome yet), failed, or None (never tried)."""
        events = [e.get("event") for e in self.entries(msgid)]
        if "delivered" in events:
            return "delivered"
        return str(events[-1]) if events else None

    def append(self, event: str, draft: Draft, **extra: Any) -> None:
        """One line, flushed to disk before anything else happens."""
        entry = {"event": event, "msgid": draft.answer.msgid, "in_reply_to":
                 draft.reviewer_msgid, "comments": draft.comments,
                 "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **extra}
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
