"""checkpatch.pl's get_maintainer.pl --status answers kept per MAINTAINERS (checks/maintained.py):
real checkpatch.pl and get_maintainer.pl from the slim tree, in-process CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

from patchpilot.cli.main import main
from tests.helpers import commit, git, rust_sample

OBSOLETE_FILE = "drivers/scsi/cxlflash/pilot.c"  # MAINTAINERS: CXLFLASH, S: Obsolete
SAMPLE = "samples/rust/rust_minimal.rs"
C_FILE = "// SPDX-License-Identifier: GPL-2.0\n\nstatic int pilot;\n"


def obsolete(tree: Path, *extra: str) -> set[str]:
    """Files checkpatch calls obsolete in the series master..HEAD."""
    out = io.StringIO()
    main(["-C", str(tree), "check", "master..", "--tool", "checkpatch", "--json", *extra],
         stdout=out, stderr=io.StringIO())
    found = json.loads(out.getvalue())["findings"]
    return {f["message"].split()[0] for f in found if f["rule"] == "OBSOLETE"}


def root(tree: Path) -> Path:
    return tree / ".git" / "patchpilot" / "maintained-status"


def answers(tree: Path) -> list[Path]:
    return sorted(p for p in root(tree).rglob("*") if p.is_file()) if root(tree).is_dir() else []


def test_answers_are_kept_and_used_per_maintainers(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "topic")
    commit(kernel_tree, {OBSOLETE_FILE: C_FILE}, "scsi: cxlflash: add a file")
    commit(kernel_tree, {SAMPLE: rust_sample("rust_minimal")}, "samples: rust: minimal: redo")
    assert obsolete(kernel_tree, "--no-cache") == {OBSOLETE_FILE}
    assert answers(kernel_tree) == []  # --no-cache asks get_maintainer.pl afresh, keeps none
    assert obsolete(kernel_tree) == {OBSOLETE_FILE}
    kept = {p.name: p for p in answers(kernel_tree)}
    assert set(kept) == {"pilot.c", "rust_minimal.rs"} and "Obsolete" in kept["pilot.c"].read_text()
    # A changed answer shows that checkpatch reads the kept one, not get_maintainer.pl.
    kept["rust_minimal.rs"].write_text("S: Obsolete (kept answer)\n")
    git(kernel_tree, "commit", "-q", "--amend", "-m", "samples: rust: minimal: redo it")
    assert obsolete(kernel_tree) == {OBSOLETE_FILE, SAMPLE}
    assert obsolete(kernel_tree, "--no-cache") == {OBSOLETE_FILE}
    # Another MAINTAINERS is another set of answers.
    maintainers = kernel_tree / "MAINTAINERS"
    maintainers.write_text(maintainers.read_text() + "\n")
    git(kernel_tree, "commit", "-q", "-a", "--amend", "-m", "samples: rust: minimal: redo 2")
    assert obsolete(kernel_tree) == {OBSOLETE_FILE}
    assert len({p.relative_to(root(kernel_tree)).parts[0] for p in answers(kernel_tree)}) == 2
