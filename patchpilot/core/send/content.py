"""What a message says, as a fingerprint: so a resumed send skips only what really went out.

A retry skips the messages an earlier attempt delivered. It may only skip a message when the
one b4 makes now is the one that went out: the same subject and body (a digest of both, with
line ends and trailing blanks normalised, since b4's dry-run print and its real send differ
only there), and for a patch the same code (`git patch-id --stable` of the body). Headers
that change on every run (Date, Message-ID, X-B4-Tracking) are not part of it.
Standard library and git only; never prints.
"""

from __future__ import annotations

import email
import email.message
import hashlib
import subprocess
from email.header import decode_header, make_header
from pathlib import Path


def _subject(message: email.message.Message) -> str:
    value = message.get("Subject")
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError):
        text = str(value)
    return " ".join(text.split())


def _body(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) \
        else str(message.get_payload())
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def patch_id(body: str, cwd: Path | None = None) -> str:
    """`git patch-id --stable` of a patch's text ("" for a message without a diff)."""
    if "\ndiff --git " not in "\n" + body:
        return ""
    proc = subprocess.run(["git", "patch-id", "--stable"], input=body + "\n", cwd=cwd,
                          capture_output=True, text=True, check=False)
    words = proc.stdout.split()
    return words[0] if proc.returncode == 0 and words else ""


def fingerprint(raw: bytes, cwd: Path | None = None) -> dict[str, str]:
    """{"digest": ..., "patch_id": ...} of one message as b4 makes it."""
    message = email.message_from_bytes(raw)
    subject, body = _subject(message), _body(message)
    digest = hashlib.sha256(f"{subject}\n\n{body}".encode()).hexdigest()
    return {"digest": digest, "patch_id": patch_id(body, cwd)}


def difference(sent: dict[str, object], now: dict[str, str]) -> str | None:
    """How the message b4 makes now differs from the one that went out (None: it does not)."""
    if not isinstance(sent.get("digest"), str) or not sent.get("digest"):
        return "the earlier attempt did not record what it sent"
    if sent["digest"] == now["digest"]:
        return None
    before, after = str(sent.get("patch_id") or ""), now.get("patch_id") or ""
    if before != after:
        return (f"its code changed (patch-id {before[:12] or 'none'} then, "
                f"{after[:12] or 'none'} now)")
    return "its subject or text changed"
