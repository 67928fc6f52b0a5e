"""`make bench`: every benchmark on the one-commit and the deep-history tree, then one table.

    .venv/bin/python bench/run.py [--only check,series,recipients,replies,scale,history]
        [--no-full]

Each row is one command as a whole process (median of PATCHPILOT_BENCH_RUNS runs, default 3)
on both trees, the growth from the one-commit tree to the deep one (PATCHPILOT_BENCH_DEEP
commits of history, default 300000; built once and cached, under a minute), the ratio to
b4 doing the same job where there is one, for the scale rows (50 patches, 1,000 messages)
the growth against the same command on less work, the target and whether it was met.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import DEEP_COMMITS, RUNS, TREES, Row, table, template  # noqa: E402

PARTS = ("check", "series", "recipients", "replies", "scale", "history", "fulltree")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--no-full", action="store_true",
                        help="skip the full-tree comparison with b4 prep --auto-to-cc")
    args = parser.parse_args()
    start = time.perf_counter()
    for kind in TREES:
        template(kind)  # build the trees first, outside every timing
    rows: list[Row] = []
    for part in args.only.split(","):
        print(f"== bench_{part}.py", flush=True)
        module = importlib.import_module(f"bench_{part}")
        if part == "history":  # its own table: ways of reading history, deep tree only
            module.main()
            continue
        if part == "replies":
            module.bench_parse()
            module.bench_refresh(40)
            found = module.rows()
        elif part == "recipients":
            found = module.rows(full=not args.no_full)
        else:
            found = module.rows()
        print(table(found), flush=True)
        rows += found
    print(f"\n== all ({TREES[1]} = {DEEP_COMMITS} commits of history; medians of {RUNS} runs; "
          f"{time.perf_counter() - start:.0f} s)")
    print(table(rows))


if __name__ == "__main__":
    main()
