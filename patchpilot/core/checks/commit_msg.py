"""Commit message rules B1-B8 (kernel-rust-rules.md, table B) on plain data.

Input: the subject, the body (ending in its trailer block, as git stores it) and the author
(`Name <email>`); output: Findings with `file` None and `line` counted in the commit message
(the subject is line 1). `drop_checkpatch_duplicates` removes ours where checkpatch.pl already
reported the same thing. Pure text; no git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import cast

from patchpilot.core.checks.model import Finding
from patchpilot.core.series.patches import split_notes

TOOL = "commit-msg"
_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$")
STANDARD_TAGS = frozenset(t.lower() for t in (
    "Signed-off-by", "Co-developed-by", "Acked-by", "Reviewed-by", "Tested-by", "Reported-by",
    "Suggested-by", "Cc", "Fixes", "Link", "Closes", "Message-ID"))
_PREFIX = re.compile(r"^([\w./+-]+(?:\s*:\s*[\w./+-]+)*):\s+(\S.*)$")
_NOT_IMPERATIVE = frozenset((
    "added adds adding fixed fixes fixing removed removes removing updated updates updating "
    "changed changes changing implemented implements introduced introduces moved moves "
    "renamed renames converted converts made makes used uses").split())
_FIXES = re.compile(r"^[0-9a-f]{12,40} \(\".+\"\)$")
_COMMIT_REF = re.compile(r"\bcommit\s+([0-9a-f]{6,40})\b", re.IGNORECASE)
_VERSION_LOG = re.compile(r"^(changes (in|since|from) v\d|v\d+\s*(->|:|-)|---\s*v\d)", re.I)

# Our rule id -> the checkpatch types that report the same problem.
CHECKPATCH_EQUIVALENT = {
    "B1": {"MISSING_SIGN_OFF", "NO_AUTHOR_SIGN_OFF"}, "B1-codev": {"BAD_SIGN_OFF"},
    "B4": {"COMMIT_LOG_LONG_LINE"}, "B4-empty": {"COMMIT_MESSAGE"},
    "B5": {"BAD_FIXES_TAG"}, "B5-commit-ref": {"GIT_COMMIT_ID"},
    "B6": {"BAD_REPORTED_BY_LINK"}, "B7": {"BAD_STABLE_ADDRESS_STYLE"},
}
SEVERITY = {"B1": "error", "B1-codev": "error", "B2": "warning", "B2-style": "info",
            "B3": "info", "B4": "warning", "B4-empty": "warning", "B5": "warning",
            "B5-commit-ref": "warning", "B6": "warning", "B7": "warning", "B8": "warning",
            "B8-tag": "info"}


@dataclass(frozen=True)
class Message:
    """A commit message split into numbered lines, its prose and its trailers."""

    subject: str
    lines: list[str]          # body lines; body line i is message line i + 3
    trailers: list[tuple[int, str, str]]  # (message line, name, value)
    prose_end: int            # body lines before this index are prose


def split_message(subject: str, body: str) -> Message:
    """Find the trailer block: the last paragraph, when every line of it is `Name: value`.
    Notes below a `---` line (a per-patch changelog) are not part of the message."""
    body = split_notes(body)[0]
    lines = body.rstrip("\n").split("\n") if body.strip() else []
    start = len(lines)
    while start > 0 and lines[start - 1].strip():
        start -= 1
    block = lines[start:]
    if not block or not all(_TRAILER.match(line) for line in block):
        return Message(subject, lines, [], len(lines))
    # every line matched above; _TRAILER has two groups
    trailers = cast(list[tuple[int, str, str]],
                    [(start + i + 3, *cast(re.Match[str], _TRAILER.match(line)).groups())
                     for i, line in enumerate(block)])
    return Message(subject, lines, trailers, start)


def _f(rule: str, line: int | None, message: str, hint: str, fix: str | None = None) -> Finding:
    return Finding(TOOL, rule, SEVERITY[rule], None, line, message, hint, fix)


def check_commit_message(subject: str, body: str, author: str,
                         paths: Sequence[str] = (),
                         history_prefix: str | None = None) -> list[Finding]:
    """All B rules; `paths` (files the patch touches) lets B2 suggest the Rust prefix, and
    `history_prefix` (the prefix the touched files' history uses) comes first when known."""
    msg = split_message(subject, body)
    found: list[Finding] = []
    for rule in (_sign_off, _co_developers, _subject, _imperative, _body_lines, _fixes,
                 _commit_refs, _reported_by, _stable, _tags):
        found.extend(rule(msg, author, paths))
    if history_prefix is not None:
        found = [f for f in found if not f.message.startswith(_RUST_CONVENTION)]
        found.extend(_history(msg, history_prefix))
    return found


_RUST_CONVENTION = ("Rust samples use the prefix", "changes under rust/ use the prefix")


def _history(msg: Message, expected: str) -> Iterator[Finding]:
    """B2: the prefix the touched files' history uses is the best guide."""
    match = _PREFIX.match(msg.subject)
    prefix, summary = match.groups() if match else ("", msg.subject)
    if prefix == expected or prefix.startswith(expected + ":"):
        return
    yield _f("B2", 1, f"the history of the touched files uses the prefix `{expected}: `",
             "use the prefix their maintainers expect", f"{expected}: {summary}")


def _email(value: str) -> str:
    return parseaddr(value)[1].lower()


def _sign_off(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B1: a Signed-off-by, one of them from the author."""
    sobs = [_email(v) for _, n, v in msg.trailers if n.lower() == "signed-off-by"]
    if not sobs:
        yield _f("B1", None, "no Signed-off-by: line", "commit with `git commit -s`")
    elif _email(author) not in sobs:
        yield _f("B1", None, f"no Signed-off-by: from the author {author}",
                 "add the author's sign-off, or fix the author with `git commit --amend "
                 "--reset-author`")


def _co_developers(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B1: Co-developed-by: X is followed directly by Signed-off-by: X."""
    for i, (line, name, value) in enumerate(msg.trailers):
        if name.lower() != "co-developed-by":
            continue
        nxt = msg.trailers[i + 1] if i + 1 < len(msg.trailers) else None
        if nxt is None or nxt[1].lower() != "signed-off-by" or _email(nxt[2]) != _email(value):
            yield _f("B1-codev", line, "Co-developed-by: is not followed by that person's "
                     "Signed-off-by:", "add `Signed-off-by:` with the same name right after it")


def _subject(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B2: short, no full stop, `subsystem: summary`; for Rust patches the summary in lower
    case (other subsystems, tip and x86 among them, capitalise it)."""
    if msg.subject.startswith('Revert "'):
        return
    if len(msg.subject) > 75:
        yield _f("B2", 1, f"subject is {len(msg.subject)} characters long",
                 "keep it to about 70 characters; details go in the body")
    if msg.subject.endswith("."):
        yield _f("B2-style", 1, "subject ends with a full stop", "drop the period",
                 msg.subject.rstrip("."))
    match = _PREFIX.match(msg.subject)
    if not match:
        yield _f("B2", 1, "subject has no `subsystem: ` prefix",
                 "start it with the prefix the touched files' history uses, e.g. `rust: `")
        return
    prefix, summary = match.groups()
    word = summary.split()[0]
    if is_rust_patch(prefix, paths) and word[0].isupper() and word[1:].rstrip(".").islower():
        yield _f("B2-style", 1, "summary starts with a capital letter",
                 "Rust patches write `prefix: add foo`, in lower case",
                 f"{prefix}: {summary[0].lower()}{summary[1:]}")
    yield from _rust_prefix(prefix, paths)


def is_rust_patch(prefix: str, paths: Sequence[str]) -> bool:
    """A patch with Rust code, or (paths unknown) one whose prefix says `rust`."""
    if any(p.endswith(".rs") or p.startswith(("rust/", "samples/rust/")) for p in paths):
        return True
    return not paths and prefix.split(":")[0].strip() == "rust"


def _rust_prefix(prefix: str, paths: Sequence[str]) -> Iterator[Finding]:
    if paths and all(p.startswith("samples/rust/") for p in paths) \
            and not prefix.startswith("samples: rust"):
        yield _f("B2-style", 1, "Rust samples use the prefix `samples: rust: `",
                 "e.g. `samples: rust: add foo sample`")
    elif paths and all(p.startswith("rust/") for p in paths) and not prefix.startswith("rust"):
        yield _f("B2-style", 1, "changes under rust/ use the prefix `rust: <module>: `",
                 "e.g. `rust: sync: add foo`")


def _imperative(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B3: imperative mood, no "This patch"."""
    match = _PREFIX.match(msg.subject)
    first = match.group(2).split()[0].lower() if match else ""
    if first in _NOT_IMPERATIVE:
        yield _f("B3", 1, f"summary starts with \"{first}\"; use the imperative mood",
                 "write it as an order: `add`, `fix`, `remove`")
    for i, line in enumerate(msg.lines[:msg.prose_end]):
        if re.search(r"\bthis (patch|commit)\b", line, re.IGNORECASE):
            yield _f("B3", i + 3, "\"This patch\"/\"This commit\" in the description",
                     "describe the change in the imperative: \"Add ...\", \"Make ...\"")
            return


def _body_lines(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B4: a description exists and is wrapped at 75 columns (URLs, paths, quotes exempt)."""
    prose = msg.lines[:msg.prose_end]
    if not any(line.strip() for line in prose):
        yield _f("B4-empty", None, "the commit has no description",
                 "say what the change does and why")
    for i, line in enumerate(prose):
        if len(line) > 75 and not _wrap_exempt(line):
            yield _f("B4", i + 3, f"description line is {len(line)} columns long",
                     "wrap the description at 75 columns")


def _wrap_exempt(line: str) -> bool:
    return "://" in line or line[:1].isspace() or " " not in line.strip() \
        or bool(_TRAILER.match(line))


def _fixes(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B5: `Fixes: <12+ hex> ("subject")`."""
    for line, name, value in msg.trailers:
        if name.lower() == "fixes" and not _FIXES.match(value):
            yield _f("B5", line, "Fixes: tag is not `Fixes: <12 hex digits> (\"subject\")`",
                     "use `git log -1 --format='Fixes: %h (\"%s\")' --abbrev=12 <commit>`")


def _commit_refs(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B5: commits cited in the description as `commit <12+ hex> ("subject")`."""
    for i, line in enumerate(msg.lines[:msg.prose_end]):
        for match in _COMMIT_REF.finditer(line):
            cited = line[match.end():].lstrip().startswith('("')
            if len(match.group(1)) < 12 or not cited:
                yield _f("B5-commit-ref", i + 3, f"commit {match.group(1)} is not cited as "
                         "`commit <12+ hex digits> (\"subject\")`",
                         "use `git log -1 --format='commit %h (\"%s\")' --abbrev=12 <id>`")


def _reported_by(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B6: Reported-by: followed by Closes:/Link:; Link/Closes values are URLs."""
    for i, (line, name, value) in enumerate(msg.trailers):
        lower = name.lower()
        if lower == "reported-by":
            nxt = msg.trailers[i + 1][1].lower() if i + 1 < len(msg.trailers) else ""
            if nxt not in ("closes", "link"):
                yield _f("B6", line, "Reported-by: is not followed by Closes: <url>",
                         "add `Closes: https://lore.kernel.org/...` right after it")
        elif lower in ("link", "closes") and not re.match(r"https?://\S+$", value):
            yield _f("B6", line, f"{name}: value is not a URL",
                     "use a URL, preferably https://lore.kernel.org/r/<message-id>")


def _stable(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B7: `Cc: stable@vger.kernel.org` without a display name."""
    for line, name, value in msg.trailers:
        if name.lower() == "cc" and "stable@vger.kernel.org" in value \
                and not value.startswith("stable@vger.kernel.org"):
            yield _f("B7", line, "stable address with a display name",
                     "write exactly `Cc: stable@vger.kernel.org`", "Cc: stable@vger.kernel.org")


def _tags(msg: Message, author: str, paths: Sequence[str]) -> Iterator[Finding]:
    """B8: standard tags only, no Change-Id, no version history in the commit."""
    for line, name, _ in msg.trailers:
        if name.lower() == "change-id":
            yield _f("B8", line, "Gerrit Change-Id: in the commit", "remove it")
        elif name.lower() not in STANDARD_TAGS:
            yield _f("B8-tag", line, f"non-standard tag {name}:",
                     "see Documentation/process/submitting-patches.rst for the usual tags")
    for i, text in enumerate(msg.lines[:msg.prose_end]):
        if _VERSION_LOG.match(text.strip()):
            yield _f("B8", i + 3, "version history in the commit message",
                     "move it below the `---` line of the patch (b4 keeps it in the cover)")
            return


def drop_checkpatch_duplicates(ours: Sequence[Finding],
                               checkpatch: Sequence[Finding]) -> list[Finding]:
    """`ours` without the findings checkpatch.pl already reported for the same patch."""
    reported = {f.rule for f in checkpatch}
    return [f for f in ours if not CHECKPATCH_EQUIVALENT.get(f.rule, set()) & reported]


class CommitMessage:
    """The B rules as a `Check` over (subject, body, author, touched paths) per patch."""

    name = TOOL

    def run(self, patches: Iterable[tuple[str, str, str, Sequence[str]]]) -> list[list[Finding]]:
        return [check_commit_message(subject, body, author, paths)
                for subject, body, author, paths in patches]
