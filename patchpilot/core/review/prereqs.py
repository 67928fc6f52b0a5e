"""A series' prerequisites (b4's `prerequisites`), checked as `b4 prep --check-deps` checks
them, and the patches they stand for.

Per line, as b4 0.16 decides: `change-id: ID:vN` passes when the list has revision N of that
change-id and nothing newer; `message-id: <ID>` when its thread holds exactly one posted series;
`patch-id: HEX` when a posted patch has that `git patch-id --stable`. Then a base-commit is
required, and when every line passed, the prerequisites' patches followed by the series' own
must apply there as `git am` would apply them (git.worktree.applies: a scratch index, nothing
checked out; the user's tree is not touched).
The mails come from a public-inbox server through LoreClient (threads land in its cache) or
from a local mbox. Two deliberate differences from b4: a series named twice (by change-id and
by message-id) is applied once, and a one-patch series is applied too (b4 0.16 drops the only
patch of a series without a cover from its apply test). No UI; raises PatchpilotError.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from patchpilot.core.b4.deps import BASE_MISSING, Prerequisite, base_commit
from patchpilot.core.git import worktree
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.lore import CoverNotFound, LoreClient
from patchpilot.core.review.mail import Mail, MailTooLarge, parse_mail, split_mbox
from patchpilot.core.review.thread import patch_diff, subject_info
from patchpilot.core.series.model import Series

Posted = tuple[bytes, Mail]  # a message as it is on the list, and decoded


@dataclass(frozen=True)
class Verdict:
    """One result line, worded as b4 --check-deps words it."""

    line: str
    ok: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "ok": self.ok, "reason": self.reason}


@dataclass
class PrereqCheck:
    """The verdicts, and the prerequisites' patches in the order they apply."""

    verdicts: list[Verdict] = field(default_factory=list)
    patches: list[bytes] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    base: str | None = None

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    @property
    def failing(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.ok]


class Source(Protocol):
    """Where posted mail comes from: `hits` of a public-inbox query, `thread` of a message."""

    def hits(self, query: str) -> list[Posted]: ...

    def thread(self, msgid: str) -> list[Posted]: ...


def _decoded(raws: Iterable[bytes]) -> list[Posted]:
    found = []
    for raw in raws:
        try:
            found.append((raw, parse_mail(raw)))
        except MailTooLarge:
            continue
    return found


class LoreSource:
    """A public-inbox server; threads are read through (and kept in) LoreClient's cache:
    fetched afresh with `refresh`, else taken from the cache when there."""

    def __init__(self, client: LoreClient, refresh: bool = True):
        self.client, self.refresh = client, refresh

    def hits(self, query: str) -> list[Posted]:
        return _decoded(split_mbox(self.client.search(query)[0]))

    def thread(self, msgid: str) -> list[Posted]:
        try:
            data = self.client.thread(msgid, refresh=self.refresh)
        except CoverNotFound:  # the server holds no such thread: nothing posted
            return []
        return _decoded(split_mbox(data.mbox))


class MboxSource:
    """A local mbox (`b4 mbox`, a saved thread...): queries answered from its messages."""

    def __init__(self, data: bytes):
        self.posted = _decoded(split_mbox(data))

    def hits(self, query: str) -> list[Posted]:
        change = re.fullmatch(r'nq:"change-id:(.+)"', query)
        if change:
            return [p for p in self.posted if _has_change_id(p[1], change.group(1))]
        return list(self.posted)  # patchid: every patch is a candidate; ids are compared

    def thread(self, msgid: str) -> list[Posted]:
        return descendants(self.posted, msgid)


def descendants(posted: list[Posted], root: str) -> list[Posted]:
    """`root` and every message below it (b4's strict thread, without the parents)."""
    keep = {root}
    changed = True
    while changed:
        changed = False
        for _, mail in posted:
            parents = {mail.in_reply_to, *mail.references[-1:]} - {None}
            if mail.msgid not in keep and parents & keep:
                keep.add(mail.msgid)
                changed = True
    return [p for p in posted if p[1].msgid in keep]


def _has_change_id(mail: Mail, change_id: str) -> bool:
    return re.search(rf"^\s*change-id:\s*{re.escape(change_id)}$", mail.body,
                     flags=re.M | re.I) is not None


def series_of(posted: list[Posted]) -> dict[int, dict[int, Posted]]:
    """{revision: {index: message}} of the patch mails (not replies); 0 is a cover."""
    found: dict[int, dict[int, Posted]] = {}
    for raw, mail in posted:
        info = subject_info(mail.subject)
        if info is None or info.reply:
            continue
        index = info.index if info.index is not None else 1  # a lone patch: [PATCH]
        found.setdefault(info.revision, {}).setdefault(index, (raw, mail))
    return {rev: mails for rev, mails in found.items() if any(i > 0 for i in mails)}


def _patches(mails: dict[int, Posted]) -> list[Posted] | str:
    """Patches 1..n in order, or what is missing."""
    infos = [subject_info(mail.subject) for _, mail in mails.values()]
    total = max([i.total or 1 for i in infos if i is not None] or [1])
    missing = [str(i) for i in range(1, total + 1) if i not in mails]
    if missing:
        return f"patch {', '.join(missing)} of {total} is not on the list"
    return [mails[i] for i in range(1, total + 1)]


def check_prerequisites(repo: GitRepo, series: Series, source: Source,
                        apply: bool = True) -> PrereqCheck:
    """Every verdict for `series`; `apply` runs the base-commit apply test (as b4 does)."""
    result = PrereqCheck(base=base_commit(series.prerequisites))
    seen: set[str] = set()
    for prereq in series.prerequisites:
        if prereq.kind == "base-commit":
            continue
        verdict, posted = _check_one(repo, prereq, source)
        result.verdicts.append(verdict)
        for raw, mail in posted:
            if mail.msgid not in seen:
                seen.add(mail.msgid)
                result.patches.append(raw)
                result.subjects.append(" ".join(mail.subject.split()))
    if not series.prerequisites:
        return result
    if result.base is None:
        result.verdicts.append(Verdict(BASE_MISSING, False,
                                       "Series with dependencies require a base-commit"))
    elif result.ok and apply:
        result.verdicts.append(_apply_test(repo, series, result))
    return result


def _check_one(repo: GitRepo, prereq: Prerequisite, source: Source,
               ) -> tuple[Verdict, list[Posted]]:
    if prereq.kind == "change-id":
        return _change_id(prereq, source)
    if prereq.kind == "message-id":
        return _message_id(prereq, source)
    if prereq.kind == "patch-id":
        return _patch_id(repo, prereq, source)
    return Verdict(prereq.line, False, "not a prerequisite b4 knows (patch-id, change-id, "
                                       "message-id, base-commit)"), []


def _change_id(prereq: Prerequisite, source: Source) -> tuple[Verdict, list[Posted]]:
    change_id = prereq.value
    hits = [p for p in source.hits(f'nq:"change-id:{change_id}"')
            if _has_change_id(p[1], change_id)]
    posted: list[Posted] = []
    for _, mail in hits:
        posted += [p for p in source.thread(mail.msgid) if p not in posted]
    revisions = series_of(posted)
    if not revisions:
        return Verdict(prereq.line, False, "No matching change-id found on the server"), []
    newest = max(revisions)
    if prereq.revision is None:
        return Verdict(prereq.line, False, "change-id should include the revision, e.g.: "
                                           f"{change_id}:v{newest}"), []
    if prereq.revision not in revisions:
        return Verdict(prereq.line, False,
                       f"No version {prereq.revision} found for change-id {change_id}"), []
    if prereq.revision < newest:
        return Verdict(prereq.line, False, f"v{newest} available for change-id {change_id} "
                                           f"(you have: v{prereq.revision})"), []
    return _found(prereq, revisions[prereq.revision],
                  "Change-id found and is the latest available version")


def _message_id(prereq: Prerequisite, source: Source) -> tuple[Verdict, list[Posted]]:
    posted = descendants(source.thread(prereq.value), prereq.value)
    if not posted:
        return Verdict(prereq.line, False, "No matching message-id found on the server"), []
    revisions = series_of(posted)
    if len(revisions) > 1:
        return Verdict(prereq.line, False,
                       f"Message-id <{prereq.value}> has multiple posted series"), []
    if not revisions:
        return Verdict(prereq.line, False, f"Message-id <{prereq.value}> is not a series"), []
    return _found(prereq, next(iter(revisions.values())),
                  "Matching message-id found on the server")


def _found(prereq: Prerequisite, mails: dict[int, Posted],
           reason: str) -> tuple[Verdict, list[Posted]]:
    patches = _patches(mails)
    if isinstance(patches, str):
        return Verdict(prereq.line, False, patches), []
    return Verdict(prereq.line, True, reason), patches


def _patch_id(repo: GitRepo, prereq: Prerequisite, source: Source,
              ) -> tuple[Verdict, list[Posted]]:
    posted = [p for p in source.hits(f"patchid:{prereq.value}")
              if (info := subject_info(p[1].subject)) is not None and not info.reply]
    diffs = {hashlib.sha1(m.msgid.encode()).hexdigest(): patch_diff(m.body)
             for _, m in posted if patch_diff(m.body)}
    ids = repo.patch_ids(diffs) if diffs else {}
    for raw, mail in posted:
        if ids.get(hashlib.sha1(mail.msgid.encode()).hexdigest()) == prereq.value:
            return Verdict(prereq.line, True, "Matching patch-id found on the server"), \
                [(raw, mail)]
    return Verdict(prereq.line, False, "No matching patch-id found on the server"), []


def series_mails(repo: GitRepo, series: Series) -> list[bytes]:
    """The series' own patches as mails, in order (b4's cover commit is not one)."""
    mails = repo.format_patches(f"{series.base}..{series.head}") if series.patches else {}
    return [mails[p.commit].encode("utf-8", "surrogateescape") for p in series.patches
            if p.commit in mails]


def _apply_test(repo: GitRepo, series: Series, found: PrereqCheck) -> Verdict:
    line = f"base-commit: {found.base}"
    base = repo.rev_parse(found.base or "")
    if base is None:
        return Verdict(line, False, "Base commit not found in the current tree")
    error = worktree.applies(repo, base, found.patches + series_mails(repo, series))
    if error:
        return Verdict(line, False, f"Could not cleanly apply patches ({error[:200]})")
    return Verdict(line, True, "All patches cleanly apply")
