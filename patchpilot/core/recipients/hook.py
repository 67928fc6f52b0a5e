"""Commands b4 runs on patchpilot's behalf during `patchpilot recipients --write`.

    python -m patchpilot.core.recipients.hook addresses to|cc MAPFILE   (b4.send-auto-to/cc-cmd: the
        patch mail on stdin; prints its addresses, one per line)
    python -m patchpilot.core.recipients.hook drop-trailers MAPFILE FILE  (the cover editor: removes
        To:/Cc: trailers of addresses the user removed; b4 appends FILE)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.recipients.write import addresses_for_mail, drop_trailers


def _addresses(header: str, mapfile: str) -> None:
    mail = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    repo = GitRepo(".")
    tmp = Path(mapfile).with_suffix(".mail")
    tmp.write_text(mail)
    out = repo.try_run("patch-id", "--stable", stdin_path=tmp) or ""
    patch_id = out.split()[0] if out else ""
    mapping = json.loads(Path(mapfile).read_text())
    for address in addresses_for_mail(mapping, mail, patch_id, header):
        print(address)


def _drop(mapfile: str, cover_file: str) -> None:
    mapping = json.loads(Path(mapfile).read_text())
    path = Path(cover_file)
    path.write_text(drop_trailers(path.read_text(), mapping["remove"]))


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 3 and argv[0] == "addresses" and argv[1] in ("to", "cc"):
            _addresses(argv[1], argv[2])
        elif len(argv) == 3 and argv[0] == "drop-trailers":
            _drop(argv[1], argv[2])
        else:
            print("usage: b4hook addresses to|cc MAPFILE | drop-trailers MAPFILE FILE",
                  file=sys.stderr)
            return 2
    except PatchpilotError as exc:
        print(f"patchpilot: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
