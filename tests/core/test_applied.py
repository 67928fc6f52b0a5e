"""Reading "applied" mails: b4 ty's wording, patchwork-bot's, hand-written ones, and mails that
only look like it (a tester applying a patch locally, quoted text)."""

from __future__ import annotations

import pytest

from patchpilot.core.review.applied import find_applied, statement
from patchpilot.core.review.mail import Mail

B4_TY = """On Mon, 01 Jan 2024 10:00:00 +0000, Test Dev wrote:
> Three samples for the pilot.
>
> [...]

Applied to rust-next (main), thanks!

[1/3] samples: rust: add the rust_one sample
      commit: 0123456789abcdef0123456789abcdef01234567
[2/3] samples: rust: add the rust_two sample
      commit: https://git.kernel.org/rust/c/89abcdef0123
[3/3] samples: rust: add the rust_three sample
      (no commit info)

Best regards,
-- 
Miguel Maintainer <maint@example.com>
"""

PW_BOT = """Hello:

This series was applied to netdev/net-next.git (main)
by Jakub Maint <kuba@example.org>:

On Mon, 1 Jan 2024 10:00:00 +0000 you wrote:
> Three samples.

Here is the summary with links:
  - [net-next,v2,1/3] net: phy: one
    https://git.kernel.org/netdev/net-next/c/abcdef012345
  - [net-next,v2,2/3] net: phy: two
    https://git.kernel.org/netdev/net-next/c/bcdef0123456

You are awesome, thank you!
"""


def mail(body: str, date: str = "2024-01-05T10:00:00+00:00", msgid: str = "ty@x") -> Mail:
    return Mail(msgid, "Re: [PATCH 0/3] x", "Maint <maint@example.com>", "maint@example.com",
                date, None, body=body)


def test_b4_ty_with_tree_branch_and_commits():
    applied = find_applied([(mail(B4_TY), 0)], total=3)
    assert applied is not None and applied.whole
    assert (applied.tree, applied.branch) == ("rust-next", "main")
    assert [(p.index, p.commit) for p in applied.patches] == [
        (1, "0123456789abcdef0123456789abcdef01234567"), (2, "89abcdef0123"), (3, None)]
    assert applied.patches[0].subject == "samples: rust: add the rust_one sample"
    assert applied.label == "applied to rust-next (main)" and applied.msgids == ["ty@x"]


def test_b4_ty_subset_and_default_wording():
    body = ("On Mon, Test Dev wrote:\n> x\n\nApplied, thanks!\n\n"
            "[1/3] samples: rust: add the rust_one sample\n      commit: 0123456789ab\n")
    applied = find_applied([(mail(body), 0)], total=3)
    assert applied is not None and not applied.whole and applied.tree is None
    assert [p.index for p in applied.patches] == [1] and applied.label == "1 patch applied"


def test_patchwork_bot():
    applied = find_applied([(mail(PW_BOT), 0)], total=3)
    assert (applied.tree, applied.branch) == ("netdev/net-next.git", "main")
    assert [(p.index, p.commit) for p in applied.patches] == [(1, "abcdef012345"),
                                                             (2, "bcdef0123456")]
    assert not applied.whole and applied.label.startswith("2 patches applied to netdev/")


@pytest.mark.parametrize("line,tree,branch,numbers", [
    ("Applied to rust-next, thanks!", "rust-next", None, ()),
    ("Applied to `rust-next` -- thanks everyone!", "rust-next", None, ()),
    ("Thanks, applied.", None, None, ()),
    ("Applied.", None, None, ()),
    ("I've applied this to my for-next branch.", None, "for-next", ()),
    ("Applied patches 1-2 to the driver-core-next branch, thanks.", None, "driver-core-next",
     (1, 2)),
    ("Applied patches 1 and 3 to tip/sched/core.", "tip/sched/core", None, (1, 3)),
    ("Now applied to kvm/queue (next), thanks", "kvm/queue", "next", ()),
])
def test_hand_written_forms(line, tree, branch, numbers):
    said = statement(line)
    assert said is not None and (said.tree, said.branch, said.numbers) == (tree, branch, numbers)


@pytest.mark.parametrize("line", [
    "Applied on top of linux-next and it fails to build.",
    "I applied it locally and tested it, looks good.",
    "Applied cleanly to v6.12 but I see a warning.",
    "Applied to my tree for testing, and it breaks the build",
    "Could this be applied to rust-next?",
    "This will be applied once the dependency lands.",
    "Tested-by: Someone <s@x>",
])
def test_not_an_application(line):
    assert statement(line) is None


def test_quoted_applied_is_not_the_senders():
    body = "> Applied, thanks!\n\nThat was too early, please revert.\n"
    assert find_applied([(mail(body), 0)], total=2) is None


def test_answer_to_one_patch_and_mails_combined():
    one = mail("Applied to rust-next, thanks!\n", "2024-01-05T10:00:00+00:00", "a@x")
    two = mail("Applied patch 2 to rust-fixes.\n", "2024-01-06T10:00:00+00:00", "b@x")
    applied = find_applied([(two, 0), (one, 1)], total=2, subjects={1: "one", 2: "two"})
    assert [(p.index, p.subject) for p in applied.patches] == [(1, "one"), (2, "two")]
    assert applied.whole and applied.tree == "rust-fixes" and applied.msgids == ["a@x", "b@x"]
    assert find_applied([(mail("Applied to rust-next.\n"), 0)], total=2).whole  # the cover
