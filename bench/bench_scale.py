"""More work on both trees: a 50-patch series against the 20-patch one, a review thread of
1,000 messages against one of 300. Nothing may grow faster than the work does (50 / 20 = 2.5x;
1000 / 300 = 3.3x), and every row also gives its growth from the one-commit to the
deep-history tree.

1. Series: `check --no-cache` (every tool but clippy), `series --json`, `recipients --json`
   (its MAINTAINERS index built by a run before) and `send --dry-run` (cover and recipients
   written before), on a b4 series of 20 and of 50 patches (bench/common.py make_series).
2. Thread: v1 of the 20-patch series sent for real (through b4 to aiosmtpd), then its thread
   filled up to 300 or 1,000 messages (the patches and replies to them, reviews with trailers
   and quoted lines, delivered with public-inbox's own importer into a real public-inbox, one
   per tree, that b4.midmask points at) and fetched once; then `replies --json` (from the cache),
   `replies --refresh` (the server asked, nothing new) and `reroll --json` (it reads the
   thread's trailers). Also in this process: parse + map of 300 and 1,000 messages
   (bench_replies' synthetic thread).
Whole processes, medians (PATCHPILOT_BENCH_SCALE_RUNS, default 3: the 50-patch check takes
seconds a run). Prints the rows.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

from bench_replies import parse_and_map, review
from bench_replies import thread as synthetic_thread
from common import ROOT, Row, Trees, patchpilot, run, scratch, series_trees, table, timed_both

from patchpilot.core.review.mail import join_mbox

RUNS = int(os.environ.get("PATCHPILOT_BENCH_SCALE_RUNS", "3"))
TOOLS = "checkpatch,rustfmt,rust,commit"
FINDINGS = (0, 1)
PATCHES = (20, 50)
MESSAGES = (300, 1000)


def prepare_send(trees: Trees, tmp: Path) -> None:
    """A cover and the recipients written, as before a real send."""
    cover = tmp / "cover.txt"
    cover.write_text("bench: small changes\n\nA series for the benchmarks.\n")
    for tree, env in trees.values():
        run(patchpilot("cover", "--set-file", str(cover)), tree, env)
        run(patchpilot("recipients", "--write"), tree, env)


def series_figures(trees: Trees, tmp: Path) -> dict[str, dict[str, float]]:
    prepare_send(trees, tmp)
    return {
        "check --no-cache (all but clippy)": timed_both(
            trees, patchpilot("check", "--no-cache", "--tool", TOOLS), RUNS, ok=FINDINGS),
        "series --json": timed_both(trees, patchpilot("series", "--json"), RUNS),
        "recipients --json": timed_both(trees, patchpilot("recipients", "--json"), RUNS),
        "send --dry-run": timed_both(trees, patchpilot("send", "--dry-run"), RUNS),
    }


def series_rows() -> list[Row]:
    got: dict[int, dict[str, dict[str, float]]] = {}
    for count in PATCHES:
        with scratch() as tmp:
            got[count] = series_figures(series_trees(Path(tmp), count), Path(tmp))
    less, more = PATCHES
    return [Row(f"{name}, {more} patches", got[more][name], work=more / less,
                less=got[less][name]) for name in got[more]]


SEND = ("send", "--yes", "--no-checks", "--override", "checks", "--override", "b4")


def thread_figures(trees: Trees, tmp: Path, messages: int) -> dict[str, dict[str, float]]:
    """v1 sent, its thread filled to `messages` in a public-inbox, fetched once; timed."""
    sys.path.insert(0, str(ROOT))
    from tests.publicinbox import PublicInbox
    from tests.smtp import SmtpServer

    prepare_send(trees, tmp)
    with contextlib.ExitStack() as stack:
        for n, (tree, env) in enumerate(trees.values()):
            # an inbox per tree: the two series have the same subjects, and a refresh also
            # searches by subject
            inbox = stack.enter_context(PublicInbox(tmp / f"pi{n}"))
            with SmtpServer() as smtp:
                run(["git", "config", "sendemail.smtpServerPort", str(smtp.port)], tree, env)
                run(patchpilot(*SEND), tree, env)
                mails = [m.data for m in smtp.mailbox.messages]
            replies = [review(mails[1 + k % (len(mails) - 1)], k)
                       for k in range(messages - len(mails))]
            inbox.deliver_many(mails + replies)
            run(["git", "config", "b4.midmask", f"{inbox.base}/%s"], tree, env)
            run(patchpilot("replies", "--refresh"), tree, env)
        return {
            "replies --json (cached thread)": timed_both(
                trees, patchpilot("replies", "--json"), RUNS),
            "replies --refresh (nothing new)": timed_both(
                trees, patchpilot("replies", "--refresh", "--json"), RUNS),
            "reroll --json": timed_both(trees, patchpilot("reroll", "--json"), RUNS),
        }


def thread_rows() -> list[Row]:
    got: dict[int, dict[str, dict[str, float]]] = {}
    for messages in MESSAGES:
        with scratch() as tmp:
            got[messages] = thread_figures(series_trees(Path(tmp)), Path(tmp), messages)
    less, more = MESSAGES
    return [Row(f"{name}, {more} messages", got[more][name], work=more / less,
                less=got[less][name]) for name in got[more]]


def bench_parse() -> None:
    """Parse + map of the synthetic thread, in this process, at both sizes."""
    took = {}
    for messages in MESSAGES:
        mbox = join_mbox(synthetic_thread(messages))
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            parse_and_map(mbox)
            runs.append(time.perf_counter() - start)
        took[messages] = statistics.median(runs)
    less, more = MESSAGES
    print(f"parse+map: {less} messages {took[less] * 1000:.0f} ms, {more} messages "
          f"{took[more] * 1000:.0f} ms: {took[more] / took[less]:.2f}x for "
          f"{more / less:.2f}x the messages")


def rows() -> list[Row]:
    bench_parse()
    return series_rows() + thread_rows()


if __name__ == "__main__":
    print(table(rows()))
