"""The send journal: the one record of what an attempt to mail a series did, fsynced line by line.

One file per attempt, `.git/patchpilot/sendlog/<series>.d/<attempt>.jsonl`, one JSON object a
line, each written and fsynced before the step it records goes on:

- `attempt`  first, before b4 runs: the mode, revision, planned count, overrides...;
- `sending`  by the relay *before* it hands message n to the server, followed by a reserved
  blank region of RESERVE bytes;
- `outcome`  written into that reserved region once the server answered (`delivered` after
  its 250, or `failed`), so recording a delivery never needs new disk space: a disk that
  fills up while a message is on its way cannot make a delivered message look unsent;
- `skipped`  a message an earlier attempt delivered (with the Message-ID it went out under);
- `refused`  the relay would not send (the message differs from what went out, the
  patchpilot that started the attempt is gone);
- `finish`   how the attempt ended, written into room reserved after the `attempt` line.

A `sending` line with no outcome is *unconfirmed*: the message was handed to the server and
no answer was seen (the process was killed while waiting). Blank lines, torn lines and lines
of the wrong shape are ignored. Standard library only; never prints.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESERVE = 1024
EVENTS = ("attempt", "sending", "outcome", "skipped", "refused", "finish")
GONE = ("delivered", "skipped")  # statuses of a message that reached its recipients
UNCONFIRMED = "unconfirmed"


def _line(entry: dict[str, Any]) -> bytes:
    return (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")


def _append(path: Path, data: bytes) -> int:
    """Append `data` and fsync; return where it starts. On failure (a full disk) the file is
    cut back to its old length, and removed if this call created it: nothing torn stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    start = os.fstat(fd).st_size
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError:
        os.ftruncate(fd, start)
        if start == 0:
            os.unlink(path)
        raise
    finally:
        os.close(fd)
    return start


def append(path: Path, entry: dict[str, Any]) -> None:
    """Write one line, fsynced, before the caller goes on."""
    _append(path, _line(entry))


def reserve(path: Path, entry: dict[str, Any]) -> int:
    """Write the `sending` line and the blank region its outcome will fill; return the
    region's offset. Raises OSError (nothing written) when the disk cannot hold both."""
    line = _line(entry)
    return _append(path, line + b" " * (RESERVE - 1) + b"\n") + len(line)


def settle(path: Path, offset: int, entry: dict[str, Any]) -> None:
    """Write the outcome into the region `reserve` kept (no new disk space), fsynced."""
    data = _line(entry)
    if len(data) > RESERVE:  # a long error text: keep what fits
        data = _line({k: str(v)[:RESERVE // 4] if k in ("error", "note") else v
                      for k, v in entry.items()})
    if len(data) > RESERVE:
        data = _line({k: entry[k] for k in ("event", "position", "status", "tag")
                      if k in entry})
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, data[:-1].ljust(RESERVE - 1) + b"\n", offset)
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> list[dict[str, Any]]:
    """The journal's lines that are JSON objects (a torn or damaged line is skipped)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    entries = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


@dataclass
class Folded:
    """What a journal says: its attempt header, its finish line, and one entry per message
    (by position, in the order b4 handed them over) with its last known status."""

    header: dict[str, Any] | None = None
    finish: dict[str, Any] | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)


def _message_event(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("position"), int) and not isinstance(entry["position"], bool)


def fold(entries: list[dict[str, Any]]) -> Folded:
    """Fold the lines of one journal (older journals, one line per message with its status
    and no `event`, read the same)."""
    folded = Folded()
    by_position: dict[int, dict[str, Any]] = {}
    for entry in entries:
        event = entry.get("event")
        if event == "attempt":
            folded.header = folded.header or entry
        elif event == "finish":
            folded.finish = entry
        elif event not in (None, *EVENTS) or not _message_event(entry):
            continue
        elif event == "outcome":
            known = by_position.get(entry["position"])
            if known is not None and isinstance(entry.get("status"), str):
                known.update({k: v for k, v in entry.items() if k not in ("event", "position")})
        else:
            by_position[entry["position"]] = _message(entry, event)
    folded.messages = list(by_position.values())
    return folded


def _message(entry: dict[str, Any], event: str | None) -> dict[str, Any]:
    message = {k: v for k, v in entry.items() if k != "event"}
    if event == "sending":
        message["status"] = UNCONFIRMED
    elif event == "skipped":
        message["status"] = "skipped"
    elif event == "refused":
        message["status"], message["kind"] = "failed", entry.get("kind", "changed")
    elif not isinstance(message.get("status"), str):
        message["status"] = UNCONFIRMED
    for key in ("msgid", "b4_msgid", "subject"):
        if not isinstance(message.get(key), str):
            message[key] = ""
    return message
