"""Small helpers for tests that build their own series on a real kernel tree."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path


def git(tree: Path, *args: str, input: str | None = None) -> str:
    """Run git in `tree` and return its stdout (raises on failure)."""
    proc = subprocess.run(["git", *args], cwd=tree, capture_output=True, text=True,
                          input=input, stdin=None if input is not None else subprocess.DEVNULL)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def commit(tree: Path, files: dict[str, str | None], message: str) -> str:
    """Write (or delete, for None) files and commit them; return the new commit id."""
    for name, text in files.items():
        path = tree / name
        if text is None:
            git(tree, "rm", "-q", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(tree, "add", name)
    git(tree, "commit", "-q", "-s", "-m", message)
    return git(tree, "rev-parse", "HEAD").strip()


RUST_SAMPLE = """\
// SPDX-License-Identifier: GPL-2.0

//! Rust {name} sample.

use kernel::prelude::*;

module! {{
    type: {camel},
    name: "{name}",
    author: "Test Dev",
    description: "Rust {name} sample",
    license: "GPL",
}}

struct {camel};

impl kernel::Module for {camel} {{
    fn init(_module: &'static ThisModule) -> Result<Self> {{
        pr_info!("Rust {name} sample (init)\\n");
        Ok({camel})
    }}
}}
"""


def rust_sample(name: str) -> str:
    """The text of a small, clean Rust sample module called `name`."""
    camel = "".join(part.capitalize() for part in name.split("_"))
    return RUST_SAMPLE.format(name=name, camel=camel)


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[Path]:
    """`directory` made read-only for everyone, root included (a read-only bind mount of
    itself: chmod does not stop root, which the tests run as), for the block's duration."""
    def mount(*args: str) -> None:
        proc = subprocess.run(["mount", *args], capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"mount {' '.join(args)} failed ({proc.stderr.strip()}): "
                                 "these tests need root and mount(8), as in CI")

    mount("--bind", str(directory), str(directory))
    try:
        mount("-o", "remount,bind,ro", str(directory), str(directory))
        yield directory
    finally:  # lazily when a file is still open in it (a test that failed halfway)
        if subprocess.run(["umount", str(directory)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(directory)], check=True)
