"""Test isolation and the real-kernel test bed.

Every test runs with its own HOME, XDG dirs and global git config, so neither the developer's
setup nor b4's caches leak in. Kernel trees come from Debian's linux-source package, built once
and cached outside the repository (patchpilot.demo.kernelsrc); the deep-history tree (the slim tree
under DEEP_COMMITS synthetic commits, patchpilot.demo.deephistory) stands in for a real clone.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from patchpilot.core.build.toolchain import Toolchain
from patchpilot.demo import deephistory, kernelsrc, toolroot
from tests.buildbed import BuildBed
from tests.helpers import git

# Resolved before any test changes HOME/XDG, so the cache survives across tests and runs.
KERNEL_CACHE = kernelsrc.cache_root()
# Enough history to tell a bounded walk from a whole-history one, small enough to build in a few
# seconds on CI; the benchmarks use 300,000 (bench/common.py).
DEEP_COMMITS = 50_000
# rustup finds its toolchains through HOME unless these are set; keep the real ones so that
# rustfmt and clippy-driver still run under the isolated HOME.
RUST_HOMES = {var: os.environ.get(var) or str(Path.home() / default)
              for var, default in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo"))}


# A test that needs a real kernel tree (and so git, b4, checkpatch.pl ...) is an integration
# test; tests under tests/tui drive the app; the rest are unit tests (`make test-fast`).
REAL_TREE_FIXTURES = {"slim_template", "full_tree", "kernel_tree", "deep_tree", "rust_trees",
                      "build_bed"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/tui/" in item.nodeid or item.nodeid.startswith("tui/"):
            item.add_marker(pytest.mark.tui)
        elif REAL_TREE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True, scope="session")
def dev_null_survives():
    """A tool run with `-o /dev/null` (rustc does this) replaces the device with a file,
    breaking every later program on the machine; fail the run if anything did that."""
    yield
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode), "a test replaced /dev/null with a file"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("XDG_CACHE_HOME", ".cache"), ("XDG_CONFIG_HOME", ".config"),
                     ("XDG_DATA_HOME", ".local/share"), ("XDG_STATE_HOME", ".local/state")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Dev\n\temail = dev@example.org\n"
        "[init]\n\tdefaultBranch = master\n"
        "[sendemail]\n\tsmtpServer = 127.0.0.1\n\tsmtpServerPort = 9\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PATCHPILOT_KERNEL_CACHE", str(KERNEL_CACHE))
    for var, value in RUST_HOMES.items():
        if Path(value).exists():
            monkeypatch.setenv(var, value)
    for var in ("EDITOR", "VISUAL", "GIT_EDITOR", "PATCHPILOT_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def slim_template() -> Path:
    """The cached slim kernel tree; read-only."""
    return kernelsrc.slim_tree(KERNEL_CACHE)


@pytest.fixture(scope="session")
def full_tree() -> Path:
    """The cached full kernel tree (86k files); read-only."""
    return kernelsrc.full_tree(KERNEL_CACHE)


@pytest.fixture(scope="session")
def rust_trees() -> dict[str, Path]:
    """The cached rust trees of Linux 6.1, 6.12 and 7.3 (every `.rs` file with the files the
    rules read, and the slim tree's scripts); read-only."""
    return {release: kernelsrc.rust_tree(release, KERNEL_CACHE)
            for release in kernelsrc.RELEASES}


@pytest.fixture
def kernel_tree(slim_template, tmp_path) -> Path:
    """A private clone of the slim tree on branch master, ready for a test's own commits."""
    tree = kernelsrc.clone_tree(slim_template, tmp_path / "linux")
    git(tree, "branch", "--unset-upstream")
    return tree


@pytest.fixture(scope="session")
def build_bed() -> BuildBed:
    """What the build check's tests share: the Debian 13 tool root (made once, cached beside
    the kernel trees) as the build wrapper, and one build directory per kernel line, kept warm
    across tests and runs (a build holds its home's lock, so parallel tests wait their turn)."""
    root = toolroot.ensure_root(KERNEL_CACHE)
    return BuildBed(Toolchain(tuple(toolroot.wrapper_argv(root))), KERNEL_CACHE / "builds")


@pytest.fixture(scope="session")
def deep_template() -> Path:
    """The cached slim tree under DEEP_COMMITS synthetic commits; read-only."""
    return deephistory.deep_tree(DEEP_COMMITS, KERNEL_CACHE)


@pytest.fixture
def deep_tree(deep_template, tmp_path) -> Path:
    """A private clone of the deep-history tree on branch master (objects hard-linked, so it
    is cheap): for tests that must prove a behaviour on a real clone's depth of history."""
    tree = kernelsrc.clone_tree(deep_template, tmp_path / "deep-linux")
    git(tree, "branch", "--unset-upstream")
    return tree
