"""Each cached thread analysed once per process: the mbox split and decoded (mail.py), the
replies read (thread.py) and the `git patch-id` of its patches run once, whichever screen or
command asks first (the home screen's counts, the series screen, the replies view, the reroll
plan and the pre-flight all read the same analysis).

An analysis is keyed by the server, the cover, your addresses and the thread's bytes, so a
refresh that brought something new is analysed again and one that did not is not. The
analyses are shared: readers copy what they change (replies.Reader joins the state into
copies). Bounded (the last MEMO threads); safe across the TUI's worker threads. No UI.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.applied import find_applied
from patchpilot.core.review.mail import Mail, MailTooLarge, bare_subject, parse_mail, split_mbox
from patchpilot.core.review.thread import Thread, analyse_thread

MEMO = 64


@dataclass
class _Entry:
    thread: Thread
    warnings: list[str]


_memo: OrderedDict[tuple[str, str, tuple[str, ...], str], _Entry] = OrderedDict()
_memo_lock = threading.Lock()
_ids_lock = threading.Lock()
_inflight: dict[tuple[str, str, tuple[str, ...], str], threading.Lock] = {}
stats = {"analysed": 0, "reused": 0, "patch_id_runs": 0}  # read by tests and bench/


def mails_of(mbox: bytes, warnings: list[str] | None) -> list[Mail]:
    """The messages of an mbox, decoded; one over the size limit is skipped (and said)."""
    return [mail for _, mail in _decoded(mbox, warnings)]


def _decoded(mbox: bytes, warnings: list[str] | None) -> list[tuple[bytes, Mail]]:
    found = []
    for raw in split_mbox(mbox):
        try:
            found.append((raw, parse_mail(raw)))
        except MailTooLarge as exc:
            if warnings is not None:
                warnings.append(str(exc))
    return found


def analysed(base: str, cover: str, mbox: bytes, own: tuple[str, ...],
             warnings: list[str]) -> Thread:
    """The analysis of the thread `mbox` of `cover` (shared: do not change it). Two readers
    asking at once (the home screen's counts and the series screen) wait for one analysis."""
    key = (base, cover, own, hashlib.sha256(mbox).hexdigest())
    with _memo_lock:
        entry = _memo.get(key)
        if entry is not None:
            _memo.move_to_end(key)
            stats["reused"] += 1
            warnings.extend(entry.warnings)
            return entry.thread
        busy = _inflight.setdefault(key, threading.Lock())
    with busy:
        with _memo_lock:
            entry = _memo.get(key)
            if entry is not None:  # analysed by the reader we waited for
                stats["reused"] += 1
        if entry is None:
            entry = _analyse(cover, mbox, own)
            with _memo_lock:
                stats["analysed"] += 1
                _memo[key] = entry
                while len(_memo) > MEMO:
                    _memo.popitem(last=False)
        with _memo_lock:
            _inflight.pop(key, None)
    warnings.extend(entry.warnings)
    return entry.thread


def _analyse(cover: str, mbox: bytes, own: tuple[str, ...]) -> _Entry:
    found: list[str] = []
    decoded = _decoded(mbox, found)
    thread = analyse_thread([mail for _, mail in decoded], cover, own)
    sent = {m.msgid for m in [thread.cover, *thread.patches.values()] if m is not None}
    thread.raw = {mail.msgid: raw for raw, mail in decoded if mail.msgid in sent}
    by_id = {mail.msgid: mail for _, mail in decoded}
    thread.applied = find_applied(
        ((by_id[r.msgid], r.patch) for r in thread.replies if r.msgid in by_id),
        max(thread.patches, default=0) or None,
        {k: bare_subject(m.subject) for k, m in thread.patches.items()})
    if thread.applied is not None:  # "Applied, thanks" and its list of commits ask nothing
        done = set(thread.applied.msgids)
        for reply in thread.replies:
            if reply.msgid in done:
                reply.items = [replace(c, kind="praise") if c.counted else c
                               for c in reply.items]
    return _Entry(thread, found)


def patch_ids(repo: GitRepo, thread: Thread) -> dict[int, str]:
    """`git patch-id --stable` of each patch as mailed (stable across rerolls): one run per
    thread analysis, whoever asks."""
    with _ids_lock:
        if thread.patch_ids is None:
            thread.patch_ids = _run_patch_ids(repo, thread)
        return dict(thread.patch_ids)


def _run_patch_ids(repo: GitRepo, thread: Thread) -> dict[int, str]:
    diffs = {f"{k:040x}": d for k, d in thread.diffs.items() if d}
    if not diffs:
        return {}
    stats["patch_id_runs"] += 1
    ids = repo.patch_ids({k: d if d.endswith("\n") else d + "\n" for k, d in diffs.items()})
    return {int(k, 16): v for k, v in ids.items()}


def forget() -> None:
    """Drop every analysis (tests)."""
    with _memo_lock:
        _memo.clear()
