"""`patchpilot series --json` against `b4 prep --show-info` on a 20-patch b4 series.

Both read the same series (base, revision, change-id, commits); patchpilot also parses every
diff and computes patch-ids. Prints the medians and the ratio (lower is better).
"""

from __future__ import annotations

from pathlib import Path

from common import BIN, isolated_env, kernelsrc, make_series, scratch, timed


def main() -> dict:
    with scratch() as tmp:
        tmp = Path(tmp)
        env = isolated_env(tmp)
        tree = kernelsrc.clone_tree(kernelsrc.slim_tree(), tmp / "linux")
        make_series(tree, env)
        ours = timed([str(BIN / "patchpilot"), "series", "--json"], tree, env)
        b4 = timed([str(BIN / "b4"), "prep", "--show-info"], tree, env)
    result = {"bench": "series (20 patches, slim tree)", "patchpilot_s": round(ours, 3),
              "b4_show_info_s": round(b4, 3), "ratio": round(ours / b4, 3)}
    print(result)
    return result


if __name__ == "__main__":
    main()
