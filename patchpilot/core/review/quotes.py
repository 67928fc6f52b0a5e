"""Split a reply's body into what the reviewer quoted and what they wrote, as a reader does.

The body (decoded by mail.py: HTML blockquotes are already `> ` lines, format=flowed already
joined) becomes a list of Segments in order: `quote` (quoted lines, any depth, with the blank
lines between them), `text` (the reviewer's own lines), `signature` (after `-- `, or a short
sign-off after a bare `--`/`---`) and `original` (the message quoted below Outlook's
"-----Original Message-----" or a `From:`/`Sent:` header block, unquoted). Attribution lines
("On Mon, 1 Jan 2024, A <a@b> wrote:", "A <a@b> writes:", "Le ... a écrit :", mutt's
"* A <a@b> [2024-01-01 10:00]:", "Quoting A (2024-01-01):") are dropped from the text that
leads into a quote. Pure functions over untrusted text; no UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SegmentKind = Literal["quote", "text", "signature", "original"]

_VERB = (r"(wrote|writes|said|says|a écrit|a ecrit|schrieb|escribió|escribio|ha scritto|"
         r"scrisse|napisał\(a\)|napisał|napisal|skrev|kirjoitti|написал\(а\)|написал|írta|"
         r"schreef|escreveu)")
_ATTRIBUTION = (
    re.compile(rf"\b{_VERB}\s*:\s*$", re.I),
    re.compile(r"^\s*quoting\b.{0,200}:\s*$", re.I),
    re.compile(r"^\s*\*\s.{0,200}\[\d{2,4}-\d\d-\d\d[^\]]*\]\s*:\s*$"),  # mutt
    re.compile(r"^\s*(on|am|le|el|il|op|em|w dniu)\b.{0,200}\d.{0,200}\S+@\S+.{0,200}:\s*$",
               re.I),
)
_ORIGINAL = re.compile(r"^\s*-{3,}\s*(original message|ursprüngliche nachricht|"
                       r"message d'origine|mensaje original)\s*-{3,}\s*$", re.I)
_OUTLOOK_FROM = re.compile(r"^\s*(from|von|de)\s*:\s*\S.*$", re.I)
_OUTLOOK_NEXT = re.compile(r"^\s*(sent|date|gesendet|envoyé|enviado|to|an|à|para)\s*:\s*\S", re.I)
_UNDERLINE = re.compile(r"^\s*_{20,}\s*$")
_SNIP = re.compile(r"^\s*(\[\s*(\.{3}|…|snip(ped)?|trimmed|cut|\.\.\. ?snip ?\.\.\.)\s*\]|"
                   r"<\s*snip(ped)?\s*>|\.{3}|…|-+ ?snip ?-+)\s*$", re.I)
_MARKS = re.compile(r"(?:> ?)*")  # quote markers, each with the one space that may follow
_CUT_STARTS = frozenset("-_FfVvDd")  # what a signature, an original or a From: line starts with
SHORT_SIGNOFF = 6  # non-blank lines after a bare --/--- that still read as a sign-off


@dataclass
class Segment:
    """A run of lines of one kind; `lines` as written (quote markers kept)."""

    kind: SegmentKind
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip("\n")

    @property
    def blank(self) -> bool:
        return not any(line.strip() for line in self.lines)


def quoted(line: str) -> bool:
    return line.startswith(">")


def _marks(line: str) -> str:
    found = _MARKS.match(line)
    return found.group() if found else ""


def unquote(line: str) -> str:
    """A quoted line without its markers, at any depth (`> > +x` -> `+x`)."""
    return line[len(_marks(line)):]


def depth(line: str) -> int:
    """How many `>` levels quote a line (`> > x` and `>> x` are 2)."""
    return _marks(line).count(">")


def segments(body: str) -> list[Segment]:
    """The body as Segments, in order (see the module docstring)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _cut(lines)
    if cut is None:
        found = _runs(lines)
    elif cut[1] == "original":
        found = [*_runs(lines[:cut[0]]), Segment("original", lines[cut[0]:])]
    else:  # a signature ends where a quote (or the attribution leading into one) starts
        end = _signature_end(lines, cut[0])
        found = [*_runs(lines[:cut[0]]), Segment("signature", lines[cut[0]:end]),
                 *_runs(lines[end:])]
    _drop_attributions(found)
    return [s for s in found if not s.blank]


def _signature_end(lines: list[str], start: int) -> int:
    for i in range(start + 1, len(lines)):
        if quoted(lines[i]):
            return i
        if is_attribution(lines[i]) and any(quoted(n) for n in lines[i + 1:i + 3]):
            return i
    return len(lines)


def _cut(lines: list[str]) -> tuple[int, SegmentKind] | None:
    """Where the reviewer's part ends: a signature or an unquoted original message."""
    for i, line in enumerate(lines):
        if quoted(line) or line.lstrip()[:1] not in _CUT_STARTS:
            continue
        if line == "-- " or (line.rstrip() == "--" and _short_signoff(lines[i + 1:])):
            return i, "signature"
        if line.rstrip() == "---" and _short_signoff(lines[i + 1:]):
            return i, "signature"
        if _ORIGINAL.match(line) or _outlook_header(lines, i):
            return i, "original"
    return None


def _short_signoff(rest: list[str]) -> bool:
    """What follows a bare `--`/`---` is a sign-off: a few lines, nothing quoted, no diff."""
    words = [line for line in rest if line.strip()]
    return (len(words) <= SHORT_SIGNOFF and not any(quoted(line) for line in words)
            and not any(line.startswith(("diff --git", "@@", "+++")) for line in words))


def _outlook_header(lines: list[str], i: int) -> bool:
    """Outlook's quoted header block: `From: ...` then `Sent:`/`To:` (an underline above)."""
    line = lines[i]
    if _UNDERLINE.match(line):
        return any(_OUTLOOK_FROM.match(n) for n in lines[i + 1:i + 3])
    if not _OUTLOOK_FROM.match(line) or "@" not in line and not _near_date(lines, i):
        return False
    return any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1:i + 3])


def _near_date(lines: list[str], i: int) -> bool:
    return any(re.match(r"^\s*(sent|date)\s*:", n, re.I) for n in lines[i + 1:i + 3])


def _runs(lines: list[str]) -> list[Segment]:
    """Quoted and own runs; blank lines and trim marks ("[...]", "<snip>") between two quoted
    runs belong to the quote."""
    runs: list[Segment] = []
    for line in lines:
        kind: SegmentKind = "quote" if quoted(line) else "text"
        inside = runs and runs[-1].kind == "quote" and (not line.strip() or _SNIP.match(line))
        if runs and (runs[-1].kind == kind or inside):
            runs[-1].lines.append(line)
        else:
            runs.append(Segment(kind, [line]))
    for run in runs:  # trailing blank lines of a quote go to what follows
        while run.kind == "quote" and run.lines and not run.lines[-1].strip():
            run.lines.pop()
    return runs


def _drop_attributions(found: list[Segment]) -> None:
    """Remove the attribution line(s) at the end of a text run that leads into a quote."""
    for i, seg in enumerate(found[:-1]):
        if seg.kind == "text" and found[i + 1].kind in ("quote", "original"):
            strip_attribution(seg.lines)


def strip_attribution(lines: list[str]) -> None:
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or not is_attribution(lines[-1]):
        return
    last = lines.pop()
    if lines and lines[-1].strip() and not last.lstrip().lower().startswith(("on ", "am ")):
        before = lines[-1].strip()
        if before.lower().startswith(("on ", "am ", "le ", "el ")) and \
                not before.endswith((".", "!", "?")):
            lines.pop()  # "On Mon, 1 Jan 2024, Name <" wrapped before "a@b> wrote:"


def is_attribution(line: str) -> bool:
    text = line.strip()
    return len(text) <= 400 and any(p.search(text) for p in _ATTRIBUTION)
