"""smtplib, bounded: every answer of the server (the greeting included) must come whole
within the transport's timeout, and a connection that breaks after the whole message was
handed over is `Uncertain` (it may have been delivered), never "not sent".

A socket timeout bounds each read only: a server trickling a byte a second never trips it.
Here a timer cuts the connection when a whole answer has not come in time.
Standard library only; no imports from the rest of patchpilot; never prints.
"""

from __future__ import annotations

import smtplib
import socket
import threading
from typing import Any


class Uncertain(Exception):
    """The whole message was handed to the server and the connection broke before its answer:
    it may have been delivered (the cause says how it broke)."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


class _Bounded:
    """smtplib with a deadline on every answer of the server, the greeting included: a
    server that trickles a byte a second (each read is within the socket timeout) is cut
    off once `timeout` seconds have passed without a whole answer. It also remembers when
    the message itself (DATA's content) has been handed over."""

    timeout: float
    sock: socket.socket | None
    handed_over = False

    def getreply(self) -> tuple[int, bytes]:
        if not isinstance(self.timeout, (int, float)):  # no timeout given: smtplib's own
            return super().getreply()
        cut = threading.Event()

        def cut_off() -> None:
            cut.set()
            if self.sock is not None:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(self.timeout, cut_off)
        timer.daemon = True
        timer.start()
        try:
            reply: tuple[int, bytes] = super().getreply()  # type: ignore[misc]
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            if cut.is_set():
                raise self._late() from TimeoutError()
            raise exc
        finally:
            timer.cancel()
        if cut.is_set():  # the half line read before the cut is no answer
            raise self._late() from TimeoutError()
        return reply

    def _late(self) -> smtplib.SMTPServerDisconnected:
        self.close()  # type: ignore[attr-defined]
        return smtplib.SMTPServerDisconnected(
            f"no whole answer within {self.timeout:g}s (timed out)")

    def send(self, s: Any) -> None:
        super().send(s)  # type: ignore[misc]
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.handed_over = True


class BoundedSMTP(_Bounded, smtplib.SMTP):
    pass


class BoundedSMTP_SSL(_Bounded, smtplib.SMTP_SSL):
    pass
