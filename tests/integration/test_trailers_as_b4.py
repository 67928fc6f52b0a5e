"""Trailers on the user's path, in the shapes of b4's own trailer tests (our own mail, written
for these tests): a 3-patch series sent with real b4 to a real SMTP server, the archive's copy
and the replies delivered into a real public-inbox, then `replies --refresh`, `trailers` and
`trailers --apply` with real b4.

- values exactly as the reviewer wrote them: `Name (corporate) <...>`, `Last, First <...>`,
  `Name [corp] <...>`, a mail client's `<mailto:...>` taken out;
- a `Link:` and a `Closes:` beside a Tested-by, applied as b4 applies them;
- a later revision's patch mail in the thread is no reply: its trailers are not listed;
- `ready` is what --apply applies: a sender in b4.trailers-ignore-from is left for the user
  (and applied once accepted); a patch whose archived copy lost its whitespace-only lines
  still gets its tag (b4 alone misses it);
- a trailer b4 does not apply is said with b4's own words.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.config import Config
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.reroll.apply import apply_trailers
from patchpilot.core.reroll.plan import make_plan
from patchpilot.core.reroll.trailers import READY
from patchpilot.core.review.mail import parse_mail
from patchpilot.core.review.replies import make_client
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample
from tests.integration.test_replies import reply
from tests.integration.test_reroll import by_number, ok_json, send
from tests.integration.test_send import run, set_cover
from tests.publicinbox import PublicInbox

MINIMAL = "samples/rust/rust_minimal.rs"
CORP = "Reviewed-by: Rae Corp (corporate) <rae@example.com>"
COMMA = "Tested-by: Tester, Quinn <quinn@example.com>"
BRACKET = "Tested-by: Bea Bracket [corp] <bea@example.com>"
HTML = "Reviewed-by: Hal Html <hal@example.com>"
TESTED = "Tested-by: Tim Tester <tim@example.com>"
LINK = "Link: https://bugs.example.org/report/17"
CLOSES = "Closes: https://bugs.example.org/17"
IGNORED = "Acked-by: Ivy Ignored <ivy@example.com>"
LATER = "Reviewed-by: Vera Later <vera@example.com>"
OLD_ACK = "Acked-by: Old Acker <Old.Acker@example.com>"  # in the commit already
ACK_AGAIN = "Acked-by: Old Acker <old.acker@example.com>"  # the same for b4 (case)


def series_with_blank_context(tree) -> None:
    """Patch 2 edits an existing file between blank lines: its diff has whitespace-only
    context lines (` `), the ones an archive may lose."""
    new_series(GitRepo(tree), "shapes", fork_point="master")
    commit(tree, {"samples/rust/rust_alpha.rs": rust_sample("rust_alpha")},
           "samples: rust: add the alpha sample")
    text = (tree / MINIMAL).read_text().replace("//! Rust minimal sample.",
                                                "//! Rust minimal sample, with numbers.")
    commit(tree, {MINIMAL: text}, "samples: rust: minimal: say what it shows")
    commit(tree, {"samples/rust/rust_gamma.rs": rust_sample("rust_gamma")},
           f"samples: rust: add the gamma sample\n\n{OLD_ACK}")
    set_cover(tree, "samples: rust: three changes\n\nThree small changes.\n")
    code, _, err = run(tree, "recipients", "--write")
    assert code == 0, err


def stripped(raw: bytes) -> bytes:
    """The mail as an archive that loses whitespace-only lines keeps it."""
    return re.sub(rb"(?m)^[ \t]+(\r?)$", rb"\1", raw)


def later_patch(parent: bytes) -> bytes:
    """A v2 of patch 3 posted in reply to v1's (a partial reroll), with a trailer of its own."""
    mail = parse_mail(parent)
    msg = EmailMessage()
    msg["From"], msg["To"] = "Co Author <co@example.com>", "list@example.org"
    msg["Subject"] = "[PATCH v2 3/3] samples: rust: add the gamma sample"
    msg["Message-ID"] = "<v2-3-partial@example.com>"
    msg["In-Reply-To"] = f"<{mail.msgid}>"
    msg["References"] = " ".join(f"<{m}>" for m in [*mail.references, mail.msgid])
    msg["Date"] = "Tue, 02 Jan 2024 11:00:00 +0000"
    msg.set_content(f"Add the gamma sample.\n\n{LATER}\nSigned-off-by: Co Author "
                    "<co@example.com>\n---\ndiff --git a/samples/rust/rust_gamma.rs "
                    "b/samples/rust/rust_gamma.rs\n--- a/samples/rust/rust_gamma.rs\n"
                    "+++ b/samples/rust/rust_gamma.rs\n@@ -1 +1 @@\n-// old\n+// new\n")
    return msg.as_bytes()


@pytest.fixture
def shaped(kernel_tree, tmp_path):
    tree = kernel_tree
    series_with_blank_context(tree)
    by = by_number(send(tree))
    assert b"\n \n" in by["2/3"].replace(b"\r\n", b"\n")  # blank context lines, as sent
    git(tree, "config", "b4.trailers-ignore-from", "Ivy <ivy@example.com>")
    with PublicInbox(tmp_path / "pi") as inbox:
        git(tree, "config", "b4.midmask", f"{inbox.base}/%s")
        for number, raw in by.items():
            inbox.deliver(stripped(raw) if number == "2/3" else raw)
        for parent, sender, text in (
                ("1/3", "Rae Corp <rae@example.com>", f"Thanks!\n\n{CORP}\n"),
                ("1/3", "Quinn Tester <quinn@example.com>", f"{COMMA}\n"),
                ("1/3", "Bea Bracket <bea@example.com>", f"{BRACKET}\n"),
                ("1/3", "Hal Html <hal@example.com>",
                 "Reviewed-by: Hal Html <hal@example.com<mailto:hal@example.com>>\n"),
                ("2/3", "Tim Tester <tim@example.com>",
                 f"> +//! Rust minimal sample, with numbers.\n\n{TESTED}\n{LINK}\n{CLOSES}\n"),
                ("0/3", "Ivy Ignored <ivy@example.com>", f"{IGNORED}\n"),
                ("3/3", "Old Acker <old.acker@example.com>", f"{ACK_AGAIN}\n")):
            inbox.deliver(reply(by[parent], sender, text))
        inbox.deliver(later_patch(by["3/3"]))
        assert run(tree, "replies", "--refresh")[0] == 0
    return tree


def test_trailers_listed_and_applied_as_b4_writes_them(shaped):
    tree = shaped
    listed = {t["trailer"]: t for t in ok_json(tree, "trailers")["trailers"]}
    assert LATER not in listed  # the later revision's patch mail gave nothing
    assert set(listed) == {CORP, COMMA, BRACKET, HTML, TESTED, LINK, CLOSES, IGNORED, ACK_AGAIN}
    assert listed[ACK_AGAIN]["status"] == "applied"  # b4 compares without regard to case
    assert {t["trailer"] for t in listed.values() if t["status"] == READY} == \
        {CORP, COMMA, BRACKET, HTML, TESTED, LINK, CLOSES}
    assert listed[TESTED]["targets"] == [2]
    assert listed[IGNORED]["status"] == "ignore-from"

    # b4 alone, on the thread as archived, misses patch 2 (its copy lost the blank lines)
    repo = GitRepo(tree)
    before = repo.rev_parse("HEAD")
    mbox = tree.parent / "thread.mbox"
    cover = load_series(repo).sent[0].msgids[0].strip("<>")
    mbox.write_bytes(make_client(repo, Config(repo)).cached(cover).mbox)
    b4cli.run(["--no-stdin", "--offline-mode", "trailers", "-u", "-m", str(mbox)], cwd=tree,
              answer="y\n")
    alone = git(tree, "log", "--format=%B%x00", "master..HEAD").split("\0")
    assert CORP in alone[2] and TESTED not in alone[1], alone
    git(tree, "reset", "-q", "--hard", before)

    applied = ok_json(tree, "trailers", "--apply", "--yes")
    assert applied["not_applied"] == []
    assert {t["id"] for t in applied["applied"]} == \
        {t["id"] for t in listed.values() if t["status"] == READY}  # ready == applied
    bodies = git(tree, "log", "--reverse", "--format=%B%x00", "master..HEAD").split("\0")[1:]
    trailers = [[line for line in b.splitlines() if re.match(r"^[A-Z][\w-]*: ", line)]
                for b in bodies[:3]]
    sob = "Signed-off-by: Test Dev <dev@example.org>"  # b4 places them above it
    assert sorted(trailers[0]) == sorted([sob, CORP, COMMA, BRACKET, HTML])
    assert trailers[1] == [TESTED, LINK, CLOSES, sob]  # together, as the tester wrote them
    assert trailers[2] == [OLD_ACK, sob]

    again = {t["trailer"]: t for t in ok_json(tree, "trailers")["trailers"]}
    assert {t["status"] for k, t in again.items() if k != IGNORED} == {"applied"}
    accepted = ok_json(tree, "trailers", "--apply", "--yes", "--accept", again[IGNORED]["id"])
    assert [t["trailer"] for t in accepted["applied"]] == [IGNORED]
    assert all(IGNORED in b for b in git(tree, "log", "--format=%B%x00",
                                         "master..HEAD").split("\0")[:3])


def test_a_trailer_b4_does_not_apply_is_said_with_why(shaped):
    tree, repo = shaped, GitRepo(shaped)
    plan = make_plan(repo)
    item = next(t for t in plan.trailers if t.line == CORP)
    item.address = "someone-else@example.net"  # b4 now sees another sender: it leaves it out
    result = apply_trailers(repo, plan.series, [item])
    assert result.not_applied == [item] and result.applied == []
    assert "mismatch" in result.why[item.id] and "someone-else@example.net" in result.why[item.id]
    code, _, err = run(tree, "trailers", "--apply", "--yes")
    assert code == 0 and "b4 did not apply" not in err, err
