"""The demo tree `make run` opens: a real slim kernel tree with two real b4 series."""

from __future__ import annotations

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.series.model import load_series, open_kernel_repo, summarize
from patchpilot.demo import content
from patchpilot.demo.series import demo_tree


def test_demo_tree_has_two_b4_series(isolated_env):
    tree = demo_tree()
    assert str(tree).startswith(str(isolated_env))  # under the (isolated) XDG cache dir
    repo = open_kernel_repo(str(tree))
    summaries = {s.branch: s for s in summarize(repo)}
    assert set(summaries) == {"b4/rust-pilot-sample", "b4/rust-phy-docs"}
    current = load_series(repo)
    assert current.branch == "b4/rust-pilot-sample"
    assert len(current.patches) == len(content.PATCHES)
    assert current.cover_subject == content.COVER.splitlines()[0]
    assert not repo.is_dirty()
    info = b4cli.parse_show_info(b4cli.run(b4cli.prep_show_info(), cwd=tree).stdout)
    assert info["cover-subject"] == current.cover_subject and info["needs-editing"] == "False"
    assert demo_tree() == tree  # built once, then reused
