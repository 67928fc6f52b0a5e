"""The user's own recipient choices for a series, kept across rerolls.

Stored as JSON under .git/patchpilot/recipients/, keyed by the series' change-id (which b4 keeps
from v1 to vN) or, for a branch b4 does not manage, by the branch name. Writes are atomic.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from patchpilot.core import paths
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.fs import cannot_write, keep_aside, write_atomic
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series


@dataclass
class UserChoices:
    """Addresses the user added (to To, Cc or Bcc) or removed, for one series. Bcc ones are
    envelope recipients of a real send only (core.send.headers): never in a header. `notice`
    (not stored) says, in one line, that a damaged file of choices was kept aside."""

    add_to: list[str] = field(default_factory=list)
    add_cc: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    notice: str | None = field(default=None, compare=False)

KEYS = ("add_to", "add_cc", "remove", "bcc")


def state_file(repo: GitRepo, series: Series) -> Path:
    key = series.change_id or f"branch-{series.branch}"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", key)
    return paths.repo_state_dir(repo.git_dir) / "recipients" / f"{safe}.json"


def load_choices(repo: GitRepo, series: Series) -> UserChoices:
    """The stored choices. A file of the wrong shape is the user's own work, so it is not
    dropped: it is kept aside under a new name, and `notice` says where."""
    path = state_file(repo, series)
    if not os.path.lexists(path):
        return UserChoices()
    try:
        if path.is_dir():
            raise ValueError("a directory, not a file")
        return _parse(json.loads(path.read_text(encoding="utf-8")))
    except PermissionError as exc:
        raise PatchpilotError(f"cannot read your recipient choices in {path}: {exc.strerror}",
                              hint="make .git/patchpilot readable")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        try:
            aside = keep_aside(path)
        except OSError as err:
            raise PatchpilotError(f"your recipient choices in {path} are damaged ({exc}) and "
                                  f"cannot be moved aside ({err.strerror or err})",
                                  hint=f"move the file aside yourself (mv {path} {path}.old)")
        return UserChoices(notice=f"your recipient choices were damaged ({exc}); kept as "
                                  f"{aside}; starting from none")


def _parse(data: object) -> UserChoices:
    if not isinstance(data, dict):
        raise ValueError(f"{type(data).__name__}, not an object of choices")
    lists = {key: data.get(key, []) for key in KEYS}
    for key, value in lists.items():
        if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
            raise ValueError(f"{key} is not a list of addresses")
    return UserChoices(**lists)


def save_choices(repo: GitRepo, series: Series, choices: UserChoices) -> Path:
    path = state_file(repo, series)
    try:
        write_atomic(path, json.dumps({key: getattr(choices, key) for key in KEYS}, indent=2))
    except OSError as exc:
        raise cannot_write("your recipient choices", path, exc, "; nothing was changed")
    return path


@lru_cache(maxsize=4096)
def bare(address: str) -> str:
    """The e-mail address of `Name <addr>` (lower-cased), as b4 compares addresses."""
    return email.utils.parseaddr(address)[1].lower() or address.strip().lower()


def _same(a: str, b: str) -> bool:
    return bare(a) == bare(b)


def update_choices(repo: GitRepo, series: Series, add_to: Sequence[str] = (),
                   add_cc: Sequence[str] = (), remove: Sequence[str] = (),
                   reset: bool = False, restore: Sequence[str] = (),
                   add_bcc: Sequence[str] = ()) -> UserChoices:
    """Apply the user's edits: an added address is no longer removed, and the reverse;
    `restore` forgets a removal (the address comes back if MAINTAINERS names it); a removed
    address is no longer Bcc either."""
    choices = load_choices(repo, series)  # read even for a reset: damage is kept aside
    if reset:
        choices = UserChoices(notice=choices.notice)
    choices.remove = [a for a in choices.remove if not any(_same(a, r) for r in restore)]
    for address in (*add_to, *add_cc, *remove, *add_bcc):
        if not _valid(address):
            raise PatchpilotError(f"{address!r} is not an e-mail address",
                                  hint="use Name <user@example.org> or user@example.org")
    for address in remove:
        choices.add_to = [a for a in choices.add_to if not _same(a, address)]
        choices.add_cc = [a for a in choices.add_cc if not _same(a, address)]
        choices.bcc = [a for a in choices.bcc if not _same(a, address)]
        if not any(_same(a, address) for a in choices.remove):
            choices.remove.append(address)
    for header, added in (("add_to", add_to), ("add_cc", add_cc)):
        for address in added:
            choices.remove = [a for a in choices.remove if not _same(a, address)]
            current = getattr(choices, header)
            if not any(_same(a, address) for a in current):
                current.append(address)
    for address in add_bcc:
        choices.remove = [a for a in choices.remove if not _same(a, address)]
        if not any(_same(a, address) for a in choices.bcc):
            choices.bcc.append(bare(address))
    save_choices(repo, series, choices)
    return choices


def valid_address(address: str) -> bool:
    """An address b4 and the relay can use: `user@host` inside, no line breaks."""
    return _valid(address)


def _valid(address: str) -> bool:
    return "@" in email.utils.parseaddr(address)[1] and not any(c in address for c in "\r\n\0")
