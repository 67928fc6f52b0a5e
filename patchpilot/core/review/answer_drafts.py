"""Drafts of answers to reviewers: one JSON file each under .git/patchpilot/drafts/replies/,
written with fs.write_atomic, so a draft survives `q`, a crash and a restart. It is removed
only once its send is confirmed (core.send.answer_send), never on a failure.

A draft is keyed by a hash of the reviewer's Message-ID and the comments it answers (the ID
is untrusted: never part of a path). It holds the composed answer (answer.Answer: headers,
its own Message-ID, fixed when the draft is made, so a retry keeps it) and the body as the
user last saved it. While an editor has the body it lives in `<key>.txt` beside the draft;
an edit that a crash interrupted is taken back at the next load when that file is newer.
No UI.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.fs import move_aside, write_atomic
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.paths import repo_state_dir
from patchpilot.core.review.answer import Answer, compose, render
from patchpilot.core.review.answer_source import find_target, identity, parse_ref

VERSION = 1


@dataclass
class Draft:
    """An answer not sent yet, and where its comments live in the review."""

    key: str
    branch: str
    reviewer_msgid: str
    comments: list[int]
    revision: int  # the sent revision of the reviewer's message
    patch: int
    patch_id: str | None
    cover_msgid: str | None
    answer: Answer
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    date: str | None = None  # the Date header the last preview fixed
    edited: bool = False  # the user saved a body of their own

    @property
    def ids(self) -> list[str]:
        return [f"{self.reviewer_msgid}:{n}" for n in self.comments]

    def message(self) -> bytes:
        """The message exactly as it would go out now (Date: the preview's, else now)."""
        return render(self.answer, self.date or formatdate(localtime=True))

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, **asdict(self)}


def _draft(data: object) -> Draft:
    """A Draft from its JSON; ValueError/TypeError/KeyError when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("answer"), dict):
        raise ValueError(f"not a draft: {type(data).__name__}" if not isinstance(data, dict)
                         else "not a draft: no answer in it")
    data = {k: v for k, v in data.items() if k != "version"}
    return Draft(**{**data, "answer": Answer(**data["answer"])})


def _why(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(exc, IsADirectoryError):
        return "a directory"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at line {exc.lineno}"
    if isinstance(exc, (TypeError, KeyError, AttributeError)):
        return f"not a draft: {type(exc).__name__} {exc}"[:200]
    return str(exc)[:200]


def draft_key(msgid: str, numbers: list[int]) -> str:
    """The file name of the draft answering comments `numbers` of message `msgid`."""
    what = f"{msgid}\0{','.join(str(n) for n in sorted(numbers))}"
    return hashlib.sha256(what.encode("utf-8", "replace")).hexdigest()[:24]


class DraftStore:
    """The drafts of one repository."""

    def __init__(self, git_dir: Path):
        self.dir = repo_state_dir(git_dir) / "drafts" / "replies"

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def edit_path(self, key: str) -> Path:
        """Where an editor gets the body (left behind by a crash mid-edit)."""
        return self.dir / f"{key}.txt"

    def load(self, key: str) -> Draft | None:
        """The draft `key`, with an interrupted edit taken back; None when there is none."""
        path = self.path(key)
        try:
            draft = _draft(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except PermissionError as exc:
            raise PatchpilotError(f"cannot read the draft {path} ({exc.strerror})",
                                  hint="make .git/patchpilot readable")
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise self._damaged(path, _why(exc))
        self._recover(draft)
        return draft

    def _damaged(self, path: Path, why: str) -> PatchpilotError:
        """Move a damaged draft aside (never deleted: it may hold the user's words)."""
        aside = move_aside(path, "the draft")
        return PatchpilotError(f"the draft {path.name} was damaged ({why}); kept as {aside}",
                               hint="run the same command again for a new draft (your words, "
                                    "if any, are in the kept file)")

    def _recover(self, draft: Draft) -> None:
        edit = self.edit_path(draft.key)
        try:
            if edit.stat().st_mtime > draft.updated:
                text = edit.read_text(encoding="utf-8").replace("\r\n", "\n")
                if text != draft.answer.body:
                    self.set_body(draft, text)
            edit.unlink(missing_ok=True)
        except (OSError, UnicodeDecodeError):
            return

    def save(self, draft: Draft) -> None:
        draft.updated = time.time()
        write_atomic(self.path(draft.key),
                     json.dumps(draft.to_json(), indent=2, ensure_ascii=False) + "\n")

    def set_body(self, draft: Draft, body: str) -> None:
        """Save the body the user wrote (the preview's Date no longer holds)."""
        draft.answer.body = body.replace("\r\n", "\n")
        draft.edited, draft.date = True, None
        self.save(draft)

    def remove(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
        self.edit_path(key).unlink(missing_ok=True)

    def all(self) -> list[Draft]:
        """Every draft that can be read, oldest first."""
        drafts = []
        for path in sorted(self.dir.glob("*.json")):
            try:
                draft = self.load(path.stem)
            except PatchpilotError:
                continue
            if draft is not None:
                drafts.append(draft)
        return sorted(drafts, key=lambda d: d.created)


def open_draft(repo: GitRepo, ref: str, branch: str | None = None,
               config: Config | None = None) -> tuple[Draft, bool]:
    """(the draft answering `ref` (MSGID:N[,N...]), whether it was just made): the saved one
    if there is one (it needs no cache), else one composed from the review and saved."""
    msgid, numbers = parse_ref(ref)
    store = DraftStore(repo.git_dir)
    found = store.load(draft_key(msgid, numbers))
    if found is not None:
        return found, False
    target = find_target(repo, ref, branch, config)
    answer = compose(target.source, identity(repo), target.revisions, datetime.now(UTC))
    draft = Draft(draft_key(msgid, numbers), target.branch, target.source.msgid, numbers,
                  target.revision, target.patch, target.patch_id, target.cover_msgid, answer)
    store.save(draft)
    return draft, True
