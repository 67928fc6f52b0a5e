"""The send log of a series: every attempt to mail it, what went out, to whom, and overrides.

The truth is the send journal (core.send.journal): one fsynced file per attempt under
.git/patchpilot/sendlog/<key>.d/, written before each message goes out and after the
server's answer. The summary `.git/patchpilot/sendlog/<key>.json` (keyed by b4's change-id,
else the branch; written atomically) is a convenience for people and tools: when it is lost,
stale or damaged, the log is rebuilt from the journals, and a damaged summary is kept aside
under a new name and reported in one line (`warnings`), never silently dropped.
No passwords or credentials are ever written here.
No imports from the rest of patchpilot except the base and the journal; never prints.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from patchpilot.core import fs
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.fs import write_atomic
from patchpilot.core.paths import repo_state_dir
from patchpilot.core.send import journal
from patchpilot.core.send.journal import GONE, UNCONFIRMED

COMPLETE, PARTIAL, FAILED, STARTED = "complete", "partial", "failed", "started"
INTERRUPTED = "interrupted"
STATUSES = (COMPLETE, PARTIAL, FAILED, STARTED, INTERRUPTED)
COUNTER = re.compile(r"\[[^\]]*?\b(\d+)/(\d+)\]")


def position(subject: str) -> tuple[int, int]:
    """(n, total) from `[PATCH v2 n/total]`; a lone patch is (1, 1)."""
    match = COUNTER.search(" ".join(subject.split()))
    return (int(match.group(1)), int(match.group(2))) if match else (1, 1)


@dataclass
class Attempt:
    """One run of `patchpilot send` in a mode that mails something (not dry-run/export)."""

    id: str
    mode: str  # send | reflect | preview
    revision: int
    started: str
    branch: str
    status: str = STARTED
    finished: str | None = None
    planned: int = 0
    overrides: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    resumes: str | None = None
    tag: str | None = None
    cover_msgid: str | None = None
    error: str | None = None
    # after a resumed send: b4's recorded cover Message-ID replaced by the one that went out
    history_fix: dict[str, Any] | None = None

    def delivered(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("status") in GONE]

    def unconfirmed(self) -> list[dict[str, Any]]:
        """Messages handed to the server with no answer seen (the attempt was killed)."""
        return [m for m in self.messages if m.get("status") == UNCONFIRMED]

    def reached_server(self) -> bool:
        return bool(self.delivered() or self.unconfirmed())

    @classmethod
    def from_json(cls, data: object) -> Attempt:
        """An attempt from the summary or a journal header; ValueError when it is not one."""
        if not isinstance(data, dict):
            raise ValueError(f"an attempt is {type(data).__name__}, not an object")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name, kind in (("id", str), ("mode", str), ("started", str), ("branch", str),
                           ("status", str), ("overrides", list), ("messages", list)):
            if name in values and not isinstance(values[name], kind):
                raise ValueError(f"{name} is {type(values[name]).__name__}")
        for name in ("revision", "planned"):
            if name in values and (not isinstance(values[name], int)
                                   or isinstance(values[name], bool)):
                raise ValueError(f"{name} is not a number")
        if not all(isinstance(m, dict) and type(m.get("position")) is int
                   and isinstance(m.get("status"), str) and isinstance(m.get("msgid", ""), str)
                   for m in values.get("messages", [])):
            raise ValueError("a message entry is not a message")
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(str(exc)) from None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _key(change_id: str | None, branch: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", change_id or branch)


def keep_aside(path: Path) -> Path:
    """fs.keep_aside, or one clear line when the damaged file cannot be moved."""
    return fs.move_aside(path, "the send log file")


class SendLog:
    """The log of one series; `attempts` oldest first; `warnings` one line each."""

    def __init__(self, git_dir: Path, change_id: str | None, branch: str):
        self.dir = repo_state_dir(git_dir) / "sendlog"
        self.path = self.dir / f"{_key(change_id, branch)}.json"
        self.journal_dir = self.dir / f"{_key(change_id, branch)}.d"
        self.change_id, self.branch = change_id, branch
        self.warnings: list[str] = []
        self.headerless: list[Path] = []  # journals with no readable attempt line
        self._finish_at: dict[str, int] = {}  # attempt -> where its finish line goes
        self.attempts: list[Attempt] = self._load()

    # -- reading ----------------------------------------------------------------------------

    def _load(self) -> list[Attempt]:
        attempts = self._read_summary()
        known = {a.id: a for a in attempts}
        rebuilt = []
        for path, folded in self._journals():
            attempt = known.get(path.stem)
            if attempt is None and folded.header is None:
                self.headerless.append(path)  # damaged, or being written: see refuse_if_damaged
                continue
            if attempt is None:
                attempt = self._from_header(path, folded.header)
                if attempt is None:
                    continue
                rebuilt.append(attempt)
            _apply(attempt, folded)
        if rebuilt:  # killed before its summary was written, or the summary was lost
            attempts = sorted(attempts + rebuilt, key=lambda a: (a.started, a.id))
        return attempts

    def _read_summary(self) -> list[Attempt]:
        if not os.path.lexists(self.path):
            return []
        try:
            if self.path.is_dir():
                raise ValueError("a directory, not a file")
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("attempts", []), list):
                raise ValueError(f"{type(data).__name__}, not a send log")
            return [Attempt.from_json(a) for a in data.get("attempts", [])]
        except PermissionError as exc:
            raise PatchpilotError(f"cannot read the send log {self.path}: {exc.strerror}",
                                  hint="make .git/patchpilot readable; nothing was sent")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            aside = keep_aside(self.path)
            self.warnings.append(f"the send log {self.path.name} was damaged ({exc}); kept "
                                 f"as {aside}; rebuilt from the send journals")
            return []

    def _journals(self) -> list[tuple[Path, journal.Folded]]:
        if os.path.lexists(self.journal_dir) and not self.journal_dir.is_dir():
            aside = keep_aside(self.journal_dir)
            self.warnings.append(f"the send journal directory {self.journal_dir.name} was not "
                                 f"a directory; kept as {aside}")
            return []
        if not self.journal_dir.is_dir():
            return []
        found = []
        for path in sorted(self.journal_dir.glob("*.jsonl")):
            if not path.is_file():  # a directory where a journal should be
                self.headerless.append(path)
                continue
            found.append((path, journal.fold(journal.read(path))))
        return found

    def damaged(self) -> bool:
        """Whether a journal has no readable attempt line, or one was kept aside earlier."""
        return bool(self.headerless or self._kept())

    def _kept(self) -> list[Path]:
        return sorted(self.journal_dir.glob("*.jsonl.damaged-*")) \
            if self.journal_dir.is_dir() else []

    def refuse_if_damaged(self) -> None:
        """Fail closed (call it holding the send lock: a journal being started by another
        send has no first line for an instant). A journal with no readable first line
        (empty, binary, garbage, a directory) may be the only record of messages that went
        out: it is moved aside, and no series is sent while one lies there."""
        what = ""
        for path in self.headerless:
            if not os.path.lexists(path) or (
                    path.is_file() and journal.fold(journal.read(path)).header is not None):
                continue  # written since it was read
            why = "a directory" if path.is_dir() else "empty" if path.stat().st_size == 0 \
                else "no readable attempt line"
            what = what or f"the send journal {path.name} is damaged ({why}); kept as " \
                f"{keep_aside(path)}"
        kept = self._kept()
        if not kept:
            return
        what = what or f"the send journal {kept[-1].name} was damaged and is kept as {kept[-1]}"
        raise PatchpilotError(f"{what}: it may record messages that went out; nothing was sent",
                              hint="see on the list what went out; when sure, delete "
                                   f"{' '.join(str(k) for k in kept)} and send again",
                              exit_code=ExitCode.FAILURE)

    def _from_header(self, path: Path, header: dict[str, Any] | None) -> Attempt | None:
        if header is None or header.get("id") != path.stem:
            return None
        try:
            return Attempt.from_json(header)
        except ValueError:
            self.warnings.append(f"the send journal {path} has a damaged first line; "
                                 "it is not used")
            return None

    def pending(self, revision: int) -> Attempt | None:
        """The last real send of `revision` that did not complete and got messages to the
        server (delivered, skipped as delivered before, or unconfirmed), if none completed
        since. An attempt that sent nothing is passed over: an earlier one may have."""
        for attempt in reversed(self.attempts):
            if attempt.mode != "send" or attempt.revision != revision:
                continue
            if attempt.status == COMPLETE:
                return None
            if attempt.reached_server():
                return attempt
        return None

    # -- writing ----------------------------------------------------------------------------

    def journal(self, attempt: Attempt) -> Path:
        return self.journal_dir / f"{attempt.id}.jsonl"

    def save(self) -> None:
        """Write the summary; a failure (a full disk) is a warning: the journal is the record."""
        data = {"change_id": self.change_id, "branch": self.branch,
                "attempts": [asdict(a) for a in self.attempts]}
        try:
            write_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            self.warnings.append(f"the send log summary {self.path} could not be written "
                                 f"({exc.strerror or exc}); the send journal holds the record")

    def start(self, mode: str, revision: int, planned: int, overrides: list[str],
              resumes: str | None = None) -> Attempt:
        """Journal a new attempt before anything is sent (nothing is sent when this fails)."""
        attempt = Attempt(id=f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-"
                             f"{secrets.token_hex(2)}", mode=mode, revision=revision,
                          started=_now(), branch=self.branch, planned=planned,
                          overrides=list(overrides), resumes=resumes)
        header = {"event": "attempt", **asdict(attempt), "change_id": self.change_id}
        del header["messages"]
        try:
            if os.path.lexists(self.journal_dir) and not self.journal_dir.is_dir():
                self._journals()  # moves it aside, with a warning
            # room for the finish line is kept now: a disk that fills up during the send
            # cannot keep its end from being recorded
            self._finish_at[attempt.id] = journal.reserve(self.journal(attempt), header)
        except OSError as exc:
            raise PatchpilotError(f"cannot write the send journal in {self.journal_dir} "
                                  f"({exc.strerror or exc}); nothing was sent",
                                  hint="free some space or make .git/patchpilot writable, "
                                       "then send again", exit_code=ExitCode.FAILURE)
        self.attempts.append(attempt)
        self.save()
        return attempt

    def refresh(self, attempt: Attempt) -> Attempt:
        """Read the attempt's messages back from its journal."""
        _apply(attempt, journal.fold(journal.read(self.journal(attempt))), keep_status=True)
        return attempt

    def finish(self, attempt: Attempt, status: str, error: str | None = None) -> Attempt:
        """Record how the attempt ended: a last journal line, then the summary (best effort:
        a full disk leaves a warning, and the journal still tells what went out)."""
        self.refresh(attempt)
        attempt.status, attempt.error, attempt.finished = status, error, _now()
        line = {"event": "finish", "status": status, "error": error,
                "finished": attempt.finished, "tag": attempt.tag,
                "cover_msgid": attempt.cover_msgid, "history_fix": attempt.history_fix}
        try:
            offset = self._finish_at.pop(attempt.id, None)
            if offset is None:
                journal.append(self.journal(attempt), line)
            else:
                journal.settle(self.journal(attempt), offset, line)
        except OSError as exc:
            self.warnings.append(f"the end of attempt {attempt.id} could not be journaled "
                                 f"({exc.strerror or exc})")
        self.save()
        return attempt


def _apply(attempt: Attempt, folded: journal.Folded, keep_status: bool = False) -> None:
    """The journal's word on an attempt: its messages, and how it ended (an attempt with no
    end line was interrupted: killed, or its disk filled up)."""
    if folded.header is None and not folded.messages and folded.finish is None:
        return  # no journal (an older log): the summary's record stands
    attempt.messages = folded.messages
    finish = folded.finish
    if finish is not None and finish.get("status") in STATUSES:
        attempt.status = finish["status"]
        for name in ("error", "finished", "tag", "cover_msgid", "history_fix"):
            if finish.get(name) is not None:
                setattr(attempt, name, finish[name])
    elif not keep_status and attempt.status == STARTED:
        attempt.status = INTERRUPTED
