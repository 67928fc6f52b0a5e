"""The import structure is a contract: layers point down only (pyproject's import-linter
contracts) and no two modules import each other, directly or through others."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def test_import_layers_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_no_import_cycles():
    """Run-time imports only: an annotation may name a type from above (the screens name the
    app's class under TYPE_CHECKING), which creates no arrow at run time."""
    graph = grimp.build_graph("patchpilot", exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                cycles.append((module, *back))
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The contract is not vacuous: a copy of the package with git importing send breaks it."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "patchpilot", copy / "patchpilot", symlinks=True)
    repo = copy / "patchpilot" / "core" / "git" / "repo.py"
    repo.write_text(repo.read_text() + "\nfrom patchpilot.core.send import flow  # noqa\n")
    (copy / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=copy, capture_output=True, text=True,
                          env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "patchpilot.core.git is not allowed to import patchpilot.core.send" in proc.stdout
