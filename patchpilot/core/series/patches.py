"""One patch of a series: its commit, message, trailers and parsed diff (unidiff).

Pure data and parsing; no git, no b4, no UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from unidiff import PatchedFile, PatchSet


_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$")


@dataclass(frozen=True)
class Trailer:
    """A `Name: value` line from the last paragraph of a commit message."""

    name: str
    value: str


@dataclass(frozen=True)
class FileChange:
    """One file a patch touches, with its line counts."""

    path: str
    old_path: str | None
    status: str  # "added", "modified", "deleted", "renamed"
    added: int
    removed: int
    binary: bool = False


@dataclass
class Patch:
    """A commit of the series, in series order (index counts from 1)."""

    index: int
    commit: str
    author: str
    author_date: str
    subject: str
    body: str
    trailers: list[Trailer]
    patch_id: str
    diff_text: str = field(repr=False)

    @property
    def message(self) -> str:
        """The full commit message: subject, blank line, body (which ends in the trailers)."""
        return f"{self.subject}\n\n{self.body}".rstrip() + "\n"

    @cached_property
    def diff(self) -> PatchSet:
        """The diff parsed by unidiff (an empty PatchSet when it cannot be parsed); unidiff
        is imported here, so commands that never parse a diff do not pay for it."""
        from unidiff import PatchSet
        from unidiff.errors import UnidiffParseError

        try:
            return PatchSet(self.diff_text)
        except UnidiffParseError:
            return PatchSet("")

    @cached_property
    def changes(self) -> list[FileChange]:
        return [_file_change(pf) for pf in self.diff]

    @property
    def files(self) -> list[str]:
        return [c.path for c in self.changes]

    @property
    def added(self) -> int:
        return sum(c.added for c in self.changes)

    @property
    def removed(self) -> int:
        return sum(c.removed for c in self.changes)


def _strip_prefix(path: str) -> str:
    return path[2:] if path[:2] in ("a/", "b/") else path


def _file_change(pf: PatchedFile) -> FileChange:
    if pf.is_added_file:
        status = "added"
    elif pf.is_removed_file:
        status = "deleted"
    elif pf.is_rename:
        status = "renamed"
    else:
        status = "modified"
    path = _strip_prefix(pf.target_file if not pf.is_removed_file else pf.source_file)
    old = _strip_prefix(pf.source_file) if pf.is_rename else None
    return FileChange(path=path, old_path=old, status=status, added=pf.added,
                      removed=pf.removed, binary=pf.is_binary_file)


def split_message(message: str) -> tuple[str, str]:
    """(subject, body) of a commit message; a multi-line first paragraph joins as git does."""
    paragraphs = message.strip("\n").split("\n\n", 1)
    subject = " ".join(line.strip() for line in paragraphs[0].splitlines())
    body = paragraphs[1].strip("\n") + "\n" if len(paragraphs) > 1 else ""
    return subject, body


def split_notes(body: str) -> tuple[str, str]:
    """(message, notes): notes are what follows a `---` line, which `git am` drops (the
    per-patch changelog goes there)."""
    lines = body.split("\n")
    if "---" not in lines:
        return body, ""
    cut = lines.index("---")
    return "\n".join(lines[:cut]).rstrip("\n") + "\n", "\n".join(lines[cut + 1:])


def parse_trailers(body: str) -> list[Trailer]:
    """The trailers of the last paragraph, when every line of it is a trailer or continuation
    (notes below a `---` line are not part of the message)."""
    body = split_notes(body)[0]
    paragraphs = [p for p in body.strip("\n").split("\n\n") if p.strip()]
    if not paragraphs:
        return []
    trailers: list[Trailer] = []
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if match:
            trailers.append(Trailer(match.group(1), match.group(2).strip()))
        elif line[:1].isspace() and trailers:
            last = trailers.pop()
            trailers.append(Trailer(last.name, f"{last.value} {line.strip()}"))
        else:
            return []
    return trailers


# The trailer vocabulary, the one place that says what a trailer name means: "review" tags
# endorse a patch (b4 collects them from the list), "credit" tags name someone's part in it
# (any other `*-by`), a "nak" refuses it; anything else (Link, Closes, Fixes, Cc) is "other".
TrailerRole = Literal["review", "credit", "nak", "other"]
TRAILER_ROLES: dict[str, TrailerRole] = {
    "reviewed-by": "review", "acked-by": "review", "tested-by": "review",
    "reviewed-and-tested-by": "review", "suggested-by": "credit", "reported-by": "credit",
    "co-developed-by": "credit", "nacked-by": "nak"}
CANONICAL = {name: name.capitalize() for name in TRAILER_ROLES}
REVIEW_TRAILERS = tuple(name for name, role in TRAILER_ROLES.items() if role == "review")


def trailer_role(name: str) -> TrailerRole:
    """What a trailer named `name` is (see TRAILER_ROLES)."""
    lower = name.lower()
    known = TRAILER_ROLES.get(lower)
    if known is not None:
        return known
    return "credit" if lower.endswith("-by") else "other"


def canonical_name(name: str) -> str:
    """`reviewed-BY` -> `Reviewed-by`; an unknown name as written."""
    return CANONICAL.get(name.lower(), name)


def without_review_trailers(body: str) -> str:
    """`body` without the review trailers b4 collects from the list (Reviewed-by, Acked-by,
    Tested-by): what a message says once the review's tags are set aside."""
    return "\n".join(line for line in body.splitlines()
                     if line.split(":", 1)[0].strip().lower() not in REVIEW_TRAILERS).strip()
