"""Recipients of real series on the real slim tree: the Rust rule, user choices, --write
through real b4, and what `b4 send --dry-run` then sends."""

from __future__ import annotations

import email
import io
import json

from patchpilot.cli.main import main
from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.recipients.compute import bare, compute
from patchpilot.core.recipients.maintainers.engine import run_get_maintainer
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample
from tests.smtp import SmtpServer

RFL = "rust-for-linux@vger.kernel.org"
DRM_RS = "// SPDX-License-Identifier: GPL-2.0\n\n//! Panic helper.\n\nfn helper() -> u32 {\n    7\n}\n"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return int(code), out.getvalue(), err.getvalue()


def rust_series(tree) -> None:
    new_series(GitRepo(tree), "rcpt", fork_point="master")
    commit(tree, {"samples/rust/rust_r.rs": rust_sample("rust_r")}, "samples: rust: add r")
    phy = tree / "drivers/net/phy/ax88796b_rust.rs"
    commit(tree, {"drivers/net/phy/ax88796b_rust.rs": phy.read_text() + "// Note.\n"},
           "net: phy: ax88796b_rust: add a note")


def dry_run_messages(tree) -> list[email.message.Message]:
    result = b4cli.run(["send", "--dry-run", "--no-sign"], cwd=tree)
    text = result.stdout + result.stderr
    messages = []
    for chunk in text.split("--- DRYRUN: message follows ---")[1:]:
        lines = [ln.split("| ", 1)[1] if "| " in ln else ln.rstrip().removeprefix("    |")
                 for ln in chunk.splitlines() if ln.startswith("    |")]
        messages.append(email.message_from_string("\n".join(lines)))
    return messages


def header_addresses(message, name: str) -> set[str]:
    values = message.get_all(name) or []
    return {a.lower() for _, a in email.utils.getaddresses(values) if a}


def test_rust_rule_adds_the_list_the_engine_misses(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "drm")
    git(kernel_tree, "branch", "--set-upstream-to=master")
    commit(kernel_tree, {"drivers/gpu/drm/drm_helper.rs": DRM_RS}, "drm: add a helper")
    repo = GitRepo(kernel_tree)
    series = load_series(repo)
    mail = repo.format_patches(f"{series.base}..{series.head}")[series.patches[0].commit]
    script = run_get_maintainer(kernel_tree, mail)
    assert RFL not in script.to + script.cc  # get_maintainer.pl alone misses it
    result = compute(repo, series)
    assert RFL in result.patches[0].cc and RFL in result.cc
    why = result.reasons[RFL]
    assert [w.source for w in why] == ["policy"] and "Rust-for-Linux" in why[0].match
    # The maintainers-source addresses are what get_maintainer.pl says, in its order.
    def engine(addresses):
        return [a for a in addresses
                if any(w.source == "maintainers" for w in result.reasons[a])]
    assert engine(result.patches[0].to) == script.to
    assert engine(result.patches[0].cc) == [a for a in script.cc if a not in script.to]
    assert "Test Dev <dev@example.org>" in result.patches[0].cc  # its Signed-off-by
    git(kernel_tree, "config", "patchpilot.recipients.rust-policy", "false")
    assert RFL not in compute(repo, series).cc


def test_engine_and_get_maintainer_option_agree(kernel_tree):
    rust_series(kernel_tree)
    code, ours, _ = run("-C", str(kernel_tree), "recipients", "--json")
    code2, theirs, _ = run("-C", str(kernel_tree), "recipients", "--json", "--get-maintainer")
    assert code == code2 == 0
    ours, theirs = json.loads(ours), json.loads(theirs)
    assert ours["to"] == theirs["to"] and ours["cc"] == theirs["cc"]
    assert {r["source"] for r in theirs["reasons"][ours["to"][0]]} == {"maintainers"}
    assert any(r["match"].startswith("F: ") for r in ours["reasons"][ours["to"][0]])


def test_get_maintainer_conf_in_the_tree_hands_over_to_the_script(kernel_tree):
    """get_maintainer.pl reads .get_maintainer.conf (here --nor: no reviewers); the engine
    does not know its options, so the script itself answers, and the output says so."""
    rust_series(kernel_tree)
    code, before, _ = run("-C", str(kernel_tree), "recipients", "--json")
    assert code == 0 and any("Boqun Feng" in a for a in json.loads(before)["to"])
    (kernel_tree / ".get_maintainer.conf").write_text("# reviewers are asked by hand\n--nor\n")
    code, after, err = run("-C", str(kernel_tree), "recipients", "--json")
    assert code == 0 and ".get_maintainer.conf sets get_maintainer.pl options" in err
    to = json.loads(after)["to"]
    assert not any("Boqun Feng" in a for a in to) and any("Miguel Ojeda" in a for a in to)
    repo = GitRepo(kernel_tree)
    series = load_series(repo)
    mail = repo.format_patches(f"{series.base}..{series.head}")[series.patches[0].commit]
    assert json.loads(after)["patches"][0]["to"][:len(run_get_maintainer(kernel_tree, mail).to)] \
        == run_get_maintainer(kernel_tree, mail).to
    (kernel_tree / ".get_maintainer.conf").write_text("# only comments\n")
    assert json.loads(run("-C", str(kernel_tree), "recipients", "--json")[1]) == \
        json.loads(before)  # a file with no option changes nothing


def test_write_then_b4_sends_to_exactly_those_addresses(kernel_tree):
    rust_series(kernel_tree)
    tip_before = git(kernel_tree, "rev-parse", "HEAD").strip()
    odd = '"Doe, Jöhn (Ops)" <john.doe@example.org>'
    code, _, err = run("-C", str(kernel_tree), "recipients", "--add-cc", odd,
                       "--remove", "Trevor Gross <tmgross@umich.edu>")
    assert code == 0, err
    code, out, err = run("-C", str(kernel_tree), "recipients", "--write", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert "john.doe@example.org" in {bare(a) for a in data["cc"]}
    assert "tmgross@umich.edu" not in {bare(a) for a in data["to"] + data["cc"]}
    backup = err.split("kept as ")[1].split(")")[0]
    assert git(kernel_tree, "rev-parse", backup).strip() == tip_before
    cover = dry_run_messages(kernel_tree)[0]
    assert "0/2" in cover["Subject"]
    assert header_addresses(cover, "To") == {bare(a) for a in data["to"]}
    assert header_addresses(cover, "Cc") == {bare(a) for a in data["cc"]}
    # Writing again adds nothing twice.
    cover_text = git(kernel_tree, "log", "-1", "--format=%B", "HEAD~2")
    run("-C", str(kernel_tree), "recipients", "--write")
    assert git(kernel_tree, "log", "-1", "--format=%B", "HEAD~2") == cover_text


def test_removing_an_address_already_written_takes_it_out_of_the_cover(kernel_tree):
    rust_series(kernel_tree)
    assert run("-C", str(kernel_tree), "recipients", "--write")[0] == 0
    assert "tmgross@umich.edu" in git(kernel_tree, "log", "-1", "--format=%B", "HEAD~2")
    code, _, err = run("-C", str(kernel_tree), "recipients", "--remove", "tmgross@umich.edu",
                       "--write")
    assert code == 0, err
    assert "tmgross@umich.edu" not in git(kernel_tree, "log", "-1", "--format=%B", "HEAD~2")
    cover = dry_run_messages(kernel_tree)[0]
    assert "tmgross@umich.edu" not in header_addresses(cover, "To") | \
        header_addresses(cover, "Cc")


def test_choices_survive_a_reroll(kernel_tree):
    rust_series(kernel_tree)
    run("-C", str(kernel_tree), "recipients", "--add-to", "Extra <extra@example.org>")
    with SmtpServer() as smtp:
        git(kernel_tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        b4cli.run(["send", "--no-sign", "--to", "list@example.org"], cwd=kernel_tree,
                  answer="\n\n")
        assert smtp.mailbox.messages
    series = load_series(GitRepo(kernel_tree))
    assert series.revision == 2
    result = compute(GitRepo(kernel_tree), series)
    assert "Extra <extra@example.org>" in result.to
    assert [w.source for w in result.reasons["Extra <extra@example.org>"]] == ["user"]


def test_malformed_maintainers_warns_with_line_numbers_and_goes_on(kernel_tree):
    path = kernel_tree / "MAINTAINERS"
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("RUST\n"))
    lines.insert(at + 2, "Q:this line has no space and Z: nonsense\n")
    lines.insert(at + 2, "K:\t(unclosed\n")
    path.write_text("".join(lines))
    git(kernel_tree, "commit", "-q", "-am", "MAINTAINERS: break it")
    rust_series(kernel_tree)
    code, out, err = run("-C", str(kernel_tree), "recipients", "--json")
    assert code == 0
    assert f"MAINTAINERS:{at + 3}:" in err and "Traceback" not in err
    assert RFL in json.loads(out)["cc"]


def test_unclaimed_file_goes_to_the_default_list(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "odd")
    commit(kernel_tree, {"zz-unclaimed/notes.txt": "hello\n"}, "notes: add")
    code, out, _ = run("-C", str(kernel_tree), "recipients", "master..", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["to"] == []
    assert data["cc"] == ["linux-kernel@vger.kernel.org", "Test Dev <dev@example.org>"]
    assert data["reasons"]["linux-kernel@vger.kernel.org"][0]["entry"] == "THE REST"


def test_bad_address_is_refused(kernel_tree):
    rust_series(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "recipients", "--add-to", "not an address")
    assert code == 2 and "not an e-mail address" in err


def test_write_needs_a_b4_series(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "plain")
    commit(kernel_tree, {"samples/rust/rust_p.rs": rust_sample("rust_p")}, "samples: add p")
    before = git(kernel_tree, "for-each-ref")
    code, _, err = run("-C", str(kernel_tree), "recipients", "master..", "--write")
    assert code == 2 and "not managed by b4" in err
    assert git(kernel_tree, "for-each-ref") == before
