"""An aiosmtpd server that fails on purpose: answers 451 to the DATA of message k (1-based),
for `times` consecutive attempts, then accepts again. Keeps every message it accepted."""

from __future__ import annotations

from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.smtp import Mailbox, free_port


@dataclass
class FailingMailbox(Mailbox):
    fail_at: int = 2
    times: int = 1
    seen: int = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.times and self.seen == self.fail_at:
            self.times -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        return await super().handle_DATA(server, session, envelope)


class FailingSmtpServer:
    """`with FailingSmtpServer(fail_at=2) as smtp:` like tests.smtp.SmtpServer."""

    def __init__(self, fail_at: int = 2, times: int = 1):
        self.mailbox = FailingMailbox(fail_at=fail_at, times=times)
        self.port = free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "FailingSmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
