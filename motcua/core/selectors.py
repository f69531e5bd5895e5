"""Core reads: the working calendar built from the database."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from motcua.core.calendar import (
    DEFAULT_SESSIONS,
    DEFAULT_WEEKDAYS,
    Duration,
    Session,
    WorkingCalendar,
    add_working_time,
    working_time_between,
)
from motcua.core.memo import Memo
from motcua.core.models import CalendarDay, CalendarDayKind, CalendarDaySource

if TYPE_CHECKING:
    from motcua.organizations.models import Agency


@dataclass(frozen=True)
class _CalendarDays:
    marker: tuple[Any, ...]
    non_working: frozenset[date]
    extra_working: frozenset[date]


# One entry per process. Every call pays one aggregate query to learn whether the rows
# changed (an insert raises the count, an edit raises max(updated_at), a delete lowers the
# count) and reloads them only then; cheaper and safer than timed expiry.
_cache: _CalendarDays | None = None


def calendar_days_marker() -> tuple[Any, ...]:
    stats = CalendarDay.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return (stats["n"], stats["last"], stats["top"])


def _calendar_days() -> _CalendarDays:
    global _cache
    marker = calendar_days_marker()
    cached = _cache
    if cached is not None and cached.marker == marker:
        return cached
    non_working: set[date] = set()
    extra_working: set[date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (extra_working if kind == CalendarDayKind.WORKING_DAY else non_working).add(day)
    # The marker was read before the rows: a write in between leaves a stale marker, so
    # the next call reloads rather than keeping stale rows.
    _cache = _CalendarDays(marker, frozenset(non_working), frozenset(extra_working))
    return _cache


# The hot path (every reception, every resumed clock) skips even the marker query: the
# rows as last read, keyed by a revision in the `default` cache that every save or
# delete of a CalendarDay moves (at once and again on commit; with Redis every process
# sees it), and kept at most a minute for changes that send no signal (the seeding's
# bulk insert) or a process that does not share the cache.
CALENDAR_REVISION_KEY = "motcua:calendar-revision"
_recent: Memo[WorkingCalendar] = Memo(seconds=60, size=64)


def _calendar_revision() -> str | None:
    try:
        return cache.get(CALENDAR_REVISION_KEY)
    except Exception:  # the cache is down: deadlines still count, the minute bounds staleness
        return None


def _calendar_revision_bump(**_kwargs: Any) -> None:
    def bump() -> None:
        _recent.clear()
        try:
            cache.set(CALENDAR_REVISION_KEY, uuid.uuid4().hex, None)
        except Exception:  # the cache is down: the other processes wait out the minute
            pass

    bump()
    transaction.on_commit(bump)


post_save.connect(_calendar_revision_bump, sender=CalendarDay, dispatch_uid="calendar-revision")
post_delete.connect(_calendar_revision_bump, sender=CalendarDay, dispatch_uid="calendar-revision")


def _agency_sessions(agency: Agency) -> tuple[Session, ...]:
    return (
        (agency.morning_start, agency.morning_end),
        (agency.afternoon_start, agency.afternoon_end),
    )


def working_calendar(*, agency: Agency | None = None, recent: bool = False) -> WorkingCalendar:
    """The calendar deadlines are counted in: ``agency``'s office hours (else 07:00–11:30,
    13:30–17:00) on the calendar's working days — Monday to Friday, less the holidays
    and days off, plus the compensatory working Saturdays stored as CalendarDay rows.

    A desk that also opens on Saturday (``Agency.working_weekdays``) receives then, but
    its Saturdays do not count toward deadlines: only the calendar's working days do
    (the 40-hour, Monday–Friday week of state agencies, Decision 188/1999/QĐ-TTg).

    `recent`: the rows as last read in this process, without a query (see _recent)."""
    sessions = DEFAULT_SESSIONS if agency is None else _agency_sessions(agency)

    def build() -> WorkingCalendar:
        days = _calendar_days()
        return WorkingCalendar.standard(
            sessions=sessions,
            working_weekdays=DEFAULT_WEEKDAYS,
            non_working_dates=days.non_working,
            extra_working_dates=days.extra_working,
        )

    if recent:
        return _recent.get((_calendar_revision(), sessions), build)
    return build()


def due_at(*, start: datetime, duration: Duration, agency: Agency | None = None) -> datetime:
    """Due moment of ``duration`` received at ``start`` by ``agency``."""
    return add_working_time(start, duration, working_calendar(agency=agency))


def working_time(*, start: datetime, end: datetime, agency: Agency | None = None) -> timedelta:
    """Office time of ``agency`` between two moments (negative when end < start)."""
    return working_time_between(start, end, working_calendar(agency=agency))


def calendar_years_without_package_days(*, years: Iterable[int]) -> list[int]:
    """Years with no row seeded from the holidays package (never seeded)."""
    wanted = sorted(set(years))
    if not wanted:
        return []
    seeded = set(
        CalendarDay.objects.filter(
            source=CalendarDaySource.HOLIDAYS_PACKAGE,
            date__year__gte=wanted[0],
            date__year__lte=wanted[-1],
        )
        .order_by()
        .values_list("date__year", flat=True)
        .distinct()
    )
    return [year for year in wanted if year not in seeded]
