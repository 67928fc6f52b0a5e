"""Rerolling against the real parts: v1 of a 3-patch Rust series sent with real b4 to a real
SMTP server, its review delivered into a real public-inbox, trailers applied by real b4,
patch 2 amended, the changelog drafted into the cover, the checks re-run, and v2 sent.
"""

from __future__ import annotations

import contextlib
import email
import json

import pytest

from patchpilot.core.b4 import state as b4state
from patchpilot.core.git import rewrite
from patchpilot.core.git.repo import GitRepo
from tests.helpers import commit, git, rust_sample
from tests.integration.test_replies import quote, reply
from tests.integration.test_send import SEND, received, run, rust_series
from tests.publicinbox import PublicInbox
from tests.smtp import SmtpServer

COMMENT = "Please use pr_debug here, this sample is noisy."
QUESTION = "Why does gamma need its own module instead of joining alpha?"


def send(tree) -> list[email.message.Message]:
    with SmtpServer() as smtp:
        git(tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        code, _, err = run(tree, *SEND)
        assert code == 0, err
        return received(smtp)


def by_number(mails) -> dict[str, bytes]:
    return {m["Subject"].split("]")[0].split()[-1]: m.as_bytes() for m in mails}


def ok_json(tree, *argv):
    code, out, err = run(tree, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@contextlib.contextmanager
def sent_to_inbox(tree, tmp_path):
    """v1 of the 3-patch series sent, and delivered to a public-inbox b4.midmask points at."""
    rust_series(tree)
    mails = send(tree)
    assert len(mails) == 4
    by = by_number(mails)
    with PublicInbox(tmp_path / "pi") as inbox:
        git(tree, "config", "b4.midmask", f"{inbox.base}/%s")
        for raw in by.values():
            inbox.deliver(raw)
        yield inbox, by


@pytest.fixture
def reviewed(kernel_tree, tmp_path):
    """v1 sent and reviewed: Reviewed-by on patch 1 ("Looks good.": no comment), an inline
    comment on patch 2, a question on patch 3, an Acked-by on the cover; the replies fetched
    once."""
    with sent_to_inbox(kernel_tree, tmp_path) as (inbox, by):
        inbox.deliver(reply(by["1/3"], "Rev One <rev1@example.com>",
                            "Looks good.\n\nReviewed-by: Rev One <rev1@example.com>\n\n"
                            "Thanks,\nRev\n"))
        inbox.deliver(reply(by["3/3"], "Rev Three <rev3@example.com>",
                            f"Hi,\n\n{QUESTION}\n\nCheers,\nRev Three\n"))
        inbox.deliver(reply(by["2/3"], "Rev Two <rev2@example.com>",
                            f"On Mon, Test Dev wrote:\n> diff --git a/samples/rust/rust_beta.rs "
                            f"b/samples/rust/rust_beta.rs\n{quote('rust_beta', 'pr_info!')}\n\n"
                            f"{COMMENT}\n"))
        inbox.deliver(reply(by["0/3"], "Maint <maint@example.com>",
                            "Acked-by: Maint <maint@example.com>\n"))
        assert run(kernel_tree, "replies", "--refresh")[0] == 0
        yield kernel_tree, inbox


def amend_patch_2(tree) -> None:
    """Replace pr_info by pr_debug in patch 2 (a fixup squashed in, as a user would)."""
    text = rust_sample("rust_beta").replace("pr_info!", "pr_debug!")
    commit(tree, {"samples/rust/rust_beta.rs": text}, "fixup! samples: rust: add the beta sample")
    cover = git(tree, "rev-list", "--reverse", "master..HEAD").split()[0]
    git(tree, "-c", "sequence.editor=true", "rebase", "-q", "-i", "--autosquash", cover)


def test_trailers_changelog_recheck_and_v2(reviewed):
    tree, inbox = reviewed
    repo = GitRepo(tree)
    assert run(tree, "check")[0] in (0, 1)  # fills the checks cache for v1's patches

    listed = {t["trailer"]: t for t in ok_json(tree, "trailers")["trailers"]}
    assert listed["Reviewed-by: Rev One <rev1@example.com>"]["targets"] == [1]
    assert listed["Acked-by: Maint <maint@example.com>"]["targets"] == [1, 2, 3]
    assert {t["status"] for t in listed.values()} == {"ready"}

    applied = ok_json(tree, "trailers", "--apply", "--yes")
    assert applied["not_applied"] == [] and applied["rewritten"] == 3
    assert repo.rev_parse(applied["backup"])
    bodies = git(tree, "log", "--format=%s%n%b%x00", "master..HEAD").split("\0")
    alpha = next(b for b in bodies if "alpha sample" in b)
    assert "Reviewed-by: Rev One <rev1@example.com>" in alpha
    assert all("Acked-by: Maint <maint@example.com>" in b for b in bodies if "add the" in b)

    amend_patch_2(tree)
    replies = ok_json(tree, "replies")
    comment = next(c for m in replies["revisions"][0]["messages"] for c in m["comments"]
                   if COMMENT in c["text"])
    assert run(tree, "replies", "--set-state", comment["id"], "addressed")[0] == 0

    plan = ok_json(tree, "reroll")["plan"]
    status = {p["new"]: p for p in plan["patches"]}
    assert status[2]["status"] == "changed"
    assert status[2]["files"] == ["samples/rust/rust_beta.rs"]
    assert status[2]["functions"] == ["fn RustBeta::init"]  # from the syntax tree
    assert status[1]["status"] == status[3]["status"] == "unchanged"
    assert status[1]["message"] == "trailers"
    changelog = "\n".join(plan["changelog"])
    assert "add the beta sample (patch 2): changed samples/rust/rust_beta.rs" in changelog
    assert "Rev Two's comment" in changelog and "Please use pr_debug here" in changelog
    assert "alpha" not in changelog.split("Collected tags")[0]
    assert "Looks good" not in changelog and "Cheers" not in changelog
    # "Looks good." around a Reviewed-by, "Hi,", "Thanks,"/"Cheers," and a name: no comments
    assert [(c["reviewer"], c["text"]) for c in plan["open_comments"]] == \
        [("Rev Three <rev3@example.com>", QUESTION)]

    written = ok_json(tree, "reroll", "--write-changelog", "--per-patch", "--yes")
    assert written["changelog_written"] and list(written["patch_notes"]) == ["2"]
    code, cover_text, _ = run(tree, "cover")
    assert "changed samples/rust/rust_beta.rs" in cover_text
    assert "EDITME" not in cover_text and "- Link to v1:" in cover_text

    checks = ok_json(tree, "reroll", "--check")["checks"]
    assert checks["rerun"] == [2] and checks["reused"] == [1, 3]

    with SmtpServer() as smtp:  # an open comment blocks the send until it is answered
        git(tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        code, _, err = run(tree, *SEND)
        assert code == 1 and "comments" in err and smtp.mailbox.messages == [], err
    question = plan["open_comments"][0]["id"]
    assert run(tree, "replies", "--set-state", question, "replied")[0] == 0
    v2 = send(tree)
    assert len(v2) == 4
    body = {m["Subject"].split("]")[0].split()[-1]:
            m.get_payload(decode=True).decode().replace("\r\n", "\n")
            for m in v2}
    assert "[PATCH v2 0/3]" in v2[0]["Subject"]
    assert "Changes in v2:" in body["0/3"] and "Rev Two's comment" in body["0/3"]
    assert "Link to v1: " in body["0/3"]
    assert "Reviewed-by: Rev One <rev1@example.com>" in body["1/3"]
    assert "Acked-by: Maint <maint@example.com>" in body["3/3"]
    assert "pr_debug!" in body["2/3"]
    note = body["2/3"].split("\n---\n")
    assert "Signed-off-by: Test Dev" in note[0] and "Changes in v2:" not in note[0]
    assert note[1].startswith("Changes in v2:\n- Changed samples/rust/rust_beta.rs")
    assert "Changes in v2:" not in body["1/3"] and "Changes in v2:" not in body["3/3"]


def test_sender_mismatch_is_left_until_accepted_and_undo(kernel_tree, tmp_path):
    with sent_to_inbox(kernel_tree, tmp_path) as (inbox, by):
        inbox.deliver(reply(by["3/3"], "Someone Else <else@example.com>",
                            "Reviewed-by: Rev Three <rev3@example.com>\n"))
        assert run(kernel_tree, "replies", "--refresh")[0] == 0
    tree, repo = kernel_tree, GitRepo(kernel_tree)
    item = ok_json(tree, "trailers")["trailers"][0]
    assert item["status"] == "sender-mismatch" and "Someone Else" in item["how"]
    before = repo.rev_parse("HEAD")
    code, _, err = run(tree, "trailers", "--apply", "--yes")
    assert code == 2 and "no trailer to apply" in err and repo.rev_parse("HEAD") == before

    applied = ok_json(tree, "trailers", "--apply", "--yes", "--accept", item["id"])
    assert [t["id"] for t in applied["applied"]] == [item["id"]]
    assert "Reviewed-by: Rev Three" in git(tree, "log", "-1", "--format=%B")
    after = repo.rev_parse("HEAD")

    code, out, err = run(tree, "undo", "--yes")
    assert code == 0, err
    assert repo.rev_parse("HEAD") == before
    assert after in git(tree, "for-each-ref", "--format=%(objectname)",
                        f"{rewrite.BACKUP_PREFIX}/b4/pilot/")
    # the rewrite before (the recipients written into the cover) was followed by the send,
    # which moved the branch: undoing it would lose that, so it is refused
    code, _, err = run(tree, "undo", "--yes")
    assert code == 1 and "changed after the last rewrite (write the recipients)" in err
    assert repo.rev_parse("HEAD") == before


def test_never_sent_and_tags_that_do_not_match(kernel_tree):
    tree = kernel_tree
    rust_series(tree)
    code, _, err = run(tree, "reroll")
    assert code == 2 and "no sent revision before v1" in err and "Traceback" not in err

    send(tree)
    tag = git(tree, "tag", "-l", "sent/*").split()[0]
    target = git(tree, "rev-parse", f"{tag}^{{commit}}").strip()
    git(tree, "tag", "-d", tag)
    code, _, err = run(tree, "reroll")
    assert code == 2 and "was never sent" in err and "no sent/ tag" in err

    git(tree, "tag", "-a", "-m", "not from b4", tag, target)
    code, _, err = run(tree, "reroll")
    assert code == 2 and "does not say which base" in err

    git(tree, "tag", "-f", "-a", "-m", "x\n\nbase-commit: " + git(tree, "rev-parse", "master")
        .strip() + "\nchange-id: 20200101-other-000000000000\n", tag, target)
    code, _, err = run(tree, "reroll")
    assert code == 2 and "belongs to change-id 20200101-other" in err


def test_rebased_onto_a_new_base_still_pairs_patches(kernel_tree):
    tree = kernel_tree
    rust_series(tree)
    send(tree)
    cover = git(tree, "rev-list", "--reverse", "master..HEAD").split()[0]
    git(tree, "switch", "-q", "master")
    commit(tree, {"Documentation/rust/new-note.rst": "A note.\n"}, "docs: rust: a note")
    git(tree, "switch", "-q", "b4/pilot")
    git(tree, "rebase", "-q", "--onto", "master", f"{cover}~1")
    plan = ok_json(tree, "reroll")["plan"]
    assert [(p["old"], p["new"], p["status"]) for p in plan["patches"]] == \
        [(1, 1, "unchanged"), (2, 2, "unchanged"), (3, 3, "unchanged")]
    assert plan["changelog"] == ["- No changes to the patches"]


def test_interrupted_rewrite_leaves_the_branch_as_before(reviewed):
    tree, _ = reviewed
    repo = GitRepo(tree)
    before = repo.rev_parse("HEAD")
    # A failure after b4 rewrote the commits: the whole rewrite is taken back.
    from patchpilot.core.reroll.apply import apply_trailers
    from patchpilot.core.reroll.plan import make_plan
    plan = make_plan(repo)
    with pytest.raises(RuntimeError):
        with rewrite.guarded(repo, "b4/pilot", "reroll"):
            apply_trailers(repo, plan.series, plan.trailers)
            assert repo.rev_parse("HEAD") != before
            raise RuntimeError("killed between two steps")
    assert repo.rev_parse("HEAD") == before and not repo.is_dirty()

    # A process killed after b4 moved the branch: the next run finds the started rewrite
    # and puts the branch back, keeping the half-done state under a backup ref.
    assert run(tree, "trailers", "--apply", "--yes")[0] == 0
    half = repo.rev_parse("HEAD")
    journal = repo.git_dir / "patchpilot" / "rewrites.json"
    entries = json.loads(journal.read_text())
    entries[-1]["state"], entries[-1]["after"] = "started", None
    journal.write_text(json.dumps(entries))
    code, _, err = run(tree, "trailers", "--apply", "--yes")  # recovers first, then applies
    assert code == 0, err
    history = rewrite.history(repo)
    assert history[-2].state == "recovered"
    refs = git(tree, "for-each-ref", "--format=%(objectname)", "refs/patchpilot/backup/")
    assert half in refs


def test_plain_b4_series_reordered_dropped_and_new(kernel_tree):
    """A series sent with b4 alone (its tag and history are b4's), then reworked by hand."""
    from tests.integration.test_replies import send_series
    tree = kernel_tree
    send_series(tree)
    cover = git(tree, "rev-list", "--reverse", "master..HEAD").split()[0]
    # drop patch 1, swap patches 2 and 3
    todo = ("import sys; p = sys.argv[1]; lines = [l for l in open(p) if l.startswith('pick')]; "
            "open(p, 'w').write(lines[2] + lines[1])")
    git(tree, "-c", f"sequence.editor=python3 -c \"{todo}\"", "rebase", "-q", "-i", cover)
    commit(tree, {"samples/rust/rust_four.rs": rust_sample("rust_four")},
           "samples: rust: add the rust_four sample")
    plan = ok_json(tree, "reroll")["plan"]
    rows = [(p["old"], p["new"], p["status"], p["reordered"]) for p in plan["patches"]]
    assert rows == [(3, 1, "unchanged", True), (2, 2, "unchanged", True),
                    (None, 3, "new", False), (1, None, "dropped", False)]
    changelog = plan["changelog"]
    assert "- New patch 3: samples: rust: add the rust_four sample" in changelog
    assert "- Dropped samples: rust: add the rust_one sample" in changelog
    assert "- Moved samples: rust: add the rust_three sample to patch 1" in changelog
    code, text, _ = run(tree, "reroll")
    assert code == 0
    assert "  3 -> 1   unchanged, reordered  samples: rust: add the rust_three sample" in text
    assert "  1 -> -   dropped" in text and "trailers: 0 collected, 0 ready" in text


def test_a_stale_interrupted_rewrite_never_takes_newer_work(kernel_tree):
    tree = kernel_tree
    rust_series(tree)
    repo = GitRepo(tree)
    before = repo.rev_parse("HEAD")
    # what a rewrite killed right after it started leaves behind
    rewrite._save(repo, [rewrite.Rewrite("b4/pilot", "apply trailers", before,
                                         rewrite.backup(repo, "b4/pilot", before), 0.0)])
    new_work = commit(tree, {"samples/rust/rust_delta.rs": rust_sample("rust_delta")},
                      "samples: rust: add the delta sample")
    _, _, err = run(tree, "reroll")  # reroll recovers first and says it left it alone (then
    # stops: this series was never sent)
    assert "interrupted rewrite (apply trailers) was left alone: new work was committed" in err
    assert repo.rev_parse("HEAD") == new_work
    assert rewrite.history(repo)[-1].state == "abandoned"
    assert rewrite.recover(repo, "b4/pilot") is None  # said once: nothing is left to recover


def test_one_rewrite_at_a_time_across_processes(kernel_tree):
    import subprocess
    import sys
    import textwrap
    tree = kernel_tree
    rust_series(tree)
    repo = GitRepo(tree)
    holder = textwrap.dedent(f"""
        import sys, time
        from patchpilot.core.git import rewrite
        from patchpilot.core.git.repo import GitRepo
        with rewrite.guarded(GitRepo({str(tree)!r}), "b4/pilot", "slow rewrite"):
            print("holding", flush=True)
            sys.stdin.readline()
    """)
    proc = subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "holding"
        assert rewrite.recover(repo, "b4/pilot") is None  # in progress, not interrupted
        assert rewrite.history(repo)[-1].state == "started"
        with pytest.raises(Exception, match="another patchpilot is rewriting"):
            with rewrite.guarded(repo, "b4/pilot", "second"):
                pass
    finally:
        proc.communicate("\n", timeout=30)
    assert proc.returncode == 0 and rewrite.history(repo)[-1].state == "done"


def test_branch_description_cover_is_written_undone_and_rolled_back(kernel_tree):
    """With b4's branch-description strategy the cover lives in git config, not in a commit:
    the rewrite journal keeps it too, so undo and a failed rewrite put it back."""
    tree = kernel_tree
    git(tree, "config", "b4.prep-cover-strategy", "branch-description")
    rust_series(tree)
    send(tree)
    repo = GitRepo(tree)
    description = git(tree, "config", "branch.b4/pilot.description")
    assert "EDITME: describe what is new" in description
    assert ok_json(tree, "reroll", "--write-changelog", "--yes")["changelog_written"]
    assert "- No changes to the patches" in git(tree, "config", "branch.b4/pilot.description")
    assert run(tree, "undo", "--yes")[0] == 0
    assert git(tree, "config", "branch.b4/pilot.description") == description

    from patchpilot.core.reroll.changelog import write_changelog
    from patchpilot.core.series.model import load_series
    with pytest.raises(RuntimeError):
        with b4state.guarded(repo, "b4/pilot", "two steps"):
            write_changelog(repo, load_series(repo), ["- first step"])
            assert "- first step" in git(tree, "config", "branch.b4/pilot.description")
            raise RuntimeError("the second step failed")
    assert git(tree, "config", "branch.b4/pilot.description") == description
