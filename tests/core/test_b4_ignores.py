"""b4's rejected-trailer file format: patchpilot renders a trailer exactly as b4's own
LoreTrailer does (the key b4 matches on), and reads and writes the file as b4 does."""

from __future__ import annotations

import json

import b4
import pytest

from patchpilot.core.b4 import ignores
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from tests.helpers import git

TRAILERS = [
    ("Reviewed-by", "Rev One <rev1@example.com>"),
    ("Reviewed-by", "  Rev   One   <rev1@example.com>  "),
    ("Acked-by", "ack@example.com"),
    ("Acked-by", "ack@example.com <ack@example.com>"),
    ("Tested-by", '"Doe, John" <john@example.org>'),
    ("Reported-by", "Bot <bot@example.org> # via the CI"),
    ("Reviewed-by", "Rev <mailto:rev@example.com><rev@example.com>"),
    ("Link", "https://lore.kernel.org/r/x@y.z"),
    ("Fixes", "0123456789ab (\"rust: a fix\")"),
]


@pytest.mark.parametrize(("name", "value"), TRAILERS)
def test_rendered_as_b4_renders_it(name, value):
    expected = b4.LoreTrailer(name=name, value=value.strip()).as_string(omit_extinfo=True)
    assert ignores.render(name, value) == expected


def test_file_round_trip_in_b4_format(tmp_path):
    git(tmp_path, "init", "-q")
    repo = GitRepo(tmp_path)
    assert ignores.load(repo) == set()
    ignores.update(repo, add={ignores.key("Reviewed-by", "A <a@b.org>", "<m1@x>"),
                              ignores.key("Acked-by", "b@b.org", "m0@x")})
    text = (tmp_path / ".git" / "b4-trailers-ignore.json").read_text()
    assert json.loads(text) == {"ignored": [{"trailer": "Acked-by: b@b.org", "via": "m0@x"},
                                            {"trailer": "Reviewed-by: A <a@b.org>",
                                             "via": "m1@x"}]}
    assert text.endswith("}\n") and '\n  "ignored": [\n    {\n' in text  # b4's indent=2
    ignores.update(repo, drop={("Acked-by: b@b.org", "m0@x")})
    assert ignores.load(repo) == {("Reviewed-by: A <a@b.org>", "m1@x")}
    (tmp_path / ".git" / "b4-trailers-ignore.json").write_text("{not json")
    with pytest.raises(PatchpilotError, match="cannot read b4's rejected trailers"):
        ignores.load(repo)
