"""What every payment method implements (the notification channels' plugin pattern).

A method never touches the database: the services hand it an `AttemptInfo` (what the
attempt is for, stored before any gateway call) and take back `Started` or `Notice`
values. Every `Notice` a method returns from a callback has passed its signature check;
the services then check amount, currency and attempt, and decide (motcua.payments.services).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from django.utils.functional import Promise


class Platform:
    """Through which platform money was taken (Decision 766 counts them apart)."""

    NATIONAL = "national"  # the national public-service portal's payment platform
    PROVINCE = "province"  # the province's own gateway or bank account
    COUNTER = "counter"  # cash or card at the one-stop desk


class Outcome:
    PAID = "paid"
    FAILED = "failed"  # definite: the gateway says no money was taken
    PENDING = "pending"  # not decided yet (or unknown to the gateway yet)


@dataclass(frozen=True)
class FeeLine:
    description: str
    amount_vnd: int


@dataclass(frozen=True)
class AttemptInfo:
    """One payment attempt as a gateway needs to see it."""

    reference: str  # ours, unique, [A-Z0-9]{12}: the gateway's order / transaction ref
    amount_vnd: int
    description: str  # short, plain ASCII: "Le phi ho so <dossier code>"
    created_at: datetime
    dossier_code: str = ""
    procedure_code: str = ""
    procedure_name: str = ""
    agency_name: str = ""
    payer_name: str = ""
    payer_phone: str = ""
    lines: tuple[FeeLine, ...] = ()
    client_ip: str = "127.0.0.1"
    gateway_txn: str = ""  # what the gateway answered at start, when it did


@dataclass(frozen=True)
class Started:
    """What starting an attempt gave: where to send the browser, or what to show."""

    redirect_url: str = ""
    gateway_txn: str = ""  # the gateway's own id for the order, when it gives one
    show: dict[str, Any] = field(default_factory=dict)  # e.g. a QR payload


@dataclass(frozen=True)
class Notice:
    """What a gateway says about one attempt (signature already checked)."""

    reference: str
    outcome: str  # Outcome
    amount_vnd: int | None = None
    currency: str = "VND"
    gateway_txn: str = ""
    paid_at: datetime | None = None
    detail: str = ""  # the gateway's code and message, for the log
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """The HTTP answer a gateway expects to a callback."""

    status: int
    body: bytes
    content_type: str = "application/json"


class CallbackRejected(Exception):
    """A callback that fails its checks (signature, fields); the reason is logged."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class GatewayError(Exception):
    """The gateway answered with an error: nothing was started or learnt."""


class GatewayTimeout(GatewayError):
    """No answer in time: the outcome is unknown and must be asked again later."""


class Method:
    key: ClassVar[str]
    label: ClassVar[str | Promise]  # what the citizen picks
    hint: ClassVar[str | Promise] = ""  # one line under the choice
    platform: ClassVar[str] = Platform.PROVINCE
    online: ClassVar[bool] = True
    # A redirect method sends the browser to the gateway; a QR method shows a code.
    kind: ClassVar[str] = "redirect"  # "redirect" | "qr" | "counter"

    def configured(self) -> bool:
        """Whether the settings this method needs are present."""
        raise NotImplementedError

    def start(self, attempt: AttemptInfo, *, return_url: str, notify_url: str) -> Started:
        """Ask the gateway for a payment; raise GatewayError or GatewayTimeout."""
        raise NotImplementedError

    def parse_callback(
        self, *, http_method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> list[Notice]:
        """Verify and read a gateway's callback; raise CallbackRejected."""
        raise NotImplementedError

    def callback_answer(self, *, accepted: bool, reason: str = "") -> Answer:
        """The answer the gateway expects (it retries on anything else)."""
        raise NotImplementedError

    def return_reference(self, query: dict[str, str]) -> str:
        """The attempt the browser comes back for. Untrusted: only says what to ask."""
        raise NotImplementedError

    def query(self, attempt: AttemptInfo) -> Notice:
        """Ask the gateway what became of an attempt; raise GatewayError/GatewayTimeout."""
        raise NotImplementedError

    def statement(self, day: date) -> list[Notice]:
        """The gateway's own record of the payments of `day` (local time), for the
        daily reconciliation; raise GatewayError/GatewayTimeout."""
        raise NotImplementedError
