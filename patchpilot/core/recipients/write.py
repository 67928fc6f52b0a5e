"""Store a series' recipients as To:/Cc: trailers in its b4 cover, through b4 itself.

patchpilot runs `b4 prep --auto-to-cc` with b4's own hooks (`b4.send-auto-to-cmd`,
`b4.send-auto-cc-cmd`, set for that one run) pointing at
`python -m patchpilot.core.recipients.hook`,
which answers with the addresses patchpilot computed for each patch. So the cover is written
exactly as b4 writes it, for every cover strategy. Addresses the user removed are first taken
out of the cover's trailers with `b4 prep --edit-cover`. Once a reroll has put "Changes in vN"
below the cover's `---`, b4 0.16 appends its To:/Cc: lines there, where they would be mailed as
text: they are moved up into the trailer block (cover.gather_recipients). The branch is backed
up first.
"""

from __future__ import annotations

import email
import json
import re
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.recipients.choices import bare
from patchpilot.core.recipients.compute import SeriesRecipients
from patchpilot.core.series import cover
from patchpilot.core.series.model import Series
from patchpilot.core.series.patches import split_message
from patchpilot.core.series.prep import require_b4_checkout


def hook_map(repo: GitRepo, series: Series, result: SeriesRecipients) -> dict[str, Any]:
    """What the b4 hook needs: each patch's To/Cc by patch-id and by subject, and removals."""
    mails = repo.format_patches(f"{series.base}..{series.head}")
    ids = repo.patch_ids({p.commit: mails.get(p.commit, p.diff_text) for p in series.patches})
    patches = {}
    for patch, rec in zip(series.patches, result.patches):
        entry = {"to": rec.to, "cc": rec.cc}
        patches[f"id:{ids.get(patch.commit, patch.patch_id)}"] = entry
        patches[f"subject:{patch.subject}"] = entry
    return {"patches": patches, "remove": hook_remove(result)}


def hook_remove(result: SeriesRecipients) -> list[str]:
    return [bare(a) for a in result.removed]


def _hook(*args: str) -> str:
    argv = (sys.executable, "-m", "patchpilot.core.recipients.hook", *args)
    return " ".join(shlex.quote(a) for a in argv)


def write_cover(repo: GitRepo, series: Series, result: SeriesRecipients) -> str:
    """Write the recipients into the cover of `series` (the current branch); return the backup.
    The two b4 steps are one guarded rewrite (backup ref, journal, undo; all or nothing)."""
    require_b4_checkout(repo, series, "write its cover")
    b4cli.version(repo.top)
    with tempfile.TemporaryDirectory(prefix="patchpilot-") as tmp, \
            b4state.guarded(repo, series.branch, "write the recipients") as entry:
        mapfile = Path(tmp) / "recipients.json"
        mapfile.write_text(json.dumps(hook_map(repo, series, result)))
        if drop_trailers(series.cover_body or "", hook_remove(result)) != (series.cover_body or ""):
            b4cli.run(b4cli.prep_edit_cover(), cwd=repo.top,
                      editor=_hook("drop-trailers", str(mapfile)))
            b4state.checkpoint(repo, series.branch)
        b4cli.run(b4cli.prep_auto_to_cc(), cwd=repo.top, config={
            "b4.send-auto-to-cmd": _hook("addresses", "to", str(mapfile)),
            "b4.send-auto-cc-cmd": _hook("addresses", "cc", str(mapfile)),
        })
        text = cover.raw_cover(repo, series)
        if cover.stray_recipients(text):  # b4 wrote them below a reroll's "Changes in vN"
            b4state.checkpoint(repo, series.branch)
            cover.set_cover(repo, series, cover.gather_recipients(text))
    return entry.backup


def addresses_for_mail(mapping: dict[str, Any], mail: str, patch_id: str,
                       header: str) -> list[str]:
    """The hook's answer for one mail b4 hands it (matched by patch-id, else by subject)."""
    entry = mapping["patches"].get(f"id:{patch_id}")
    if entry is None:
        subject = _mail_subject(mail)
        entry = mapping["patches"].get(f"subject:{subject}")
    if entry is None:
        raise PatchpilotError("b4 asked for the recipients of a patch patchpilot did not see",
                              hint="run patchpilot recipients --write again")
    addresses: list[str] = entry[header]
    return addresses


def _mail_subject(mail: str) -> str:
    message = email.message_from_string(mail)
    subject = " ".join(str(message.get("Subject", "")).split())
    return re.sub(r"^\[[^\]]*\]\s*", "", subject)


def drop_trailers(cover: str, remove: list[str]) -> str:
    """The cover text without To:/Cc: trailer lines for the removed addresses."""
    gone = set(remove)
    kept = []
    for line in cover.splitlines(keepends=True):
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in ("to", "cc") and bare(value.strip()) in gone:
            continue
        kept.append(line)
    return "".join(kept)


__all__ = ["write_cover", "addresses_for_mail", "drop_trailers", "hook_map", "split_message"]
