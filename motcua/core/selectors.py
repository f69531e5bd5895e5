"""Core reads: the working calendar built from the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max

from motcua.core.calendar import (
    DEFAULT_SESSIONS,
    DEFAULT_WEEKDAYS,
    Duration,
    Session,
    WorkingCalendar,
    add_working_time,
    working_time_between,
)
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


def _agency_sessions(agency: Agency) -> tuple[Session, ...]:
    return (
        (agency.morning_start, agency.morning_end),
        (agency.afternoon_start, agency.afternoon_end),
    )


def working_calendar(*, agency: Agency | None = None) -> WorkingCalendar:
    """The calendar deadlines are counted in: ``agency``'s office hours (else 07:00–11:30,
    13:30–17:00) on the calendar's working days — Monday to Friday, less the holidays
    and days off, plus the compensatory working Saturdays stored as CalendarDay rows.

    A desk that also opens on Saturday (``Agency.working_weekdays``) receives then, but
    its Saturdays do not count toward deadlines: only the calendar's working days do
    (the 40-hour, Monday–Friday week of state agencies, Decision 188/1999/QĐ-TTg)."""
    days = _calendar_days()
    sessions = DEFAULT_SESSIONS if agency is None else _agency_sessions(agency)
    return WorkingCalendar.standard(
        sessions=sessions,
        working_weekdays=DEFAULT_WEEKDAYS,
        non_working_dates=days.non_working,
        extra_working_dates=days.extra_working,
    )


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
