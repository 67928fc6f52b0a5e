"""Recipients of a longer series on the real slim tree: git writes its mails in two parts at
once, and the answer is the one a single `git log` gives; the MAINTAINERS index is kept under
.git/patchpilot and follows MAINTAINERS when it changes."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from patchpilot.cli.main import main
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.recipients import compute as recipients
from patchpilot.core.recipients.compute import Background, compute, mail_parts
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample

FILES = ["samples/rust/rust_minimal.rs", "drivers/net/phy/ax88796b_rust.rs",
         "drivers/block/rnull.rs", "include/linux/phy.h", "rust/kernel/lib.rs",
         "Documentation/rust/index.rst", "lib/Kconfig", "init/Kconfig"]


def long_series(tree) -> None:
    """A b4 series (cover commit first) of eight patches, one a new file, one a rename."""
    new_series(GitRepo(tree), "long", fork_point="master")
    for name in FILES:
        path = tree / name
        commit(tree, {name: path.read_text() + "\n// long series\n"}, f"touch {path.name}")
    commit(tree, {"samples/rust/rust_long.rs": rust_sample("rust_long")}, "samples: add long")
    git(tree, "mv", "samples/rust/rust_long.rs", "samples/rust/rust_longer.rs")
    git(tree, "commit", "-q", "-s", "-m", "samples: rename long")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return int(code), out.getvalue(), err.getvalue()


def test_mails_in_two_parts_are_the_mails_of_one_git_log(kernel_tree):
    long_series(kernel_tree)
    repo = GitRepo(kernel_tree)
    series = load_series(repo)
    assert len(series.patches) == 10 >= recipients._SPLIT
    parts = list(mail_parts(repo, series))
    assert len(parts) == 2
    whole = repo.format_patches(f"{series.base}..{series.head}")
    assert {k: v for part in parts for k, v in part.items()} == whole
    assert list(parts[0]) + list(parts[1]) == list(whole)  # in series order


def test_split_and_single_computations_agree(kernel_tree, monkeypatch):
    long_series(kernel_tree)
    repo = GitRepo(kernel_tree)
    series = load_series(repo)
    split = compute(repo, series).to_json()
    monkeypatch.setattr(recipients, "_SPLIT", 1000)
    assert compute(repo, series).to_json() == split
    assert "rust-for-linux@vger.kernel.org" in split["cc"]


def test_the_index_is_kept_and_follows_maintainers(kernel_tree):
    long_series(kernel_tree)
    cache = kernel_tree / ".git" / "patchpilot" / recipients.CACHE
    code, out, _ = run("-C", str(kernel_tree), "recipients", "--json")
    assert code == 0 and len(list(cache.glob("*.index"))) == 1
    assert run("-C", str(kernel_tree), "recipients", "--json")[1] == out
    text = (kernel_tree / "MAINTAINERS").read_text()
    (kernel_tree / "MAINTAINERS").write_text(
        text.replace("rust-for-linux@vger.kernel.org", "rust-new@vger.kernel.org"))
    code, changed, _ = run("-C", str(kernel_tree), "recipients", "--json")
    assert code == 0 and "rust-new@vger.kernel.org" in json.loads(changed)["cc"]
    assert "rust-for-linux@vger.kernel.org" not in json.loads(changed)["cc"]
    assert len(list(cache.glob("*.index"))) == 2
    for index in cache.glob("*.index"):
        index.write_bytes(b"not an index")
    code, again, err = run("-C", str(kernel_tree), "recipients", "--json")
    assert code == 0 and again == changed and "Traceback" not in err


def test_background_hands_over_value_and_error():
    assert Background(lambda: 41 + 1).result() == 42

    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        Background(fail).result()


def test_recipients_imports_no_network_or_ui_library(kernel_tree):
    long_series(kernel_tree)
    script = ("import sys, io; from patchpilot.cli.main import main; "
              "code = main(['recipients', '--json'], stdout=io.StringIO()); "
              "print(int(code), sorted({m.split('.')[0] for m in sys.modules}))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=kernel_tree, capture_output=True,
                          text=True, check=True)
    code, modules = proc.stdout.split(" ", 1)
    assert code == "0"
    for heavy in ("requests", "textual", "rich", "urllib3", "tree_sitter"):
        assert f"'{heavy}'" not in modules
