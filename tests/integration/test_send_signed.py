"""Signing as b4 does: with a patatt key configured (a real `patatt genkey`), patchpilot lets
b4 sign every message, and a message the relay changes after b4 signed it (trailers stripped)
is signed again; each one that reaches the real SMTP server validates with patatt. Without a
key, mail goes out unsigned (b4 alone would refuse), and the pre-flight says which it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import patatt

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send import preflight
from patchpilot.core.series.model import load_series
from tests.helpers import git
from tests.integration.test_send import SEND, point_at, run
from tests.integration.test_send_extras import tagged_series
from tests.smtp import SmtpServer


def genkey(tree) -> Path:
    """A real ed25519 patatt key in the test's own XDG data dir, configured as patatt says."""
    patatt_bin = Path(sys.executable).with_name("patatt")
    proc = subprocess.run([str(patatt_bin), "genkey", "-n", "pilot"], cwd=tree,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    git(tree, "config", "--global", "patatt.signingkey", "ed25519:pilot")
    git(tree, "config", "--global", "patatt.selector", "pilot")
    return Path(os.environ["XDG_DATA_HOME"]) / "patatt" / "public"


def send_all(tree) -> list[bytes]:
    with SmtpServer() as smtp:
        point_at(tree, smtp)
        code, _, err = run(tree, *SEND)
        assert code == 0, err
        return [m.data for m in smtp.mailbox.messages]


def test_signed_with_patatt_when_a_key_is_configured(kernel_tree):
    tagged_series(kernel_tree)  # its patches lose Change-Id/Upstream-Status in the relay
    keyring = genkey(kernel_tree)
    lines = {ln.name: ln for ln in preflight.early_preflight(
        GitRepo(kernel_tree), load_series(GitRepo(kernel_tree)))}
    assert lines["signature"].detail.startswith("signed with patatt (ed25519:pilot)")
    mails = send_all(kernel_tree)
    assert len(mails) == 3
    for raw in mails:
        assert b"X-Developer-Signature:" in raw
        assert b"Change-Id:" not in raw  # changed by the relay after b4 signed it
        results = patatt.validate_message(raw, [str(keyring)])
        assert [r[0] for r in results] == [patatt.RES_VALID], results


def test_unsigned_without_a_key(kernel_tree):
    tagged_series(kernel_tree)
    lines = {ln.name: ln for ln in preflight.early_preflight(
        GitRepo(kernel_tree), load_series(GitRepo(kernel_tree)))}
    assert lines["signature"].detail.startswith("not signed: no patatt key")
    mails = send_all(kernel_tree)
    assert len(mails) == 3 and not any(b"X-Developer-Signature" in m for m in mails)
