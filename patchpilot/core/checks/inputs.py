"""What each tool needs for each patch of a series, read from git (never the work tree).

Per patch: the files it changes with their blob ids (from one `git log --raw`), the lines it
adds, and for touched `.rs` files (and Makefile/Kbuild files, which say what a directory
builds) the post-image at that commit (all of the series' from one `git cat-file`). Binary
files, deletions and files that are not valid UTF-8 carry no text and say why.
No subprocesses besides git; no UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from patchpilot.core.checks.patchmap import added_lines
from patchpilot.core.git.repo import GitRepo, RawChange
from patchpilot.core.series.model import Series
from patchpilot.core.series.patches import Patch

_STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied",
           "T": "modified"}


@dataclass(frozen=True)
class FileInput:
    """One file of a patch: paths, blob ids, added lines, and its text when it is Rust."""

    path: str
    old_path: str | None
    status: str
    raw: RawChange | None
    added: frozenset[int] = frozenset()
    binary: bool = False
    text: str | None = None
    problem: str | None = None   # why `text` is None for a .rs file

    @property
    def is_rust(self) -> bool:
        return self.path.endswith(".rs")

    @property
    def is_kbuild(self) -> bool:
        """A directory's Makefile or Kbuild file (the Rust rules read what it builds)."""
        return self.path.rpartition("/")[2] in ("Makefile", "Kbuild")

    def key(self) -> tuple[str | None, ...]:
        """What determines this file's part of the patch (for cache keys)."""
        raw = self.raw
        return (self.path, self.old_path, self.status) + (
            (raw.old_mode, raw.new_mode, raw.old_blob, raw.new_blob) if raw else ())


@dataclass
class PatchInput:
    """A patch and its files, ready for any tool."""

    patch: Patch
    files: list[FileInput] = field(default_factory=list)

    @property
    def rust_files(self) -> list[FileInput]:
        return [f for f in self.files if f.is_rust]

    @property
    def kbuild_files(self) -> list[FileInput]:
        return [f for f in self.files if f.is_kbuild]

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]


def prepare(repo: GitRepo, series: Series) -> list[PatchInput]:
    """The inputs of every patch of `series`, in order."""
    raw = repo.raw_changes(f"{series.base}..{series.head}") if series.patches else {}
    texts = repo.read_blobs(c.new_blob for changes in raw.values() for c in changes
                            if c.status != "D" and _needs_text(c.path))
    return [_patch_input(texts, patch, raw.get(patch.commit, [])) for patch in series.patches]


def _needs_text(path: str) -> bool:
    """Whether the tools read this file's text (as FileInput.is_rust / is_kbuild)."""
    return path.endswith(".rs") or path.rpartition("/")[2] in ("Makefile", "Kbuild")


def touches_rust(inputs: list[PatchInput]) -> bool:
    return any(f.is_rust for p in inputs for f in p.files)


def _patch_input(texts: dict[str, bytes], patch: Patch, raws: list[RawChange]) -> PatchInput:
    added = added_lines(patch.diff_text)
    binary = {c.path for c in patch.changes if c.binary}
    files = []
    for raw in raws:
        status = _STATUS.get(raw.status, "modified")
        base = FileInput(raw.path, raw.old_path, status, raw,
                         frozenset(added.get(raw.path, ())), raw.path in binary)
        files.append(_with_text(texts, base) if _needs_text(raw.path) else base)
    return PatchInput(patch, files)


def _with_text(texts: dict[str, bytes], file: FileInput) -> FileInput:
    if file.status == "deleted":
        return _replace(file, problem="deleted")
    if file.binary:
        return _replace(file, problem="binary")
    assert file.raw is not None  # a .rs FileInput always comes from a raw change
    data = texts[file.raw.new_blob]
    try:
        return _replace(file, text=data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _replace(file, problem=f"not valid UTF-8 (byte {exc.start})")


def _replace(file: FileInput, **changes: Any) -> FileInput:
    return FileInput(**{**file.__dict__, **changes})
