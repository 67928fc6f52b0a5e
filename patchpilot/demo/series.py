"""The demo: a slim real kernel tree with two small Rust series on b4 branches.

Built once under the XDG cache dir and reused; `make run` opens patchpilot on it. The series are
made with real git commits and real b4 (`b4 prep -n`, `--edit-cover`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.paths import cache_dir
from patchpilot.demo import kernelsrc
from patchpilot.demo.content import COVER, PATCHES, PHY_COVER, PHY_PATCHES

IDENTITY = {"user.name": "Demo Developer", "user.email": "demo@example.org",
            "sendemail.smtpServer": "127.0.0.1", "sendemail.smtpServerPort": "2525"}


def _git(tree: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=tree, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise PatchpilotError(f"git {args[0]} failed in the demo tree: {proc.stderr.strip()}",
                              hint="remove the demo tree and run make run again")
    return proc.stdout


def _apply(tree: Path, patch: dict[str, Any]) -> None:
    for name, text in patch["files"].items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text(path.read_text()) if callable(text) else text)
        _git(tree, "add", name)
    _git(tree, "commit", "-q", "-s", "-m", patch["message"])


def _cover(tree: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".cover", delete=False) as tmp:
        tmp.write(text)
    try:
        b4cli.run(b4cli.prep_edit_cover(), cwd=tree, editor=f"cp {tmp.name}")
    finally:
        os.unlink(tmp.name)


def _series(tree: Path, name: str, cover: str, patches: list[dict[str, Any]]) -> None:
    b4cli.run(b4cli.prep_new(name, "master"), cwd=tree)
    for patch in patches:
        _apply(tree, patch)
    _cover(tree, cover)


def build_demo(dest: Path) -> Path:
    """Make the demo tree at `dest` (which must not exist)."""
    kernelsrc.clone_tree(kernelsrc.slim_tree(), dest)
    _git(dest, "branch", "--unset-upstream")
    for key, value in IDENTITY.items():
        _git(dest, "config", key, value)
    _series(dest, "rust-phy-docs", PHY_COVER, PHY_PATCHES)
    _series(dest, "rust-pilot-sample", COVER, PATCHES)
    return dest


def demo_tree() -> Path:
    """The cached demo tree, built on first use."""
    dest = cache_dir() / "demo" / "linux"
    if (dest / ".git" / "patchpilot-demo").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    build_demo(dest)
    (dest / ".git" / "patchpilot-demo").write_text("ok\n")
    return dest
