"""Small core pieces: untrusted-text cleaning, configuration precedence, the b4 runner."""

from __future__ import annotations

import pytest

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.config import Config, shipped_defaults
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.text import safe_text
from tests.helpers import git


def test_safe_text_strips_escapes_and_controls():
    hostile = "ok \x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07 \x00\x07\x9b bell\r\nend"
    clean = safe_text(hostile)
    assert "\x1b" not in clean and "\x07" not in clean and "\x00" not in clean
    assert "\x9b" not in clean and "\r" not in clean
    assert clean == "ok red link  bell\nend"


def test_safe_text_bounds_size():
    assert len(safe_text("x" * 1000, limit=10)) < 60


def test_config_precedence_and_sources(kernel_tree, isolated_env, monkeypatch):
    repo = GitRepo(kernel_tree)
    assert Config(repo).get("series.base").source == "default"
    user = isolated_env / ".config" / "patchpilot" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[series]\nbase = "v6.11"\n')
    assert Config(repo).get("series.base").value == "v6.11"
    assert Config(repo).get("series.base").source == "user file"
    git(kernel_tree, "config", "patchpilot.series.base", "origin/master")
    assert Config(repo).get("series.base").source == "git config"
    monkeypatch.setenv("PATCHPILOT_SERIES_BASE", "HEAD~3")
    assert Config(repo).get("series.base").value == "HEAD~3"
    setting = Config(repo, flags={"series.base": "abc"}).get("series.base")
    assert (setting.value, setting.source) == ("abc", "flag")


def test_broken_user_config_is_a_clear_error(isolated_env):
    user = isolated_env / ".config" / "patchpilot" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[series\n")
    with pytest.raises(PatchpilotError, match="cannot read"):
        Config()


def test_shipped_defaults_have_every_documented_section():
    defaults = shipped_defaults()
    assert set(defaults) >= {"series", "ui"}


def test_real_b4_version(kernel_tree):
    assert b4cli.version(kernel_tree)[:2] == b4cli.SUPPORTED


def test_show_info_parser_keeps_keys_in_order():
    info = b4cli.parse_show_info("branch: b4/x\nrevision: 2\ncommit-abc: rust: foo: bar\n"
                                 "junk line\n")
    assert list(info) == ["branch", "revision", "commit-abc"]
    assert info["commit-abc"] == "rust: foo: bar"


def test_b4_runner_never_waits_on_stdin(kernel_tree):
    """b4 send waits for Enter; with no answer given, stdin is /dev/null and it ends."""
    git(kernel_tree, "switch", "-q", "-c", "x")
    result = b4cli.run(["send", "--no-sign", "--dry-run"], cwd=kernel_tree, check=False)
    assert result.returncode != 0
    assert "CRITICAL" in b4cli.last_error(result) or result.stderr


def test_every_setting_can_be_set_with_git_config(kernel_tree):
    """git config names allow letters, digits and dashes only; so must our keys."""
    import re
    for setting in Config(GitRepo(kernel_tree)).all():
        assert re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*", setting.key), setting.key
        git(kernel_tree, "config", f"patchpilot.{setting.key}", setting.shown or "x")
