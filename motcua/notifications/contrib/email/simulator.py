"""A local SMTP relay (aiosmtpd) that deduplicates by Message-ID, for the demo and tests.

Deduplication is a property of this relay, not of SMTP: a real server accepts the same
Message-ID twice. A repeated Message-ID is answered 250 and dropped, as a relay with a
duplicate filter would. aiosmtpd is a development dependency.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from motcua.notifications.simulators import Ledger, Switches


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _part(message: Any, subtype: str) -> str:
    """The text/`subtype` body of a message, single-part or multipart/alternative."""
    body = message.get_body(preferencelist=(subtype,))
    return body.get_content() if body is not None else ""


class _Handler:
    def __init__(self, relay: SmtpRelaySimulator) -> None:
        self.relay = relay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        relay = self.relay
        failure = relay.switches.failure()
        if failure == "timeout":
            await asyncio.sleep(60)
        if failure == "http500" or failure == "error":
            return "451 4.3.0 Simulated temporary failure"
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        key = str(message.get("Message-ID", "")).strip() or f"<no-id-{len(relay.ledger.delivered)}>"
        record, duplicate = relay.ledger.take(
            key,
            ", ".join(envelope.rcpt_tos),
            {
                "subject": " ".join(str(message.get("Subject", "")).split()),
                "text": _part(message, "plain"),
                "html": _part(message, "html"),
            },
        )
        if not duplicate:
            if relay.maildir is not None:
                (relay.maildir / f"{record.message_id}.eml").write_bytes(raw)
            if relay.switches.on_take is not None:
                relay.switches.on_take(record)
        if relay.switches.response_delay:
            await asyncio.sleep(relay.switches.response_delay)
        if duplicate:
            return "250 2.0.0 Duplicate Message-ID: already queued"
        return f"250 2.0.0 Ok: queued as {record.message_id}"


class SmtpRelaySimulator:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, maildir: Path | None = None
    ) -> None:
        self.ledger = Ledger()
        self.switches = Switches()
        self.maildir = maildir
        if maildir is not None:
            maildir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port or free_port()
        self.controller = Controller(_Handler(self), hostname=host, port=self.port)

    def start(self) -> SmtpRelaySimulator:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
