"""The user's path on merged code: Linux 7.3's own nova-core, Rust binder, tyr and nova drm,
a set of rust/kernel abstraction modules, the samples and the small Rust drivers, taken out of the tree and added back as a series, checked
with `patchpilot check` (real git, the real rules, the tree's own facts). It was reviewed
and merged: no error, the pre-flight does not block it, and every warning is one the sweep
lists with its reason."""

from __future__ import annotations

import io
import json
from pathlib import Path

from patchpilot.cli.main import main
from patchpilot.demo import kernelsrc
from tests.core.checks.test_rust_rules_sweep import JUSTIFIED
from tests.helpers import git

DRIVERS = ("drivers/gpu/nova-core", "drivers/android/binder", "drivers/gpu/drm/tyr",
           "drivers/gpu/drm/nova", "samples/rust", "drivers/net/phy", "drivers/block/rnull",
           "drivers/cpufreq", "drivers/pwm")
# Abstraction modules of rust/kernel (the file and its directory, when it has one).
MODULES = ("alloc", "list", "sync", "irq", "debugfs", "drm", "pci", "io", "time", "bitmap",
           "maple_tree", "xarray", "rbtree", "dma", "firmware", "platform", "workqueue",
           "configfs", "types", "str", "device")
PER_PATCH = 6  # files per patch, as a series adding a driver in reviewable steps would


def _groups(tree: Path) -> list[tuple[str, list[str]]]:
    """(subject, files) per patch: each directory's `.rs` files, a few at a time."""
    paths = [p for d in DRIVERS for p in sorted((tree / d).rglob("*.rs"))]
    for name in MODULES:
        single = tree / "rust/kernel" / f"{name}.rs"
        paths += [single] if single.is_file() else []
        paths += sorted((tree / "rust/kernel" / name).rglob("*.rs"))
    by_dir: dict[str, list[str]] = {}
    for path in paths:
        rel = str(path.relative_to(tree))
        by_dir.setdefault(rel.rpartition("/")[0], []).append(rel)
    groups = []
    for directory, files in by_dir.items():
        for i in range(0, len(files), PER_PATCH):
            subject = directory.replace("drivers/", "").replace("gpu/drm/", "drm/").replace(
                "/", ": ")
            groups.append((f"{subject}: add back part {i // PER_PATCH + 1}", files[i:i + PER_PATCH]))
    return groups


def test_merged_rust_code_added_back_passes_check(rust_trees, tmp_path):
    tree = kernelsrc.clone_tree(rust_trees["7.3"], tmp_path / "linux")
    git(tree, "branch", "--unset-upstream")
    groups = _groups(tree)
    texts = {rel: (tree / rel).read_text() for _, files in groups for rel in files}
    git(tree, "rm", "-q", *texts)
    git(tree, "commit", "-q", "-m", "Take the Rust code out")
    git(tree, "checkout", "-q", "-b", "work", "--track", "master")
    for subject, files in groups:
        for rel in files:
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            (tree / rel).write_text(texts[rel])
        git(tree, "add", *files)
        git(tree, "commit", "-q", "-s", "-m", f"{subject}\n\nAdd the files back as merged.")
    assert len(groups) > 60 and len(texts) > 200
    assert sum(t.count("\n") for t in texts.values()) > 60_000

    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(tree), "check", "--tool", "rust", "--json", "--no-cache"],
                stdout=out, stderr=err)
    doc = json.loads(out.getvalue())
    assert doc["series"]["patches"] == len(groups)
    assert code == 0, err.getvalue()
    found = doc["findings"]
    assert [f for f in found if f["severity"] == "error"] == []
    assert not [f for f in found if f["file"] is None]  # 7.3's facts are all read
    warned = set()
    for f in found:
        if f["severity"] == "warning":
            line = texts[f["file"]].splitlines()[f["line"] - 1].strip()
            warned.add((f["rule"], f["file"], line))
    assert warned and warned <= set(JUSTIFIED["7.3"])
    assert len(warned) * 1000 < sum(t.count("\n") for t in texts.values())
