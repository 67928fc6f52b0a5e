"""A real public-inbox server (Debian's public-inbox, the software lore runs) on loopback.

`with PublicInbox(tmp_path) as inbox:` creates a v2 inbox indexed with `-L full` (phrase
searches such as `nq:"change-id: ..."` need positions), serves it with public-inbox-httpd on
127.0.0.1 and a free port, and delivers messages with public-inbox-mda, as a list would.
A machine without it fails with how to install it (make test installs it first).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from email.utils import formatdate
from pathlib import Path

from tests.smtp import free_port

TOOLS = ("public-inbox-init", "public-inbox-mda", "public-inbox-httpd", "public-inbox-index")
INSTALL = "apt-get install public-inbox libsearch-xapian-perl"


def require_public_inbox() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise AssertionError(f"{', '.join(missing)} not found: run `{INSTALL}`")


# public-inbox-mda's delivery (lookup by recipient, list headers, the inbox's importer) for a
# batch of length-framed messages.
_IMPORT_MANY = r"""
use strict; use PublicInbox::Eml; use PublicInbox::MDA; use PublicInbox::Config;
use PublicInbox::InboxWritable;
my $ibx = PublicInbox::Config->new->lookup($ENV{ORIGINAL_RECIPIENT}) or die "no inbox\n";
$ibx = PublicInbox::InboxWritable->new($ibx);
$ibx->{-no_fsync} = 1;
my $im = $ibx->importer(0);
binmode STDIN;
my $all = do { local $/; <STDIN> };
while (length $all) {
    $all =~ s/\A(\d+)\n// or die "bad framing\n";
    my $raw = substr($all, 0, $1, '');
    my $eml = PublicInbox::Eml->new(\$raw);
    PublicInbox::MDA->set_list_headers($eml, $ibx);
    $im->add($eml);
}
$im->done;
"""


class PublicInbox:
    """A public-inbox inbox and its HTTP server; `base` is what b4.midmask points at."""

    def __init__(self, root: Path, name: str = "test", address: str = "list@example.org"):
        require_public_inbox()
        self.root, self.name, self.address = Path(root), name, address
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/{name}"
        self.env = dict(os.environ, PI_CONFIG=str(self.root / "pi-config"))
        self._httpd: subprocess.Popen | None = None

    def _run(self, *argv: str, stdin: bytes | None = None, env: dict | None = None) -> None:
        proc = subprocess.run(argv, input=stdin, capture_output=True, env=env or self.env,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
        if proc.returncode != 0:
            raise AssertionError(f"{argv[0]} failed: {proc.stderr.decode(errors='replace')}")

    def __enter__(self) -> PublicInbox:
        self.root.mkdir(parents=True, exist_ok=True)
        self._run("public-inbox-init", "-V2", "-L", "full", self.name,
                  str(self.root / self.name), self.base, self.address)
        self._run("git", "config", "-f", self.env["PI_CONFIG"],
                  "publicinboxmda.spamcheck", "none")
        # lore mirrors lists and keeps what they carried (HTML too); mda's default filter
        # would reject HTML-only mail.
        self._run("git", "config", "-f", self.env["PI_CONFIG"],
                  f"publicinbox.{self.name}.filter", "PublicInbox::Filter::Mirror")
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def deliver(self, raw: bytes, received: float | None = None) -> None:
        """Deliver one message to the list, as the mail system would: with a Received:
        header stamped now, or at `received` (a Unix time), public-inbox's received time (the
        `rt:` of searches). An older stamp is a message the archive indexes late: filed
        under its Received: time, but indexed only now."""
        env = dict(self.env, ORIGINAL_RECIPIENT=self.address)
        stamp = f"Received: from localhost by 127.0.0.1; {formatdate(received)}\n".encode()
        self._run("public-inbox-mda", "--no-precheck", stdin=stamp + raw, env=env)

    def deliver_many(self, raws: list[bytes]) -> None:
        """Deliver messages as deliver() does, in one public-inbox process (its own importer,
        without fsync: a test's inbox need not survive a power cut), for tests that fill
        a thread with many replies at once."""
        stamp = f"Received: from localhost by 127.0.0.1; {formatdate()}\n".encode()
        framed = b"".join(b"%d\n" % len(stamp + raw) + stamp + raw for raw in raws)
        env = dict(self.env, ORIGINAL_RECIPIENT=self.address)
        self._run("perl", "-e", _IMPORT_MANY, stdin=framed, env=env)

    def start(self) -> None:
        log = open(self.root / "httpd.log", "ab")
        self._httpd = subprocess.Popen(
            ["public-inbox-httpd", "-W0", "-l", f"127.0.0.1:{self.port}"], env=self.env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._httpd.poll() is not None:
                raise AssertionError("public-inbox-httpd exited: "
                                     + (self.root / "httpd.log").read_text(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("public-inbox-httpd did not start listening")

    def stop(self) -> None:
        if self._httpd is not None and self._httpd.poll() is None:
            self._httpd.terminate()
            try:
                self._httpd.wait(10)
            except subprocess.TimeoutExpired:
                self._httpd.kill()
                self._httpd.wait()
        self._httpd = None
