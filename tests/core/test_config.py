"""Typed settings: every default has a type, values come back typed from every layer, a bad
or unknown value is named once with where it was set, and `patchpilot config` shows values
as a user writes them."""

from __future__ import annotations

import io

import pytest

from patchpilot.cli.main import main
from patchpilot.core.config import KINDS, Config, shipped_defaults
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from tests.helpers import git


def test_every_default_has_a_type_and_parses():
    defaults = shipped_defaults()
    keys = {f"{section}.{name}" for section, table in defaults.items() for name in table}
    assert keys == set(KINDS)
    config = Config()
    assert all(config.get(key).source == "default" for key in KINDS)
    assert config.flag("recipients.rust-policy") is True
    assert config.number("checks.timeout") == 120
    assert config.integer("replies.retries") == 2
    assert config.names("recipients.rust-roles") == ("list",)
    assert config.tristate("checks.strict") is None


def test_git_config_values_come_back_typed(kernel_tree):
    repo = GitRepo(kernel_tree)
    git(kernel_tree, "config", "patchpilot.recipients.rust-policy", "off")
    git(kernel_tree, "config", "patchpilot.checks.strict", "yes")
    git(kernel_tree, "config", "patchpilot.recipients.rust-roles", "list, maintainer")
    git(kernel_tree, "config", "patchpilot.replies.timeout", "2.5")
    config = Config(repo)
    assert config.flag("recipients.rust-policy") is False
    assert config.tristate("checks.strict") is True
    assert config.names("recipients.rust-roles") == ("list", "maintainer")
    assert config.number("replies.timeout") == 2.5
    with pytest.raises(TypeError):
        config.flag("replies.timeout")  # asking for the wrong type is a programming error


@pytest.mark.parametrize("key, value, words", [
    ("recipients.rust-policy", "maybe", "true or false"),
    ("replies.retries", "1.5", "a whole number"),
    ("checks.timeout", "soon", "a number"),
    ("checks.fail-on", "never", "'never' is not allowed"),
    ("recipients.rust-roles", "list,boss", "'boss' is not allowed"),
])
def test_a_bad_value_is_one_clear_error(kernel_tree, key, value, words):
    git(kernel_tree, "config", f"patchpilot.{key}", value)
    with pytest.raises(PatchpilotError) as caught:
        Config(GitRepo(kernel_tree)).get(key)
    assert key in caught.value.message and words in caught.value.message
    assert "git config" in caught.value.message


def test_problems_name_bad_and_unknown_settings(kernel_tree, isolated_env):
    user = isolated_env / ".config" / "patchpilot" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[checks]\ntimeout = "soon"\ntiemout = 3\n')
    git(kernel_tree, "config", "patchpilot.replies.sever", "http://x")
    problems = Config(GitRepo(kernel_tree)).problems()
    assert any("checks.timeout" in p and "user file" in p for p in problems)
    assert "unknown setting checks.tiemout (user file)" in problems
    assert "unknown setting replies.sever (git config)" in problems
    assert len(problems) == 3


def test_config_command_shows_values_as_written(kernel_tree):
    out, err = io.StringIO(), io.StringIO()
    assert main(["-C", str(kernel_tree), "config"], stdout=out, stderr=err) == 0
    lines = out.getvalue().splitlines()
    assert "recipients.rust-policy = true  (default)" in lines
    assert "checks.timeout = 120  (default)" in lines
    assert "True" not in out.getvalue() and "'" not in out.getvalue()
    git(kernel_tree, "config", "patchpilot.checks.timeout", "soon")
    out, err = io.StringIO(), io.StringIO()
    assert main(["-C", str(kernel_tree), "config"], stdout=out, stderr=err) == 1
    assert "checks.timeout = 'soon' (git config) is not a number" in err.getvalue()
