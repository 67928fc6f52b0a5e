"""Signing outgoing mail with patatt, as b4 does, when the user has a key for it.

b4 signs every message it sends with patatt (the X-Developer-Signature header lore checks)
unless told not to (`--no-sign`, `b4.send-no-patatt-sign`); without a key it refuses to send.
patatt finds the key in `patatt.signingkey`, else `user.signingkey` (OpenPGP, or SSH with
`gpg.format ssh`). patchpilot lets b4 sign when such a key is configured and b4 is not told
otherwise, and sends unsigned when there is none (where b4 would stop). The relay changes some
messages after b4 made them (the original Message-ID of a resumed send, --in-reply-to,
send.strip-trailers): a signed one is signed again as it goes out (`resign`), so the
signature holds. Never prints.
"""

from __future__ import annotations

import re

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo

_TRUE = ("yes", "true", "y", "on", "1")
_SIGNATURE = re.compile(rb"^X-Developer-(Signature|Key):.*(\r?\n[ \t].*)*\r?\n",
                        re.M | re.I)


def signing_key(repo: GitRepo) -> str | None:
    """The key b4 would sign with ("ed25519:name", "openpgp:KEYID"...), or None when b4 is
    told not to sign or no key is configured."""
    if (repo.config("b4.send-no-patatt-sign") or "").strip().lower() in _TRUE:
        return None
    key = (repo.config("patatt.signingkey") or "").strip()
    if key:
        return key
    user = (repo.config("user.signingkey") or "").strip()
    if not user:
        return None
    kind = "openssh" if (repo.config("gpg.format") or "").strip() == "ssh" else "openpgp"
    return f"{kind}:{user}"


def resign(data: bytes) -> bytes:
    """`data` signed again with patatt when b4 had signed it (else unchanged)."""
    if not _SIGNATURE.search(data):
        return data
    import patatt  # b4's own dependency; only a signed send needs it

    try:
        return bytes(patatt.rfc2822_sign(_SIGNATURE.sub(b"", data)))
    except (patatt.SigningError, patatt.NoKeyError) as exc:
        raise PatchpilotError(f"patatt could not sign the message again: {exc}",
                              hint="check patatt.signingkey; or git config "
                                   "b4.send-no-patatt-sign yes to send unsigned") from exc
