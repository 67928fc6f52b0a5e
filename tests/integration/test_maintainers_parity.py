"""Parity of patchpilot.core.recipients.maintainers.engine with the real scripts/get_maintainer.pl.

On the full kernel tree, a deterministic sample of files (every .rs file, plus C files,
Documentation, DT bindings, Kconfig and arch files) each gets a small one-line patch, and a
set of patches carries words that K: lines match, in the commit message or in added lines.
For every patch the To and Cc lists must equal what get_maintainer.pl prints when b4 runs it.
get_maintainer.pl runs once per patch and list (its results are per patch, so patches cannot
share an invocation), two at a time.

One difference is allowed, and only when the engine says it applies: when a file matches two
entries at the same pattern depth, get_maintainer.pl orders them by Perl's hash order, which
changes from run to run; then the same addresses in another order count as equal.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from patchpilot.core.recipients.maintainers.engine import (
    Maintainers,
    Recipients,
    run_get_maintainer,
)

# Sample sizes per category besides the .rs files (all of them are taken).
SAMPLE = {"c": 100, "documentation": 40, "bindings": 40, "kconfig": 20, "arch": 40}

# Words that K: lines of 6.12's MAINTAINERS match, with the K: line they are meant for.
KEYWORD_WORDS = [
    "mediatek", "renesas,", "audit_log+x", "bpf", "csky", "clang", "dma_fence",
    "unsafe_memcpy", "google tensor", "gpio_regmap_register", "devm_gpio_request",
    "hwmon_device_register_with_info", "ABS_MT_SLOT", "SGX_ENCLAVE", "__counted_by",
    "landlock", "libeth", "libie", "macsec", "mdo_open", "of_overlay_remove", "pidfd",
    "clone3", "kernel_clone_args", "printk_index", "pstore", "ptp", "pwm_apply_atomic",
    "PREEMPT_RT", "reset_control_get", "riscv", "Rust", "secure_computing", "security_file+x",
    "phylink_create", "fu540", "sophgo", "regulator_get_optional", "xdp", "zstd",
]

# Known differences that could not be resolved: {patch name: reason}. Empty today.
KNOWN_DIFFERENCES: dict[str, str] = {}


def make_patch(path: str, message: str = "Make a small change.",
               added: str = "/* patchpilot parity check */") -> str:
    """A format-patch style mail with a one-line addition to `path`."""
    return (
        "From: Test Dev <dev@example.org>\n"
        "Subject: [PATCH] parity: touch one file\n\n"
        f"{message}\n\n"
        "Signed-off-by: Test Dev <dev@example.org>\n"
        "---\n"
        f" {path} | 1 +\n"
        " 1 file changed, 1 insertion(+)\n\n"
        f"diff --git a/{path} b/{path}\n"
        "index 1111111..2222222 100644\n"
        f"--- a/{path}\n"
        f"+++ b/{path}\n"
        "@@ -1,1 +1,2 @@\n"
        " first line\n"
        f"+{added}\n"
    )


def _every_nth(paths: list[str], count: int) -> list[str]:
    step = max(len(paths) // count, 1)
    return paths[step // 2::step][:count]


def sample_files(tree) -> dict[str, list[str]]:
    """The deterministic sample, by category."""
    files = subprocess.run(["git", "ls-files"], cwd=tree, capture_output=True, text=True,
                           check=True).stdout.split("\n")
    files = sorted(f for f in files if f)
    bindings = [f for f in files if f.startswith("Documentation/devicetree/bindings/")]
    docs = [f for f in files if f.startswith("Documentation/") and f not in set(bindings)]
    return {
        "rs": [f for f in files if f.endswith(".rs")],
        "c": _every_nth([f for f in files if f.endswith((".c", ".h"))
                         and not f.startswith("arch/")], SAMPLE["c"]),
        "documentation": _every_nth(docs, SAMPLE["documentation"]),
        "bindings": _every_nth(bindings, SAMPLE["bindings"]),
        "kconfig": _every_nth([f for f in files if f.rsplit("/", 1)[-1].startswith("Kconfig")],
                              SAMPLE["kconfig"]),
        "arch": _every_nth([f for f in files if f.startswith("arch/")], SAMPLE["arch"]),
    }


def keyword_patches() -> dict[str, str]:
    """Patches to a file no K: word names, with a K: word in the message or an added line."""
    patches = {}
    for word in KEYWORD_WORDS:
        patches[f"message:{word}"] = make_patch("lib/sort.c", f"This touches {word} code.")
        patches[f"added:{word}"] = make_patch("lib/sort.c", added=f"/* {word} */")
    return patches


@dataclass
class Comparison:
    name: str
    ours: Recipients
    real: Recipients

    @property
    def equal(self) -> bool:
        return self.ours.to == self.real.to and self.ours.cc == self.real.cc

    @property
    def tie_reordered(self) -> bool:
        """Same addresses, another order, where get_maintainer.pl's order is random."""
        return self.ours.order_ties and sorted(self.ours.to) == sorted(self.real.to) \
            and sorted(self.ours.cc) == sorted(self.real.cc)


def compare(tree, patches: dict[str, str]) -> list[Comparison]:
    engine = Maintainers.load(tree)

    def one(item):
        name, text = item
        return Comparison(name, engine.recipients(text), run_get_maintainer(tree, text))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, patches.items()))


def _report(comparisons: list[Comparison]) -> list[str]:
    lines = []
    for c in comparisons:
        if c.equal or c.tie_reordered or c.name in KNOWN_DIFFERENCES:
            continue
        lines.append(f"{c.name}\n  ours to {c.ours.to}\n  real to {c.real.to}\n"
                     f"  ours cc {c.ours.cc}\n  real cc {c.real.cc}")
    return lines


@pytest.fixture(scope="module")
def samples(full_tree):
    return sample_files(full_tree)


@pytest.fixture(scope="module")
def file_comparisons(full_tree, samples):
    paths = [p for group in samples.values() for p in group]
    return compare(full_tree, {p: make_patch(p) for p in paths})


def test_sample_is_large_and_covers_every_category(samples):
    assert len(samples["rs"]) >= 70
    assert all(len(samples[k]) == n for k, n in SAMPLE.items())
    assert sum(len(group) for group in samples.values()) >= 300
    assert any(p.startswith("Documentation/devicetree/bindings/") and p.endswith(".yaml")
               for p in samples["bindings"])


def test_file_patches_match_get_maintainer(file_comparisons):
    mismatches = _report(file_comparisons)
    exact = sum(c.equal for c in file_comparisons)
    ties = sum(c.tie_reordered and not c.equal for c in file_comparisons)
    print(f"\nparity: {len(file_comparisons)} file patches, {exact} identical, "
          f"{ties} reordered within a get_maintainer.pl tie, {len(mismatches)} different")
    assert not mismatches, f"{len(mismatches)} of {len(file_comparisons)} differ " \
                           f"({exact} exact):\n" + "\n".join(mismatches)
    # Most patches must match exactly, order included; ties are the exception.
    assert exact >= 0.9 * len(file_comparisons)


def test_keyword_patches_match_get_maintainer(full_tree):
    comparisons = compare(full_tree, keyword_patches())
    mismatches = _report(comparisons)
    assert not mismatches, "\n".join(mismatches)
    # The keywords really reach their entries: rust-for-linux only through K: here.
    rust = {c.name: c for c in comparisons}["message:Rust"]
    assert "rust-for-linux@vger.kernel.org" in rust.real.cc
    plain = Maintainers.load(full_tree).recipients(make_patch("lib/sort.c"))
    assert "rust-for-linux@vger.kernel.org" not in plain.cc


def test_multi_file_and_rename_patches_match(full_tree, samples):
    rs = samples["rs"]
    combined = make_patch(rs[0]) + make_patch(samples["bindings"][0]).split("---\n", 1)[1]
    rename = (
        "Subject: [PATCH] move\n\n---\n"
        f"diff --git a/{rs[1]} b/drivers/gpu/moved.rs\n"
        "similarity index 100%\n"
        f"rename from {rs[1]}\n"
        "rename to drivers/gpu/moved.rs\n"
    )
    comparisons = compare(full_tree, {"combined": combined, "rename": rename})
    assert not _report(comparisons), "\n".join(_report(comparisons))


def test_fixes_tag_adds_the_signers_of_the_fixed_commit(kernel_tree):
    from tests.helpers import commit

    sha = commit(kernel_tree, {"drivers/block/rnull.rs": "// SPDX-License-Identifier: GPL-2.0\n"},
                 "rnull: break it\n\nReviewed-by: Rev One <rev1@example.org>\n"
                 "Acked-by: Ack Two <ack2@example.org>")
    message = f'Fix it.\n\nFixes: {sha[:12]} ("rnull: break it")'
    text = make_patch("drivers/block/rnull.rs", message)
    ours = Maintainers.load(kernel_tree).recipients(text)
    real = run_get_maintainer(kernel_tree, text)
    # Three signers, one signature each: get_maintainer.pl orders them randomly.
    assert ours.order_ties
    assert (sorted(ours.to), sorted(ours.cc)) == (sorted(real.to), sorted(real.cc))
    assert ours.to[:3] == real.to[:3] == ["Andreas Hindborg <a.hindborg@kernel.org>",
                                          "Boqun Feng <boqun.feng@gmail.com>",
                                          "Jens Axboe <axboe@kernel.dk>"]
    assert "Rev One <rev1@example.org>" in real.to and "Rev One <rev1@example.org>" in real.cc
    assert ours.reasons["Ack Two <ack2@example.org>"][0].role == "blamed_fixes"
