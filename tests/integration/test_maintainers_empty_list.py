"""An empty `L:` line in MAINTAINERS gives no recipient, as with get_maintainer.pl under b4.

get_maintainer.pl prints an empty line for it, which b4 (and patchpilot's own runner of the
script) drops; the engine must not turn it into an empty Cc. Real MAINTAINERS, real script.
"""

from __future__ import annotations

import io
import json

from patchpilot.cli.main import main
from patchpilot.core.recipients.maintainers.engine import Maintainers, run_get_maintainer
from tests.helpers import commit, git


def test_an_empty_list_line_is_no_recipient(kernel_tree):
    path = kernel_tree / "MAINTAINERS"
    text = path.read_text()
    entry = text.index("\nRUST\n")
    first_list = text.index("\nL:", entry)
    path.write_text(text[:first_list] + "\nL:" + text[first_list:])
    git(kernel_tree, "commit", "-q", "-a", "-m", "MAINTAINERS: an empty list line")
    target = kernel_tree / "rust" / "kernel" / "lib.rs"
    sha = commit(kernel_tree, {"rust/kernel/lib.rs": target.read_text() + "\n// more\n"},
                 "rust: kernel: touch lib.rs")
    mail = git(kernel_tree, "format-patch", "-1", "--stdout", sha)
    ours = Maintainers.load(kernel_tree).recipients(mail)
    theirs = run_get_maintainer(kernel_tree, mail)
    assert "" not in ours.cc and "" not in ours.to
    assert (ours.to, ours.cc) == (theirs.to, theirs.cc)
    assert "rust-for-linux@vger.kernel.org" in ours.cc
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(kernel_tree), "recipients", "master~1..master", "--json"],
                stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    document = json.loads(out.getvalue())
    assert "" not in document["cc"] and "" not in document["to"], document
