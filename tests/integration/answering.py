"""Shared by the answer tests: a reviewer's reply-all mail to a series sent with real b4,
delivered to a real public-inbox, and the thread cached by a real refresh."""

from __future__ import annotations

import email
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from patchpilot.core.git.repo import GitRepo
from patchpilot.core.review.mail import parse_mail
from patchpilot.core.review.replies import collect
from tests.helpers import git
from tests.smtp import Mailbox, SmtpServer

REVIEWER = "Rev Iewer <reviewer@example.com>"
MANY = [f"Person {i} <person{i}@example.net>" for i in range(250)]
REVIEW_ID = "review-1@example.com"


def reviewer_mail(parent: bytes, body: str, msgid: str = REVIEW_ID,
                  cc: list[str] | None = None, headers: dict[str, str] | None = None) -> bytes:
    """A reply-all to `parent`: To the author and the list, Cc `cc`."""
    info = parse_mail(parent)
    msg = EmailMessage()
    msg["From"] = REVIEWER
    msg["To"] = "Test Dev <dev@example.org>, list@example.org"
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = f"Re: {info.subject}"
    if msgid:
        msg["Message-ID"] = f"<{msgid}>"
    msg["In-Reply-To"] = f"<{info.msgid}>"
    msg["References"] = " ".join(f"<{m}>" for m in [*info.references, info.msgid])
    msg["Date"] = "Wed, 03 Jan 2024 11:22:33 +0100"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def review_body(name: str = "rust_one") -> str:
    camel = "".join(p.capitalize() for p in name.split("_"))
    return (f"On Mon, 1 Jan 2024, Test Dev wrote:\n"
            f"> +impl kernel::Module for {camel} {{\n"
            f"> +    fn init(_module: &'static ThisModule) -> Result<Self> {{\n"
            f"> +        pr_info!(\"Rust {name} sample (init)\\n\");\n\n"
            "Please use pr_debug here, this is noisy.\n\n"
            f"> +        Ok({camel})\n\n"
            "Nit: a blank line above.\n\nThanks,\nRev\n")


def patch_mail(sent: dict[str, bytes], counter: str) -> bytes:
    return next(raw for s, raw in sent.items() if f"{counter}]" in s)


def deliver_review(tree, inbox, sent, cc: list[str] | None = None, **kwargs) -> None:
    """Deliver the reviewer's mail on patch 1 and refresh the cache from the server."""
    inbox.deliver(reviewer_mail(patch_mail(sent, "1/3"), review_body(), cc=cc, **kwargs))
    collect(GitRepo(tree), refresh=True)


def headers_of(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw)


class QuitFailingMailbox(Mailbox):
    """Accepts each message (250 to its DATA), then answers QUIT with an error."""

    async def handle_QUIT(self, server, session, envelope):
        return "421 4.3.2 Service shutting down"


class QuitFailingSmtpServer(SmtpServer):
    """`with QuitFailingSmtpServer() as smtp:` like tests.smtp.SmtpServer."""

    def __init__(self):
        super().__init__()
        self.mailbox = QuitFailingMailbox()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)


def point_at(tree, port: int) -> None:
    git(tree, "config", "sendemail.smtpServer", "127.0.0.1")
    git(tree, "config", "sendemail.smtpServerPort", str(port))


def archive(inbox, raw: bytes) -> None:
    """Deliver `raw` to the list and make it searchable now: public-inbox-httpd keeps its
    Xapian handle for 30 s after opening it (Inbox.pm, _cleanup_later), and a search in that
    window does not see newer mail; a restart opens a fresh one instead of waiting."""
    inbox.deliver(raw)
    inbox.stop()
    inbox.start()
