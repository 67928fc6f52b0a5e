"""b4 and the library chain under it, as installed: the versions patchpilot pins, b4's lore
lookups and the b4 commands patchpilot runs with DeprecationWarning turned into an error
(liblore 0.10 deprecates calls b4 0.16.0 still makes), and what b4 does with a silent SMTP
server (the README's claim, true for 0.16.0 and kept true for 0.16.1's b4.smtp-timeout).
"""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from patchpilot.core.b4 import cli as b4cli
from tests.helpers import commit, git, rust_sample
from tests.integration.test_prerequisites import post, set_deps
from tests.integration.test_send import run
from tests.publicinbox import PublicInbox
from tests.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
WARNINGS_AS_ERRORS = "error::DeprecationWarning"
# b4's own faces patchpilot never starts (`b4 review`, `b4 bugs`, the TUIs)
NOT_RUN = ("review", "review_tui", "tui", "bugs")

LORE_PATHS = """
import sys, warnings
warnings.simplefilter("error", DeprecationWarning)
import b4, b4.command, liblore
b4.setup_config(b4.command.setup_parser().parse_args(["prep", "--show-info"]))
node = b4.get_lore_node()
assert isinstance(node, liblore.LoreNode)
series = b4.get_series_by_change_id(sys.argv[1], nocache=True)
thread = b4.get_pi_thread_by_msgid(sys.argv[2], nocache=True)
by_patch = b4.get_msgs_by_patch_id("0" * 40, nocache=True)
print(sorted(series.series), len(series.series[1].patches), len(thread), by_patch)
"""


def pinned(name: str) -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return next(Requirement(r) for r in project["dependencies"] if Requirement(r).name == name)


def test_installed_b4_and_liblore_are_within_the_pins():
    for name in ("b4", "liblore"):
        installed = importlib.metadata.version(name)
        assert pinned(name).specifier.contains(installed), (name, installed)
    assert pinned("liblore").specifier.contains("0.10.1")
    assert not pinned("liblore").specifier.contains("0.11.0")
    # b4 itself bounds liblore from below only: the upper bound is ours to keep
    b4_wants = [Requirement(r) for r in importlib.metadata.requires("b4") or []]
    liblore = next(r for r in b4_wants if r.name == "liblore")
    assert liblore.specifier.contains("99.0"), liblore


def _deprecated_in_liblore() -> set[str]:
    """Names of liblore functions and methods that warn DeprecationWarning when called."""
    package = Path(importlib.metadata.distribution("liblore").locate_file("liblore"))
    found = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and "DeprecationWarning" in ast.unparse(node):
                found.add(node.name)
    return found


def _calls_in_b4(names: set[str], skip: tuple[str, ...]) -> dict[str, list[str]]:
    package = Path(importlib.metadata.distribution("b4").locate_file("b4"))
    found: dict[str, list[str]] = {}
    for path in package.rglob("*.py"):
        if path.relative_to(package).parts[0] in skip:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in names:
                found.setdefault(str(path.relative_to(package)), []).append(node.func.attr)
    return found


def test_b4_calls_deprecated_liblore_only_where_patchpilot_never_goes():
    deprecated = _deprecated_in_liblore()
    assert {"cancel", "reset_cancel"} <= deprecated  # what liblore 0.10 deprecates
    everywhere = _calls_in_b4(deprecated, ())
    assert everywhere, "b4 no longer calls deprecated liblore API: the pin may be relaxed"
    assert _calls_in_b4(deprecated, NOT_RUN) == {}, everywhere


def test_b4_lore_paths_and_commands_with_deprecations_as_errors(kernel_tree, tmp_path,
                                                                monkeypatch):
    tree = kernel_tree
    with PublicInbox(tmp_path / "pi") as inbox:
        git(tree, "config", "b4.midmask", f"{inbox.base}/%s")
        dep, cover, _ = post(tree, inbox, "dep", ["rust_dep"])
        proc = subprocess.run([sys.executable, "-W", WARNINGS_AS_ERRORS, "-c", LORE_PATHS,
                               dep, cover], cwd=tree, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=300)
        assert proc.returncode == 0, proc.stderr
        # one patch, mailed without a cover: b4 keeps a slot for it, the thread is the patch
        assert proc.stdout.split()[:3] == ["[1]", "2", "1"], proc.stdout

        monkeypatch.setenv("PYTHONWARNINGS", WARNINGS_AS_ERRORS)  # every b4 run below
        git(tree, "switch", "-q", "master")
        code, _, err = run(tree, "new", "user", "--fork-point", "master")
        assert code == 0, err
        commit(tree, {"samples/rust/rust_user.rs": rust_sample("rust_user")},
               "samples: rust: add the user sample")
        set_deps(tree, [f"change-id: {dep}:v1", "base-commit: master"])
        checked = b4cli.run(["prep", "--check-deps"], cwd=tree, check=False)
        assert checked.returncode == 0 and "Traceback" not in checked.stderr, checked.stderr
        assert f"change-id: {dep}:v1" in checked.stderr
        for argv in (["--version"], b4cli.prep_show_info(), b4cli.send(dry_run=True)):
            result = b4cli.run(argv, cwd=tree, check=False)
            assert result.returncode == 0, (argv, result.stderr)
            assert "DeprecationWarning" not in result.stderr + result.stdout, argv
        code, out, err = run(tree, "series", "--json")
        assert code == 0 and "Traceback" not in err


SMTP_SOCKET = """
import b4, b4.command
b4.setup_config(b4.command.setup_parser().parse_args(["send"]))
smtp, _ = b4.get_smtp()
print(smtp.sock.gettimeout())
smtp.quit()
"""


def test_b4_alone_sets_no_smtp_timeout_unless_configured(kernel_tree):
    """b4 0.16.0 opens its SMTP connection without a timeout (smtplib's default: block
    forever), so a server that accepts and goes silent holds `b4 send` forever; 0.16.1 adds
    b4.smtp-timeout. patchpilot's relay bounds the wait either way (test_send)."""
    source = Path(importlib.metadata.distribution("b4").locate_file("b4/__init__.py"))
    has_setting = "smtp-timeout" in source.read_text()
    with SmtpServer() as smtp:
        git(kernel_tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        git(kernel_tree, "config", "b4.smtp-timeout", "7")
        proc = subprocess.run([sys.executable, "-c", SMTP_SOCKET], cwd=kernel_tree,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=120)
    assert proc.returncode == 0, proc.stderr
    timeout = proc.stdout.strip().splitlines()[-1]
    assert timeout == ("7.0" if has_setting else "None"), (has_setting, proc.stdout)
    assert has_setting or importlib.metadata.version("b4") == "0.16.0"
