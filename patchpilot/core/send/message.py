"""One message as b4 would send it, parsed from b4's own output (headers decoded,
addresses kept as b4 wrote them). Standard library only; no imports from the rest of
patchpilot but the send log's subject counter.
"""

from __future__ import annotations

import email
import email.utils
from dataclasses import dataclass
from email.header import decode_header, make_header

from patchpilot.core.send.log import position


@dataclass
class Message:
    """One message as b4 would send it."""

    position: int
    total: int
    subject: str
    sender: str
    to: list[str]
    cc: list[str]
    msgid: str
    in_reply_to: str
    references: str
    body: str
    raw: str

    def recipients(self) -> list[str]:
        return [a for _, a in email.utils.getaddresses(self.to + self.cc) if a]


def _header(message: email.message.Message, name: str) -> str:
    value = message.get(name)
    return str(make_header(decode_header(str(value)))) if value is not None else ""


def parse_message(raw: str) -> Message:
    """A message from b4's output (headers decoded, addresses kept as b4 wrote them)."""
    message = email.message_from_string(raw)
    subject = " ".join(_header(message, "Subject").split())
    pos, total = position(subject)
    payload = message.get_payload(decode=True)
    body = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) \
        else str(message.get_payload())
    return Message(
        position=pos, total=total, subject=subject, sender=_header(message, "From"),
        to=[_header_value(v) for v in message.get_all("To", [])],
        cc=[_header_value(v) for v in message.get_all("Cc", [])],
        msgid=_header(message, "Message-ID").strip(),
        in_reply_to=_header(message, "In-Reply-To").strip(),
        references=" ".join(_header(message, "References").split()), body=body, raw=raw)


def _header_value(value: object) -> str:
    return " ".join(str(make_header(decode_header(str(value)))).split())
