"""The check cache: a tool's findings for a patch, stored under the key of what made them.

Keys (tools.cache_key) cover the patch-id, the blob ids of the patch's files, the commit
message where it matters, the tool's version and options and our own rule code; so a rebase
or reroll that leaves a patch unchanged finds its results here. One small JSON file per entry
under `.git/patchpilot/checks-cache/`, written atomically; an entry of the wrong shape is
removed and rebuilt. No subprocesses, no UI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from patchpilot.core.checks.model import Finding
from patchpilot.core.fs import write_atomic
from patchpilot.core.paths import repo_state_dir

FORMAT = 1


class CheckCache:
    """Findings by key; `enabled=False` reads nothing and writes nothing (--no-cache)."""

    def __init__(self, git_dir: Path, enabled: bool = True):
        self.root = repo_state_dir(git_dir) / "checks-cache"
        self.enabled = enabled

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> list[Finding] | None:
        """The stored findings, or None on a miss. An entry of the wrong shape (damaged,
        or written by another version) is a miss too, and is removed: it is rebuilt."""
        if not self.enabled:
            return None
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, UnicodeDecodeError):
            data = None
        findings = _findings(data)
        if findings is None:
            _discard(path)
        return findings


    def put(self, key: str, findings: list[Finding]) -> None:
        """Store `findings` under `key` (best effort: a read-only .git just means no cache)."""
        if not self.enabled:
            return
        path = self._path(key)
        data = {"format": FORMAT, "findings": [f.to_json() for f in findings]}
        try:
            write_atomic(path, json.dumps(data))
        except OSError:
            pass

    def entries(self) -> int:
        """How many entries are stored (for tests and `doctor`)."""
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.is_dir() else 0


_TYPES: dict[str, tuple[type, ...]] = {
    "tool": (str,), "rule": (str,), "severity": (str,), "file": (str, type(None)),
    "line": (int, type(None)), "message": (str,), "hint": (str,), "fix": (str, type(None)),
    "end_line": (int, type(None)), "lint": (str, type(None))}


def _findings(data: Any) -> list[Finding] | None:
    """The findings of a cache entry, or None when it is not one of this format."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    items = data.get("findings")
    if not isinstance(items, list):
        return None
    findings = []
    for item in items:
        if not isinstance(item, dict) or not set(item) <= set(_TYPES) or any(
                not isinstance(value, _TYPES[name]) or isinstance(value, bool)
                for name, value in item.items()):
            return None
        try:
            findings.append(Finding(**item))
        except (TypeError, ValueError):  # a missing field, an unknown severity
            return None
    return findings


def _discard(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass  # read-only: it stays a miss
