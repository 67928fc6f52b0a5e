"""Know when a series is applied: a maintainer's "applied, thanks" mail in its thread.

Read from the sender's own (unquoted) text of each reply, in the shapes maintainers send:
b4 ty's ("Applied, thanks!" or "Applied to TREE (BRANCH), thanks!", then one `[k/n] subject`
line per patch with `commit: SHA` (or a commit URL) below it), patchwork-bot's ("This series
was applied to netdev/net-next.git (main)", then `- [net-next,v2,1/3] subject` and a commit
URL), and hand-written ones ("Applied to rust-next, thanks!", "Thanks, applied.", "Applied
patches 1-2 to the for-next branch"). Which patches: the listed ones, else those named
("patches 1-2"), else the patch the mail answers, else (an answer to the cover) the series.
A tester's "applied on top of X and it fails" is not an application. Pure functions over
decoded mail (mail.Mail); no git, no network, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from patchpilot.core.review.mail import Mail

_LEAD = r"^(?:thanks[,!.]?\s+|ok[,!.]?\s+)?(?:i(?:'ve|\s+have)\s+|now\s+|so\s+)?"
_BOT = re.compile(r"^this (?:series|patch) was applied to (?P<tree>\S+?)"
                  r"(?:\s+\((?P<branch>[^()\s]+)\))?:?$", re.I)
_TO = re.compile(_LEAD + r"applied\b(?P<what>[^.!?;]{0,80}?)\s+(?:in)?to\s+(?:the\s+|my\s+)?"
                 r"(?P<tree>[`'\"]?[A-Za-z0-9][\w./:+~-]*?[`'\"]?)"
                 r"(?:\s*\((?P<branch>[\w./+~-]+)\))?(?P<kind>\s+(?:branch|tree))?"
                 r"(?P<tail>[\s,.!:;].*|)$", re.I)
_BARE = re.compile(_LEAD + r"applied(?P<what>\s+(?:it|this|them|the series|all|patch(?:es)?"
                   r"[\s\d,and-]*))?(?:[,.!]?\s*(?:thanks|thank you)\b.*|[.!]*)$", re.I)
_NOT = re.compile(r"on top|locally|cleanly|\btest|\bbuild|\bbreak|\bfail|\berror|\bwarn|"
                  r"\bbut\b|however|\?", re.I)
_LISTED = re.compile(r"^\s*(?:-\s+)?\[(?P<prefix>[^\]]*?)(?:\b(?P<k>\d+)/(?P<n>\d+))?\]\s+"
                     r"(?P<subject>\S.*)$")
_COMMIT = re.compile(r"(?:commit:\s*|/c/|/commit/\??(?:.*?[?&;]id=)?|[?&;]id=|[?&;]h=)"
                     r"(?P<sha>[0-9a-f]{7,40})\b")
_NUMBERS = re.compile(r"patch(?:es)?\s+(?P<list>\d+(?:\s*(?:-|,|and|&)\s*\d+)*)", re.I)
_PLACEHOLDER = {"my", "the", "tree", "branch", "it", "this", "them"}
_FRAME = re.compile(r"^(hello:?|by .{1,80}:|here is the summary with links:|you are awesome, "
                    r"thank you!|best regards,?)$", re.I)


@dataclass
class AppliedPatch:
    index: int  # 1-based patch of the revision
    subject: str = ""
    commit: str | None = None


@dataclass
class Applied:
    """What the maintainers said they applied of one revision (all their mails together)."""

    by: str
    msgids: list[str]
    date: str
    tree: str | None = None
    branch: str | None = None
    patches: list[AppliedPatch] = field(default_factory=list)
    whole: bool = False  # every patch of the revision (or the series, when none are named)

    @property
    def label(self) -> str:
        """`applied`, `applied to rust-next (main)`, `2/3 applied to ...`."""
        where = f" to {self.tree}" if self.tree else ""
        where += f" ({self.branch})" if self.branch else ""
        part = "" if self.whole else f"{len(self.patches)} patch" + \
            ("es " if len(self.patches) != 1 else " ")
        return f"{part}applied{where}"

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "msgids": self.msgids, "date": self.date, "tree": self.tree,
                "branch": self.branch, "whole": self.whole,
                "patches": [{"index": p.index, "subject": p.subject, "commit": p.commit}
                            for p in self.patches]}


@dataclass(frozen=True)
class _Said:
    tree: str | None
    branch: str | None
    numbers: tuple[int, ...]


def own_lines(body: str) -> list[str]:
    """The sender's own lines: no quotes, nothing after the signature."""
    lines = []
    for line in body.splitlines():
        if line.rstrip() == "--" and line.startswith("-- "):
            break
        if not line.lstrip().startswith(">"):
            lines.append(line.rstrip())
    return lines


def statement(line: str) -> _Said | None:
    """What one line says was applied, or None when it does not say so."""
    text = " ".join(line.replace("`", "").split())
    found = _BOT.match(text)
    if found:
        return _Said(_clean(found["tree"]), found["branch"], ())
    found = _TO.match(text)
    if found and not _NOT.search(found["what"] + found["tail"]):
        tree = _clean(found["tree"])
        numbers = _numbers(found["what"])
        if found["kind"] and "branch" in found["kind"].lower():
            return _Said(None, tree or found["branch"], numbers)
        return _Said(tree, found["branch"], numbers)
    found = _BARE.match(text)
    if found:
        return _Said(None, None, _numbers(found["what"] or ""))
    return None


def _clean(name: str | None) -> str | None:
    name = (name or "").strip("`'\".,:;")
    return name if name and name.lower() not in _PLACEHOLDER else None


def _numbers(text: str) -> tuple[int, ...]:
    found = _NUMBERS.search(text)
    if not found:
        return ()
    out: list[int] = []
    for part in re.split(r"\s*(?:,|and|&)\s*", found["list"]):
        low, _, high = part.partition("-")
        if low.strip().isdigit():
            end = int(high) if high.strip().isdigit() else int(low)
            out += range(int(low), min(end, int(low) + 200) + 1)
    return tuple(sorted(set(out)))


def summary_line(line: str) -> bool:
    """A line of an "applied" mail's summary: the statement, a `[k/n] subject` line, the
    commit or its URL below one, patchwork-bot's framing lines."""
    text = line.strip()
    return not text or statement(text) is not None or bool(_LISTED.match(text)) or \
        bool(_COMMIT.search(text) and len(text.split()) <= 2) or \
        bool(_FRAME.match(text))


def listed(lines: list[str], answered: int) -> list[AppliedPatch]:
    """The `[k/n] subject` lines of the summary, with the commit under each."""
    patches: list[AppliedPatch] = []
    for i, line in enumerate(lines):
        found = _LISTED.match(line)
        if not found:
            continue
        index = int(found["k"]) if found["k"] else max(answered, 1)
        below = next((l for l in lines[i + 1:i + 3] if l.strip()), "")
        commit = _COMMIT.search(below) if not _LISTED.match(below) else None
        if index > 0 and index not in {p.index for p in patches}:
            patches.append(AppliedPatch(index, found["subject"].strip()[:300],
                                        commit["sha"] if commit else None))
    return patches


def read_applied(mail: Mail, answered: int) -> tuple[_Said, list[AppliedPatch]] | None:
    """(what one mail says, the patches it lists) when it says something was applied."""
    lines = own_lines(mail.body)
    said = next((s for l in lines if (s := statement(l))), None)
    if said is None:
        return None
    patches = listed(lines, answered)
    if not patches and said.numbers:
        patches = [AppliedPatch(n) for n in said.numbers]
    elif not patches and answered > 0:
        patches = [AppliedPatch(answered)]
    return said, patches


def find_applied(replies: Iterable[tuple[Mail, int]], total: int | None,
                 subjects: dict[int, str] | None = None) -> Applied | None:
    """What was applied of a revision of `total` patches, from its replies (each with the
    patch it answers, 0 the cover), oldest first; None when nobody said so."""
    result: Applied | None = None
    for mail, answered in sorted(replies, key=lambda r: r[0].date):
        read = read_applied(mail, answered)
        if read is None:
            continue
        said, patches = read
        result = result or Applied(mail.sender, [], mail.date)
        result.msgids.append(mail.msgid)
        result.by, result.date = mail.sender, mail.date
        result.tree, result.branch = said.tree or result.tree, said.branch or result.branch
        known = {p.index for p in result.patches}
        result.patches += [p for p in patches if p.index not in known]
        result.whole = result.whole or not patches
    if result is None:
        return None
    for patch in result.patches:
        patch.subject = patch.subject or (subjects or {}).get(patch.index, "")
    result.patches.sort(key=lambda p: p.index)
    if total and {p.index for p in result.patches} >= set(range(1, total + 1)):
        result.whole = True
    return result
