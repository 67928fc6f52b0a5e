"""The signal tests hold when the suite itself runs in the background (`make test &`), where
the shell starts it with SIGINT and SIGQUIT ignored and every child inherits that across exec:
tests/faults.py's `spawn` gives patchpilot the disposition a terminal would."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.faults import default_signals

PROBE = ("import signal; h = signal.getsignal(signal.SIGINT); "
         "print('ignored' if h is signal.SIG_IGN else 'heard')")


def probe(**kwargs) -> str:
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True, **kwargs).stdout.strip()


def test_a_child_hears_sigint_though_the_suite_ignores_it():
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job starts
    try:
        inherited = probe()
        given = probe(preexec_fn=default_signals)
    finally:
        signal.signal(signal.SIGINT, before)
    assert inherited == "ignored"  # what the 9 signal tests met in the background
    assert given == "heard"
