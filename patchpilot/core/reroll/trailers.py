"""Trailers collected from the list, shown per patch, then applied through `b4 trailers -u`.

`collect_trailers` lists every trailer reviewers gave on the sent revisions (model.Review.given,
from the replies already fetched: no network; `collected` is the model's one definition, the
home screen's count), with where it would go and how it was matched: by the patch-id
of the patch it answers, or to every patch when given on the cover. A trailer is `ready` only
when its address is the sender's and its patch is unchanged since; a sender mismatch, a patch
changed since, a NAK or a bot's Reported-by is left for the user to accept by id. A trailer
holding a control, bidi or zero-width character (`Reviewed-by: Bob \u202eefil\u202c <...>`
reads as another name than it holds) is `unsafe-text`: never applied, not even accepted.
A trailer in b4's own `.git/b4-trailers-ignore.json` (`reject`) is `ignored`, as b4 leaves it
out; accepting it takes it off that list.

`apply_trailers` feeds b4 the thread patchpilot already has, reduced to the accepted trailers
(so b4 applies exactly those, offline), after a backup ref (rewrite.guarded), and checks that
b4 changed commit messages only. No UI.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4 import ignores
from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.lore import LoreClient
from patchpilot.core.review.mail import join_mbox
from patchpilot.core.review.model import Reply, Review, collected
from patchpilot.core.review.replies import own_addresses
from patchpilot.core.review.tags import GivenTrailer
from patchpilot.core.review.threads import analysed
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.series.prep import require_b4_checkout
from patchpilot.core.text import is_clean, safe_text

# What patchpilot would do with a trailer: apply it (ready), nothing (applied already), refuse
# it (unsafe-text: an invisible or control character in it), or leave it for the user to
# accept by id, with the reason (ignored: rejected in b4's ignore list).
Status = Literal["ready", "applied", "unsafe-text", "sender-mismatch", "patch-changed", "nak",
                 "bot", "no-patch", "ignored"]
READY: Status = "ready"
APPLIED: Status = "applied"
UNSAFE: Status = "unsafe-text"
IGNORED: Status = "ignored"  # rejected, in b4's .git/b4-trailers-ignore.json (by b4 or by us)
LEFT: tuple[Status, ...] = ("sender-mismatch", "patch-changed", "nak", "bot", "no-patch",
                            IGNORED)


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


    @property
    def line(self) -> str:
        return f"{self.name}: {self.value}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "trailer": self.line, "from": self.sender, "msgid": self.msgid,
                "revision": self.revision, "patch": self.patch, "targets": self.targets,
                "status": self.status, "how": self.how, "collected": self.collected}


def _item_id(msgid: str, name: str, value: str) -> str:
    return hashlib.sha1(f"{msgid}\0{name}\0{value}".encode()).hexdigest()[:8]


def collect_trailers(series: Series, review: Review,
                     sent_ids: dict[int, dict[int, str]],
                     rejected: set[ignores.Key] | None = None) -> list[TrailerItem]:
    """Every trailer given on the list (model.Review.given), matched to the branch now.

    `sent_ids` is {revision: {patch index as sent: patch-id}} (from the sent tags);
    `rejected` is b4's ignore list (b4.ignores): a trailer in it is left out, as b4 does.
    """
    current = {p.patch_id: p.index for p in series.patches}
    rejected = ignores.folded(rejected or set())
    items = []
    for reply, trailer in review.given():
        item = TrailerItem(_item_id(reply.msgid, trailer.name, trailer.value), trailer.name,
                           trailer.value, reply.sender, reply.msgid, reply.revision,
                           reply.patch, collected=collected(reply, trailer))
        _match(item, reply, trailer, series, current, sent_ids.get(reply.revision, {}))
        if item.status not in (APPLIED, UNSAFE) and _key(item) in rejected:
            item.status = IGNORED
            item.how += f"; rejected ({ignores.FILE}: b4 leaves it out too)"
        items.append(item)
    return items


def _match(item: TrailerItem, reply: Reply, trailer: GivenTrailer, series: Series,
           current: dict[str, int], sent: dict[int, str]) -> None:
    if item.patch == 0:
        item.targets = sorted(current[pid] for pid in sent.values() if pid in current)
        missing = len(sent) - len(item.targets) if sent else 0
        item.how = "cover: every patch" + (f" still as sent ({missing} changed since)"
                                           if missing else "")
    else:
        pid = reply.patch_id or sent.get(item.patch)
        if pid in current:
            item.targets = [current[pid]]
            item.how = f"patch-id of v{item.revision} patch {item.patch}"
        else:
            item.how = f"v{item.revision} patch {item.patch} changed since it was sent"
    applied = [t for t in item.targets if _has(series, t, item)]
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
    elif not item.targets:
        item.status = "patch-changed" if item.patch else "no-patch"
    elif not trailer.names(reply.sender, reply.address):
        item.status = "sender-mismatch"
        item.how += f"; sent by {reply.sender}"


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


def _has(series: Series, index: int, item: TrailerItem) -> bool:
    patch = series.patches[index - 1]
    return any(t.name.lower() == item.name.lower() and t.value.strip() == item.value.strip()
               for t in patch.trailers)


def _unsafe(item: TrailerItem) -> PatchpilotError:
    return PatchpilotError(f"trailer {item.id} ({safe_text(item.line, 200)}) holds a control or "
                           "invisible character and is never applied",
                           hint="ask the reviewer to send it again in plain text")


@dataclass
class ApplyResult:
    applied: list[TrailerItem]
    not_applied: list[TrailerItem]
    backup: str
    rewritten: int


def choose(items: list[TrailerItem], accept: list[str]) -> list[TrailerItem]:
    """The items to apply: every ready one, and the left ones the user accepted by id."""
    unknown = [a for a in accept if not any(i.id == a for i in items)]
    if unknown:
        raise PatchpilotError(f"no collected trailer with id {unknown[0][:40]!r}",
                              hint="patchpilot trailers lists them with their ids")
    unsafe = [i for i in items if i.id in accept and i.status == UNSAFE]
    if unsafe:
        raise _unsafe(unsafe[0])
    return [i for i in items if i.status == READY or (i.id in accept and i.status != APPLIED)]


def still_chosen(items: list[TrailerItem], ids: list[str]) -> list[TrailerItem]:
    """The items the user chose by id from an earlier listing; when any of them is gone or
    was applied since (the plan changed under the user), nothing is chosen."""
    chosen = [i for i in items if i.id in ids and i.status != APPLIED]
    if len(chosen) != len(set(ids)):
        raise PatchpilotError("the trailers changed since they were shown; nothing was applied",
                              hint="look at them again, then apply")
    return chosen


def apply_trailers(repo: GitRepo, series: Series, chosen: list[TrailerItem],
                   client: LoreClient, covers: dict[int, str]) -> ApplyResult:
    """Apply `chosen` with b4 from the cached threads (`covers`: revision -> cover msgid)."""
    if not chosen:
        raise PatchpilotError("no trailer to apply", hint="patchpilot trailers lists them; "
                                                          "accept left ones with --accept ID")
    unsafe = [i for i in chosen if i.status == UNSAFE or not is_clean(i.line)]
    if unsafe:  # whichever face chose it
        raise _unsafe(unsafe[0])
    require_b4_checkout(repo, series, "apply trailers")
    mbox = _mbox_for_b4(client, covers, chosen, own_addresses(repo))
    args = ["--no-stdin", "--offline-mode", "trailers", "-u"]
    if any(i.status == "sender-mismatch" for i in chosen):
        args.append("-S")
    if any(i.status in ("patch-changed", "no-patch") for i in chosen):
        args.append("--fuzzy")
    tree_before = repo.run("rev-parse", "HEAD^{tree}")
    count = len(series.patches)
    with tempfile.TemporaryDirectory(prefix="patchpilot-trailers-") as tmp, \
            _unrejected(repo, chosen), \
            b4state.guarded(repo, series.branch, "apply trailers") as entry:
        path = Path(tmp) / "thread.mbox"
        path.write_bytes(mbox)
        result = b4cli.run([*args, "-m", str(path)], cwd=repo.top, answer="y\n", check=False)
        if result.returncode != 0:
            raise PatchpilotError(f"b4 trailers failed: {b4cli.last_error(result)}",
                                  hint="the branch was left as it was",
                                  exit_code=ExitCode.FAILURE)
        after = load_series(repo, series.branch, light=True)  # messages only
        if repo.run("rev-parse", "HEAD^{tree}") != tree_before or len(after.patches) != count:
            raise PatchpilotError("b4 changed more than commit messages; the branch was put "
                                  "back", hint=f"the state before is kept at {entry.backup}",
                                  exit_code=ExitCode.FAILURE)
    applied = [i for i in chosen if any(_has(after, t, i) for t in (i.targets or
                                                                    range(1, count + 1)))]
    rewritten = sum(a.message != b.message for a, b in zip(series.patches, after.patches))
    return ApplyResult(applied, [i for i in chosen if i not in applied], entry.backup,
                       rewritten)


@contextmanager
def _unrejected(repo: GitRepo, chosen: list[TrailerItem]) -> Iterator[None]:
    """An accepted trailer that was rejected comes off b4's ignore list (b4 would skip it
    otherwise); put back as it was when the apply fails."""
    taken = [i for i in chosen if i.status == IGNORED]
    if not taken:
        yield
        return
    before = ignores.load(repo)
    reject(repo, taken, [i.id for i in taken], undo=True)
    try:
        yield
    except BaseException:
        ignores.save(repo, before)
        raise


def _mbox_for_b4(client: LoreClient, covers: dict[int, str], chosen: list[TrailerItem],
                 own: tuple[str, ...]) -> bytes:
    """The sent patches of each revision involved, and one reply per message carrying only
    its accepted trailers: b4 sees nothing else. The threads are the ones already analysed
    (threads.analysed): nothing is parsed again."""
    out: list[bytes] = []
    for revision in sorted({i.revision for i in chosen}):
        data = client.cached(covers.get(revision, ""))
        if data is None:
            raise PatchpilotError(f"the v{revision} thread is not cached",
                                  hint="fetch it: patchpilot replies --refresh")
        thread = analysed(client.base, data.msgid, data.mbox, own, [])
        out += thread.raw.values()
        replies = {r.msgid: r for r in thread.replies}
        for msgid in dict.fromkeys(i.msgid for i in chosen if i.revision == revision):
            reply = replies.get(msgid)
            if reply is not None:
                out.append(_reply(reply, [i.line for i in chosen if i.msgid == msgid]))
    return join_mbox(out)


def _reply(mail: Reply, lines: list[str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["Subject"] = mail.subject
    msg["Message-ID"] = f"<{mail.msgid}>"
    if mail.in_reply_to:
        msg["In-Reply-To"] = f"<{mail.in_reply_to}>"
    if mail.references:
        msg["References"] = " ".join(f"<{r}>" for r in mail.references)
    msg["Date"] = _date(mail.date)
    msg.set_content("\n".join(lines) + "\n")
    return msg.as_bytes()


def _date(iso: str) -> str:
    try:
        return format_datetime(datetime.fromisoformat(iso))
    except ValueError:
        return format_datetime(datetime.now(UTC))
