"""Limits on wrong passwords (and wrong authenticator codes), on django-axes.

Two limits over axes' AccessAttempt rows, which are kept in the database, so every worker
counts together and a restart forgets nothing (ASVS 5.0 V6.3.1, V6.1.1):

- per account: MOTCUA_SIGNIN_ACCOUNT_FAILURES wrong tries (default 5) lock the account
  until an administrator unlocks it on "Tài khoản cán bộ", or by itself after
  MOTCUA_SIGNIN_ACCOUNT_LOCK_HOURS (default 24). Not forever: official usernames are easy
  to guess, so anyone could lock a whole office out on purpose (ASVS 5.0 V6.1.1 asks that
  the limits not allow malicious lockout), and an official locked out at night by such an
  attempt must be able to work the next day without waiting for an administrator. Five
  guesses a day leave a 12-character password that is not a common one out of reach.
- per address: MOTCUA_SIGNIN_ADDRESS_FAILURES (default 30) wrong tries from one address in
  MOTCUA_SIGNIN_ADDRESS_WINDOW_MINUTES (default 30) lock the address for that long,
  whatever names were typed (password spraying). Higher than the account's limit because
  an office of thirty officials often goes out through one address.

A full sign-in (password and code) clears the account's count. Tries made while locked
are refused without being counted, so a lockout ends when it said it would.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.db.models import QuerySet, Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from motcua.core.conf import setting
from motcua.core.net import client_ip


def account_limit() -> int:
    return setting("MOTCUA_SIGNIN_ACCOUNT_FAILURES", 5)


def account_lock_time() -> timedelta:
    return timedelta(hours=setting("MOTCUA_SIGNIN_ACCOUNT_LOCK_HOURS", 24.0))


def address_limit() -> int:
    return setting("MOTCUA_SIGNIN_ADDRESS_FAILURES", 30)


def address_lock_time() -> timedelta:
    return timedelta(minutes=setting("MOTCUA_SIGNIN_ADDRESS_WINDOW_MINUTES", 30.0))


def axes_client_ip(request: HttpRequest) -> str | None:
    """The address axes counts under: the project's (trusted proxies, motcua.core.net), or
    None when it is not an address (axes stores it in an IP address column)."""
    value = client_ip(request)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _failures(rows: QuerySet[AccessAttempt]) -> int:
    return int(rows.aggregate(n=Sum("failures_since_start"))["n"] or 0)


@dataclass(frozen=True)
class Lockout:
    kind: Literal["account", "address"]
    until: datetime

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds() / 60))


def _account_rows(username: str, now: datetime) -> QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(
        username=username, attempt_time__gte=now - account_lock_time()
    )


def _address_rows(ip: str, now: datetime) -> QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=now - address_lock_time())


def lockout_of(
    *, username: str | None, ip: str | None, now: datetime | None = None
) -> Lockout | None:
    """Why sign-in is refused for this name from this address, or None. The account's
    lock is named first: it is the one an administrator can lift."""
    now = now or timezone.now()
    if username:
        rows = _account_rows(username, now)
        if _failures(rows) >= account_limit():
            last = rows.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
            return Lockout(kind="account", until=(last or now) + account_lock_time())
    if ip:
        rows = _address_rows(ip, now)
        if _failures(rows) >= address_limit():
            last = rows.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
            return Lockout(kind="address", until=(last or now) + address_lock_time())
    return None


def locked_usernames(*, usernames: list[str], now: datetime | None = None) -> set[str]:
    """Which of these accounts are locked now (one grouped query)."""
    now = now or timezone.now()
    rows = (
        AccessAttempt.objects.filter(
            username__in=usernames, attempt_time__gte=now - account_lock_time()
        )
        .values("username")
        .annotate(n=Sum("failures_since_start"))
    )
    return {row["username"] for row in rows if (row["n"] or 0) >= account_limit()}


def account_attempts_clear(*, username: str) -> int:
    """Forget the account's wrong tries (from every address): unlocks it."""
    count, _detail = AccessAttempt.objects.filter(username=username).delete()
    return count


class SignInLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with the two limits above (settings.AXES_HANDLER)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # axes compares this to AXES_FAILURE_LIMIT, the account's limit: an address over
        # its own limit counts as a full account's worth.
        username = get_client_username(request, credentials)
        now = request.axes_attempt_time or timezone.now()
        account = _failures(_account_rows(username, now)) if username else 0
        ip = request.axes_ip_address
        if ip and _failures(_address_rows(ip, now)) >= address_limit():
            return max(account, account_limit())
        return account

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None:
            # Set by the axes backend when the try came in already locked: that is no new
            # lockout, only a refused try (nothing to record).
            request.motcua_lockout_new = not getattr(request, "axes_locked_out", False)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # axes would also clear every try from the address, whoever's: only the account's.
        username = get_client_username(request, credentials)
        return account_attempts_clear(username=username) if username else 0


@receiver(user_locked_out, dispatch_uid="motcua.accounts.lockout.audit")
def _audit_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: Any, **kwargs: Any
) -> None:
    from motcua.audit.services import audit_record

    if not getattr(request, "motcua_lockout_new", True):
        return
    found = lockout_of(username=username, ip=ip_address)
    user = get_user_model().objects.filter(username=username).first() if username else None
    kind = found.kind if found else "account"
    audit_record(
        action="auth.lockout",
        request=request,
        obj=user,
        object_type="" if user else "auth.user",
        object_label="" if user else (username or "")[:200],
        detail=(
            f"account locked after {account_limit()} failed sign-ins"
            if kind == "account"
            else f"address {ip_address} locked after {address_limit()} failed sign-ins"
        ),
    )
