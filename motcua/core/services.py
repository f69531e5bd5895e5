"""Core writes: the holiday calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import holidays
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from motcua.core.calendar import WorkingCalendar
from motcua.core.models import CalendarDay, CalendarDayKind, CalendarDaySource
from motcua.core.selectors import calendar_years_without_package_days


@dataclass(frozen=True)
class ReportedDay:
    date: date
    kind: CalendarDayKind
    name: str


@dataclass(frozen=True)
class SeedResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    kept: int = 0  # rows an administrator owns, left alone


def _holidays_language() -> str:
    return "vi" if settings.LANGUAGE_CODE.startswith("vi") else "en_US"


def reported_calendar_days(*, years: Iterable[int]) -> list[ReportedDay]:
    """What the `holidays` package says about Vietnam for ``years``.

    Days off the government swaps for a weekend day ("Day off (substituted from
    22/08/2026)") become DAY_OFF, and the weekend day they were taken from becomes a
    WORKING_DAY; the package exposes those as ``weekend_workdays``. Neighbouring years
    are computed too, because a swap can cross New Year (2 Jan 2015 for 27 Dec 2014).
    """
    wanted = set(years)
    if not wanted:
        return []
    vn = holidays.VN(years=range(min(wanted) - 1, max(wanted) + 2), language=_holidays_language())
    label = vn.tr(vn.substituted_label)
    date_format = vn.tr(vn.substituted_date_format)
    substituted_prefix = label.split("%s")[0]

    days = [
        ReportedDay(
            day,
            (
                CalendarDayKind.DAY_OFF
                if name.startswith(substituted_prefix)
                else CalendarDayKind.HOLIDAY
            ),
            name,
        )
        for day, name in vn.items()
        if day.year in wanted
    ]
    day_off_for = {name: day for day, name in vn.items()}
    # weekend_workdays always lists the cross-year swaps of every year, so filter it by
    # year and keep only weekend days for which the package reports the swapped day off.
    with translation.override(settings.LANGUAGE_CODE):
        for workday in sorted(vn.weekend_workdays):
            swapped = day_off_for.get(label % workday.strftime(date_format))
            if workday.year not in wanted or workday.weekday() < 5 or swapped is None:
                continue
            name = gettext("Compensatory working day (for the day off on %(date)s)") % {
                "date": f"{swapped:%d/%m/%Y}"
            }
            days.append(ReportedDay(workday, CalendarDayKind.WORKING_DAY, name))
    return sorted(days, key=lambda d: d.date)


def holidays_package_calendar(*, years: Iterable[int]) -> WorkingCalendar:
    """The national calendar straight from the `holidays` package, without the database
    (administrators' edits are not in it): for tests and tools that have no database."""
    days = reported_calendar_days(years=years)
    return WorkingCalendar.standard(
        non_working_dates={d.date for d in days if d.kind != CalendarDayKind.WORKING_DAY},
        extra_working_dates={d.date for d in days if d.kind == CalendarDayKind.WORKING_DAY},
    )


@transaction.atomic
def calendar_seed(*, years: Iterable[int]) -> SeedResult:
    """Bring the package's rows for ``years`` in line with the `holidays` package.

    Idempotent. Rows with source=administrator are never changed or deleted; package
    rows the package no longer reports (a corrected date) are deleted.
    """
    wanted = sorted(set(years))
    if not wanted:
        return SeedResult()
    reported = {d.date: d for d in reported_calendar_days(years=wanted)}
    existing = {
        row.date: row
        for row in CalendarDay.objects.select_for_update().filter(
            date__gte=date(wanted[0], 1, 1), date__lte=date(wanted[-1], 12, 31)
        )
        if row.date.year in wanted
    }
    created: list[CalendarDay] = []
    updated = kept = 0
    for day, info in reported.items():
        row = existing.get(day)
        if row is None:
            created.append(
                CalendarDay(
                    date=day,
                    kind=info.kind,
                    name=info.name,
                    source=CalendarDaySource.HOLIDAYS_PACKAGE,
                )
            )
        elif row.source == CalendarDaySource.ADMINISTRATOR:
            kept += 1
        elif (row.kind, row.name) != (info.kind, info.name):
            row.kind, row.name = info.kind, info.name
            row.save(update_fields=["kind", "name", "updated_at"])
            updated += 1
    stale = [
        row.pk
        for day, row in existing.items()
        if row.source == CalendarDaySource.HOLIDAYS_PACKAGE and day not in reported
    ]
    if stale:
        CalendarDay.objects.filter(pk__in=stale).delete()
    # ignore_conflicts: a concurrent seeding (or an administrator) may have just added
    # the same date; the unique date keeps one row and theirs wins.
    CalendarDay.objects.bulk_create(created, ignore_conflicts=True)
    return SeedResult(created=len(created), updated=updated, deleted=len(stale), kept=kept)


def calendar_ensure_seeded(*, years: Iterable[int]) -> list[int]:
    """Seed the years never seeded from the package (a fresh database); returns them."""
    missing = calendar_years_without_package_days(years=years)
    if missing:
        calendar_seed(years=missing)
    return missing


def calendar_day_save(*, day: CalendarDay) -> CalendarDay:
    """Save a row an administrator created or edited: from now on seeding leaves it alone."""
    day.source = CalendarDaySource.ADMINISTRATOR
    day.full_clean()
    day.save()
    return day
