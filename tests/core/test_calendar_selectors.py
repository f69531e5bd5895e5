from __future__ import annotations

import datetime as dt
from datetime import date, datetime, time

import pytest

from motcua.core.calendar import VN_TZ, Duration, DurationKind, add_working_time
from motcua.core.models import CalendarDay, CalendarDayKind
from motcua.core.selectors import due_at, working_calendar
from motcua.core.services import calendar_day_save, calendar_seed
from motcua.organizations.models import Agency

pytestmark = pytest.mark.django_db

ONE_DAY = Duration(DurationKind.WORKING_DAYS, 1)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def test_database_calendar_follows_the_rows():
    calendar_seed(years=[2026])
    start = at(2026, 3, 4, 10, 0)  # Wednesday
    assert due_at(start=start, duration=ONE_DAY) == at(2026, 3, 5, 10, 0)
    # An administrator closes Thursday 5 March: the same call sees it at once.
    extra = calendar_day_save(
        day=CalendarDay(date=date(2026, 3, 5), kind=CalendarDayKind.DAY_OFF, name="Nghỉ")
    )
    assert due_at(start=start, duration=ONE_DAY) == at(2026, 3, 6, 10, 0)
    # ... then changes it into a working day, then deletes it.
    extra.kind = CalendarDayKind.WORKING_DAY
    calendar_day_save(day=extra)
    assert due_at(start=start, duration=ONE_DAY) == at(2026, 3, 5, 10, 0)
    extra.delete()
    assert due_at(start=start, duration=ONE_DAY) == at(2026, 3, 5, 10, 0)


def test_calendar_is_cached_until_rows_change(django_assert_num_queries):
    calendar_seed(years=[2026])
    working_calendar()
    with django_assert_num_queries(1):  # the change marker only
        working_calendar()


def test_default_calendar_is_the_database_one():
    calendar_seed(years=[2026])
    assert add_working_time(at(2026, 2, 13, 16, 10), Duration(DurationKind.WORKING_DAYS, 3)) == (
        at(2026, 2, 25, 16, 10)
    )


def test_agency_with_its_own_hours_counts_only_the_calendars_working_days():
    """A desk that also opens on Saturday receives then, but deadlines count only the
    calendar's working days (Mon–Fri, holidays off, compensatory days on), in the
    agency's own office hours."""
    calendar_seed(years=[2026])
    agency = Agency(
        code="X",
        name="Trung tâm",
        morning_start=time(7, 30),
        morning_end=time(11, 30),
        afternoon_start=time(13, 0),
        afternoon_end=time(17, 0),
        working_weekdays="012345",
    )
    cal = working_calendar(agency=agency)
    assert not cal.is_working_day(date(2026, 3, 7))  # Saturday: the desk is open, no clock
    assert not cal.is_working_day(date(2026, 2, 16))  # holidays still apply ...
    assert not cal.is_working_day(date(2026, 3, 8))  # ... and Sunday stays closed
    # Received Saturday 16:00, 2 working hours: from Monday 7:30, in the agency's hours.
    assert due_at(
        start=at(2026, 3, 7, 16, 0), duration=Duration(DurationKind.WORKING_HOURS, 2), agency=agency
    ) == at(2026, 3, 9, 9, 30)
    assert due_at(
        start=at(2026, 3, 4, 15, 30), duration=Duration(DurationKind.SAME_DAY), agency=agency
    ) == at(2026, 3, 5, 17, 0)
    # Friday 13/2 16:10, 3 working days: 50 min, Tết, Monday 23/2 8 h, Tuesday 8 h, then
    # Wednesday 7 h 10 (4 h from 7:30, 3 h 10 from 13:00).
    assert due_at(
        start=at(2026, 2, 13, 16, 10),
        duration=Duration(DurationKind.WORKING_DAYS, 3),
        agency=agency,
    ) == at(2026, 2, 25, 16, 10)


def test_default_agency_hours_match_the_national_calendar():
    calendar_seed(years=[2026])
    agency = Agency(code="Y", name="UBND xã")
    assert working_calendar(agency=agency) == working_calendar()
    assert agency.morning_start == dt.time(7, 0)
