"""Due moments computed by hand, on the national calendar from the holidays package."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from motcua.core.calendar import (
    VN_TZ,
    Duration,
    DurationKind,
    WorkingCalendar,
    add_working_time,
    next_working_moment,
    working_time_between,
)

WD = DurationKind.WORKING_DAYS
WH = DurationKind.WORKING_HOURS
DAYS = DurationKind.CALENDAR_DAYS
SAME = Duration(DurationKind.SAME_DAY)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def due(vn: WorkingCalendar, start: datetime, kind: DurationKind, amount: int = 0) -> datetime:
    return add_working_time(start, Duration(kind, amount), vn)


# --- holidays ------------------------------------------------------------------------------


def test_friday_before_tet_three_working_days(vn):
    # 50 min Friday 13/2; Tết 16–20/2; 8h on 23/2, 8h on 24/2, 7h10 on 25/2.
    result = due(vn, at(2026, 2, 13, 16, 10), WD, 3)
    assert result == at(2026, 2, 25, 16, 10)
    assert result.isoformat() == "2026-02-25T16:10:00+07:00"
    assert working_time_between(at(2026, 2, 13, 16, 10), result, vn) == timedelta(hours=24)


def test_tet_holidays_are_not_working_days(vn):
    for day in range(16, 21):
        assert not vn.is_working_day(date(2026, 2, day))
    assert due(vn, at(2026, 2, 13, 9, 0), WD, 1) == at(2026, 2, 23, 9, 0)


def test_observed_hung_kings_day(vn):
    # 26/4/2026 is a Sunday; Monday 27/4 is the observed day off.
    assert not vn.is_working_day(date(2026, 4, 27))
    assert due(vn, at(2026, 4, 24, 10, 0), WD, 1) == at(2026, 4, 28, 10, 0)
    # 30/4 and 1/5 (Thursday, Friday).
    assert due(vn, at(2026, 4, 29, 10, 0), WD, 1) == at(2026, 5, 4, 10, 0)


def test_compensatory_working_saturday_counts(vn):
    assert vn.is_working_day(date(2026, 8, 22))
    # 3h30 on Friday afternoon, then 4h30 on the working Saturday morning: ends at 11:30.
    assert due(vn, at(2026, 8, 21, 13, 30), WD, 1) == at(2026, 8, 22, 11, 30)
    assert due(vn, at(2026, 8, 22, 14, 0), DurationKind.SAME_DAY) == at(2026, 8, 22, 17, 0)


def test_swapped_day_off_and_national_day(vn):
    # Monday 31/8 is the swapped day off, 1–2/9 National Day.
    assert not vn.is_working_day(date(2026, 8, 31))
    assert due(vn, at(2026, 8, 28, 10, 0), WD, 1) == at(2026, 9, 3, 10, 0)


def test_2025_swap(vn):
    assert vn.is_working_day(date(2025, 4, 26))
    assert not vn.is_working_day(date(2025, 5, 2))


# --- same day and the 15:00 rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (at(2026, 3, 4, 14, 59), at(2026, 3, 4, 17, 0)),
        (at(2026, 3, 4, 15, 0), at(2026, 3, 4, 17, 0)),
        (at(2026, 3, 4, 15, 1), at(2026, 3, 5, 17, 0)),
        (at(2026, 3, 4, 15, 0, 1), at(2026, 3, 5, 17, 0)),
        (at(2026, 3, 6, 15, 1), at(2026, 3, 9, 17, 0)),  # Friday → Monday
        (at(2026, 3, 7, 10, 0), at(2026, 3, 9, 17, 0)),  # Saturday → Monday
        (at(2026, 3, 4, 6, 0), at(2026, 3, 4, 17, 0)),  # before opening
        (at(2026, 3, 4, 12, 0), at(2026, 3, 4, 17, 0)),  # lunch break
        (at(2026, 3, 4, 17, 30), at(2026, 3, 5, 17, 0)),  # after closing
        (at(2026, 2, 13, 15, 30), at(2026, 2, 23, 17, 0)),  # before Tết
    ],
)
def test_same_day(vn, received, expected):
    assert add_working_time(received, SAME, vn) == expected


# --- office hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 3, 4, 12, 0), 1, at(2026, 3, 4, 14, 30)),  # lunch: counts from 13:30
        (at(2026, 3, 4, 11, 0), 1, at(2026, 3, 4, 14, 0)),  # over lunch
        (at(2026, 3, 4, 10, 30), 1, at(2026, 3, 4, 11, 30)),  # ends at the session end
        (at(2026, 3, 4, 13, 30), 3, at(2026, 3, 4, 16, 30)),
        (at(2026, 3, 4, 16, 0), 1, at(2026, 3, 4, 17, 0)),  # stays at 17:00
        (at(2026, 3, 4, 6, 0), 2, at(2026, 3, 4, 9, 0)),  # before opening
        (at(2026, 3, 4, 18, 0), 2, at(2026, 3, 5, 9, 0)),  # after closing
        (at(2026, 3, 4, 17, 0), 1, at(2026, 3, 5, 8, 0)),  # exactly at closing
        (at(2026, 3, 8, 9, 0), 1, at(2026, 3, 9, 8, 0)),  # Sunday
    ],
)
def test_working_hours(vn, start, hours, expected):
    assert due(vn, start, WH, hours) == expected


def test_working_days_are_eight_hours_not_closes(vn):
    assert due(vn, at(2026, 3, 6, 16, 10), WD, 3) == at(2026, 3, 11, 16, 10)
    assert due(vn, at(2026, 3, 2, 7, 0), WD, 1) == at(2026, 3, 2, 17, 0)
    assert due(vn, at(2026, 3, 2, 6, 0), WD, 2) == at(2026, 3, 3, 17, 0)


def test_zero_working_time_is_the_next_working_moment(vn):
    assert due(vn, at(2026, 3, 7, 10, 0), WH, 0) == at(2026, 3, 9, 7, 0)
    assert due(vn, at(2026, 3, 4, 11, 30), WH, 0) == at(2026, 3, 4, 11, 30)
    assert next_working_moment(at(2026, 3, 4, 12, 0), vn) == at(2026, 3, 4, 13, 30)


# --- calendar days --------------------------------------------------------------------------


def test_calendar_days(vn):
    # The period ends at the close of its last day.
    assert due(vn, at(2026, 3, 2, 10, 0), DAYS, 3) == at(2026, 3, 5, 17, 0)
    # Lands on Saturday: close of Monday, the same as Wednesday + 5 days.
    assert due(vn, at(2026, 3, 2, 10, 0), DAYS, 5) == at(2026, 3, 9, 17, 0)
    assert due(vn, at(2026, 3, 4, 9, 0), DAYS, 5) == at(2026, 3, 9, 17, 0)
    # Lands in Tết: close of the first working day after it.
    assert due(vn, at(2026, 2, 13, 10, 0), DAYS, 3) == at(2026, 2, 23, 17, 0)
    # Received on Saturday: counted from Monday.
    assert due(vn, at(2026, 3, 7, 10, 0), DAYS, 2) == at(2026, 3, 11, 17, 0)


# --- time zones, errors, scale ----------------------------------------------------------------


def test_aware_and_naive_inputs(vn):
    utc = datetime(2026, 2, 13, 9, 10, tzinfo=UTC)  # 16:10 in Hà Nội
    result = add_working_time(utc, Duration(WD, 3), vn)
    assert result == at(2026, 2, 25, 16, 10)
    assert result.utcoffset() == timedelta(hours=7)
    assert add_working_time(datetime(2026, 2, 13, 16, 10), Duration(WD, 3), vn) == result
    assert working_time_between(utc, result, vn) == timedelta(hours=24)


def test_between(vn):
    a, b = at(2026, 3, 4, 11, 0), at(2026, 3, 4, 14, 0)
    assert working_time_between(a, b, vn) == timedelta(hours=1)
    assert working_time_between(b, a, vn) == -timedelta(hours=1)
    assert working_time_between(a, a, vn) == timedelta(0)
    assert working_time_between(at(2026, 3, 7), at(2026, 3, 9), vn) == timedelta(0)


def test_long_spans_walk_sessions_not_minutes(vn):
    start = at(2026, 1, 5, 9, 17, 23)
    result = due(vn, start, WD, 60)
    assert working_time_between(start, result, vn) == timedelta(hours=480)
    far = due(vn, start, WH, 100_000)
    assert working_time_between(start, far, vn) == timedelta(hours=100_000)


def test_custom_office_hours():
    cal = WorkingCalendar.standard(
        sessions=((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0))),
        working_weekdays=range(6),  # Monday–Saturday
    )
    saturday = datetime(2026, 3, 7, 16, 0)
    assert add_working_time(saturday, Duration(WH, 2), cal) == at(2026, 3, 9, 8, 30)
    assert add_working_time(datetime(2026, 3, 4, 11, 45), Duration(WH, 1), cal) == at(
        2026, 3, 4, 14, 0
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: WorkingCalendar.standard(sessions=((time(9), time(8)),)),
        lambda: WorkingCalendar.standard(sessions=((time(7), time(12)), (time(11), time(17)))),
        lambda: WorkingCalendar.standard(working_weekdays=()),
        lambda: WorkingCalendar.standard(
            non_working_dates={date(2026, 1, 1)}, extra_working_dates={date(2026, 1, 1)}
        ),
    ],
)
def test_broken_calendars_are_refused(build):
    with pytest.raises(ValueError):
        build()


def test_negative_duration_refused(vn):
    with pytest.raises(ValueError):
        due(vn, at(2026, 3, 4, 9, 0), WH, -1)


def test_calendar_closed_for_ever_raises():
    cal = WorkingCalendar.standard(
        non_working_dates={date(2026, 1, 1) + timedelta(days=n) for n in range(4000)}
    )
    with pytest.raises(ValueError, match="No working day"):
        add_working_time(datetime(2026, 1, 1, 9), Duration(WH, 1), cal)
