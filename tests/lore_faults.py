"""A misbehaving lore for fault-injection tests: a small real HTTP server on 127.0.0.1 in front
of a real public-inbox (tests/publicinbox.py), which passes requests through or answers the
way broken servers and proxies do.

    with FaultyLore(inbox.base) as lore:      # lore.base is what b4.midmask points at
        lore.mode = "truncate"

Modes (a fault stands in for a server no real part here can be made to behave like):
  pass             forward to the public-inbox and answer what it answered
  truncate         forward, then cut a gzip answer in half, with a Content-Length that fits
                   the cut (the answer looks complete; only the gzip stream knows)
  html             200 with a proxy's HTML login page
  junk             200, Content-Type application/gzip, `junk_size` bytes that are not gzip
  plain            forward, gunzipped, still saying Content-Encoding: gzip (a proxy's lie)
  trickle          200 and headers, then one byte of the real answer every `interval` s
  trickle-headers  the status line itself one byte every `interval` s
`redirect = (OLD, NEW)` forwards a request naming OLD as one naming NEW (a server that answers
with another thread than the one asked for).
Every trickle stops by itself after `trickle_for` seconds or when the server stops.
`tls=(certfile, keyfile)` serves HTTPS (`self_signed` makes a pair for 127.0.0.1).
"""

from __future__ import annotations

import gzip
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

from tests.smtp import free_port

HTML = b"<!DOCTYPE html><html><body><h1>Sign in to the proxy</h1></body></html>\n"


def self_signed(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1, made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class FaultyLore:
    def __init__(self, upstream: str, mode: str = "pass",
                 tls: tuple[Path, Path] | None = None):
        self.upstream = upstream.rstrip("/")
        self.mode = mode
        self.interval, self.trickle_for, self.junk_size = 0.5, 120.0, 1024 * 1024
        self.port = free_port()
        self.tls = tls
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://127.0.0.1:{self.port}{urlsplit(self.upstream).path}"
        self.requests: list[tuple[str, str, str]] = []  # (mode, method, path)
        self.redirect: tuple[str, str] | None = None
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FaultyLore:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)

    def forward(self, method: str, path: str, body: bytes | None) -> tuple[int, dict, bytes]:
        """(status, headers, body) of the real public-inbox for this request."""
        origin = urlsplit(self.upstream)
        url = f"{origin.scheme}://{origin.netloc}{path}"
        request = urllib.request.Request(url, data=body, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()


def _handler(lore: FaultyLore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(self.rfile.read(length))

        def _answer(self, body: bytes | None) -> None:
            mode = lore.mode
            lore.requests.append((mode, self.command, self.path))
            if mode == "html":
                return self._send(200, {"Content-Type": "text/html"}, HTML)
            if mode == "junk":
                junk = (b"\x00junk" * (lore.junk_size // 5 + 1))[:lore.junk_size]
                return self._send(200, {"Content-Type": "application/gzip"}, junk)
            if mode == "trickle-headers":
                return self._trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
            path = self.path
            if lore.redirect is not None:
                old, new = (quote(m, safe="@!$&'()*+,;=:~-_") for m in lore.redirect)
                path = path.replace(old, new)
            status, headers, data = lore.forward(self.command, path, body)
            kept = {k: v for k, v in headers.items()
                    if k.lower() in ("content-type", "content-encoding", "date")}
            if mode == "truncate" and data[:2] == b"\x1f\x8b":
                data = data[:len(data) // 2]
            elif mode == "plain" and data[:2] == b"\x1f\x8b":
                data, kept["Content-Encoding"] = gzip.decompress(data), "gzip"
            if mode == "trickle":
                head = f"HTTP/1.1 {status} OK\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                self.wfile.write(head)
                self.wfile.flush()
                return self._trickle(data)
            self._send(status, kept, data)

        def _send(self, status: int, headers: dict, data: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _trickle(self, data: bytes) -> None:
            """One byte every `interval` seconds; ends with the data, at `trickle_for`
            seconds, when the client leaves or when the server stops."""
            waited = 0.0
            for i in range(len(data)):
                if lore.stopping.wait(lore.interval) or waited >= lore.trickle_for:
                    break
                waited += lore.interval
                try:
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                except OSError:
                    break
            self.close_connection = True

    return Handler
