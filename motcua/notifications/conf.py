"""Settings of the notifications app, read when used.

Each value comes from a Django setting of the same name if one is set (tests use the
`settings` fixture), else from the environment (deployments, and the worker processes
the tests start), else from the default below. Every name is listed in
docs/notifications.md.
"""

from __future__ import annotations

from typing import Any

from motcua.core.conf import setting

DEFAULTS: dict[str, Any] = {
    # Delivery: GOV.UK Notify's budget, 48 attempts 5 minutes apart.
    "NOTIFY_MAX_ATTEMPTS": 48,
    "NOTIFY_RETRY_DELAY": 300.0,  # seconds before the 2nd attempt
    "NOTIFY_RETRY_BACKOFF": 1.0,  # each later delay is multiplied by this
    "NOTIFY_RETRY_MAX_DELAY": 3600.0,
    # A row `sending` for longer than this was left by a crashed worker. It must exceed
    # the longest send (HTTP/SMTP timeouts), or a slow send is repeated (harmless thanks
    # to the idempotency key, but noisy).
    "NOTIFY_SENDING_TIMEOUT": 600.0,
    # A row due for this long without being claimed has lost its queued job.
    "NOTIFY_SWEEP_GRACE": 300.0,
    "NOTIFY_SWEEP_BATCH": 1000,
    "NOTIFY_CHANNEL_ORDER": "zalo,sms,email",
    "NOTIFY_HTTP_TIMEOUT": 10.0,
    "NOTIFY_SITE_URL": "",
    # E-mail through Django's SMTP backend; disabled while NOTIFY_SMTP_HOST is empty.
    "NOTIFY_SMTP_HOST": "",
    "NOTIFY_SMTP_PORT": 25,
    "NOTIFY_SMTP_USER": "",
    "NOTIFY_SMTP_PASSWORD": "",
    "NOTIFY_SMTP_STARTTLS": False,
    "NOTIFY_SMTP_SSL": False,
    "NOTIFY_EMAIL_FROM": "Một cửa điện tử <no-reply@motcua.localhost>",
    # SMS over an eSMS-style JSON gateway; disabled while NOTIFY_SMS_URL is empty.
    "NOTIFY_SMS_URL": "",
    "NOTIFY_SMS_API_KEY": "",
    "NOTIFY_SMS_SECRET_KEY": "",
    "NOTIFY_SMS_BRANDNAME": "",
    "NOTIFY_SMS_UNICODE": False,  # most brandname routes take GSM-7 text without diacritics
    "NOTIFY_SMS_MAX_PARTS": 2,
    # Zalo ZNS; disabled while NOTIFY_ZALO_URL is empty.
    "NOTIFY_ZALO_URL": "",
    "NOTIFY_ZALO_ACCESS_TOKEN": "",
    # Rate limits, messages per second (0: none) and burst size (0: one second's worth).
    "NOTIFY_EMAIL_RATE": 0.0,
    "NOTIFY_EMAIL_BURST": 0,
    "NOTIFY_SMS_RATE": 0.0,
    "NOTIFY_SMS_BURST": 0,
    "NOTIFY_ZALO_RATE": 0.0,
    "NOTIFY_ZALO_BURST": 0,
}


def get(name: str) -> Any:
    """The value of `name`, converted to the type of its default."""
    return setting(name, DEFAULTS[name])


def channel_order() -> list[str]:
    return [part.strip() for part in get("NOTIFY_CHANNEL_ORDER").split(",") if part.strip()]
