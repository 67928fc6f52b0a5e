"""b4's series prerequisites (`b4 prep --edit-deps`): the lines b4 keeps under
"prerequisites" in the tracking JSON, read the way `b4 prep --check-deps` reads them, and the
verdicts `--check-deps` prints. Formats only: no network, no git, never prints.

b4 accepts `patch-id: HEX`, `change-id: ID:vN`, `message-id: <ID>` and `base-commit: REV`,
one per line, in the order they must be applied; anything else is kept as written and warned
about by b4 itself ("Unrecognized entry").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["patch-id", "change-id", "message-id", "base-commit", "unknown"]
KINDS: tuple[Kind, ...] = ("patch-id", "change-id", "message-id", "base-commit")
# b4's result line when no base-commit is given (check_deps: 'base-commit: MISSING')
BASE_MISSING = "base-commit: MISSING"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MARK = "\u25cf"  # b4's CI_FLAGS_FANCY dot; green for success, blinking red for fail


@dataclass(frozen=True)
class Prerequisite:
    """One line of b4's prerequisites, split as `b4 prep --check-deps` splits it."""

    line: str
    kind: Kind
    value: str
    revision: int | None = None  # change-id: ID:vN

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "revision": self.revision,
                "line": self.line}


def parse(line: str) -> Prerequisite:
    """b4 splits on every ':' and strips the parts (check_deps); so do we."""
    parts = [part.strip() for part in line.split(":")]
    kind: Kind = parts[0] if parts[0] in KINDS else "unknown"
    value = parts[1] if len(parts) > 1 else ""
    revision = None
    if kind == "change-id" and len(parts) > 2:
        match = re.match(r"v?(\d+)", parts[2])
        revision = int(match.group(1)) if match else None
    if kind == "message-id":
        value = value.strip("<>")
    return Prerequisite(line.strip(), kind, value, revision)


def parse_all(lines: list[str]) -> list[Prerequisite]:
    return [parse(str(line)) for line in lines if str(line).strip()]


def base_commit(prerequisites: list[Prerequisite]) -> str | None:
    """The base-commit line's value (b4: the last one wins)."""
    found = [p.value for p in prerequisites if p.kind == "base-commit" and p.value]
    return found[-1] if found else None


def parse_check_deps(text: str) -> dict[str, tuple[bool, str]]:
    """`b4 prep --check-deps` verdicts: {prerequisite line: (passed, reason)}.

    b4 prints, after a `---` line, `<dot> LINE` per prerequisite (green: passed, red: failed)
    and, under a failed one, `   - REASON`.
    """
    verdicts: dict[str, tuple[bool, str]] = {}
    last: str | None = None
    started = False
    for raw in text.splitlines():
        if raw.strip() == "---":
            started, verdicts, last = True, {}, None
            continue
        if not started:
            continue
        line = raw.rstrip()
        if _MARK in line:
            passed = "[32m" in line
            last = _ANSI.sub("", line).split(_MARK, 1)[1].strip()
            verdicts[last] = (passed, "")
        elif last is not None and line.strip().startswith("- "):
            verdicts[last] = (verdicts[last][0], line.strip()[2:])
    return verdicts
