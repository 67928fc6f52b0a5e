"""Applying the chosen trailers through `b4 trailers -u`, so that b4 does exactly what the
listing said.

b4 matches a reply to a commit by the `git patch-id` of the patch mail it answers. The
archived copy of a patch is not always the patch as it is now: lore loses whitespace-only
lines of some mails, and a patch the user accepted a tag for may have changed since. So
b4 is not given the thread: for each chosen trailer and each patch the listing targets, it is
given that commit as a patch mail (made as b4 makes them) and one reply from the reviewer
carrying that one trailer. b4 then applies each trailer to its targets, and nowhere else, with
its own rules for placing it; `-S` when the user accepted a trailer from another sender, and
`b4.trailers-ignore-from` emptied for the run when the user accepted one it names.

Runs after a backup ref (b4state.guarded) and checks that b4 changed commit messages only;
a trailer b4 still did not apply comes back with b4's own words about it. No UI.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4 import ignores
from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.reroll.trailers import (
    IGNORE_FROM,
    IGNORED,
    UNSAFE,
    TrailerItem,
    has_trailer,
    reject,
    unsafe_error,
)
from patchpilot.core.review.mail import join_mbox
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.series.prep import require_b4_checkout
from patchpilot.core.text import is_clean, safe_text

_DOMAIN = "patchpilot.invalid"
_DATE = "Thu, 01 Jan 2026 00:00:00 +0000"  # b4 does not read it


@dataclass
class ApplyResult:
    applied: list[TrailerItem]
    not_applied: list[TrailerItem]
    backup: str
    rewritten: int
    why: dict[str, str]  # item id -> what b4 said about a trailer it did not apply


def apply_trailers(repo: GitRepo, series: Series, chosen: list[TrailerItem]) -> ApplyResult:
    """Apply `chosen` to their targets with b4 (see the module docstring)."""
    if not chosen:
        raise PatchpilotError("no trailer to apply", hint="patchpilot trailers lists them; "
                                                          "accept left ones with --accept ID")
    unsafe = [i for i in chosen if i.status == UNSAFE or not is_clean(i.line)]
    if unsafe:  # whichever face chose it
        raise unsafe_error(unsafe[0])
    nowhere = [i for i in chosen if not i.targets]
    if nowhere:
        raise PatchpilotError(f"trailer {nowhere[0].id} ({safe_text(nowhere[0].line, 200)}) "
                              "has no patch of the branch to go to",
                              hint=f"{safe_text(nowhere[0].how, 200)}; add it by hand with "
                                   "git rebase -i if it still holds")
    require_b4_checkout(repo, series, "apply trailers")
    args = ["--no-stdin", "--offline-mode", "trailers", "-u"]
    if any(i.status == "sender-mismatch" for i in chosen):
        args.append("-S")
    config = {"b4.trailers-ignore-from": ""} if any(i.status == IGNORE_FROM
                                                     for i in chosen) else None
    tree_before = repo.run("rev-parse", "HEAD^{tree}")
    count = len(series.patches)
    with tempfile.TemporaryDirectory(prefix="patchpilot-trailers-") as tmp, \
            _unrejected(repo, chosen), \
            b4state.guarded(repo, series.branch, "apply trailers") as entry:
        path = Path(tmp) / "trailers.mbox"
        path.write_bytes(_mbox_for_b4(repo, series, chosen))
        result = b4cli.run([*args, "-m", str(path)], cwd=repo.top, answer="y\n", check=False,
                           config=config)
        if result.returncode != 0:
            raise PatchpilotError(f"b4 trailers failed: {b4cli.last_error(result)}",
                                  hint="the branch was left as it was",
                                  exit_code=ExitCode.FAILURE)
        after = load_series(repo, series.branch, light=True)  # messages only
        if repo.run("rev-parse", "HEAD^{tree}") != tree_before or len(after.patches) != count:
            raise PatchpilotError("b4 changed more than commit messages; the branch was put "
                                  "back", hint=f"the state before is kept at {entry.backup}",
                                  exit_code=ExitCode.FAILURE)
    applied = [i for i in chosen if all(has_trailer(after, t, i) for t in i.targets)]
    missed = [i for i in chosen if i not in applied]
    rewritten = sum(a.message != b.message for a, b in zip(series.patches, after.patches))
    return ApplyResult(applied, missed, entry.backup, rewritten,
                       {i.id: _said(result, i) for i in missed})


def _said(result: b4cli.B4Result, item: TrailerItem) -> str:
    """b4's lines about `item` (its NOTEs, the trailer and the line after it), else its last
    error, for the user to see why."""
    lines = [" ".join(line.split()) for line in (result.stderr + result.stdout).splitlines()]
    said = [line for i, line in enumerate(lines) if line.startswith("NOTE:")
            or item.value in line or (i and item.value in lines[i - 1] and "From" in line)]
    return safe_text("; ".join(said[-5:]) or b4cli.last_error(result) or
                     "b4 said nothing about it", 400)


def _mbox_for_b4(repo: GitRepo, series: Series, chosen: list[TrailerItem]) -> bytes:
    """One patch mail (the target commit as b4 mails it) and one reply (the trailer) per
    chosen trailer and target: b4 sees nothing else."""
    patches = series.patches
    mails = repo.format_patches(f"{patches[0].commit}~1..{patches[-1].commit}")
    out: list[bytes] = []
    for item in chosen:
        for n, target in enumerate(item.targets):
            patch = patches[target - 1]
            parent = f"{item.id}.{target}.patch@{_DOMAIN}"
            out.append(_patch_mail(mails[patch.commit], parent))
            out.append(_reply(item, parent, f"{item.id}.{target}.{n}.reply@{_DOMAIN}",
                              patch.subject))
    return join_mbox(out)


def _patch_mail(text: str, msgid: str) -> bytes:
    """A commit mailed by `git log --format=email`, with a Message-ID of its own."""
    head, sep, body = text.partition("\n\n")
    head = re.sub(r"^Message-ID:.*\n?", "", head, flags=re.M | re.I)
    return f"{head}\nMessage-ID: <{msgid}>{sep}{body}".encode("utf-8", "surrogateescape")


def _reply(item: TrailerItem, parent: str, msgid: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr((item.sender.split("<", 1)[0].strip().strip('"'), item.address))
    msg["Subject"] = f"Re: [PATCH] {subject}"
    msg["Message-ID"] = f"<{msgid}>"
    msg["In-Reply-To"] = f"<{parent}>"
    msg["References"] = f"<{parent}>"
    msg["Date"] = _DATE
    msg.set_content(f"{item.line}\n")
    return msg.as_bytes()


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
