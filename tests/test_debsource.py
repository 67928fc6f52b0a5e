"""The private apt configuration for linux-source-7.3 (demo/debsource.py): the mirror comes
from the machine's sources as they are written, and apt is pointed at lists of our own."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.demo.debsource import debian_mirror, private_options

DEB822 = """\
Types: deb
# a comment
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb deb-src
URIs: http://mirror.example/debian
  http://second.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: {keyring}
"""


def test_the_mirror_is_read_from_the_machines_sources(tmp_path: Path):
    etc = tmp_path / "etc"
    (etc / "sources.list.d").mkdir(parents=True)
    keyring = tmp_path / "keyring.gpg"
    keyring.write_text("")
    (etc / "sources.list.d" / "debian.sources").write_text(DEB822.format(keyring=keyring))
    assert debian_mirror(etc) == ("http://mirror.example/debian", str(keyring))
    home = tmp_path / "apt"
    options = private_options(home, "trixie-backports", etc)
    assert (home / "sources.list").read_text() == (
        f"deb [signed-by={keyring}] http://mirror.example/debian trixie-backports main\n")
    assert f"Dir::State::Lists={home / 'lists'}" in options
    assert "Dir::Etc::sourceparts=/dev/null" in options
    assert (home / "lists" / "partial").is_dir()


def test_one_line_sources_and_none_at_all(tmp_path: Path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "sources.list").write_text(
        "# old style\ndeb http://sec.example/debian-security bookworm-security main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n")
    assert debian_mirror(etc) == ("http://one.example/debian", "/k.gpg")
    (etc / "sources.list").write_text("")
    with pytest.raises(PatchpilotError, match="no Debian archive"):
        debian_mirror(etc)
