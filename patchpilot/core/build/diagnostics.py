"""Diagnostics from a kernel build's output: rustc and clippy-driver (JSON, through KRUSTFLAGS),
rustdoc (its human format), clang, and the tools that print `file: warning: ...` (objtool, ld).

A diagnostic's identity for "is this new?" is its content, not its line number: a patch that
inserts lines above an old warning moves it, and a warning an earlier patch introduced is
printed again whenever a later patch makes its object rebuild. No UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.checks.clippy import parse_diagnostics

_HUMAN = re.compile(r"^(warning|error)(?:\[(\w+)\])?: (.*)$")
_ARROW = re.compile(r"^\s*--> (.+?):(\d+):\d+$")
_LINT_NOTE = re.compile(r"`(?:#\[(?:warn|deny)\(|-[WD] )([\w:-]+)")
_C = re.compile(r"^(.+?):(\d+):\d+: (warning|error): (.*?)(?: \[(-W[\w-]+(?:=\w+)?)\])?$")
_TOOL = re.compile(r"^([\w./-]+\.(?:o|ko|a)|vmlinux[\w.]*): (warning|error): (.*)$")
_FATAL = re.compile(r"^make(?:\[\d+\])?: \*\*\* (.*)$")


@dataclass(frozen=True)
class Diag:
    level: str  # "error" or "warning"
    code: str  # the lint (clippy::needless_return, -Wunused-variable) or rustc's E0308
    message: str
    file: str  # tree-relative where the tree is known
    line: int
    help: str = ""
    text: str = ""  # the source line, stripped (part of the identity)

    def key(self) -> str:
        message = self.message
        if self.code == "build":  # objtool names symbols that carry doctests' line numbers
            message = re.sub(r"\d+", "#", message)
        return "\x1f".join((self.level, self.file, self.code, message, self.text))

    def to_json(self) -> dict[str, object]:
        return {"level": self.level, "code": self.code, "message": self.message,
                "file": self.file, "line": self.line, "help": self.help, "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Diag:
        return cls(str(data["level"]), str(data["code"]), str(data["message"]),
                   str(data["file"]), int(str(data["line"])), str(data.get("help", "")),
                   str(data.get("text", "")))


def parse_output(output: str, top: Path) -> list[Diag]:
    """Every diagnostic of a build's output, files made relative to `top`, each once."""
    found: list[Diag] = []
    for d in parse_diagnostics(output):
        code = d.code if d.code != "rustc" else _lint_of(d.help)
        found.append(Diag(d.level, code, d.message, _relative(d.file, top), d.line, d.help))
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("{"):
            continue
        human = _HUMAN.match(line)
        if human and not human.group(3).startswith(("aborting due to", "build failed")) and \
                not re.match(r"^\d+ warnings? emitted", human.group(3)):
            found.extend(_human(human, lines[i + 1:i + 30], top))
            continue
        c_style = _C.match(line)
        if c_style:
            found.append(Diag(c_style.group(3), c_style.group(5) or "cc", c_style.group(4),
                              _relative(c_style.group(1), top), int(c_style.group(2))))
            continue
        tool = _TOOL.match(line)
        if tool:
            found.append(Diag(tool.group(2), "build", tool.group(3), tool.group(1), 0))
    return list(dict.fromkeys(found))


def _human(match: re.Match[str], after: list[str], top: Path) -> list[Diag]:
    where, code, helps = None, match.group(2) or "", []
    for line in after:
        if _HUMAN.match(line) or line.startswith("{"):
            break
        arrow = _ARROW.match(line)
        if arrow and where is None:
            where = arrow
        note = _LINT_NOTE.search(line)
        if note and not code:
            code = note.group(1).replace("-", "_") if "::" in note.group(1) else note.group(1)
        if line.strip().startswith("= help:"):
            helps.append(line.strip().removeprefix("= help:").strip())
    if where is None:
        return []
    return [Diag(match.group(1), code or "rustc", match.group(3),
                 _relative(where.group(1), top), int(where.group(2)), "; ".join(helps))]


def _lint_of(help_text: str) -> str:
    found = re.search(r"index\.html#(\w+)", help_text)
    return f"clippy::{found.group(1)}" if found else "rustc"


def _relative(name: str, top: Path) -> str:
    path = Path(name)
    if path.is_absolute():
        try:
            return str(path.resolve().relative_to(top.resolve()))
        except ValueError:
            return name
    return name


def with_text(diags: list[Diag], top: Path) -> list[Diag]:
    """Each diagnostic with the stripped text of its line in the checkout at `top`."""
    cache: dict[str, list[str]] = {}
    result = []
    for d in diags:
        if d.file not in cache:
            path = top / d.file
            try:
                cache[d.file] = path.read_text(errors="replace").splitlines() \
                    if d.line and path.is_file() else []
            except OSError:
                cache[d.file] = []
        lines = cache[d.file]
        text = lines[d.line - 1].strip() if 0 < d.line <= len(lines) else ""
        result.append(Diag(d.level, d.code, d.message, d.file, d.line, d.help, text))
    return result


def failure_lines(output: str) -> list[str]:
    """What failed when no diagnostic says why: the lines that say so (a missing program, a
    tool's error) before make's own '*** ...' lines, those last."""
    said, fatal = [], []
    for line in output.splitlines():
        if line.startswith("{"):
            continue
        match = _FATAL.match(line)
        if match:
            fatal.append(match.group(1))
        elif re.search(r"not found|[Ee]rror|No such file|cannot|[Kk]illed", line) and \
                not line.startswith(("make", "  ")):
            said.append(line.strip())
    return said[:1] + fatal[:1]


def disk_full(output: str) -> bool:
    return "No space left on device" in output
