"""The findings model shared by every checker, and the contract a checker follows.

Pure data: no git, no subprocesses, no UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

SEVERITIES = ("error", "warning", "info")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    """0 for error, 1 for warning, 2 for info: sort ascending to get the worst first."""
    try:
        return _RANK[severity]
    except KeyError:
        raise ValueError(f"unknown severity {severity!r}; use one of {SEVERITIES}") from None


def at_least(severity: str, threshold: str) -> bool:
    """True when `severity` is as bad as `threshold` or worse."""
    return severity_rank(severity) <= severity_rank(threshold)


def worst(severities: Iterable[str]) -> str | None:
    """The worst severity among `severities`, or None when there are none."""
    ranked = sorted(severities, key=severity_rank)
    return ranked[0] if ranked else None


@dataclass(frozen=True)
class Finding:
    """One thing a checker reports about a patch.

    `file` is a path in the patched tree, or None for the commit message (or the patch as a
    whole); `line` is a line of the new file (1-based) or None; `end_line` is the last line a
    `fix` replaces (the fix covers `line`..`end_line`, inclusive; None means just `line`).
    `fix` is replacement text for those lines, or None when the checker has no fix to offer.
    `lint` names the compiler or clippy lint the finding stands for (`missing_docs`,
    `clippy::undocumented_unsafe_blocks`), None when it comes from a document instead.
    """

    tool: str
    rule: str
    severity: str
    file: str | None
    line: int | None
    message: str
    hint: str = ""
    fix: str | None = None
    end_line: int | None = None
    lint: str | None = None

    def __post_init__(self) -> None:
        severity_rank(self.severity)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with every field (None stays None)."""
        return asdict(self)

    @property
    def sort_key(self) -> tuple[bool, str, int, int, str, str]:
        """Commit-message findings first, then by file and line, worst first on a line."""
        return (self.file is not None, self.file or "", self.line or 0,
                severity_rank(self.severity), self.tool, self.rule)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in reading order (see Finding.sort_key)."""
    return sorted(findings, key=lambda f: f.sort_key)


def apply_fixes(text: str, findings: Iterable[Finding]) -> str:
    """`text` with the line-range fixes of `findings` applied. A fix replaces lines
    `line`..`end_line`; when fixes overlap, the one starting earlier in the file wins."""
    chosen: list[Finding] = []
    for f in sorted((f for f in findings if f.fix is not None and f.line),
                    key=lambda f: f.line or 0):
        assert f.line is not None
        if not chosen or f.line > (chosen[-1].end_line or chosen[-1].line or 0):
            chosen.append(f)
    lines = text.splitlines()
    for f in reversed(chosen):
        assert f.line is not None
        lines[f.line - 1:f.end_line or f.line] = f.fix.split("\n") if f.fix else []
    return "\n".join(lines) + ("\n" if text.endswith("\n") and lines else "")


class Check(Protocol):
    """A checker: give it a patch (or a series) and it returns findings.

    Contract:
    - `name` is the tool name that every returned Finding carries in `tool`.
    - `run(patches)` takes the series in order (a single patch is a series of one) and returns
      one list of findings per patch, in the same order; an empty list means "clean".
    - It must not modify the repository or the working tree: it reads blobs and runs tools on
      temporary copies.
    - Problems with the tool itself (missing, crashing, noisy stderr) come back as findings
      with severity "warning" or "error" rather than being dropped; only a problem the user
      must fix before anything can run raises PatchpilotError.
    """

    name: str

    def run(self, patches: Sequence[Any]) -> list[list[Finding]]:
        """Check `patches` and return their findings, one list per patch."""
        ...
