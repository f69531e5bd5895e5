"""Rate limits shared by every worker on every machine: attempts counted in the database.

A counter is one RateCounter row per key and fixed window (e.g. "tracking:203.0.113.9"
in the 10 minutes starting 09:10:00). Django's local-memory cache counted per process
and forgot everything on a restart, so N workers allowed N times the limit and a
restart reset it (ASVS 5.0 V2.4.1 anti-automation; V6.3.1 and V6.6.3 brute force).

A fixed window lets a client make up to twice the limit around a window's edge; the
limits are set with that in mind. Rows are deleted once their window has passed
(`rate_counters_purge`, nightly: motcua.core.tasks).
"""

from __future__ import annotations

import ipaddress
import math
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from motcua.core.models import RateCounter

KEY_LENGTH = 200  # RateCounter.key
_INSERT_TRIES = 5


def _window_start(now: datetime, window_seconds: int) -> int:
    return int(now.timestamp()) // window_seconds * window_seconds


def _increment(key: str, window: int, expires_at: datetime) -> int:
    """Add one to the counter and return its new value, exactly.

    The UPDATE and the read share one transaction: the UPDATE holds the row's lock
    (PostgreSQL) or the database's write lock (SQLite) until commit, so no other hit
    slips in between and every caller reads its own count. The first hit of a window
    inserts the row; when two insert at once, the loser's unique-constraint error sends
    it back to the UPDATE."""
    for _attempt in range(_INSERT_TRIES):
        with transaction.atomic():
            row = RateCounter.objects.filter(key=key, window=window)
            if row.update(count=F("count") + 1):
                return row.values_list("count", flat=True).get()
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, window=window, count=1, expires_at=expires_at)
            return 1
        except IntegrityError:
            continue  # another process created it meanwhile: count on it
    raise RuntimeError(f"rate counter {key!r} could be neither updated nor created")


def rate_hit(*, key: str, limit: int, window_seconds: int, now: datetime | None = None) -> bool:
    """Count one attempt under `key` in the current window of `window_seconds`; True
    while at most `limit` attempts (this one included) were made in it."""
    now = now or timezone.now()
    window = _window_start(now, window_seconds)
    expires_at = datetime.fromtimestamp(window + window_seconds, tz=UTC)
    return _increment(key[:KEY_LENGTH], window, expires_at) <= limit


def rate_count(*, key: str, window_seconds: int, now: datetime | None = None) -> int:
    """How many attempts `key` made in the current window (without counting one)."""
    now = now or timezone.now()
    found = (
        RateCounter.objects.filter(key=key[:KEY_LENGTH], window=_window_start(now, window_seconds))
        .values_list("count", flat=True)
        .first()
    )
    return found or 0


def rate_retry_after(*, window_seconds: int, now: datetime | None = None) -> int:
    """Seconds until the current window ends (HTTP Retry-After), at least 1."""
    now = now or timezone.now()
    end = _window_start(now, window_seconds) + window_seconds
    return max(1, math.ceil(end - now.timestamp()))


def address_key(address: str) -> str:
    """A client address as a rate-limit key: an IPv6 address by its /64 network, which
    one subscriber usually holds whole (counting single addresses would let them
    rotate through 2^64); anything else as given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.9 is that IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def rate_counters_purge(*, now: datetime | None = None) -> int:
    """Delete the counters of windows that have ended; returns how many."""
    now = now or timezone.now()
    return RateCounter.objects.filter(expires_at__lte=now).delete()[0]
