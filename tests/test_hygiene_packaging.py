"""Core and CLI import without Textual; the wheel carries the shipped config and styles."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_and_cli_import_without_textual():
    code = ("import sys, pkgutil, importlib, patchpilot.core, patchpilot.cli.main\n"
            "for m in pkgutil.walk_packages(patchpilot.core.__path__, 'patchpilot.core.'):\n"
            "    importlib.import_module(m.name)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_wheel_carries_config_and_loads_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("patchpilot-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "patchpilot/_config/defaults.toml" in names
    assert "patchpilot/tui/app.tcss" in names
    sources = {str(p.relative_to(ROOT)) for p in (ROOT / "patchpilot").rglob("*.py")
               if "_config" not in p.parts}
    assert sources <= names, sources - names
    # Load the defaults from the wheel alone (-S: no .pth, so no editable install).
    site = sysconfig.get_paths()["purelib"]
    code = (f"import sys; sys.path[:0] = [{str(wheel)!r}, {site!r}]\n"
            "import patchpilot; assert patchpilot.__file__.startswith(sys.path[0]), "
            "patchpilot.__file__\n"
            "from patchpilot.core.config import shipped_defaults\n"
            "print(shipped_defaults()['ui']['theme'])\n")
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    shipped = tomllib.loads((ROOT / "config" / "defaults.toml").read_text())
    assert proc.stdout.strip() == shipped["ui"]["theme"]


def test_a_command_imports_only_what_it_needs():
    """`patchpilot series` must not pay for the HTTP stack or the Rust parser at start-up."""
    code = ("import io, sys\nfrom patchpilot.cli.main import main\n"
            "main(['series', '--help'], stdout=io.StringIO(), stderr=io.StringIO())\n"
            "heavy = [m for m in ('requests', 'tree_sitter', 'tree_sitter_rust', 'sqlite3',"
            " 'textual') if m in sys.modules]\nprint(heavy); sys.exit(1 if heavy else 0)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

