"""HTTP requests bounded as a whole: connecting, waiting for the answer and reading it, all
within one deadline. requests' own timeout bounds each socket operation, so a server that
trickles a byte every two seconds holds a request forever; here a watchdog shuts the
connection's socket down when the deadline passes, or at once when `abort()` is called from
another thread (the TUI quitting while a worker waits on a server).

Built on requests/urllib3: the connection classes mounted on the session tell the watchdog
which connection a request uses. No UI; raises requests exceptions (RequestTimedOut for a
deadline passed or an abort), which the caller turns into its own errors.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

_current = threading.local()  # the _Watch of the request this thread is making


class RequestTimedOut(requests.exceptions.Timeout):
    """The whole request took longer than its deadline, or was aborted."""


class TooLarge(requests.exceptions.RequestException):
    """The answer is larger than the caller's limit."""


class _Watch:
    """One request's watchdog: which connection it uses, and whether time is up."""

    def __init__(self) -> None:
        self.conn: HTTPConnection | None = None
        self.fired = False
        self.lock = threading.Lock()

    def attach(self, conn: HTTPConnection) -> None:
        with self.lock:
            self.conn = conn
            if self.fired:
                _shut(conn)

    def fire(self) -> None:
        with self.lock:
            self.fired = True
            if self.conn is not None:
                _shut(self.conn)


def _shut(conn: HTTPConnection) -> None:
    """End the connection's socket: a read blocked on it returns at once (close alone would
    not wake it)."""
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _watched(conn: HTTPConnection) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(conn)


class _Connection(HTTPConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()
        _watched(self)  # the socket exists now: shut it if time ran out while connecting

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)  # a kept-alive connection is connected already
        super().request(*args, **kwargs)


class _TLSConnection(HTTPSConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()
        _watched(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


def _watch_pools(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
    return manager


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> PoolManager:
        return _watch_pools(super().proxy_manager_for(proxy, **kwargs))


class DeadlineSession:
    """A requests session whose requests each finish within `seconds`, or are cut."""

    def __init__(self, user_agent: str = "patchpilot"):
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, _Adapter())
        self._active: set[_Watch] = set()
        self._lock = threading.Lock()
        self.aborted = False

    def fetch(self, method: str, url: str, seconds: float, limit: int,
              **kwargs: Any) -> tuple[requests.Response, bytes]:
        """(response, body of at most `limit` bytes as sent, not decoded), all of it within
        `seconds`; RequestTimedOut when the time ran out or abort() was called."""
        watch = _Watch()
        timer = threading.Timer(max(seconds, 0.0), watch.fire)
        timer.daemon = True
        with self._lock:
            if self.aborted:
                raise RequestTimedOut("aborted")
            self._active.add(watch)
        _current.watch = watch
        timer.start()
        try:
            resp = self.session.request(method, url, timeout=seconds, stream=True, **kwargs)
            with resp:
                body = _read(resp, limit)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            # The socket's own timeout is the same `seconds`: on a loaded machine it may end
            # the wait before the watchdog's thread runs. Either way the deadline passed.
            if watch.fired or _timed_out(exc):
                raise RequestTimedOut(self._why(seconds)) from None
            if isinstance(exc, requests.RequestException):
                raise
            raise requests.exceptions.ConnectionError(str(exc)) from None
        finally:
            timer.cancel()
            _current.watch = None
            with self._lock:
                self._active.discard(watch)
        if watch.fired:  # cut while reading an answer of no stated length: not all of it
            raise RequestTimedOut(self._why(seconds))
        return resp, body

    def _why(self, seconds: float) -> str:
        return "aborted" if self.aborted else f"no complete answer within {seconds:g} s"

    def abort(self) -> None:
        """Cut every request in flight (from any thread) and refuse new ones."""
        with self._lock:
            self.aborted = True
            active = list(self._active)
        for watch in active:
            watch.fire()

    def close(self) -> None:
        self.session.close()


def _timed_out(exc: BaseException) -> bool:
    """Whether a request failed because a socket operation waited its whole timeout."""
    return isinstance(exc, (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError,
                            TimeoutError))


def _read(resp: requests.Response, limit: int) -> bytes:
    chunks, size = [], 0
    for chunk in resp.raw.stream(65536, decode_content=False):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"an answer over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
