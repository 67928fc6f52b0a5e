"""Following a review, and the commands around a sent revision, on real parts.

1. Parse + map: split the mbox, decode every message, find the patch each reply answers,
   split quotes from comments and map every quote to file and new-file line. Target: well
   under a second. Median of 5 runs.
   Then the same thread read again in the same process (threads.analysed: what the home,
   series, replies and reroll screens pay after the first reader).
2. Refresh: a thread of `--deliver` messages (default 40; public-inbox-mda takes ~0.4 s per
   message), filed two hours ago, is fetched once; then patchpilot's refresh (one `rt:`
   search on the server's own clock, reaching back `replies.overlap` = 1 hour, answered 404
   when nothing is new) vs a plain re-fetch of `t.mbox.gz`; then with two replies in the last
   hour, which every refresh within the hour brings again (deduplicated). Bytes are the HTTP
   body plus headers as received.
3. On the one-commit and the deep-history tree: `send --dry-run` on the 20-patch series, then
   v1 sent for real (patchpilot send through b4 to an aiosmtpd server on loopback), delivered
   with a few reviews into a public-inbox that b4.midmask points at and fetched once; then
   `replies --json` (from the cache) and `reroll --json` (v2 against the v1 tag). Whole
   processes, medians; growth at most 1.2x.
Prints the figures and the rows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Row, Trees, patchpilot, run, scratch, series_trees, table, timed_both

from patchpilot.core.review import threads
from patchpilot.core.review.lore import LoreClient, subject_terms
from patchpilot.core.review.mail import join_mbox, parse_mail, split_mbox
from patchpilot.core.review.thread import analyse_thread
from patchpilot.core.review.threads import analysed

FILE_LINES = 200


def source(k: int) -> list[str]:
    return [f"    let value_{k}_{i} = compute({i}); // line {i}" for i in range(FILE_LINES)]


def patch_mail(k: int, total: int) -> bytes:
    lines = source(k)
    diff = (f"diff --git a/samples/rust/f{k}.rs b/samples/rust/f{k}.rs\nnew file mode 100644\n"
            f"--- /dev/null\n+++ b/samples/rust/f{k}.rs\n@@ -0,0 +1,{FILE_LINES} @@\n"
            + "".join(f"+{l}\n" for l in lines))
    return (f"From: Dev <dev@example.org>\nTo: list@example.org\nSubject: [PATCH {k}/{total}] "
            f"samples: rust: add f{k}\nMessage-ID: <p{k}@bench>\nIn-Reply-To: <cover@bench>\n"
            f"References: <cover@bench>\nDate: Mon, 01 Jan 2024 00:00:0{k} +0000\n\n"
            f"Add f{k}.\n\nSigned-off-by: Dev <dev@example.org>\n---\n{diff}-- \n2.39.2\n"
            ).encode()


def reply_mail(n: int, patches: int) -> bytes:
    k = n % patches + 1
    at = (n * 7) % (FILE_LINES - 4)
    quote = "\n".join(f"> +{l}" for l in source(k)[at:at + 3])
    return (f"From: Reviewer {n} <r{n}@example.com>\nTo: list@example.org\n"
            f"Subject: Re: [PATCH {k}/{patches}] samples: rust: add f{k}\n"
            f"Message-ID: <r{n}@bench>\nIn-Reply-To: <p{k}@bench>\n"
            f"References: <cover@bench> <p{k}@bench>\nDate: Tue, 02 Jan 2024 00:00:00 +0000\n\n"
            f"On Mon, Dev wrote:\n{quote}\n\nThis line wants a comment ({n}).\n\n"
            f"> +{source(k)[at + 3]}\n\nAnd a second one.\n\n"
            f"Reviewed-by: Reviewer {n} <r{n}@example.com>\n").encode()


def thread(count: int, patches: int = 3) -> list[bytes]:
    cover = (b"From: Dev <dev@example.org>\nTo: list@example.org\nSubject: [PATCH 0/3] "
             b"samples: rust: bench\nMessage-ID: <cover@bench>\n"
             b"Date: Mon, 01 Jan 2024 00:00:00 +0000\n\nA bench series.\n")
    mails = [cover] + [patch_mail(k, patches) for k in range(1, patches + 1)]
    return mails + [reply_mail(n, patches) for n in range(count - len(mails))]


def parse_and_map(mbox: bytes) -> tuple[float, int]:
    start = time.perf_counter()
    result = analyse_thread([parse_mail(raw) for raw in split_mbox(mbox)], "cover@bench")
    elapsed = time.perf_counter() - start
    mapped = sum(c.line is not None for r in result.replies for c in r.comments)
    return elapsed, mapped


def bench_parse() -> None:
    mbox = join_mbox(thread(300))
    runs = [parse_and_map(mbox) for _ in range(5)]
    mapped = runs[0][1]
    print(f"parse+map 300-message thread ({len(mbox) // 1024} KiB): "
          f"median {statistics.median(r[0] for r in runs) * 1000:.0f} ms, "
          f"{mapped} comments mapped to file:line")
    again = []
    for _ in range(5):  # what every later reader of the same thread pays (threads.analysed)
        start = time.perf_counter()
        analysed("bench", "cover@bench", mbox, (), [])
        again.append(time.perf_counter() - start)
    print(f"the same thread read again in one process: median "
          f"{statistics.median(again[1:]) * 1000:.1f} ms (first read "
          f"{again[0] * 1000:.0f} ms; threads analysed {threads.stats['analysed']})")


def bench_hostile() -> None:
    """Replies near the 10 MB limit built to make regexes and quote handling quadratic."""
    shapes = {
        "20k long would-be trailers": ("Reviewed-by: a@b.c " + "x " * 110 + "\n") * 20000
        + ("Looks good " * 1000 + "\n") * 100,
        "5000-deep quotes": ("> " * 5000 + "x\n") * 1000 + "-----Original Message-----\n",
        "800 attributions, a 1 MB line": ("On Mon, A <a@b.c> wrote: " * 300 + "\n> q\n") * 800
        + "x" * 1_000_000 + "\n",
    }
    for name, body in shapes.items():
        raw = ("From: A <a@b.c>\nSubject: Re: [PATCH 1/1] x\nMessage-ID: <h@x>\n"
               "In-Reply-To: <p@x>\n\n" + body).encode()
        start = time.perf_counter()
        analyse_thread([parse_mail(raw)], "c@x")
        print(f"hostile reply, {name} ({len(raw) // 1024} KiB): "
              f"{(time.perf_counter() - start) * 1000:.0f} ms")


def bench_refresh(count: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.publicinbox import PublicInbox

    with tempfile.TemporaryDirectory() as tmp, PublicInbox(Path(tmp) / "pi") as inbox:
        os.environ.setdefault("HOME", tmp)
        mails = thread(count)
        quiet = time.time() - 2 * 3600  # a thread whose last message came two hours ago
        for raw in mails:
            inbox.deliver(raw, received=quiet)
        client = LoreClient(inbox.base, Path(tmp) / "cache")  # the default overlap, 1 hour
        first = client.thread("cover@bench", refresh=True)
        subjects = subject_terms([parse_mail(m).subject for m in mails[:4]])
        start = time.perf_counter()
        again = client.thread("cover@bench", refresh=True, subjects=subjects)
        took = time.perf_counter() - start
        start = time.perf_counter()
        _, full_cost = client.fetch_thread_full("cover@bench")
        full_took = time.perf_counter() - start
        assert len(split_mbox(again.mbox)) == len(mails) == len(split_mbox(first.mbox))
        print(f"refresh of an unchanged {count}-message thread: {again.transferred} bytes "
              f"({took * 1000:.0f} ms); plain t.mbox.gz re-fetch: {full_cost} bytes "
              f"({full_took * 1000:.0f} ms); ratio {again.transferred / full_cost:.3f}")
        for n in (count, count + 1):  # two replies in the last hour
            inbox.deliver(reply_mail(n, 3))
        deadline = time.monotonic() + 30  # the server's search sees new mail a bit later
        while not client.search(f"m:r{count + 1}@bench")[0] and time.monotonic() < deadline:
            time.sleep(0.2)
        fresh = client.thread("cover@bench", refresh=True, subjects=subjects)
        repeat = client.thread("cover@bench", refresh=True, subjects=subjects)
        assert len(split_mbox(repeat.mbox)) == len(mails) + 2
        print(f"with 2 replies in the last hour: the refresh that finds them "
              f"{fresh.transferred} bytes, the next one (the overlap repeats them, "
              f"deduplicated) {repeat.transferred} bytes; ratio to a re-fetch "
              f"{repeat.transferred / full_cost:.3f}")


SEND = ("send", "--yes", "--no-checks", "--override", "checks", "--override", "b4")
REVIEWS = ("Looks good.\n\nReviewed-by: Rev {n} <rev{n}@example.com>\n",
           "> +// bench change {n}\n\nWhy this change? Please say so in the message.\n",
           "Acked-by: Maint {n} <maint{n}@example.com>\n")


def review(to: bytes, n: int) -> bytes:
    """A reply to the mail `to`, as a reviewer's mailer writes it."""
    from email.message import EmailMessage
    from email.utils import make_msgid

    parent = parse_mail(to)
    msg = EmailMessage()
    msg["From"], msg["To"] = f"Rev {n} <rev{n}@example.com>", "list@example.org"
    msg["Subject"] = f"Re: {parent.subject}"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg["In-Reply-To"] = f"<{parent.msgid}>"
    msg["References"] = " ".join(f"<{m}>" for m in [*parent.references, parent.msgid])
    msg["Date"] = "Tue, 02 Jan 2024 10:00:00 +0000"
    msg.set_content(f"On Mon, Bench Dev wrote:\n{REVIEWS[n % len(REVIEWS)].format(n=n)}")
    return msg.as_bytes()


def sent_round(trees: Trees, tmp: Path) -> dict[str, dict[str, float]]:
    """`send --dry-run`, then v1 sent and reviewed; `replies` and `reroll` timed after."""
    sys.path.insert(0, str(ROOT))
    from tests.publicinbox import PublicInbox
    from tests.smtp import SmtpServer

    cover = tmp / "cover.txt"
    cover.write_text("bench: twenty small changes\n\nA series for the benchmarks.\n")
    for tree, env in trees.values():
        run(patchpilot("cover", "--set-file", str(cover)), tree, env)
        run(patchpilot("recipients", "--write"), tree, env)
    got = {"dry_run": timed_both(trees, patchpilot("send", "--dry-run"))}
    with contextlib.ExitStack() as stack:
        for n, (tree, env) in enumerate(trees.values()):
            with SmtpServer() as smtp:
                run(["git", "config", "sendemail.smtpServerPort", str(smtp.port)], tree, env)
                run(patchpilot(*SEND), tree, env)
                mails = [m.data for m in smtp.mailbox.messages]
            inbox = stack.enter_context(PublicInbox(tmp / f"pi{n}"))
            run(["git", "config", "b4.midmask", f"{inbox.base}/%s"], tree, env)
            for raw in mails:
                inbox.deliver(raw)
            for k, raw in enumerate(mails[::4]):
                inbox.deliver(review(raw, k))
            run(patchpilot("replies", "--refresh"), tree, env)
        got["replies"] = timed_both(trees, patchpilot("replies", "--json"))
        got["reroll"] = timed_both(trees, patchpilot("reroll", "--json"))
    return got


def rows() -> list[Row]:
    with scratch() as tmp:
        got = sent_round(series_trees(Path(tmp)), Path(tmp))
    return [Row("send --dry-run", got["dry_run"]),
            Row("replies --json (cached thread)", got["replies"]),
            Row("reroll --json (v2 against the v1 tag)", got["reroll"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliver", type=int, default=40,
                        help="messages in the thread served by public-inbox")
    args = parser.parse_args()
    bench_parse()
    bench_hostile()
    bench_refresh(args.deliver)
    print(table(rows()))


if __name__ == "__main__":
    main()
