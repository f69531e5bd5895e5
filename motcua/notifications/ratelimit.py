"""A token bucket per channel in the database, shared by every worker on every machine.

Taking a token is one conditional UPDATE (refill by elapsed time, capped at the burst,
then minus one, only where at least one token is available), so concurrent workers
never overdraw it and nobody holds a lock across a send.
"""

from __future__ import annotations

import time

from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Value
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual

from motcua.notifications.models import RateBucket


def _refilled(now: float, rate: float, burst: float):
    elapsed = Greatest(Value(now) - F("stamp"), Value(0.0), output_field=FloatField())
    return Least(Value(burst), F("tokens") + elapsed * Value(rate), output_field=FloatField())


def rate_take(*, channel: str, rate: float, burst: float, now: float | None = None) -> float:
    """Take one token; returns 0 when taken, else the seconds until one is available.

    `rate` is tokens per second, `burst` the bucket size; rate <= 0 means unlimited.
    """
    if rate <= 0:
        return 0.0
    now = time.time() if now is None else now
    refilled = _refilled(now, rate, burst)
    taken = (
        RateBucket.objects.filter(pk=channel)
        .filter(GreaterThanOrEqual(refilled, Value(1.0)))
        .update(tokens=refilled - Value(1.0), stamp=Value(now))
    )
    if taken:
        return 0.0
    bucket = RateBucket.objects.filter(pk=channel).first()
    if bucket is None:
        try:
            with transaction.atomic():
                RateBucket.objects.create(channel=channel, tokens=burst - 1.0, stamp=now)
            return 0.0
        except IntegrityError:  # another worker created it first: take from theirs
            return rate_take(channel=channel, rate=rate, burst=burst, now=now)
    available = min(burst, bucket.tokens + max(0.0, now - bucket.stamp) * rate)
    return max(0.001, (1.0 - available) / rate)
