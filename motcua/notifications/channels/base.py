"""What every channel plugin implements, and the answers it may give."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from motcua.notifications import conf

if TYPE_CHECKING:
    from motcua.notifications.models import MessageTemplate, Notification


class Outcome(StrEnum):
    # The gateway took the message (or told us it already had this key).
    DELIVERED = "delivered"
    # Definitely not taken (connection refused, an error answer): retry later; the
    # next attempt may use the next channel of the fallback order.
    RETRY = "retry"
    # No clear answer (timeout, dropped connection, 5xx): the gateway may have taken
    # it, so retry on the same channel with the same idempotency key only.
    UNKNOWN = "unknown"
    # Told to slow down: retry later without spending an attempt.
    RATE_LIMITED = "rate_limited"
    # This channel cannot reach this person (no Zalo account, refused address):
    # fall back to the next channel at once.
    UNREACHABLE = "unreachable"
    # Nothing was sent and retrying cannot help (no template, one that does not
    # render): technical-failure at once, for an officer or administrator to see.
    FAILED = "failed"


@dataclass(frozen=True)
class ProviderResult:
    outcome: Outcome
    reference: str = ""  # the gateway's message id
    error: str = ""
    retry_after: float | None = None  # seconds, when the gateway says

    @classmethod
    def delivered(cls, reference: str) -> ProviderResult:
        return cls(Outcome.DELIVERED, reference=reference)


class Channel(ABC):
    """A way to reach people. Subclasses are registered with `@registry("id")`."""

    id: ClassVar[str]
    verbose_name: ClassVar[str]
    # conf names of the messages-per-second limit and burst (0: unlimited).
    rate_setting: ClassVar[str] = ""
    burst_setting: ClassVar[str] = ""

    @abstractmethod
    def is_enabled(self) -> bool:
        """Configured for this deployment."""

    @abstractmethod
    def address(self, notification: Notification) -> str | None:
        """The recipient's address on this channel, normalised, or None."""

    def accepts(self, template: MessageTemplate) -> bool:
        """Whether `template` has a text for this channel."""
        return True

    @abstractmethod
    def send(self, notification: Notification) -> ProviderResult:
        """Send once, with `notification.key` as the idempotency key. Never raises for
        gateway trouble: the outcome says what happened."""

    def rate(self) -> tuple[float, float]:
        """(messages per second, burst); (0, 0) when unlimited."""
        if not self.rate_setting:
            return 0.0, 0.0
        per_second = float(conf.get(self.rate_setting))
        burst = float(conf.get(self.burst_setting)) if self.burst_setting else 0.0
        return per_second, burst or max(1.0, per_second)
