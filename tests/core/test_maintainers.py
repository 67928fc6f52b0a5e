"""Unit tests of the MAINTAINERS engine on small hand-written trees.

Each test writes a MAINTAINERS (and, where needed, .mailmap, directories, files) into a
temporary directory and checks one rule of get_maintainer.pl that the engine reproduces.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.recipients.maintainers.emails import parse_email, rfc822_valid, split_addresses
from patchpilot.core.recipients.maintainers.engine import Maintainers

PREAMBLE = "List of maintainers\n===================\n\n\tM: *Mail* patches to\n\n"
THE_REST = (
    "THE REST\n"
    "M:\tLinus Torvalds <torvalds@linux-foundation.org>\n"
    "L:\tlinux-kernel@vger.kernel.org\n"
    "S:\tBuried alive in reporters\n"
    "F:\t*\n"
    "F:\t*/\n"
)


def tree_with(tmp_path: Path, entries: str, files: dict[str, str] | None = None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "MAINTAINERS").write_text(PREAMBLE + entries + "\n" + THE_REST)
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def patch(*paths: str, message: str = "Change things.", added: str = "x = 1;") -> str:
    text = f"Subject: [PATCH] change\n\n{message}\n---\n"
    for path in paths:
        text += (f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
                 f"@@ -1,1 +1,2 @@\n context\n+{added}\n")
    return text


def test_to_is_maintainers_and_reviewers_cc_is_reviewers_and_lists(tmp_path):
    tree = tree_with(tmp_path, "FOO DRIVER\nM:\tAnn Maint <ann@example.org>\n"
                               "R:\tRob Rev <rob@example.org>\nL:\tfoo@lists.example.org\n"
                               "S:\tMaintained\nF:\tdrivers/foo/\n")
    rec = Maintainers.load(tree).recipients(patch("drivers/foo/a.c"))
    assert rec.to == ["Ann Maint <ann@example.org>", "Rob Rev <rob@example.org>"]
    # THE REST adds linux-kernel; Linus is dropped (--nogit-chief-penguins).
    assert rec.cc == ["Rob Rev <rob@example.org>", "foo@lists.example.org",
                      "linux-kernel@vger.kernel.org"]
    reason = rec.reasons["Ann Maint <ann@example.org>"][0]
    assert (reason.entry, reason.line, reason.role, reason.path) == \
        ("FOO DRIVER", "F:\tdrivers/foo/", "maintainer", "drivers/foo/a.c")


def test_deeper_pattern_comes_first(tmp_path):
    tree = tree_with(tmp_path, "WIDE\nM:\tWide <wide@example.org>\nF:\tdrivers/\n\n"
                               "NARROW\nM:\tNarrow <narrow@example.org>\nF:\tdrivers/net/x.c\n")
    rec = Maintainers.load(tree).recipients(patch("drivers/net/x.c"))
    assert rec.to == ["Narrow <narrow@example.org>", "Wide <wide@example.org>"]
    assert not rec.order_ties


def test_equal_depth_is_flagged_as_a_tie(tmp_path):
    tree = tree_with(tmp_path, "A\nM:\tA <a@example.org>\nF:\tlib/\n\n"
                               "B\nM:\tB <b@example.org>\nF:\tlib/\n")
    rec = Maintainers.load(tree).recipients(patch("lib/x.c"))
    assert rec.order_ties
    assert rec.to == ["A <a@example.org>", "B <b@example.org>"]


def test_file_pattern_without_slash_does_not_descend(tmp_path):
    tree = tree_with(tmp_path, "GLOB\nM:\tG <g@example.org>\nF:\tdrivers/*.c\n")
    engine = Maintainers.load(tree)
    assert "G <g@example.org>" in engine.recipients(patch("drivers/top.c")).to
    assert "G <g@example.org>" not in engine.recipients(patch("drivers/net/deep.c")).to


def test_existing_directory_gets_a_trailing_slash(tmp_path):
    entries = "DIR\nM:\tD <d@example.org>\nF:\tdrivers/net\n"
    with_dir = tree_with(tmp_path / "a", entries, {"drivers/net/sub/x.c": ""})
    without = tree_with(tmp_path / "b", entries)
    target = patch("drivers/net/sub/x.c")
    assert "D <d@example.org>" in Maintainers.load(with_dir).recipients(target).to
    assert "D <d@example.org>" not in Maintainers.load(without).recipients(target).to


def test_x_excludes_and_n_matches_by_regex(tmp_path):
    tree = tree_with(tmp_path, "NET\nM:\tN <n@example.org>\nF:\tnet/\nX:\tnet/bluetooth/\n\n"
                               "ROCK\nM:\tR <r@example.org>\nN:\trockchip\n")
    engine = Maintainers.load(tree)
    assert "N <n@example.org>" in engine.recipients(patch("net/core/sock.c")).to
    assert "N <n@example.org>" not in engine.recipients(patch("net/bluetooth/hci.c")).to
    rec = engine.recipients(patch("arch/arm64/boot/dts/rockchip/rk3399.dtsi"))
    assert rec.to == ["R <r@example.org>"]
    assert rec.reasons["R <r@example.org>"][0].line == "N:\trockchip"


def test_last_matching_pattern_of_an_entry_sets_its_depth(tmp_path):
    # get_maintainer.pl overwrites the depth with each matching F: line, in file order.
    tree = tree_with(tmp_path, "SHALLOW LAST\nM:\tS <s@example.org>\nF:\ta/b/c/d.c\nF:\ta/\n\n"
                               "MIDDLE\nM:\tM <m@example.org>\nF:\ta/b/\n")
    rec = Maintainers.load(tree).recipients(patch("a/b/c/d.c"))
    assert rec.to == ["M <m@example.org>", "S <s@example.org>"]


def test_keywords_match_message_and_changed_lines_only(tmp_path):
    tree = tree_with(tmp_path, "RUST\nM:\tRusty <rusty@example.org>\n"
                               "L:\trust-for-linux@vger.kernel.org\nK:\t\\b(?i:rust)\\b\n\n"
                               "PIDFD\nM:\tP <p@example.org>\nK:\t(?i)pidfd\n")
    engine = Maintainers.load(tree)
    assert engine.recipients(patch("lib/a.c")).to == []
    in_message = engine.recipients(patch("lib/a.c", message="Prepare for Rust."))
    assert in_message.to == ["Rusty <rusty@example.org>"]
    assert in_message.reasons["Rusty <rusty@example.org>"][0].line == "K:\t\\b(?i:rust)\\b"
    assert engine.recipients(patch("lib/a.c", added="// PIDFD user")).to == \
        ["P <p@example.org>"]
    # A context line (leading space) after the first diff header does not count.
    context_only = patch("lib/a.c").replace(" context\n", " rust context\n")
    assert engine.recipients(context_only).to == []


def test_mailmap_and_name_deduplication(tmp_path):
    tree = tree_with(tmp_path, "ONE\nM:\tOld Name <old@example.org>\nF:\tone/\n\n"
                               "TWO\nM:\tSame Person <first@example.org>\n"
                               "R:\tSame Person <second@example.org>\nF:\tone/\n",
                     {".mailmap": "New Name <new@example.org> <old@example.org>\n"})
    rec = Maintainers.load(tree).recipients(patch("one/x.c"))
    assert rec.to == ["New Name <new@example.org>", "Same Person <first@example.org>"]


def test_address_parsing_follows_get_maintainer():
    assert parse_email("Björn Roy <b@example.org>") == ('"Björn Roy"', "b@example.org")
    assert parse_email("plain@example.org (comment)") == ("", "plain@example.org")
    assert rfc822_valid("Paulo <pc@example.org> (DFS, global name space)")
    # Not RFC 822 (unquoted comma before <>): kept whole, and quoted on output.
    odd = "Enrico Weigelt, metux IT consult <info@metux.net>"
    assert split_addresses(odd) == [odd]
    # A valid RFC 822 list is split into its addresses.
    assert split_addresses("a@example.org, B <b@example.org>") == \
        ["a@example.org", "B <b@example.org>"]


def test_unusual_addresses_print_as_get_maintainer_prints_them(tmp_path):
    tree = tree_with(tmp_path, "ODD\nM:\tEnrico Weigelt, metux IT consult <info@metux.net>\n"
                               "M:\ta@example.org, B <b@example.org>\n"
                               "R:\tPaulo <pc@example.org> (DFS, global name space)\nF:\tlib/\n")
    # Output of get_maintainer.pl --mpath for this entry, checked by hand.
    assert Maintainers.load(tree).recipients(patch("lib/sort.c")).to == [
        '"Enrico Weigelt, metux IT consult" <info@metux.net>', "a@example.org",
        "B <b@example.org>", "Paulo <pc@example.org>"]


def test_moderated_and_subscriber_only_lists(tmp_path):
    tree = tree_with(tmp_path, "LISTS\nL:\tmod@example.org (moderated for non-subscribers)\n"
                               "L:\tsubs@example.org (subscribers-only)\nF:\tx/\n")
    rec = Maintainers.load(tree).recipients(patch("x/a.c"))
    assert rec.cc == ["mod@example.org", "linux-kernel@vger.kernel.org"]
    assert rec.reasons["mod@example.org"][0].role == "moderated list"


def test_yaml_file_addresses_are_added(tmp_path):
    binding = "title: Foo\nmaintainers:\n  - Jane Q. Doe <jane@example.org>\n"
    tree = tree_with(tmp_path, "DT\nL:\tdt@example.org\nF:\tDocumentation/\n",
                     {"Documentation/foo.yaml": binding})
    rec = Maintainers.load(tree).recipients(patch("Documentation/foo.yaml"))
    assert rec.to == ['"Jane Q. Doe" <jane@example.org>']
    assert "jane@example.org" in rec.cc[0]
    assert rec.reasons['"Jane Q. Doe" <jane@example.org>'][0].role == "in file"


def test_unreadable_maintainers_raises(tmp_path):
    with pytest.raises(PatchpilotError) as exc:
        Maintainers.load(tmp_path)
    assert "MAINTAINERS" in exc.value.message and exc.value.hint
    (tmp_path / "MAINTAINERS").mkdir()
    with pytest.raises(PatchpilotError):
        Maintainers.load(tmp_path)


def test_malformed_lines_become_problems_with_line_numbers(tmp_path):
    entries = ("GOOD\nM:\tG <g@example.org>\nF:\tgood/\n\n"
               "BROKEN\nM:\tB <b@example.org>\n  F: indented/\nF:\tafter/\nZ:\tnew letter\n"
               "R:\tno address here\nK:\t(unclosed\n\nLONELY HEADER\n\n")
    engine = Maintainers.load(tree_with(tmp_path, entries))
    lines = (tmp_path / "MAINTAINERS").read_text().split("\n")
    found = {(p.lineno, p.message.split(" ")[0]) for p in engine.problems}
    number = {text: n for n, text in enumerate(lines, start=1)}
    assert (number["  F: indented/"], "not") in found
    assert (number["Z:\tnew letter"], "unknown") in found
    assert (number["R:\tno address here"], "R:") in found
    assert (number["K:\t(unclosed"], "K:") in found
    assert (number["LONELY HEADER"], "entry") in found
    # The rest still works, and the stray line really splits the entry as in Perl.
    assert engine.recipients(patch("good/a.c")).to == ["G <g@example.org>"]
    assert engine.recipients(patch("after/a.c")).to == []
    assert [f.letter for f in engine.fields if f.letter == "Z"] == ["Z"]
