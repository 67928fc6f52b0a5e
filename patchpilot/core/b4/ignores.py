"""b4's record of rejected trailers, `.git/b4-trailers-ignore.json`, read and written in b4's
own format so that `b4 trailers -u/-i` and patchpilot leave out the same trailers.

b4 0.16 keys a rejection by the trailer as it renders it (`Name: value`, a person's value
normalised to `Name <addr>`) and the Message-ID of the reply it came from ("via"), not by the
patch: `{"ignored": [{"trailer": "Reviewed-by: A <a@b>", "via": "msgid"}, ...]}`, sorted,
indented by 2, in the repository's common git dir. b4 honours it on every `trailers -u`, with or
without `-i`. Writes are atomic and keep every entry b4 wrote. Never prints.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Iterable
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.fs import write_atomic
from patchpilot.core.git.repo import GitRepo

FILE = "b4-trailers-ignore.json"
Key = tuple[str, str]  # (rendered trailer, Message-ID it came from)
# LoreTrailer._utility: trailers whose value is never a person
_UTILITY = {"fixes", "link", "buglink", "closes", "obsoleted-by", "message-id", "change-id",
            "base-commit", "based-on"}


def path(repo: GitRepo) -> Path:
    return repo.git_dir / FILE


def render(name: str, value: str) -> str:
    """The trailer as b4's LoreTrailer.as_string(omit_extinfo=True) renders it."""
    value = value.strip()
    if name.lower() not in _UTILITY and "://" not in value and \
            re.search(r"\S+@\S+\.\S+", value):
        value = re.sub(r"<mailto:[^>]+>", "", value)
        match = re.match(r"^(.*?)\s*<([^>]+)>\s*$", value)
        person, address = (match.group(1).strip(), match.group(2).strip()) if match \
            else email.utils.parseaddr(value)
        if person or address:
            person = " ".join(person.split())
            value = address if not person or person == address else f"{person} <{address}>"
    return f"{name}: {value}"


def key(name: str, value: str, msgid: str) -> Key:
    return render(name, value), msgid.strip().strip("<>")


def folded(keys: Iterable[Key]) -> set[Key]:
    """Keys compared with the trailer's name in lower case: b4 keeps the name as the reviewer
    wrote it, patchpilot spells it the usual way (Reviewed-by)."""
    return {(_fold(trailer), via) for trailer, via in keys}


def _fold(trailer: str) -> str:
    name, sep, value = trailer.partition(":")
    return f"{name.lower()}{sep}{value}"


def load(repo: GitRepo) -> set[Key]:
    """The rejected trailers; a file b4 could not parse either is an error to fix."""
    file = path(repo)
    if not file.exists():
        return set()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return {(str(item["trailer"]), str(item.get("via", ""))) for item in data["ignored"]}
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise PatchpilotError(f"cannot read b4's rejected trailers in {file} ({exc})",
                              hint="fix the JSON or delete the file (b4 ignores it too)")


def save(repo: GitRepo, keys: set[Key]) -> None:
    """As b4's save_trailer_ignores writes it."""
    ignored = [{"trailer": trailer, "via": via} for trailer, via in sorted(keys)]
    write_atomic(path(repo), json.dumps({"ignored": ignored}, indent=2) + "\n")


def update(repo: GitRepo, add: Iterable[Key] = (), drop: Iterable[Key] = ()) -> set[Key]:
    """Add and drop rejections, keeping every other entry (b4's too); returns the result."""
    keys = (load(repo) | set(add)) - set(drop)
    save(repo, keys)
    return keys
