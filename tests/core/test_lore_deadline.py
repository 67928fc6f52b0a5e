"""A lore request ends within replies.timeout in all, however the server trickles, over HTTP
and HTTPS, and at once when aborted (issue 18, case 9). The server is tests/lore_faults.py
on loopback; these modes need no public-inbox behind it. The bounds of the runs are no timing
assertions: without the deadline each of these requests goes on for an hour."""

from __future__ import annotations

import threading
import time

import pytest

from patchpilot.core.review.lore import LoreClient, LoreUnreachable
from tests.lore_faults import FaultyLore, self_signed


def fetch_within(client: LoreClient, bound: float) -> LoreUnreachable:
    result: list[BaseException] = []

    def fetch() -> None:
        try:
            client.fetch_thread_full("x@example.com")
        except BaseException as exc:  # noqa: BLE001  (handed to the test)
            result.append(exc)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(bound)
    assert not worker.is_alive(), "the request was not cut"
    assert len(result) == 1 and isinstance(result[0], LoreUnreachable), result
    return result[0]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_trickled_answer_is_cut_at_the_deadline(tmp_path, monkeypatch, tls):
    pair = self_signed(tmp_path) if tls else None
    if pair:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pair[0]))
    with FaultyLore("http://127.0.0.1:9/test", "trickle-headers", tls=pair) as lore:
        lore.interval, lore.trickle_for = 0.2, 3600
        client = LoreClient(lore.base, tmp_path / "cache", timeout=1.5, retries=1,
                            backoff=0.1)
        error = fetch_within(client, 60)
    assert "no complete answer within 1.5 s" in str(error)
    assert len(lore.requests) == 2  # each attempt had its own deadline


def test_an_abort_cuts_a_request_and_refuses_the_next(tmp_path):
    with FaultyLore("http://127.0.0.1:9/test", "trickle-headers") as lore:
        lore.interval, lore.trickle_for = 0.2, 3600
        client = LoreClient(lore.base, tmp_path / "cache", timeout=3600, retries=3)
        threading.Timer(0.5, client.abort).start()
        assert "aborted" in str(fetch_within(client, 60))
        started = len(lore.requests)
        assert "aborted" in str(fetch_within(client, 60))
    assert started == 1 and len(lore.requests) == 1  # no retry after an abort, no new request


def test_an_html_answer_is_one_clear_error(tmp_path):
    with FaultyLore("http://127.0.0.1:9/test", "html") as lore:
        client = LoreClient(lore.base, tmp_path / "cache", timeout=5, retries=0)
        started = time.monotonic()
        error = fetch_within(client, 60)
    assert "an HTML page" in str(error) and time.monotonic() - started < 60


def test_a_late_watchdog_still_says_the_deadline(tmp_path, monkeypatch):
    """On a loaded machine the socket's own timeout (the same seconds) may end the wait before
    the watchdog's thread runs; the error is still the deadline's, not requests' wording.
    The watchdog is held back here (its timer never starts), as heavy load does."""
    class LateTimer(threading.Timer):
        def start(self) -> None:
            pass

    monkeypatch.setattr("patchpilot.core.review.deadline.threading.Timer", LateTimer)
    with FaultyLore("http://127.0.0.1:9/test", "trickle-headers") as lore:
        lore.interval, lore.trickle_for = 5, 3600  # silent for longer than the timeout
        client = LoreClient(lore.base, tmp_path / "cache", timeout=1, retries=0)
        error = fetch_within(client, 60)
    assert "is unreachable: no complete answer within 1 s (" in str(error), str(error)
