"""What a signed-in session carries about how it was signed in: when (for the absolute
lifetime) and whether an official's second factor was checked. The one place that names
these session keys; the back office, the admin site and the tests read them from here."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from motcua.core.conf import setting

# Seconds since the epoch when the person signed in (every kind of sign-in).
SESSION_SIGNED_IN_AT = "motcua_signed_in_at"
# Seconds since the epoch when an official's authenticator code was accepted. Back-office
# pages and the admin site refuse a session without it (ASVS 5.0 V6.3.3).
SESSION_SECOND_FACTOR = "motcua_second_factor_at"


def second_factor_mark(request: HttpRequest) -> None:
    """This session passed the second factor (call right after login())."""
    request.session[SESSION_SECOND_FACTOR] = time.time()


def second_factor_verified(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SESSION_SECOND_FACTOR))


def absolute_lifetime_seconds() -> int:
    """However active, a session ends this long after sign-in (ASVS 5.0 V7.3.2)."""
    return int(float(setting("MOTCUA_SESSION_ABSOLUTE_HOURS", 12.0)) * 3600)


def signed_in_at(request: HttpRequest) -> float | None:
    value = request.session.get(SESSION_SIGNED_IN_AT)
    return float(value) if isinstance(value, int | float) else None


@receiver(user_logged_in, dispatch_uid="motcua.accounts.signin.signed_in_at")
def _remember_sign_in_time(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any):
    # Every sign-in (officials, citizens by phone code or VNeID, test clients' force_login)
    # goes through login(), which sends this signal after the session key was renewed.
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_SIGNED_IN_AT] = time.time()
