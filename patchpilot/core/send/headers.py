"""What patchpilot changes in the mail b4 makes, at send time only (the branch is untouched):

- `in_reply_to`: the series is threaded under that message (b4 0.16's `send` has no
  `--in-reply-to`): the first message (cover, or a lone patch) gets `In-Reply-To:` and
  `References:` naming it, every other message has it put first in its `References:`, as
  `git send-email --in-reply-to` threads a series;
- `bcc`: envelope recipients of every message of a real send, delivered by the relay; never a
  header, so no recipient sees them;
- `strip`: trailers (`Change-Id`, `Upstream-Status`...) taken out of the trailer block of each
  commit message as mailed (the last paragraph above the `---` line), named in the preview.

The same functions rewrite b4's preview (so what is shown is what goes out) and, in the relay,
each message b4 hands over. Headers are edited as text, so b4's own encoding and folding stay
as they are. `for_send` gathers them: the flags of this send, the series' own Bcc (recipient
choices) and the `send.strip-trailers` setting. The relay imports only the dataclass and the
rewriting (no git, no settings). Never prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.send.message import Message, parse_message

if TYPE_CHECKING:  # for_send's arguments; the relay never loads them
    from patchpilot.core.config import Config
    from patchpilot.core.git.repo import GitRepo
    from patchpilot.core.series.model import Series

_CTE = re.compile(r"^content-transfer-encoding:\s*(\S+)", re.I | re.M)
_BAD_MSGID = re.compile(r"[\s<>\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Extras:
    """The send-time changes of one send (see the module docstring)."""

    in_reply_to: str | None = None  # a bare Message-ID
    bcc: tuple[str, ...] = ()
    strip: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"in_reply_to": self.in_reply_to, "bcc": list(self.bcc),
                "strip": list(self.strip)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Extras:
        data = data or {}
        return cls(data.get("in_reply_to"), tuple(data.get("bcc") or ()),
                   tuple(data.get("strip") or ()))

    def envelope(self, rcpts: list[str]) -> list[str]:
        """The relay's recipients for one message: b4's, then the Bcc ones not among them."""
        seen = {r.lower() for r in rcpts}
        return [*rcpts, *[b for b in self.bcc if b.lower() not in seen]]


def for_send(repo: GitRepo, series: Series, config: Config, mode: str = "send",
             in_reply_to: str | None = None, bcc: tuple[str, ...] = ()) -> Extras:
    """The send-time changes for this send of `series`: Bcc (the flags' and the series') only
    for a real send, never for --reflect or --preview-to."""
    # imported here: the relay loads this module for Extras and must not pay for git
    from patchpilot.core.recipients.choices import bare, load_choices, valid_address

    for address in bcc:
        if not valid_address(address):
            raise PatchpilotError(f"--bcc {address[:80]!r} is not an e-mail address",
                                  hint="use user@example.org")
    wanted = [*bcc, *load_choices(repo, series).bcc] if mode == "send" else []
    return Extras(message_id(in_reply_to) if in_reply_to else None,
                  tuple(dict.fromkeys(bare(a) for a in wanted)),
                  config.names("send.strip-trailers"))


def message_id(value: str) -> str:
    """A Message-ID given on the command line (`<id>` or `id`), bare; or one clear error."""
    bare = value.strip()
    if bare.startswith("<") and bare.endswith(">"):
        bare = bare[1:-1]
    if not bare or "@" not in bare or _BAD_MSGID.search(bare) or len(bare) > 900:
        raise PatchpilotError(f"--in-reply-to {value[:80]!r} is not a Message-ID",
                              hint="give it as <id@host> or id@host (the Message-ID header "
                                   "of the message to answer)")
    return bare


def rewrite(raw: str, position: int, total: int, extras: Extras) -> tuple[str, list[str]]:
    """One message as it goes out, and the trailer lines stripped from it."""
    newline = "\r\n" if "\r\n" in raw else "\n"
    head, sep, body = raw.partition(newline * 2)
    stripped: list[str] = []
    if extras.strip and sep and position != 0:  # patches only: b4's cover keeps its
        _check_plain(head)  # basement (base-commit, change-id: its lookup key on lore)
        body, stripped = strip_trailers(body, extras.strip, newline)
    if extras.in_reply_to:
        head = _thread(head, newline, position == 0 or total == 1, f"<{extras.in_reply_to}>")
    return head + sep + body, stripped


def apply(messages: list[Message], extras: Extras,
          ) -> tuple[list[Message], dict[int, list[str]]]:
    """b4's preview as it will go out, and the trailers stripped per position."""
    out, stripped = [], {}
    for message in messages:
        raw, gone = rewrite(message.raw, message.position, message.total, extras)
        out.append(parse_message(raw) if raw != message.raw else message)
        if gone:
            stripped[message.position] = gone
    return out, stripped


def rewrite_bytes(data: bytes, position: int, total: int, extras: Extras) -> bytes:
    """rewrite() for the relay, on the bytes b4 hands over (UTF-8 or 7-bit text)."""
    if not (extras.strip or extras.in_reply_to):
        return data
    text, _ = rewrite(data.decode("utf-8", "surrogateescape"), position, total, extras)
    return text.encode("utf-8", "surrogateescape")


def _check_plain(head: str) -> None:
    match = _CTE.search(head)
    if match and match.group(1).lower() not in ("7bit", "8bit", "binary"):
        raise PatchpilotError(f"b4 wrote a {match.group(1)} body: send.strip-trailers cannot "
                              "take trailers out of it", hint="git config "
                              "patchpilot.send.strip-trailers '' to send it as b4 made it")


def strip_trailers(body: str, names: tuple[str, ...], newline: str = "\n",
                   ) -> tuple[str, list[str]]:
    """`body` without the named trailers in its commit message's trailer block (the last
    paragraph before the first `---` line); the lines taken out."""
    lines = body.split(newline)
    end = next((n for n, line in enumerate(lines) if line.rstrip() == "---"), len(lines))
    start = end
    while start > 0 and lines[start - 1].strip() == "":
        start -= 1
    while start > 0 and lines[start - 1].strip() != "":
        start -= 1
    wanted = {name.lower() for name in names}
    keep, gone = [], []
    for number, line in enumerate(lines):
        name, colon, _ = line.partition(":")
        if start <= number < end and colon and name.strip().lower() in wanted \
                and not name.startswith((" ", "\t")):
            gone.append(line.strip())
            continue
        keep.append(line)
    return newline.join(keep), gone


def _thread(head: str, newline: str, root: bool, parent: str) -> str:
    """Thread a header block under `parent`: the root answers it; the others refer to it."""
    fields = _fields(head, newline)
    if root:
        fields = [f for f in fields if _name(f) not in ("in-reply-to", "references")]
        fields += [f"In-Reply-To: {parent}", f"References: {parent}"]
    else:
        index = next((n for n, f in enumerate(fields) if _name(f) == "references"), None)
        if index is None:
            fields.append(f"References: {parent}")
        elif parent not in fields[index]:
            name, _, value = fields[index].partition(":")
            fields[index] = f"{name}: {parent}{value}"
    return newline.join(fields)


def _fields(head: str, newline: str) -> list[str]:
    """Each header field as written, continuation lines included, in order."""
    fields: list[str] = []
    for line in head.split(newline):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] += newline + line
        else:
            fields.append(line)
    return fields


def _name(field: str) -> str:
    name, colon, _ = field.partition(":")
    return name.strip().lower() if colon else ""
