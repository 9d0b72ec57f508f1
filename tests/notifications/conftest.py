"""Shared by the notification tests: a real SMTP server on a free local port."""
from __future__ import annotations

import asyncio
import email
import socket
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd server that keeps what it receives; ``stop()`` and ``start()`` simulate an outage
    (the port stays the same, so the app's settings need not change)."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()  # recipients answered with 550
        self.delay = 0.0  # seconds each message takes to be accepted
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, (_sender, rcpts) in zip(self.messages, self.envelopes) if address in rcpts]


@pytest.fixture
def smtp(app):
    """The app sends to a local SMTP server that the test can stop and start again."""
    inbox = Inbox()
    inbox.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port, MAIL_TIMEOUT=5,
                      MAIL_DEFAULT_SENDER="Lianxiang <noreply@lianxiang.test>")
    yield inbox
    inbox.stop()
