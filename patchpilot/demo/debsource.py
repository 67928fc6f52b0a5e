"""A private apt configuration for fetching a package from another Debian suite.

The machine's apt sources are never changed: the mirror is read at run time from the
machine's own sources (`/etc/apt/sources.list.d/*.sources`, else `/etc/apt/sources.list`),
and apt is pointed at a sources list, package lists and a cache of our own with `-o` options.
No host name is written here. No Textual here.
"""

from __future__ import annotations

import re
from pathlib import Path

from patchpilot.core.errors import PatchpilotError

APT_ETC = Path("/etc/apt")


def debian_mirror(etc: Path = APT_ETC) -> tuple[str, str | None]:
    """(URI, Signed-By keyring or None) of the machine's main Debian archive: the first
    source whose suites are not security suites."""
    for path in sorted((etc / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text(errors="replace")):
            fields = _deb822(stanza)
            if "deb" not in fields.get("types", "").split() or not fields.get("uris"):
                continue
            if all("security" in suite for suite in fields.get("suites", "").split()):
                continue
            return fields["uris"].split()[0], fields.get("signed-by")
    listing = etc / "sources.list"
    text = listing.read_text(errors="replace") if listing.is_file() else ""
    for line in text.splitlines():
        match = re.match(r"^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)", line.strip())
        if match and "security" not in match.group(3):
            signed = re.search(r"signed-by=(\S+)", match.group(1) or "")
            return match.group(2), signed.group(1) if signed else None
    raise PatchpilotError("no Debian archive in the machine's apt sources",
                          hint="/etc/apt/sources.list.d/*.sources or /etc/apt/sources.list "
                               "must name a Debian mirror")


def _deb822(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = ""
    for line in stanza.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line[0] in " \t" and key:
            fields[key] += " " + line.strip()
            continue
        key, _, value = line.partition(":")
        key = key.strip().lower()
        fields[key] = value.strip()
    return fields


def private_options(home: Path, suite: str, etc: Path = APT_ETC) -> list[str]:
    """apt-get options that read `suite main` of the machine's mirror from lists and a cache
    under `home` (created), and nothing of the machine's own sources."""
    uri, signed_by = debian_mirror(etc)
    for sub in ("lists/partial", "cache/archives/partial"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    option = f"[signed-by={signed_by}] " if signed_by and Path(signed_by).exists() else ""
    listing = home / "sources.list"
    listing.write_text(f"deb {option}{uri} {suite} main\n")
    return ["-o", f"Dir::Etc::sourcelist={listing}", "-o", "Dir::Etc::sourceparts=/dev/null",
            "-o", f"Dir::State::Lists={home / 'lists'}", "-o", f"Dir::Cache={home / 'cache'}"]
