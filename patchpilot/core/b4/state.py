"""b4's state as patchpilot writes it: rewrites of a b4 branch, and b4's sent history.

Every rewrite of a b4 branch runs inside `guarded`: git.rewrite's backup ref, journal and
undo, with b4's git-config cover and tracking (the branch-description strategy) journaled and
restored with the branch. The one thing b4 has no command for, correcting its sent history
after a resumed send, is written here in b4's own format (`record_sent_cover`). Never prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from patchpilot.core.b4.tracking import (
    MARKER,
    config_keys,
    find_cover_commit,
    read_tracking,
    strategy_of,
)
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git import rewrite
from patchpilot.core.git.repo import GitRepo


def marks(repo: GitRepo, branch: str) -> str:
    """What no patchpilot rewrite of a b4 branch changes, and every send and reroll does:
    b4's revision, change-id and sent history (for every cover strategy). A rewrite killed
    halfway is only recovered while these are as it left them."""
    try:
        tracking = read_tracking(repo, branch)
    except PatchpilotError as exc:
        return f"unreadable: {exc}"
    if tracking is None:
        return "not managed by b4"
    return json.dumps({"revision": tracking.revision, "change-id": tracking.change_id,
                       "history": tracking.history}, sort_keys=True)


@contextmanager
def guarded(repo: GitRepo, branch: str, what: str) -> Iterator[rewrite.Rewrite]:
    """rewrite.guarded for a b4 branch: its git-config cover and tracking come back too, and
    recovery proves b4's tracking unchanged (`marks`)."""
    with rewrite.guarded(repo, branch, what, config_keys(branch), marks) as entry:
        yield entry


def recover(repo: GitRepo, branch: str) -> rewrite.Rewrite | None:
    """rewrite.recover for a b4 branch (with b4's tracking as its marks)."""
    return rewrite.recover(repo, branch, marks)


def checkpoint(repo: GitRepo, branch: str) -> None:
    """After one b4 step of a guarded rewrite: recovery starts from here."""
    rewrite.checkpoint(repo, branch)


def record_sent_cover(repo: GitRepo, branch: str, revision: int, made: str, sent: str,
                      ) -> str | None:
    """Make b4's state say that revision `revision` went out as the cover `sent`.

    After a resumed send, b4 recorded the cover Message-ID it made in its own (last) run,
    `made`, in `history` -> `vN` and in the new cover's `Link to vN:` line; the relay skipped
    that cover because an earlier run had delivered it as `sent`. This replaces `made` by
    `sent` in both, in b4's own format (the tracking JSON after `--- b4-submit-tracking ---`
    in the cover commit, or `branch.<name>.b4-tracking` and `.description`), so plain b4 keeps
    working. A cover commit is rewritten inside rewrite.guarded (backup under
    refs/patchpilot/backup/ first, journal, `patchpilot undo`); returns that backup ref (None
    when nothing needed changing or no commit was rewritten).
    """
    made, sent = made.strip("<>"), sent.strip("<>")
    if strategy_of(repo, branch) == "branch-description":
        _record_in_description(repo, branch, revision, made, sent)
        return None
    commit = find_cover_commit(repo, branch)
    if commit is None:
        raise PatchpilotError(f"b4's cover commit of {branch} is gone",
                              hint="b4 prep --show-info; then patchpilot series")
    cover_text, marker, rest = commit.message.partition(MARKER)
    start = rest.find("{")
    data = json.loads(rest[start:]) if marker and start >= 0 else None
    if not isinstance(data, dict) or not isinstance(data.get("series"), dict):
        raise PatchpilotError(f"b4 tracking data of branch {branch} is corrupt",
                              hint="patchpilot series says more")
    if not _swap_history(data["series"], revision, made, sent) and made not in cover_text:
        return None
    message = (cover_text.replace(made, sent) + MARKER + rest[:start]
               + json.dumps(data, indent=2) + "\n")  # as b4's make_magic_json writes it
    with guarded(repo, branch, f"record the v{revision} cover that went out") as entry:
        rewrite.reword(repo, branch, commit.sha,
                       lambda sha, old: message if sha == commit.sha else old)
    return entry.backup


def _swap_history(series: dict[str, Any], revision: int, made: str, sent: str) -> bool:
    ids = (series.get("history") or {}).get(f"v{revision}") or []
    if made not in ids:
        return False
    series["history"][f"v{revision}"] = [sent if i == made else i for i in ids]
    return True


def _record_in_description(repo: GitRepo, branch: str, revision: int, made: str,
                           sent: str) -> None:
    cover_key, tracking_key = config_keys(branch)
    raw = repo.config(tracking_key) or "{}"
    data = json.loads(raw)
    if _swap_history(data.get("series") or {}, revision, made, sent):
        repo.run("config", tracking_key, json.dumps(data))  # as b4 does
    text = repo.config(cover_key) or ""
    if made in text:
        repo.run("config", cover_key, text.replace(made, sent))
