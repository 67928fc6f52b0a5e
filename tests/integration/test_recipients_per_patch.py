"""`patchpilot recipients --json` gives the reasons per patch as well as for the series, and
`--branch` reads another branch's series (real slim tree, real MAINTAINERS)."""

from __future__ import annotations

import json

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample
from tests.integration.test_recipients import DRM_RS, RFL, run


def test_per_patch_reasons_tell_policy_from_maintainers(kernel_tree):
    new_series(GitRepo(kernel_tree), "mixed", fork_point="master")
    commit(kernel_tree, {"samples/rust/rust_m.rs": rust_sample("rust_m")},
           "samples: rust: add m")
    commit(kernel_tree, {"drivers/gpu/drm/drm_helper.rs": DRM_RS}, "drm: add a helper")
    git(kernel_tree, "switch", "-q", "master")  # --branch: the series is not checked out
    code, out, err = run("-C", str(kernel_tree), "recipients", "--branch", "b4/mixed",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    first, second = data["patches"]
    assert RFL in first["cc"] and RFL in second["cc"]
    # series-wide: both reasons, so a script cannot tell which patch has which
    assert {r["source"] for r in data["reasons"][RFL]} == {"maintainers", "policy"}
    assert {r["source"] for r in first["reasons"][RFL]} == {"maintainers"}
    assert [r["source"] for r in second["reasons"][RFL]] == ["policy"]
    assert "Rust-for-Linux asks to be copied" in second["reasons"][RFL][0]["match"]
    for patch in data["patches"]:  # every address of a patch says why it is there
        assert set(patch["reasons"]) == set(patch["to"] + patch["cc"])
        assert all(patch["reasons"][a] for a in patch["to"] + patch["cc"])
    code, _, err = run("-C", str(kernel_tree), "recipients", "--branch", "b4/mixed",
                       "--write")
    assert code == 2 and "b4/mixed is not checked out" in err and "git switch b4/mixed" in err
    code, _, err = run("-C", str(kernel_tree), "recipients", "master..b4/mixed", "--branch",
                       "b4/mixed")
    assert code == 2 and "RANGE or --branch" in err
