"""The cover letter and subject prefixes of a b4 series, read by patchpilot and written by b4.

Writes go through `b4 prep --edit-cover` (an editor command b4 runs on its temporary file) and
`b4 prep --set-prefixes`, so a series stays an ordinary b4 series. Never prints.
"""

from __future__ import annotations

import re
import shlex
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series
from patchpilot.core.series.prep import require_b4_checkout

RESEND = "RESEND"
WIDTH = 75  # the cover's lines, as checkpatch wants a commit message's
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TRAILER = re.compile(r"^(?:[A-Za-z]+-[A-Za-z-]+|To|Cc|Link|Fixes|Closes|Message-ID): \S")


@dataclass
class CoverView:
    """The cover as it will be mailed, with what still needs editing."""

    subject_line: str
    subject: str
    body: str
    editme: list[tuple[int, str]] = field(default_factory=list)
    below_dashes: bool = False  # one-patch series: b4 puts the cover text below '---'
    base: str = ""
    change_id: str | None = None
    prerequisites: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"subject_line": self.subject_line, "subject": self.subject, "body": self.body,
                "editme": [{"line": n, "text": t} for n, t in self.editme],
                "below_dashes": self.below_dashes, "base": self.base,
                "change_id": self.change_id, "prerequisites": self.prerequisites}


def subject_line(series: Series, prefixes: list[str] | None = None) -> str:
    """`[PATCH RFC rust-next v2 0/3] subject` as b4 numbers it (no 0/N for one patch)."""
    words = ["PATCH", *(series.prefixes if prefixes is None else prefixes)]
    if series.revision > 1:
        words.append(f"v{series.revision}")
    count = len(series.patches)
    if count == 1:
        return f"[{' '.join(words)}] {series.patches[0].subject}"
    return f"[{' '.join(words)} 0/{count}] {series.cover_subject or ''}"


def view(series: Series, prerequisites: list[str] | None = None) -> CoverView:
    _require_b4(series)
    subject, body = series.cover_subject or "", series.cover_body or ""
    return CoverView(subject_line(series), subject, body, editme_lines(f"{subject}\n\n{body}"),
                     below_dashes=len(series.patches) == 1, base=series.base,
                     change_id=series.change_id, prerequisites=list(prerequisites or []))


def editme_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) of each line of a cover text that still holds an EDITME
    placeholder; `#` lines are comments b4 drops. The one definition every face uses."""
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1)
            if "EDITME" in line and not line.startswith("#")]


def wrap_cover(text: str, width: int = WIDTH) -> str:
    """The cover with its long prose lines wrapped at `width` columns, as mail to the kernel
    lists wants them: the subject line, `#` comments, quotes, indented lines (code), trailers
    (`Link:`, `Cc:` ...) and unbreakable lines (a URL) kept as written; a bullet's lines
    continue under its text."""
    out: list[str] = []
    for i, line in enumerate(text.split("\n")):
        stripped = line.rstrip()
        bullet = _BULLET.match(stripped)
        if (i == 0 or len(stripped) <= width or " " not in stripped.strip()
                or stripped.startswith(("#", ">", "\t")) or _TRAILER.match(stripped)
                or (stripped.startswith(" ") and not bullet)):
            out.append(stripped if i else line)
            continue
        indent = " " * len(bullet.group(0)) if bullet else ""
        out += textwrap.wrap(stripped, width, subsequent_indent=indent,
                             break_long_words=False, break_on_hyphens=False)
    return "\n".join(out)


def only_editme(text: str) -> bool:
    """A cover whose every non-empty line is an EDITME placeholder says nothing yet."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return not lines or all("EDITME" in ln for ln in lines)


_RECIPIENT = re.compile(r"^(to|cc):\s*\S", re.I)


def stray_recipients(text: str) -> list[str]:
    """To:/Cc: lines below the cover's `---`: b4 reads its recipients only from the trailer
    block above it, so these would go out as text in the cover's body (`b4 prep --auto-to-cc`
    appends a second block there once a reroll put "Changes in vN" below `---`)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "---"), len(lines))
    return [line for line in lines[start + 1:] if _RECIPIENT.match(line)]


def gather_recipients(text: str) -> str:
    """`text` with the To:/Cc: lines below `---` moved up into the trailer block above it
    (the last paragraph before `---`), once each (stray_recipients)."""
    stray = stray_recipients(text)
    if not stray:
        return text
    lines = text.splitlines()
    dashes = next(i for i, line in enumerate(lines) if line.rstrip() == "---")
    head, tail = lines[:dashes], lines[dashes:]
    tail = [ln for ln in tail if not _RECIPIENT.match(ln)]
    while head and not head[-1].strip():
        head.pop()
    block = len(head)
    while block and head[block - 1].strip():
        block -= 1
    have = {" ".join(ln.split()).lower() for ln in head[block:]}
    if not all(_RECIPIENT.match(ln) or ":" in ln for ln in head[block:]):
        head.append("")  # the last paragraph is text, not a trailer block: start one
    for line in stray:
        if " ".join(line.split()).lower() not in have:
            have.add(" ".join(line.split()).lower())
            head.append(line.rstrip())
    tail = _squeeze(tail)
    return "\n".join([*head, "", *tail]).rstrip("\n") + "\n"


def _squeeze(lines: list[str]) -> list[str]:
    """No run of blank lines where the stray block was."""
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1].strip()):
            out.append(line)
    return out


def _require_b4(series: Series) -> None:
    if not series.b4_managed:
        raise PatchpilotError(f"{series.branch} is not managed by b4: it has no cover letter",
                              hint="enroll it first: patchpilot enroll BASE")


def _require_clean(repo: GitRepo, series: Series) -> None:
    require_b4_checkout(repo, series, "edit the cover")


def raw_cover(repo: GitRepo, series: Series) -> str:
    """The cover exactly as b4 hands it to an editor (comments included)."""
    _require_clean(repo, series)
    with tempfile.TemporaryDirectory(prefix="patchpilot-") as tmp:
        out = Path(tmp) / "cover.txt"
        code = "import shutil, sys; shutil.copyfile(sys.argv[2], sys.argv[1])"
        editor = " ".join(shlex.quote(a) for a in (sys.executable, "-c", code, str(out)))
        b4cli.run(b4cli.prep_edit_cover(), cwd=repo.top, editor=editor)
        return out.read_text(encoding="utf-8")


def set_cover(repo: GitRepo, series: Series, text: str) -> None:
    """Replace the cover with `text` through `b4 prep --edit-cover`."""
    _require_clean(repo, series)
    if only_editme(text):
        raise PatchpilotError("the new cover has nothing but EDITME placeholders (or nothing)",
                              hint="write a subject line and a description; cover unchanged")
    with tempfile.TemporaryDirectory(prefix="patchpilot-") as tmp:
        source = Path(tmp) / "cover.txt"
        source.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        b4cli.run(b4cli.prep_edit_cover(), cwd=repo.top,
                  editor=f"cp {shlex.quote(str(source))}")


def compose_prefixes(current: list[str], rfc: bool | None = None, tree: str | None = None,
                     resend: bool | None = None, known_trees: tuple[str, ...] = ()) -> list[str]:
    """New extra prefixes: RFC first, then the target tree, then RESEND; others kept."""
    keep = [p for p in current if p not in ("RFC", RESEND) and
            (tree is None or (p != tree and p not in known_trees and not _is_tree(p)))]
    has = {p: p in current for p in ("RFC", RESEND)}
    rfc = has["RFC"] if rfc is None else rfc
    resend = has[RESEND] if resend is None else resend
    out = (["RFC"] if rfc else []) + ([tree] if tree else []) + keep
    return out + ([RESEND] if resend else [])


def tree_of(prefixes: list[str]) -> str | None:
    """The target tree among the extra prefixes (rust-next, net-next, net, bpf ...), if any."""
    return next((p for p in prefixes if p not in ("RFC", RESEND) and _is_tree(p)), None)


def _is_tree(prefix: str) -> bool:
    return prefix.endswith(("-next", "-fixes")) or prefix in ("net", "bpf")


def set_prefixes(repo: GitRepo, series: Series, prefixes: list[str]) -> None:
    _require_clean(repo, series)
    for prefix in prefixes:
        if not prefix or any(c in prefix for c in "[] \t\n"):
            raise PatchpilotError(f"bad prefix {prefix!r}",
                                  hint="a prefix is one word, such as RFC or rust-next")
    b4cli.run(b4cli.prep_set_prefixes(prefixes), cwd=repo.top)
