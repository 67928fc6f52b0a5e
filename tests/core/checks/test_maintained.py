"""checkpatch.pl's get_maintainer.pl --status answers kept per MAINTAINERS (checks/maintained.py):
real checkpatch.pl and get_maintainer.pl from the slim tree, in-process CLI."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

from patchpilot.cli.main import main
from patchpilot.core.checks.maintained import obsolete_free
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


def test_files_no_obsolete_section_can_match_are_not_asked(kernel_tree, tmp_path, monkeypatch):
    """Only checkpatch's /obsolete/i test reads the answer: a file that no section saying
    "obsolete" can match is answered empty, with the same verdict, without get_maintainer.pl;
    the obsolete file is still asked, and found."""
    log = tmp_path / "asked"
    wrapper = tmp_path / "bin" / "perl"
    wrapper.parent.mkdir()
    wrapper.write_text("#!/bin/sh\ncase \"$1\" in */get_maintainer.pl) "
                       f"for a; do last=$a; done; echo \"$last\" >> {log};; esac\n"
                       f"exec {shutil.which('perl')} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    git(kernel_tree, "switch", "-q", "-c", "topic")
    commit(kernel_tree, {OBSOLETE_FILE: C_FILE}, "scsi: cxlflash: add a file")
    commit(kernel_tree, {SAMPLE: rust_sample("rust_minimal")}, "samples: rust: minimal: redo")
    assert obsolete(kernel_tree, "--no-cache") == {OBSOLETE_FILE}
    assert log.read_text().split() == [OBSOLETE_FILE]
    assert answers(kernel_tree) == []


def _tree(tmp_path: Path, maintainers: str, script: str = "") -> Path:
    tree = tmp_path / "linux"
    (tree / "scripts").mkdir(parents=True, exist_ok=True)
    (tree / "MAINTAINERS").write_text(maintainers)
    (tree / "scripts" / "get_maintainer.pl").write_text(
        script or '    if (!$has_ML && $status !~ /orphan|obsolete/i) {\n')
    return tree


SECTIONS = """\
Descriptions of section entries:
\tObsolete:\tOld code.

OLD DRIVER
M:\tSomeone <a@b.c>
S:\tObsolete
F:\tdrivers/old/
F:\tinclude/linux/old*.h
X:\tdrivers/old/keep.c

NEW DRIVER
S:\tMaintained
F:\tdrivers/new/
"""


def test_obsolete_free_reads_the_sections_and_gives_up_when_unsure(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    paths = ["drivers/new/a.rs", "drivers/old/b.c", "drivers/old/keep.c",
             "include/linux/older.h", "include/linux/new.h", "drivers/oldish.c"]
    tree = _tree(tmp_path, SECTIONS)
    assert obsolete_free(tree, paths) == ["drivers/new/a.rs", "include/linux/new.h",
                                          "drivers/oldish.c"]
    # Matching by regex (N:), a configuration, a mailmap or script text it does not know:
    # every file is asked.
    assert obsolete_free(_tree(tmp_path, SECTIONS + "N:\tnew\n"), paths) != []  # not obsolete
    assert obsolete_free(_tree(tmp_path, SECTIONS.replace("S:\tObsolete\n",
                                                          "S:\tObsolete\nN:\tnew\n")), paths) == []
    assert obsolete_free(_tree(tmp_path, SECTIONS.replace("X:\t", "N:\t")), paths) == []
    tree = _tree(tmp_path, SECTIONS, 'print "obsolete files follow\\n";\n')
    assert obsolete_free(tree, paths) == []
    tree = _tree(tmp_path, SECTIONS)
    (tree / ".mailmap").write_text("Obsolete Name <a@b.c>\n")
    assert obsolete_free(tree, paths) == []
    (tree / ".mailmap").unlink()
    (tree / ".get_maintainer.conf").write_text("--keywords-in-file\n")
    assert obsolete_free(tree, paths) == []
