"""The send log of a series: every attempt to mail it, what went out, to whom, and overrides.

One JSON file per series under .git/patchpilot/sendlog/ (keyed by b4's change-id, else the
branch), written atomically. During a send the relay hook appends one JSON line per message to
the attempt's journal (.git/patchpilot/sendlog/<key>.d/<attempt>.jsonl); `finish` folds the
journal into the log. No passwords or credentials are ever written here.
No imports from the rest of patchpilot except the base (paths, fs, errors); never prints.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.fs import write_atomic
from patchpilot.core.paths import repo_state_dir

COMPLETE, PARTIAL, FAILED, STARTED = "complete", "partial", "failed", "started"
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
        return [m for m in self.messages if m.get("status") in ("delivered", "skipped")]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _key(change_id: str | None, branch: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", change_id or branch)


class SendLog:
    """The log of one series; `attempts` oldest first."""

    def __init__(self, git_dir: Path, change_id: str | None, branch: str):
        self.dir = repo_state_dir(git_dir) / "sendlog"
        self.path = self.dir / f"{_key(change_id, branch)}.json"
        self.journal_dir = self.dir / f"{_key(change_id, branch)}.d"
        self.change_id, self.branch = change_id, branch
        self.attempts: list[Attempt] = self._load()

    def _load(self) -> list[Attempt]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text())
            return [Attempt(**a) for a in data.get("attempts", [])]
        except (ValueError, TypeError) as exc:
            raise PatchpilotError(f"the send log {self.path} is unreadable ({exc})",
                                  hint="move it aside; nothing was sent because of it")

    def save(self) -> None:
        data = {"change_id": self.change_id, "branch": self.branch,
                "attempts": [asdict(a) for a in self.attempts]}
        write_atomic(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def start(self, mode: str, revision: int, planned: int, overrides: list[str],
              resumes: str | None = None) -> Attempt:
        attempt = Attempt(id=time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}", mode=mode,
                          revision=revision, started=_now(), branch=self.branch,
                          planned=planned, overrides=list(overrides), resumes=resumes)
        self.attempts.append(attempt)
        self.save()
        return attempt

    def journal(self, attempt: Attempt) -> Path:
        self.journal_dir.mkdir(parents=True, exist_ok=True)
        return self.journal_dir / f"{attempt.id}.jsonl"

    def finish(self, attempt: Attempt, status: str, error: str | None = None) -> Attempt:
        attempt.messages = read_journal(self.journal(attempt))
        attempt.status, attempt.error, attempt.finished = status, error, _now()
        self.save()
        return attempt

    def pending(self, revision: int) -> Attempt | None:
        """The last real send of `revision` that stopped part-way, if nothing completed since."""
        for attempt in reversed(self.attempts):
            if attempt.mode != "send" or attempt.revision != revision:
                continue
            return attempt if attempt.status == PARTIAL else None
        return None


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The relay hook's lines, one per message b4 handed it; a torn last line is ignored."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def append_journal(path: Path, entry: dict[str, Any]) -> None:
    """Append one line and flush it to disk before the hook reports success to b4."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


