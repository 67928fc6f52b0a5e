"""Trailers collected from the list, shown per patch, for reroll.apply to apply through b4.

`collect_trailers` lists every trailer reviewers gave on the sent revisions (model.Review.given,
from the replies already fetched: no network; `collected` is the model's one definition, the
home screen's count), with where it would go and how it was matched: by the patch-id
of the patch it answers (the patch as sent when the archive's copy of it differs: lore loses
whitespace-only lines of some mails), or to every patch when given on the cover. A trailer is
`ready` only when its address is the sender's and its patch is unchanged since; a sender
mismatch, a patch changed since, a NAK or a bot's Reported-by is left for the user to accept by
id. A trailer holding a control, bidi or zero-width character (`Reviewed-by: Bob \u202eefil\u202c
<...>` reads as another name than it holds) is `unsafe-text`: never applied, not even accepted.
A trailer in b4's own `.git/b4-trailers-ignore.json` (`reject`) is `ignored`, as b4 leaves it
out; accepting it takes it off that list. One from (or naming) an address in
`b4.trailers-ignore-from` is `ignore-from`: b4 leaves it out too, unless the user accepts it.
So `ready` is what `trailers --apply` applies. No UI.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any, Literal

from patchpilot.core.b4 import ignores
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.model import Reply, Review, collected
from patchpilot.core.review.tags import GivenTrailer
from patchpilot.core.series.model import Series
from patchpilot.core.series.patches import Patch
from patchpilot.core.text import is_clean, safe_text

# What patchpilot would do with a trailer: apply it (ready), nothing (applied already), refuse
# it (unsafe-text: an invisible or control character in it), or leave it for the user to
# accept by id, with the reason (ignored: rejected in b4's ignore list).
Status = Literal["ready", "applied", "unsafe-text", "sender-mismatch", "patch-changed", "nak",
                 "bot", "no-patch", "ignored", "ignore-from"]
READY: Status = "ready"
APPLIED: Status = "applied"
UNSAFE: Status = "unsafe-text"
IGNORED: Status = "ignored"  # rejected, in b4's .git/b4-trailers-ignore.json (by b4 or by us)
IGNORE_FROM: Status = "ignore-from"  # b4.trailers-ignore-from names its sender or person
LEFT: tuple[Status, ...] = ("sender-mismatch", "patch-changed", "nak", "bot", "no-patch",
                            IGNORED, IGNORE_FROM)


@dataclass
class TrailerItem:
    """One trailer given on the list, and what patchpilot would do with it."""

    id: str
    name: str
    value: str
    sender: str
    msgid: str
    revision: int
    patch: int  # 0: given on the cover (the whole series)
    targets: list[int] = field(default_factory=list)  # current patch indices
    status: Status = READY
    how: str = ""
    collected: bool = True  # model.collected: not a NAK, not a bot's tag
    address: str = ""  # the sender's address


    @property
    def line(self) -> str:
        return f"{self.name}: {self.value}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "trailer": self.line, "from": self.sender, "msgid": self.msgid,
                "revision": self.revision, "patch": self.patch, "targets": self.targets,
                "status": self.status, "how": self.how, "collected": self.collected}


def _item_id(msgid: str, name: str, value: str) -> str:
    return hashlib.sha1(f"{msgid}\0{name}\0{value}".encode()).hexdigest()[:8]


def collect_trailers(series: Series, review: Review, sent: dict[int, dict[int, Patch]],
                     rejected: set[ignores.Key] | None = None,
                     ignore_from: frozenset[str] = frozenset()) -> list[TrailerItem]:
    """Every trailer given on the list (model.Review.given), matched to the branch now.

    `sent` is {revision: {patch index as sent: the patch}} (from the sent tags);
    `rejected` is b4's ignore list (b4.ignores): a trailer in it is left out, as b4 does;
    `ignore_from` the addresses of b4.trailers-ignore-from (ignored_senders), lower-case.
    A tag given on the cover goes to the patches still as sent; for those changed since it
    is listed a second time, as `patch-changed`, for the user to choose.
    """
    current = {p.patch_id: p.index for p in series.patches}
    rejected = ignores.folded(rejected or set())
    items = []
    for reply, trailer in review.given():
        item = _new_item(reply, trailer)
        changed = _place(item, reply, series, current, sent.get(reply.revision, {}))
        if item.patch and changed is not None:
            item.targets = changed
        elif changed is not None and item.targets:
            items.append(_judged(item, reply, trailer, series, rejected, ignore_from, False))
            item = _new_item(reply, trailer, "\0changed")
            item.targets = changed
            item.how = (f"cover: patch(es) {', '.join(map(str, changed)) or '-'} changed since "
                        f"v{reply.revision}")
        elif changed is not None:
            item.targets = changed
        items.append(_judged(item, reply, trailer, series, rejected, ignore_from,
                             changed is not None))
    return items


def _new_item(reply: Reply, trailer: GivenTrailer, salt: str = "") -> TrailerItem:
    return TrailerItem(_item_id(reply.msgid, trailer.name, trailer.value + salt), trailer.name,
                       trailer.value, reply.sender, reply.msgid, reply.revision, reply.patch,
                       collected=collected(reply, trailer), address=reply.address)


def ignored_senders(repo: GitRepo) -> frozenset[str]:
    """The addresses of git config b4.trailers-ignore-from, read as b4 reads them."""
    value = repo.config("b4.trailers-ignore-from") or ""
    return frozenset(a.lower() for _, a in getaddresses([value]) if a)


def _place(item: TrailerItem, reply: Reply, series: Series, current: dict[str, int],
           sent: dict[int, Patch]) -> list[int] | None:
    """Set the patches `item` goes to as they were when it was given; return where the ones
    changed since are now (found by subject, as b4 --fuzzy does), None when none changed."""
    if item.patch == 0:
        item.targets = sorted(current[p.patch_id] for p in sent.values()
                              if p.patch_id in current)
        gone = [p for p in sent.values() if p.patch_id not in current]
        item.how = "cover: every patch" + (f" still as sent ({len(gone)} changed since)"
                                           if gone else "")
        return [k for p in gone if (k := _successor(series, p.subject))] if gone else None
    as_sent = sent.get(item.patch)
    pid = reply.patch_id or (as_sent.patch_id if as_sent else None)
    if pid in current:
        item.targets = [current[pid]]
        item.how = f"patch-id of v{item.revision} patch {item.patch}"
        return None
    if as_sent is not None and as_sent.patch_id in current:  # the archive's copy differs
        item.targets = [current[as_sent.patch_id]]
        item.how = (f"v{item.revision} patch {item.patch} as sent (the archived copy "
                    "differs, e.g. lost whitespace-only lines)")
        return None
    item.how = f"v{item.revision} patch {item.patch} changed since it was sent"
    now = _successor(series, as_sent.subject) if as_sent else None
    if now:
        item.how += f" (now patch {now}, same subject)"
    return [now] if now else []


def _successor(series: Series, subject: str) -> int | None:
    """The one patch of the branch with this subject (None: none, or more than one)."""
    found = [p.index for p in series.patches if p.subject == subject]
    return found[0] if len(found) == 1 else None


def _judged(item: TrailerItem, reply: Reply, trailer: GivenTrailer, series: Series,
            rejected: set[ignores.Key], ignore_from: frozenset[str],
            changed: bool) -> TrailerItem:
    """`item` with its status: what patchpilot would do with it (see the module docstring)."""
    applied = [t for t in item.targets if has_trailer(series, t, item)]
    if item.targets and len(applied) == len(item.targets):
        item.status = APPLIED
    elif not is_clean(item.line):
        item.status = UNSAFE
        item.how += (f"; holds a control or invisible character ({safe_text(item.value, 200)}):"
                     " never applied")
    elif trailer.role == "nak" or reply.kind == "nak":
        item.status = "nak"
    elif reply.kind == "bot":
        item.status = "bot"
        item.how += "; a bot's tag belongs on a separate fix, not on a new revision"
    elif changed or not item.targets:
        item.status = "patch-changed" if item.patch or item.targets else "no-patch"
    elif trailer.names_person and not trailer.names(reply.sender, reply.address):
        item.status = "sender-mismatch"
        item.how += f"; sent by {reply.sender}"
    if item.status in (APPLIED, UNSAFE):
        return item
    if _key(item) in rejected:
        item.status = IGNORED
        item.how += f"; rejected ({ignores.FILE}: b4 leaves it out too)"
    elif ignore_from & {reply.address.lower(), trailer.address}:
        item.status = IGNORE_FROM
        item.how += "; b4.trailers-ignore-from names it: b4 leaves it out unless accepted"
    return item


def _key(item: TrailerItem) -> ignores.Key:
    return next(iter(ignores.folded([ignores.key(item.name, item.value, item.msgid)])))


def reject(repo: GitRepo, items: list[TrailerItem], ids: list[str],
           undo: bool = False) -> list[TrailerItem]:
    """Record (or with `undo` forget) the rejection of the trailers `ids` in b4's ignore file,
    so that neither patchpilot nor `b4 trailers -u` applies them."""
    chosen = [i for i in items if i.id in ids]
    unknown = sorted(set(ids) - {i.id for i in chosen})
    if unknown:
        raise PatchpilotError(f"no collected trailer with id {unknown[0][:40]!r}",
                              hint="patchpilot trailers lists them with their ids")
    keys = {ignores.key(i.name, i.value, i.msgid) for i in chosen}
    if undo:  # b4 may have written the name as the reviewer did
        ignores.update(repo, drop={k for k in ignores.load(repo)
                                   if ignores.folded([k]) & ignores.folded(keys)})
    else:
        ignores.update(repo, add=keys)
    return chosen


def has_trailer(series: Series, index: int, item: TrailerItem) -> bool:
    """Whether patch `index` carries the trailer already, as b4 compares trailers (name and
    value without regard to case: b4 then leaves it out as applied)."""
    patch = series.patches[index - 1]
    value = " ".join(item.value.split()).lower()
    return any(t.name.lower() == item.name.lower() and " ".join(t.value.split()).lower() == value
               for t in patch.trailers)


def unsafe_error(item: TrailerItem) -> PatchpilotError:
    return PatchpilotError(f"trailer {item.id} ({safe_text(item.line, 200)}) holds a control or "
                           "invisible character and is never applied",
                           hint="ask the reviewer to send it again in plain text")


def choose(items: list[TrailerItem], accept: list[str]) -> list[TrailerItem]:
    """The items to apply: every ready one, and the left ones the user accepted by id."""
    unknown = [a for a in accept if not any(i.id == a for i in items)]
    if unknown:
        raise PatchpilotError(f"no collected trailer with id {unknown[0][:40]!r}",
                              hint="patchpilot trailers lists them with their ids")
    unsafe = [i for i in items if i.id in accept and i.status == UNSAFE]
    if unsafe:
        raise unsafe_error(unsafe[0])
    return [i for i in items if i.status == READY or (i.id in accept and i.status != APPLIED)]


def still_chosen(items: list[TrailerItem], ids: list[str]) -> list[TrailerItem]:
    """The items the user chose by id from an earlier listing; when any of them is gone or
    was applied since (the plan changed under the user), nothing is chosen."""
    chosen = [i for i in items if i.id in ids and i.status != APPLIED]
    if len(chosen) != len(set(ids)):
        raise PatchpilotError("the trailers changed since they were shown; nothing was applied",
                              hint="look at them again, then apply")
    return chosen
