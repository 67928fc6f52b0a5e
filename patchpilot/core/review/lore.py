"""The one module that talks HTTP to a public-inbox server (lore.kernel.org or a mirror).

Thread fetch (`{base}/{msgid}/t.mbox.gz`), searches (`POST {base}/?x=m&q=...`), timeouts,
bounded retries with backoff, and an on-disk cache. public-inbox sends no ETag or
Last-Modified, so a refresh of a cached thread is incremental: one search for messages
received since the last fetch less an overlap (`rt:`; `margin`, replies.overlap) on the
thread's subjects or to the author's address (a reply-all whose subject was changed), which
answers 404 and a few bytes when nothing is new; a full re-fetch happens when the cache is
older than `full_every` seconds. A cover the server does not hold is CoverNotFound, and the
cache is left as it was. Message-IDs are untrusted: they are percent-encoded in
URLs and hashed for file names.

Answers are untrusted too: each request finishes within `timeout` seconds in all (deadline.py:
a server trickling a byte at a time is cut), an answer that is not the gzip mbox asked for (a
proxy's HTML page, junk) is an error, never a traceback, and a gzip stream cut short is
detected: what arrived whole is shown, with a warning, and cached as incomplete, so the next
refresh fetches the whole thread again. A damaged cache entry is a cache miss (and is
rewritten by the next fetch). No UI; raises PatchpilotError.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import weakref
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import quote

import requests

from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.fs import keep_aside, write_atomic
from patchpilot.core.review.deadline import DeadlineSession, TooLarge
from patchpilot.core.review.mail import (
    MailTooLarge,
    bare_subject,
    clean_msgid,
    join_mbox,
    parse_mail,
    split_mbox,
)
from patchpilot.core.text import safe_text

DEFAULT_BASE = "https://lore.kernel.org/all"
MAX_DOWNLOAD = 200 * 1024 * 1024  # decompressed thread or search answer


class LoreUnreachable(PatchpilotError):
    """The server could not be reached (after retries) or answered with an error."""

    def __init__(self, base: str, why: str):
        super().__init__(f"{base} is unreachable: {why}",
                         hint="showing cached data; retry later or set replies.server",
                         exit_code=ExitCode.FAILURE)
        self.why = why


def holds(mbox: bytes, msgid: str) -> bool:
    """Whether a message of `mbox` has the Message-ID `msgid` (its header, folded or not)."""
    wanted = re.escape(msgid.encode("utf-8", "replace"))
    return re.search(rb"(?im)^message-id:[ \t]*(?:\r?\n[ \t]+)?<" + wanted + rb">", mbox) \
        is not None


class TruncatedAnswer(PatchpilotError):
    """A gzip answer that ends before its end: `partial` holds what it decompressed to."""

    def __init__(self, partial: bytes):
        super().__init__("the server's answer was cut short (an incomplete gzip stream)",
                         hint="retry later", exit_code=ExitCode.FAILURE)
        self.partial = partial


class CoverNotFound(PatchpilotError):
    """The server answers 404 for the cover's thread: a wrong server, or not archived yet."""

    def __init__(self, base: str):
        super().__init__(f"the cover is not on {base}: check replies.server, or it is not "
                         "archived yet", exit_code=ExitCode.FAILURE)


@dataclass
class ThreadData:
    """A thread as an mbox, when it was fetched, and what the last request cost;
    `complete` is False when the answer was cut short (only the messages that arrived
    whole are in `mbox`)."""

    msgid: str
    mbox: bytes
    fetched_at: float
    transferred: int = 0
    server_time: float | None = None  # the server's clock when it answered
    complete: bool = True


def _http_date(value: str | None) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError):
        return None


def base_from_midmask(midmask: str | None) -> str | None:
    """`https://host/inbox/%s` (b4.midmask) -> `https://host/inbox`."""
    if not midmask or "%s" not in midmask:
        return None
    return midmask.split("%s", 1)[0].rstrip("/") or None


def msgid_url(base: str, msgid: str, tail: str) -> str:
    """`{base}/{escaped msgid}/{tail}`; refuses IDs no server could hold."""
    bare = clean_msgid(msgid)
    if bare is None or set(bare) <= {"."}:
        raise PatchpilotError(f"not a usable Message-ID: {msgid[:80]!r}",
                              hint="check the sent history of the series")
    escaped = quote(bare, safe="@!$&'()*+,;=:~-_")
    return f"{base.rstrip('/')}/{escaped}/{tail}"


GZIP_MAGIC = b"\x1f\x8b"


def gunzip(data: bytes, limit: int = MAX_DOWNLOAD) -> bytes:
    """Decompress a gzip body, refusing one that expands past `limit` (a zip bomb), one
    that is not gzip (PatchpilotError) and one cut short (TruncatedAnswer)."""
    if data[:2] != GZIP_MAGIC:
        raise PatchpilotError("the answer is not gzip data", hint="retry later",
                              exit_code=ExitCode.FAILURE)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise PatchpilotError(f"the answer is damaged gzip data ({exc})", hint="retry later",
                              exit_code=ExitCode.FAILURE) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PatchpilotError(f"a server answer expands past {limit} bytes",
                              hint="the thread is too large to follow", exit_code=ExitCode.FAILURE)
    if not inflater.eof:
        raise TruncatedAnswer(out)
    return out


def whole_messages(partial: bytes) -> bytes:
    """The mbox of the messages of a cut-short mbox that arrived whole (all but the last,
    which may be cut anywhere)."""
    return join_mbox(split_mbox(partial)[:-1])


class LoreClient:
    """Requests to one public-inbox base URL, with a cache under `cache_root`."""

    def __init__(self, base: str, cache_root: Path, timeout: float = 10.0, retries: int = 2,
                 backoff: float = 0.5, full_every: float = 86400.0, margin: float = 3600.0):
        self.base = base.rstrip("/")
        self.cache = Path(cache_root) / hashlib.sha256(self.base.encode()).hexdigest()[:16]
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.full_every, self.margin = full_every, margin
        self.server_time: float | None = None
        self.session = DeadlineSession("patchpilot")
        _CLIENTS.add(self)

    # -- HTTP ---------------------------------------------------------------------------
    def abort(self) -> None:
        """Cut the requests in flight (from another thread) and refuse new ones: they
        raise LoreUnreachable at once."""
        self.session.abort()

    def _request(self, method: str, url: str, **kwargs: Any) -> tuple[int, bytes, int]:
        """(status, body, bytes transferred); retries connection errors and 5xx; each
        attempt ends within `timeout` seconds in all."""
        last = ""
        for attempt in range(self.retries + 1):
            if self.session.aborted:
                last = "aborted"
                break
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                resp, body = self.session.fetch(method, url, self.timeout, MAX_DOWNLOAD,
                                                **kwargs)
            except TooLarge:
                raise PatchpilotError("a server answer is over the size limit",
                                      hint="the thread is too large to follow",
                                      exit_code=ExitCode.FAILURE) from None
            except requests.RequestException as exc:
                last = str(exc) if isinstance(exc, requests.Timeout) else type(exc).__name__
                continue
            if resp.status_code >= 500:
                last = f"HTTP {resp.status_code}"
                continue
            head = sum(len(k) + len(v) + 4 for k, v in resp.headers.items()) + 17
            self.server_time = _http_date(resp.headers.get("Date"))
            return resp.status_code, body, len(body) + head
        raise LoreUnreachable(self.base, last)

    def search(self, query: str) -> tuple[bytes, int]:
        """(mbox of the hits, bytes transferred); an empty mbox when nothing matches."""
        status, body, cost = self._request("POST", f"{self.base}/",
                                           params={"x": "m", "q": query}, data=b"")
        if status == 404:
            return b"", cost
        if status != 200:
            raise LoreUnreachable(self.base, f"HTTP {status} for a search")
        try:
            return self._mbox(body, "a search"), cost
        except TruncatedAnswer:  # the refresh fails and is tried again from the same time
            raise LoreUnreachable(self.base, "a search answer was cut short") from None

    def fetch_thread_full(self, msgid: str) -> tuple[bytes | None, int]:
        """(mbox, bytes transferred) of the whole thread; None when the server has none."""
        status, body, cost = self._request("GET", msgid_url(self.base, msgid, "t.mbox.gz"))
        if status == 404:
            return None, cost
        if status != 200:
            raise LoreUnreachable(self.base, f"HTTP {status} for a thread")
        mbox = self._mbox(body, "a thread")
        if mbox and not holds(mbox, msgid):  # a broken or hostile server: not our thread
            raise LoreUnreachable(self.base, "it answered with another thread (without "
                                  f"<{safe_text(msgid, 120)}>)")
        return mbox, cost

    def _mbox(self, body: bytes, what: str) -> bytes:
        """The mbox in an answer: gzip (as public-inbox sends), or plain; anything else (a
        proxy's HTML page, junk, damaged gzip) is LoreUnreachable. A gzip stream cut short
        raises TruncatedAnswer, which carries what arrived."""
        if body[:2] != GZIP_MAGIC:
            if not body or body.startswith(b"From "):
                return body
            kind = "an HTML page" if body.lstrip()[:1] == b"<" else "no mbox"
            raise LoreUnreachable(self.base, f"{kind} in answer to {what}")
        try:
            return gunzip(body)
        except TruncatedAnswer:
            raise
        except PatchpilotError as exc:
            raise LoreUnreachable(self.base, f"{exc.message} in answer to {what}") from None

    # -- cache --------------------------------------------------------------------------
    def _paths(self, msgid: str) -> tuple[Path, Path]:
        key = hashlib.sha256(msgid.encode("utf-8", "replace")).hexdigest()
        return self.cache / f"{key}.mbox.gz", self.cache / f"{key}.json"

    def cached(self, msgid: str) -> ThreadData | None:
        """The cached thread, or None (also when the entry is damaged: a cache miss, which
        the next fetch rewrites)."""
        data_path, meta_path = self._paths(msgid)
        for path in (data_path, meta_path):  # a directory (or a socket...) in its place
            if os.path.lexists(path) and not path.is_file():
                try:
                    keep_aside(path)  # out of the way: the next fetch writes the entry
                except OSError:
                    pass
        try:
            meta = json.loads(meta_path.read_text())
            mbox = gunzip(data_path.read_bytes())
        except (OSError, ValueError, PatchpilotError):
            return None
        if not isinstance(meta, dict):
            return None
        fetched, server, complete = (meta.get("fetched_at"), meta.get("server_time"),
                                     meta.get("complete", True))
        if not _number(fetched) or not (server is None or _number(server)) \
                or not isinstance(complete, bool):
            return None
        return ThreadData(msgid, mbox, float(fetched), server_time=server, complete=complete)

    def _store(self, thread: ThreadData) -> None:
        """Cache a thread; a cache that cannot be written (full disk, read-only) only costs
        the next fetch."""
        data_path, meta_path = self._paths(thread.msgid)
        try:
            write_atomic(data_path, zlib.compress(thread.mbox, 6, wbits=16 + zlib.MAX_WBITS))
            write_atomic(meta_path, json.dumps({"msgid": thread.msgid, "base": self.base,
                                                "fetched_at": thread.fetched_at,
                                                "server_time": thread.server_time,
                                                "complete": thread.complete}))
        except OSError:
            try:
                meta_path.unlink(missing_ok=True)
            except OSError:  # not a file either: the next read moves it aside
                pass

    # -- threads ------------------------------------------------------------------------
    def thread(self, msgid: str, refresh: bool = False, subjects: tuple[str, ...] = (),
               addresses: tuple[str, ...] = (), old: ThreadData | None = None) -> ThreadData:
        """The thread of `msgid`: from the cache unless `refresh` (or nothing is cached);
        `old` is the cached thread when the caller has read it already."""
        old = old or self.cached(msgid)
        if old is not None and not refresh:
            return old
        now = time.time()
        if old is not None and old.complete and subjects and now - old.fetched_at < self.full_every:
            return self._incremental(old, subjects, now, addresses)
        complete = True
        try:
            mbox, cost = self.fetch_thread_full(msgid)
        except TruncatedAnswer as cut:  # keep what arrived whole; the next refresh is full
            mbox, cost, complete = whole_messages(cut.partial), len(cut.partial), False
        if mbox is None:  # nothing is stored: a cached thread stays as it was
            raise CoverNotFound(self.base)
        fresh = ThreadData(msgid, mbox, now, transferred=cost, server_time=self.server_time,
                           complete=complete)
        self._store(fresh)
        return fresh

    def _incremental(self, old: ThreadData, subjects: tuple[str, ...], now: float,
                     addresses: tuple[str, ...] = ()) -> ThreadData:
        # The server's own clock (its Date header) bounds what is new: no client clock skew.
        # `margin` (replies.overlap) reaches back past the last fetch: an archive files a
        # message under its Received: time but may index it minutes later (lore on busy
        # days, mirrors more), and such a message would fall before an exact `since` on
        # every later refresh. The overlap is deduplicated by Message-ID (merge_into_thread).
        since = int((old.server_time or old.fetched_at) - self.margin)
        # replies keep the subject, or (reply-all) copy the author: a reply whose subject
        # was changed is still found through the author's address
        terms = " OR ".join([f's:"{s}"' for s in subjects] +
                            [f'tc:"{a}"' for a in addresses if _SAFE_ADDRESS.fullmatch(a)])
        found, cost = self.search(f"rt:{since}.. AND ({terms})")
        messages = split_mbox(old.mbox)
        added = merge_into_thread(messages, split_mbox(found), old.msgid)
        fresh = ThreadData(old.msgid, join_mbox(messages) if added else old.mbox, now,
                           transferred=cost, server_time=self.server_time)
        self._store(fresh)
        return fresh


_CLIENTS: weakref.WeakSet[LoreClient] = weakref.WeakSet()


def abort_all() -> None:
    """Abort the requests in flight of every client of this process (an app quitting: no
    worker thread may keep the process waiting on a server)."""
    for client in list(_CLIENTS):
        client.abort()


def merge_into_thread(messages: list[bytes], candidates: list[bytes], root: str) -> int:
    """Append the candidates that belong to the thread and are new; return how many."""
    known = set()
    for raw in messages:
        try:
            known.add(parse_mail(raw).msgid)
        except MailTooLarge:
            continue
    known.add(root)
    added = 0
    for raw in candidates:
        try:
            mail = parse_mail(raw)
        except MailTooLarge:
            continue
        parents = set(mail.references) | ({mail.in_reply_to} if mail.in_reply_to else set())
        if mail.msgid and mail.msgid not in known and parents & known:
            messages.append(raw)
            known.add(mail.msgid)
            added += 1
    return added


_SAFE_ADDRESS = re.compile(r"[\w.+-]+@[\w.-]+")


def _number(value: object) -> TypeGuard[int | float]:
    """A JSON number (not a bool, not NaN)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def subject_terms(subjects: list[str]) -> tuple[str, ...]:
    """Safe search phrases from patch subjects: no [PATCH] prefix, no quotes, bounded."""
    terms = []
    for subject in subjects:
        text = re.sub(r'["()\\\x00-\x1f]', " ", bare_subject(subject))
        text = " ".join(text.split())[:200]
        if text and text not in terms:
            terms.append(text)
    return tuple(terms)
