"""Build real kernel git trees from Debian's linux-source package.

The package is fetched with `apt-get download` (the only network this needs), unpacked with
`dpkg -x`, and turned into git trees that are built once and cached:

- a *slim* tree (MAINTAINERS, scripts/, rust/, the Rust samples and drivers, the files
  get_maintainer.pl needs to accept a top directory) for most tests and the demo;
- the *full* tree, for parity sweeps and benchmarks;
- a *rust* tree per release (6.1, 6.12, 7.3): every `.rs` file with the Makefiles, Kconfig and
  headers the Rust rules read, beside the slim tree's files, for the false-alarm sweeps and
  the add-back series.

6.12 and 6.1 come from the machine's apt sources (Debian 12); 7.3 from trixie-backports through
a private apt configuration (debsource.py) that leaves the machine's sources alone.
Callers copy a cached tree with `clone_tree` before they change it. No Textual here.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.demo import debsource

PACKAGE = "linux-source-6.12"
DEFAULT_RELEASE = "6.12"
# Releases and the suite each comes from (None: the machine's own apt sources).
RELEASES = {"6.1": None, "6.12": None, "7.3": "trixie-backports"}
# Where a release the machine's own sources may lack is found (Debian 13 has no 6.1).
ELSEWHERE = {"6.1": "bookworm", "6.12": "trixie"}

# Paths (tar globs) a slim tree keeps, relative to the tree's top directory.
SLIM_MEMBERS = [
    "MAINTAINERS", "scripts", "rust", "samples/rust", "Documentation/rust",
    "Documentation/process/submitting-patches.rst", "LICENSES", ".rustfmt.toml",
    ".clippy.toml", ".mailmap", ".get_maintainer.ignore", ".gitignore", "COPYING", "CREDITS",
    "Kbuild", "Makefile", "README", "drivers/block/rnull.rs", "drivers/net/phy/*.rs",
    "drivers/net/phy/Kconfig", "drivers/net/phy/Makefile", "include/linux/phy.h",
    "arch/Kconfig", "fs/Kconfig", "init/Kconfig", "ipc/Makefile", "kernel/Makefile",
    "lib/Kconfig",
]
# What a rust tree adds to the slim members: the Rust sources and what the rules read beside
# them (per-directory Makefiles and Kbuild files, the licence strings, module.h).
RUST_MEMBERS = ["*.rs", "*/Makefile", "*/Kbuild", "*/Kconfig", "include/linux/license.h",
                "include/linux/module.h"]

# Fixed identity and dates, so that every build of a tree has the same commit ids.
_BASE_ENV = {
    "GIT_AUTHOR_NAME": "Debian linux-source",
    "GIT_AUTHOR_EMAIL": "linux-source@debian.invalid",
    "GIT_COMMITTER_NAME": "Debian linux-source",
    "GIT_COMMITTER_EMAIL": "linux-source@debian.invalid",
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
}


def cache_root() -> Path:
    """Where fetched packages and built trees live (outside any repository)."""
    if os.environ.get("PATCHPILOT_KERNEL_CACHE"):
        return Path(os.environ["PATCHPILOT_KERNEL_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "patchpilot" / "kernel"


@contextmanager
def locked(cache: Path, name: str) -> Iterator[None]:
    """Serialise builders (parallel tests, helpers) on one lock file per artefact."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise PatchpilotError(
            f"{argv[0]} failed: {proc.stderr.strip()[-400:]}",
            hint="check the network to the Debian archive and the free disk space",
        )
    return proc.stdout


def release_dir(cache: Path, release: str) -> Path:
    """Where a release's .deb and unpacked tarball live (6.12 at the top, where it always
    has been, so that older checkouts sharing the cache keep finding it)."""
    if release not in RELEASES:
        raise PatchpilotError(f"unknown kernel release {release!r}",
                              hint="one of: " + ", ".join(RELEASES))
    return cache if release == DEFAULT_RELEASE else cache / f"linux-{release}"


def source_tarball(cache: Path | None = None, release: str = DEFAULT_RELEASE) -> Path:
    """The linux-source tarball of `release`, downloading and unpacking the .deb on first
    use."""
    cache = cache or cache_root()
    home = release_dir(cache, release)
    package = f"linux-source-{release}"
    with locked(cache, "deb" if release == DEFAULT_RELEASE else f"deb-{release}"):
        home.mkdir(parents=True, exist_ok=True)
        found = sorted(home.glob(f"x/usr/src/{package}.tar.xz"))
        if found:
            return found[-1]
        debs = sorted(home.glob(f"{package}_*.deb"))
        if not debs:
            if not shutil.which("apt-get"):
                raise PatchpilotError("apt-get is not available to fetch linux-source",
                                      hint="run on Debian, or set TREE=/path/to/linux")
            _download(home, package, release)
            debs = sorted(home.glob(f"{package}_*.deb"))
        _run(["dpkg", "-x", str(debs[-1]), str(home / "x")])
        return sorted(home.glob(f"x/usr/src/{package}.tar.xz"))[-1]


def _download(home: Path, package: str, release: str) -> None:
    """apt-get download from the suite RELEASES names (a private configuration), else from
    the machine's own sources, and where those lack it (6.1 on a Debian 13 machine) from the
    suite that still carries it."""
    suite = RELEASES[release]
    if suite is None:
        try:
            _run(["apt-get", "download", package], cwd=home)
            return
        except PatchpilotError:
            suite = ELSEWHERE.get(release)
            if suite is None:
                raise
    options = debsource.private_options(home / "apt", suite)
    _run(["apt-get", *options, "update"], cwd=home)
    _run(["apt-get", *options, "download", package], cwd=home)


def _strip_debian_ignore(top: Path) -> None:
    """Debian's .gitignore ends by ignoring the whole top level; drop that block."""
    path = top / ".gitignore"
    if not path.exists():
        return
    lines = path.read_text().splitlines()
    if "/*" in lines:
        cut = lines.index("/*")
        while cut > 0 and lines[cut - 1].startswith("#"):
            cut -= 1
        path.write_text("\n".join(lines[:cut]).rstrip() + "\n")


def _commit_all(top: Path) -> None:
    _run(["git", "init", "-q", "-b", "master", str(top)])
    _run(["git", "add", "-A", "-f", "."], cwd=top)
    _run(["git", "commit", "-q", "--no-verify", "-m", f"Linux {_version(top)}"],
         cwd=top, env=_BASE_ENV)


def _version(top: Path) -> str:
    fields = {}
    for line in (top / "Makefile").read_text().splitlines()[:6]:
        key, _, value = line.partition("=")
        fields[key.strip()] = value.strip()
    return f"{fields.get('VERSION')}.{fields.get('PATCHLEVEL')}.{fields.get('SUBLEVEL')}"


def _build(cache: Path, name: str, members: list[str] | None,
           release: str = DEFAULT_RELEASE) -> Path:
    dest = cache / name
    with locked(cache, name):
        if (dest / ".git" / "patchpilot-built").exists():
            return dest
        tarball = source_tarball(cache, release)
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        prefix = tarball.name.removesuffix(".tar.xz")
        argv = ["tar", "-xJf", str(tarball), "-C", str(dest), "--strip-components=1"]
        if members is not None:
            argv += ["--wildcards"] + [f"{prefix}/{m}" for m in members]
        _extract(argv, partial=name != "slim")
        _strip_debian_ignore(dest)
        _commit_all(dest)
        (dest / ".git" / "patchpilot-built").write_text("ok\n")
        return dest


def _extract(argv: list[str], partial: bool) -> None:
    """Run tar; with `partial`, members another release lacks (6.1 has no Rust PHY drivers)
    are no error, anything else is."""
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    other = [line for line in proc.stderr.splitlines()
             if not (partial and "Not found in archive" in line)
             and not line.startswith("tar: Exiting with failure status")]
    if proc.returncode != 0 and (other or not partial):
        raise PatchpilotError(f"tar failed: {proc.stderr.strip()[-400:]}",
                              hint="check the free disk space")


def slim_tree(cache: Path | None = None) -> Path:
    """A cached slim kernel tree (a git repository with one commit); do not modify it."""
    return _build(cache or cache_root(), "slim", SLIM_MEMBERS)


def full_tree(cache: Path | None = None, release: str = DEFAULT_RELEASE) -> Path:
    """The cached full kernel tree of `release` (about 1.5 GB); do not modify it."""
    cache = cache or cache_root()
    release_dir(cache, release)
    name = "full" if release == DEFAULT_RELEASE else f"full-{release}"
    return _build(cache, name, None, release)


def rust_tree(release: str = DEFAULT_RELEASE, cache: Path | None = None) -> Path:
    """A cached tree of `release` with every `.rs` file, the files the Rust rules read and
    the slim tree's (checkpatch.pl, get_maintainer.pl, MAINTAINERS); do not modify it."""
    cache = cache or cache_root()
    release_dir(cache, release)
    return _build(cache, f"rust-{release}", SLIM_MEMBERS + RUST_MEMBERS, release)


def clone_tree(template: Path, dest: Path) -> Path:
    """A private, writable copy of a cached tree (objects shared through hard links)."""
    _run(["git", "clone", "-q", "--local", str(template), str(dest)])
    return dest
