"""A Debian 13 (trixie) root holding a kernel Rust toolchain, for machines whose own packages
cannot build a Rust kernel (Debian 12: bindgen 0.60, clang 16, no rust-src).

Made once with debootstrap from the mirror the machine's own apt sources name (read at run time,
see debsource.py), then cached beside the kernel trees. `wrapper_argv(root)` is the command
prefix that runs a build inside it (`patchpilot.demo.inroot`): the build's directories are
bind-mounted at their own paths in a private mount namespace, and nothing of the host's
toolchain is on the PATH. On a Debian 13 machine the same packages install directly and no root
is needed. No Textual here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.demo import debsource, kernelsrc

SUITE = "trixie"
# What Documentation/rust/quick-start.rst and kunit.py need, at trixie's versions (rustc and
# rust-src 1.85, bindgen 0.71, LLVM 19: exactly 7.3's minimums), plus QEMU for kunit.py.
PACKAGES = [
    "rustc", "rust-src", "rust-clippy", "rustfmt", "bindgen", "clang", "lld", "llvm",
    "make", "flex", "bison", "bc", "libelf-dev", "libssl-dev", "cpio", "python3", "kmod",
    "xz-utils", "qemu-system-x86",
]
STAMP = "patchpilot-toolroot"


def root_path(cache: Path | None = None) -> Path:
    return (cache or kernelsrc.cache_root()) / f"toolroot-{SUITE}"


def wrapper_argv(root: Path) -> list[str]:
    """The build-wrapper prefix that runs a command inside `root`."""
    return [sys.executable, "-m", "patchpilot.demo.inroot", str(root)]


def ensure_root(cache: Path | None = None) -> Path:
    """The cached trixie root, made on first use (a few minutes and about 2 GB)."""
    cache = cache or kernelsrc.cache_root()
    root = root_path(cache)
    with kernelsrc.locked(cache, root.name):
        stamp = root / STAMP
        if stamp.exists():
            had = stamp.read_text().split()
            if [p for p in PACKAGES if p not in had]:  # a root made before a package was added
                _in_root(root, ["apt-get", "update", "-q"])
                _in_root(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                                *PACKAGES])
                _in_root(root, ["apt-get", "clean"])
                stamp.write_text(" ".join(PACKAGES) + "\n")
            return root
        for tool in ("debootstrap", "unshare", "chroot"):
            if not shutil.which(tool):
                raise PatchpilotError(f"{tool} is not installed; it makes the Debian 13 root",
                                      hint="apt-get install debootstrap util-linux coreutils")
        uri, _ = debsource.debian_mirror()
        partial = root.with_name(root.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        _run(["debootstrap", "--variant=minbase", SUITE, str(partial), uri])
        _in_root(partial, ["apt-get", "update", "-q"])
        _in_root(partial, ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                           *PACKAGES])
        _in_root(partial, ["apt-get", "clean"])
        (partial / STAMP).write_text(" ".join(PACKAGES) + "\n")
        shutil.rmtree(root, ignore_errors=True)
        partial.rename(root)
        return root


def _in_root(root: Path, argv: list[str]) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
           "LC_ALL": "C"}
    _run(["chroot", str(root), *argv], env=env)


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env=env if env is not None else dict(os.environ))
    if proc.returncode != 0:
        raise PatchpilotError(f"{Path(argv[0]).name} {argv[1]} failed: "
                              f"{(proc.stderr or proc.stdout).strip()[-400:]}",
                              hint="check the network to the Debian archive and the free disk")


if __name__ == "__main__":
    print(ensure_root())
