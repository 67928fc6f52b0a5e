"""Following a review against the real parts: a 3-patch series sent with real b4 to a real
SMTP server, delivered with the replies into a real public-inbox served on loopback.

Expectations come from the series itself (line numbers are looked up in the sent source).
"""

from __future__ import annotations

import email
import io
import json
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from patchpilot.cli.main import main
from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.lore import LoreClient, msgid_url
from patchpilot.core.review.mail import parse_mail
from patchpilot.core.review.replies import collect, mark_read, set_comment_state
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, git, rust_sample
from tests.publicinbox import PublicInbox
from tests.smtp import SmtpServer

NAMES = ("rust_one", "rust_two", "rust_three")


def send_series(tree) -> dict[str, bytes]:
    """Send a 3-patch series with real b4; {subject: raw mail} of what went out."""
    new_series(GitRepo(tree), "review", fork_point="master")
    for name in NAMES:
        commit(tree, {f"samples/rust/{name}.rs": rust_sample(name)},
               f"samples: rust: add the {name} sample")
    with SmtpServer() as smtp:
        git(tree, "config", "sendemail.smtpServerPort", str(smtp.port))
        result = b4cli.run(["send", "--no-sign", "--to", "list@example.org"], cwd=tree,
                           answer="\n\n")
        assert len(smtp.mailbox.messages) == 4, result.stderr
        return {parse_mail(m.data).subject: m.data for m in smtp.mailbox.messages}


def reply(to: bytes, sender: str, body: str, html: str | None = None, charset="utf-8",
          msgid: str | None = None, subject: str | None = None) -> bytes:
    parent = parse_mail(to)
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, "list@example.org"
    msg["Subject"] = subject or f"Re: {parent.subject}"
    msg["Message-ID"] = msgid or make_msgid(domain="example.com")
    msg["In-Reply-To"] = f"<{parent.msgid}>"
    msg["References"] = " ".join(f"<{m}>" for m in [*parent.references, parent.msgid])
    msg["Date"] = "Tue, 02 Jan 2024 10:00:00 +0000"
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body, charset=charset)
    return msg.as_bytes()


def line_of(name: str, needle: str) -> int:
    return next(i for i, l in enumerate(rust_sample(name).splitlines(), 1) if needle in l)


def quote(name: str, upto: str, count: int = 4) -> str:
    lines = rust_sample(name).splitlines()
    end = line_of(name, upto)
    return "\n".join(f"> +{l}" for l in lines[end - count:end])


def replies_for(sent: dict[str, bytes]) -> dict[str, bytes]:
    by = {s.split("]")[0].split()[-1]: raw for s, raw in sent.items()}  # "0/3", "1/3"...
    one = (f"On Mon, 1 Jan 2024, Test Dev wrote:\n> diff --git a/samples/rust/rust_one.rs "
           f"b/samples/rust/rust_one.rs\n{quote('rust_one', 'pr_info!')}\n\n"
           "Please use pr_debug here, this is noisy.\n\n> +        Ok(RustOne)\n\nNit: a blank line above.\n\n"
           "Reviewed-by: Rev One <rev1@example.com>\n")
    html = ("<html><body><p>Hello,</p><blockquote>+struct RustTwo;<br></blockquote>"
            "<p>Why a <b>unit</b> struct?</p></body></html>")
    latin = ("> +    license: \"GPL\",\n\nGrüße: is \"GPL\" the licence you want here?\n\n"
             "Tested-by: Jörg Müller <joerg@example.de>\n")
    robot = ("Hi Test,\n\nkernel test robot noticed the following build errors:\n\n"
             "error[E0425]: cannot find value `x`\n\n"
             "Reported-by: kernel test robot <lkp@intel.com>\n"
             "Closes: https://lore.kernel.org/oe-kbuild-all/x@intel.com/\n")
    return {
        "inline": reply(by["1/3"], "Rev One <rev1@example.com>", one),
        "ack": reply(by["0/3"], "Maint <maint@example.com>",
                     "Acked-by: Maint <maint@example.com>\n\nOn Mon, Test Dev wrote:\n> cover\n"),
        "html": reply(by["2/3"], "Html User <html@example.com>", "", html=html),
        "latin": reply(by["3/3"], "=?iso-8859-1?q?J=F6rg_M=FCller?= <joerg@example.de>",
                       latin, charset="latin-1"),
        "robot": reply(by["2/3"], "kernel test robot <lkp@intel.com>", robot),
        "nak": reply(by["3/3"], "Grumpy <grumpy@example.com>",
                     "NAK, samples are not the place for this.\n"),
    }


@pytest.fixture
def reviewed(kernel_tree, tmp_path):
    sent = send_series(kernel_tree)
    with PublicInbox(tmp_path / "pi") as inbox:
        git(kernel_tree, "config", "b4.midmask", f"{inbox.base}/%s")
        for raw in sent.values():
            inbox.deliver(raw)
        replies = replies_for(sent)
        for raw in replies.values():
            inbox.deliver(raw)
        yield kernel_tree, inbox, sent, replies


def _json(tree) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(["-C", str(tree), "replies", "--json"], out, err) == 0, err.getvalue()
    return out.getvalue()


def by_sender(report, needle):
    return next(m for m in report.replies(own=True) if needle in m.sender)


def test_review_mapped_per_patch_and_line(reviewed):
    tree, inbox, sent, replies = reviewed
    report = collect(GitRepo(tree))
    assert report.server == inbox.base and report.offline is None
    assert [r.revision for r in report.revisions] == [1]
    assert len(report.revisions[0].replies) == len(replies)
    inline = by_sender(report, "rev1@")
    assert (inline.patch, inline.kind, inline.unread) == (1, "review", True)
    assert [t.line for t in inline.trailers] == ["Reviewed-by: Rev One <rev1@example.com>"]
    first, second = inline.comments
    assert (first.file, first.line) == ("samples/rust/rust_one.rs", line_of("rust_one", "pr_info!"))
    assert first.text.startswith("Please use pr_debug") and "pr_info!" in first.quote
    assert second.line == line_of("rust_one", "Ok(RustOne)")
    assert inline.patch_id == git(tree, "patch-id", "--stable",
                                  input=git(tree, "show", "b4/review~2")).split()[0]
    ack = by_sender(report, "maint@")
    assert (ack.patch, ack.kind, ack.comments) == (0, "ack", [])
    html = by_sender(report, "html@")
    assert html.patch == 2 and html.comments[0].text.strip() == "Why a unit struct?"
    assert (html.comments[0].file, html.comments[0].line) == (
        "samples/rust/rust_two.rs", line_of("rust_two", "struct RustTwo;"))
    latin = by_sender(report, "joerg@")
    assert [t.line for t in latin.trailers] == ["Tested-by: Jörg Müller <joerg@example.de>"]
    assert "Grüße" in latin.comments[0].text and latin.comments[0].line == line_of(
        "rust_three", "license:")
    assert by_sender(report, "lkp@").kind == "bot" and by_sender(report, "grumpy@").kind == "nak"


def test_new_reply_on_refresh_state_and_offline(reviewed):
    tree, inbox, sent, replies = reviewed
    repo = GitRepo(tree)
    first = collect(repo)
    mark_read(repo, [m.msgid for m in first.revisions[0].replies])
    comment = by_sender(first, "rev1@").comments[0]
    set_comment_state(repo, comment.id, "wontfix", note="pr_info is wanted")
    cover = next(raw for s, raw in sent.items() if "0/3" in s)
    inbox.deliver(reply(cover, "Late <late@example.com>", "Acked-by: Late <late@example.com>\n"))
    patch_two = next(raw for s, raw in sent.items() if "2/3" in s)
    renamed = email.message_from_bytes(reply(patch_two, "Side <side@example.com>",
                                             "A thought on a related topic.\n",
                                             subject="Kconfig question (was: samples)"))
    renamed["Cc"] = "Test Dev <dev@example.org>"  # reply-all copies the author
    inbox.deliver(renamed.as_bytes())
    assert len(collect(repo).revisions[0].replies) == len(replies)  # cache until refresh
    fresh = collect(repo, refresh=True)
    late = by_sender(fresh, "late@")
    assert late.unread and late.kind == "ack"
    assert by_sender(fresh, "side@").patch == 2  # found by the author's address, not subject
    assert not by_sender(fresh, "rev1@").unread
    kept = by_sender(fresh, "rev1@").comments[0]
    assert (kept.state, kept.note) == ("wontfix", "pr_info is wanted")
    inbox.stop()
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(tree), "replies", "--json", "--refresh"], out, err)
    assert code == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    assert len(doc["revisions"][0]["messages"]) == len(replies) + 2
    assert doc["revisions"][0]["fetched_at"] and "unreachable" in doc["offline"]
    assert "unreachable" in err.getvalue() and "Traceback" not in err.getvalue()


def test_cli_set_state_and_hostile_message(reviewed):
    tree, inbox, sent, _ = reviewed
    patch1 = next(raw for s, raw in sent.items() if "1/3" in s)
    evil_id = "<../../x;$(touch${IFS}pwned)`id`@evil>"
    inbox.deliver(reply(patch1, "[bold red]Evil[/] <evil@example.com>",
                        "> +struct RustOne;\n\n\x1b[31mred\x1b]0;title\x07 [link=x]hi[/link]\n",
                        msgid=evil_id))
    out, err = io.StringIO(), io.StringIO()
    assert main(["-C", str(tree), "replies", "--refresh"], out, err) == 0, err.getvalue()
    assert "\x1b" not in out.getvalue() and "[bold red]Evil[/]" in out.getvalue()
    assert not (tree / "pwned").exists()
    doc = json.loads(_json(tree))
    # The ID as the list holds it (mail tools cut it at the ';'): still a "../" path.
    evil = next(m["msgid"] for m in doc["revisions"][0]["messages"]
                if m["msgid"].startswith("../"))
    assert "/../" not in msgid_url(inbox.base, evil, "t.mbox.gz").split("/test/", 1)[1]
    assert LoreClient(inbox.base, tree / "c").fetch_thread_full(evil)[0] is None
    out, err = io.StringIO(), io.StringIO()
    assert main(["-C", str(tree), "replies", "--set-state", f"{evil}:1", "addressed",
                 "--json"], out, err) == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    comment = next(c for m in doc["revisions"][0]["messages"] for c in m["comments"]
                   if c["id"] == f"{evil}:1")
    assert comment["state"] == "addressed" and comment["revision"] == 2
    assert main(["-C", str(tree), "replies", "--set-state", "nope@x:1", "replied"],
                io.StringIO(), err := io.StringIO()) == 2 and "no comment" in err.getvalue()
