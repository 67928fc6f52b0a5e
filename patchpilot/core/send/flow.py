"""Sending a series through b4: the exact preview, and the plan to confirm (with a retry's
leftovers); the send itself is core.send.deliver.

Every message comes from b4 (`b4 send --dry-run` for the preview, `b4 send` for the real thing).
For anything that mails, b4's transport is pointed, for that one run, at patchpilot's relay
(patchpilot/core/send/relay.py as `sendemail.sendmailCmd`), which delivers each message through
the user's own `sendemail.*` settings and journals it. So patchpilot knows exactly which
messages went out when the SMTP server fails at message k of n or the process is killed, b4
stops (no tag, no reroll), and the next attempt skips what was delivered (once it proved, by
content, that it is what b4 makes now) and keeps the original Message-IDs and threading.
Never prints; raises PatchpilotError.
"""

from __future__ import annotations

import email
import email.message
import email.utils
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4.tracking import foreign_cover_email
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send import headers
from patchpilot.core.send.content import difference, fingerprint
from patchpilot.core.send.lock import send_lock
from patchpilot.core.send.log import COMPLETE, Attempt, SendLog
from patchpilot.core.send.message import Message, parse_message
from patchpilot.core.send.preflight import check_identity, transport_config, transport_settings
from patchpilot.core.send.sign import resign, signing_key
from patchpilot.core.series.model import Series
from patchpilot.core.series.prep import require_b4_checkout
from patchpilot.core.text import safe_text

Mode = Literal["send", "reflect", "preview"]
MODES: tuple[Mode, ...] = ("send", "reflect", "preview")


def preview(repo: GitRepo, mode: Mode = "send", preview_to: list[str] | None = None,
            ) -> list[Message]:
    """The messages b4 would send, from `b4 send --dry-run` (nothing is sent), also when the
    sending setup is missing (the pre-flight says what is; see dry_run_config)."""
    # b4 refuses --preview-to with --dry-run: the preview shows the real headers, and the
    # recipients of a preview are the given addresses only
    argv = b4cli.send(dry_run=True)
    result = b4cli.run(argv, cwd=repo.top, check=False, config=dry_run_config(repo))
    raws = b4cli.parse_dry_run(result.stderr + result.stdout)
    if result.returncode != 0 or not raws:
        raise PatchpilotError(f"b4 send --dry-run failed: {b4cli.last_error(result)}",
                              hint="fix what b4 says, then preview again",
                              exit_code=ExitCode.FAILURE)
    return [parse_message(raw) for raw in raws]


def dry_run_config(repo: GitRepo) -> dict[str, str]:
    """Settings for the dry run alone, so that b4 shows the messages when the sending setup is
    missing: an SMTP server name, or b4 picks its web endpoint (a dry run connects nowhere);
    without user.email, the address that committed the cover (b4 finds its cover by it)."""
    extra: dict[str, str] = {}
    try:
        transport_settings(repo)
    except PatchpilotError:
        extra["sendemail.smtpServer"] = "localhost"
    branch = repo.current_branch()
    if not repo.config("user.email") and branch:
        committer = foreign_cover_email(repo, branch)
        if committer:
            extra["user.email"] = committer
    return extra


@dataclass
class SendPlan:
    """What a send would do now: the messages, who gets them, and a retry's leftovers."""

    mode: Mode
    series: Series
    messages: list[Message]
    preview_to: list[str] = field(default_factory=list)
    resume: Attempt | None = None
    tip: str | None = None  # the branch when previewed: the send checks it did not move
    warnings: list[str] = field(default_factory=list)  # damaged state kept aside, ...
    # send-time changes (headers.py): In-Reply-To, Bcc, stripped trailers (per position)
    extras: headers.Extras = field(default_factory=headers.Extras)
    stripped: dict[int, list[str]] = field(default_factory=dict)

    def to_send(self) -> list[Message]:
        """What goes out: all but what the resumed attempt delivered (an unconfirmed message
        is sent again, under the Message-ID it had)."""
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
    """Preview the series and find an unfinished earlier attempt of this revision; when one
    delivered messages, they must be the ones b4 makes now (else it stops and says so).
    `extras` (default: the series' Bcc and send.strip-trailers) change the mail as sent:
    the messages of the plan are the ones that go out."""
    if mode not in MODES:
        raise PatchpilotError(f"unknown send mode {mode}", hint=", ".join(MODES))
    _require_sendable(repo, series)
    if mode == "preview" and not preview_to:
        raise PatchpilotError("--preview-to needs at least one address",
                              hint="patchpilot send --preview-to you@example.org")
    messages = preview(repo, mode, preview_to)
    log = SendLog(repo.git_dir, series.change_id, series.branch)
    if mode == "send" and log.damaged():
        with send_lock(repo.git_dir):  # not while another send writes its first line
            log.refuse_if_damaged()
    resume = log.pending(series.revision) if mode == "send" else None
    extras = extras or headers.for_send(repo, series, Config(repo), mode)
    messages, stripped = headers.apply(messages, extras)
    if resume is not None:
        check_resumable(repo, series, messages, resume)
    return SendPlan(mode, series, messages, list(preview_to or []), resume,
                    tip=repo.rev_parse(f"refs/heads/{series.branch}"),
                    warnings=list(log.warnings), extras=extras, stripped=stripped)


def check_resumable(repo: GitRepo, series: Series, messages: list[Message],
                    resume: Attempt) -> None:
    """Refuse to skip a message that went out in another version than b4 makes now (a patch
    amended after a partial send): by content (digest of subject and text, patch-id). An
    unconfirmed message goes out again under its Message-ID, so it must not differ either."""
    now = {m.position: m for m in messages}
    problems = []
    for sent in sorted(resume.delivered() + resume.unconfirmed(), key=lambda m: m["position"]):
        message = now.get(sent["position"])
        why = "b4 no longer makes it" if message is None else \
            difference(sent, fingerprint(message.raw.encode("utf-8"), repo.top))
        if why:
            problems.append(f"{safe_text(str(sent.get('subject')), 120)} ({why})")
    if problems:
        raise PatchpilotError(
            f"cannot finish attempt {resume.id}: what it delivered is not what b4 makes now: "
            f"{'; '.join(problems[:3])}{' ...' if len(problems) > 3 else ''}; nothing was sent",
            hint=f"to finish that send, put {series.branch} back as it was (git reflog "
                 f"{series.branch}); to send this version, start a new revision (b4 prep "
                 f"--force-revision {series.revision + 1}) and send it whole",
            exit_code=ExitCode.FAILURE)


def _require_sendable(repo: GitRepo, series: Series) -> None:
    if series.b4_managed and not series.patches:
        raise PatchpilotError(f"{series.branch} has no patches to send",
                              hint="commit your work on the branch first")
    require_b4_checkout(repo, series, "send")  # identity: a pre-flight line (and execute)


@dataclass
class SendResult:
    """What happened: the attempt as logged, the messages that did not go out, the tag."""

    attempt: Attempt
    missing: list[Message]
    b4_output: str
    lore: str | None = None
    hint: str = ""  # for a send that stopped: what to check, then what to run
    warnings: list[str] = field(default_factory=list)  # e.g. a log a full disk kept unwritten

    @property
    def complete(self) -> bool:
        return self.attempt.status == COMPLETE


def smtp_timeout(config: Config) -> float:
    """Seconds the relay waits on each step of an SMTP exchange (b4 itself has no limit):
    the setting send.smtp-timeout (git config patchpilot.send.smtp-timeout, env
    PATCHPILOT_SEND_SMTP_TIMEOUT, the user file, config/defaults.toml)."""
    seconds = config.number("send.smtp-timeout")
    if seconds <= 0:
        raise PatchpilotError(f"send.smtp-timeout is {seconds:g}, not a number of seconds",
                              hint="git config patchpilot.send.smtp-timeout 60")
    return seconds


def export(repo: GitRepo, series: Series, directory: str,
           extras: headers.Extras | None = None) -> tuple[list[Path], list[str]]:
    """Write the messages b4 would send into `directory` (`b4 send -o DIR --no-sign`); return
    the files in series order and the `git send-email` command line that sends them as is
    (their own To/Cc, Message-IDs and threading; no Cc collected from the bodies)."""
    _require_sendable(repo, series)
    check_identity(repo)
    target = Path(directory).expanduser().resolve()
    if target.exists() and any(target.glob("*.eml")):
        raise PatchpilotError(f"{target} already holds .eml files",
                              hint="export into an empty or new directory")
    transport_config(repo)  # without SMTP, b4 -o insists on a patatt key (web endpoint)
    b4cli.run(b4cli.send(output_dir=str(target), sign=signing_key(repo) is not None),
              cwd=repo.top)
    files = sorted(target.glob("*.eml"),
                   key=lambda p: parse_message(p.read_text(encoding="utf-8")).position)
    extras = extras or headers.for_send(repo, series, Config(repo))
    for path in files:  # the same send-time changes as a send (headers.py)
        message = parse_message(path.read_text(encoding="utf-8"))
        raw, _ = headers.rewrite(message.raw, message.position, message.total, extras)
        if raw != message.raw:  # signed again when b4 signed it (send.sign)
            raw = resign(raw.encode("utf-8", "surrogateescape")).decode("utf-8",
                                                                          "surrogateescape")
        path.write_text(raw, encoding="utf-8")
    command = ["git", "send-email", "--confirm=never", "--no-thread", "--suppress-cc=author",
               "--suppress-cc=body", "--8bit-encoding=UTF-8",
               *[f"--bcc={address}" for address in extras.bcc], *[str(f) for f in files]]
    return files, command
