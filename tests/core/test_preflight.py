"""Pre-flight lines on a real b4 series: each failing line names what is wrong and its fix."""

from __future__ import annotations

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send import preflight
from patchpilot.core.send.flow import preview
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from tests.helpers import git, rust_sample


def by_name(lines) -> dict:
    return {line.name: line for line in lines}


def test_fresh_series_fails_where_it_should(kernel_tree):
    repo = GitRepo(kernel_tree)
    new_series(repo, "pf", fork_point="master")
    (kernel_tree / "samples/rust/rust_pf.rs").write_text(rust_sample("rust_pf"))
    git(kernel_tree, "add", "samples/rust/rust_pf.rs")
    git(kernel_tree, "commit", "-q", "-m", "samples: rust: add pf")  # no -s
    series = load_series(repo)
    lines = by_name(preflight.run_preflight(repo, series, preview(repo), run_checks=False))
    assert lines["cover"].state == "fail" and "EDITME" in lines["cover"].detail
    assert lines["sign-off"].state == "fail" and "1" in lines["sign-off"].detail
    assert lines["recipients"].state == "fail" and preflight.RFL in lines["recipients"].detail
    assert lines["b4"].state == "fail" and "needs-auto-to-cc" in lines["b4"].detail
    assert lines["identity"].state == "ok" and lines["clean-tree"].state == "ok"
    blocked = preflight.blocking(list(lines.values()), ["cover", "sign-off"])
    assert {line.name for line in blocked} == {"recipients", "b4"}


def test_missing_transport_says_what_to_set(kernel_tree):
    git(kernel_tree, "config", "--global", "--unset", "sendemail.smtpServer")
    identity, transport = preflight.environment(GitRepo(kernel_tree))
    assert identity.state == "ok" and identity.name == "identity"
    assert transport.state == "fail" and "sendemail.smtpServer" in transport.fix


def test_checks_line_shows_warnings_without_blocking(kernel_tree):
    repo = GitRepo(kernel_tree)
    new_series(repo, "warn", fork_point="master")
    text = rust_sample("rust_warn").replace("        Ok(RustWarn)", "        Ok( RustWarn )")
    (kernel_tree / "samples/rust/rust_warn.rs").write_text(text)
    git(kernel_tree, "add", "samples/rust/rust_warn.rs")
    git(kernel_tree, "commit", "-q", "-s", "-m", "samples: rust: add warn")
    git(kernel_tree, "config", "patchpilot.checks.tools", "rustfmt")
    lines = by_name(preflight.run_preflight(repo, load_series(repo), None, run_checks=True))
    checks = lines["checks"]
    assert checks.state == "warn", checks
    assert checks.detail.startswith("no errors, 1 warning(s)") and "rustfmt" in checks.detail
    assert checks.fix == "patchpilot check"
    assert preflight.blocking([checks], []) == []  # the user decides
