"""SMTP servers that fail on purpose, real ones on loopback, for the send tests.

- FailingSmtpServer: aiosmtpd answering 451 to the DATA of message k (1-based) for `times`
  consecutive attempts, then accepting again; keeps every message it accepted.
- AuthRefusingSmtpServer: aiosmtpd that requires authentication and refuses every login
  (over STARTTLS with a throw-away self-signed certificate, as a real submission server does,
  or in the clear with `tls=False`); keeps the logins it was offered.
- SilentServer: a plain socket that accepts connections and never says a word.
- TricklingServer: a plain socket that sends its greeting one byte at a time, slowly.
- FaultySmtpServer: aiosmtpd that, at message k (1-based, counting DATA), stalls (holds its
  answer until the test releases it with 250, an error, or a dropped connection), runs a
  hook first (one that fills a disk), and/or answers every QUIT with an error (421).
A server that is down is `tests.smtp.free_port()`: a port nobody listens on.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.smtp import Mailbox, free_port


@dataclass
class FailingMailbox(Mailbox):
    fail_at: int = 2
    times: int = 1
    seen: int = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.times and self.seen == self.fail_at:
            self.times -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        return await super().handle_DATA(server, session, envelope)


class FailingSmtpServer:
    """`with FailingSmtpServer(fail_at=2) as smtp:` like tests.smtp.SmtpServer."""

    def __init__(self, fail_at: int = 2, times: int = 1):
        self.mailbox = FailingMailbox(fail_at=fail_at, times=times)
        self.port = free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> FailingSmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (openssl)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context


@dataclass
class RefusingAuthenticator:
    """aiosmtpd authenticator: remembers who tried (login, and whether a password came),
    and refuses everyone (the server answers 535 5.7.8)."""

    logins: list[tuple[str, str, bool]] = field(default_factory=list)

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.logins.append((mechanism, auth_data.login.decode(), bool(auth_data.password)))
        return AuthResult(success=False, handled=False)


class AuthRefusingSmtpServer:
    """`with AuthRefusingSmtpServer() as smtp:`; `smtp.auth.logins`, `smtp.mailbox.messages`."""

    def __init__(self, tls: bool = True):
        self.mailbox = Mailbox()
        self.auth = RefusingAuthenticator()
        self.port = free_port()
        self._tmp = tempfile.TemporaryDirectory(prefix="smtp-tls-")
        self.cert = Path(self._tmp.name) / "cert.pem"  # what a client must trust
        options = {"tls_context": self_signed_context(Path(self._tmp.name)),
                   "require_starttls": True} if tls else {"auth_require_tls": False}
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port,
                                      authenticator=self.auth, auth_required=True, **options)

    def __enter__(self) -> AuthRefusingSmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
        self._tmp.cleanup()


class SilentServer:
    """Accepts TCP connections on loopback and never answers (not even the SMTP greeting);
    `connections` counts them. Closing the server closes them."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)  # so the accept loop sees the stop flag
        self.port = self._sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:  # timeout: look at the flag again
                continue
            self.connections.append(conn)  # held open, silent, until the server stops

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self.connections:
            conn.close()
        self._sock.close()


DROP = "drop"  # release(DROP): close the connection without answering the held DATA


@dataclass
class FaultyMailbox(Mailbox):
    at: int = 0
    stall: bool = False
    quit_reply: str | None = None
    before_answer: Callable[[int], None] | None = None
    seen: int = 0
    stalled: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)
    answer: str = "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        number = self.seen
        loop = asyncio.get_running_loop()
        if number == self.at and self.before_answer is not None:
            await loop.run_in_executor(None, self.before_answer, number)
        if number == self.at and self.stall:
            self.stalled.set()
            await loop.run_in_executor(None, self.gate.wait)
            if self.answer == DROP:
                server.transport.close()
                return "421 4.4.2 connection dropped"  # never reaches the client
            if not self.answer.startswith("250"):
                return self.answer
        return await super().handle_DATA(server, session, envelope)

    async def handle_QUIT(self, server, session, envelope):
        return self.quit_reply or "221 Bye"


class FaultySmtpServer:
    """`with FaultySmtpServer(at=3, stall=True) as smtp:`; `smtp.mailbox.stalled.wait()`
    until message 3 is held, `smtp.release("250 OK" | DROP | "451 ...")` to answer it."""

    def __init__(self, at: int = 0, stall: bool = False, quit_reply: str | None = None,
                 before_answer: Callable[[int], None] | None = None):
        self.mailbox = FaultyMailbox(at=at, stall=stall, quit_reply=quit_reply,
                                     before_answer=before_answer)
        self.port = free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def release(self, answer: str = "250 OK") -> None:
        self.mailbox.answer = answer
        self.mailbox.gate.set()

    def __enter__(self) -> FaultySmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.mailbox.gate.set()  # a held DATA must not keep the server's loop from stopping
        self._controller.stop()


class TricklingServer:
    """Accepts TCP connections on loopback and sends `greeting` one byte every `interval`
    seconds (each read a client makes gets a byte well within any socket timeout);
    `sent` counts the bytes that went out. Stops with the server."""

    def __init__(self, greeting: bytes, interval: float = 0.5):
        self.greeting, self.interval = greeting, interval
        self.sent = 0
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            for i in range(len(self.greeting)):
                if self._stop.wait(self.interval):
                    return
                try:
                    conn.sendall(self.greeting[i:i + 1])
                except OSError:  # the client gave up
                    return
                self.sent += 1

    def __enter__(self) -> TricklingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
