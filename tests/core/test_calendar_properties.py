"""Properties of the deadline arithmetic, on the national calendar and on random ones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.core.calendar import (
    Duration,
    DurationKind,
    WorkingCalendar,
    add_working_time,
    working_time_between,
)
from motcua.core.services import holidays_package_calendar

PROPERTY = settings(max_examples=200, deadline=None)
VN = holidays_package_calendar(years=range(2025, 2029))
LOW, HIGH = datetime(2025, 1, 1), datetime(2027, 12, 31)


@st.composite
def random_calendars(draw: st.DrawFn) -> WorkingCalendar:
    minutes = sorted(draw(st.sets(st.integers(6 * 60, 20 * 60), min_size=2, max_size=6)))
    if len(minutes) % 2:
        minutes = minutes[:-1]
    sessions = [
        (time(a // 60, a % 60), time(b // 60, b % 60))
        for a, b in zip(minutes[::2], minutes[1::2], strict=True)
    ]
    weekdays = draw(st.sets(st.integers(0, 6), min_size=1))
    days = st.dates(date(2025, 1, 1), date(2027, 12, 31))
    closed = draw(st.sets(days, max_size=40))
    extra = draw(st.sets(days, max_size=10)) - closed
    return WorkingCalendar.standard(
        sessions=sessions,
        working_weekdays=weekdays,
        non_working_dates=closed,
        extra_working_dates=extra,
    )


calendars = st.one_of(st.just(VN), random_calendars())
moments = st.datetimes(LOW, HIGH)
durations = st.one_of(
    st.builds(Duration, st.just(DurationKind.WORKING_HOURS), st.integers(0, 200)),
    st.builds(Duration, st.just(DurationKind.WORKING_DAYS), st.integers(0, 30)),
    st.builds(Duration, st.just(DurationKind.CALENDAR_DAYS), st.integers(0, 60)),
    st.just(Duration(DurationKind.SAME_DAY)),
)
monotonic_durations = durations


def local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def in_office(cal: WorkingCalendar, moment: datetime) -> bool:
    moment = local(moment)
    return any(s <= moment.time() <= e for s, e in cal.sessions_on(moment.date()))


@PROPERTY
@given(cal=calendars, start=moments, duration=durations)
def test_result_is_within_office_hours(cal, start, duration):
    assert in_office(cal, add_working_time(start, duration, cal))


@PROPERTY
@given(cal=calendars, a=moments, b=moments, duration=monotonic_durations)
def test_monotonic_in_start(cal, a, b, duration):
    a, b = sorted((a, b))
    assert add_working_time(a, duration, cal) <= add_working_time(b, duration, cal)


@PROPERTY
@given(
    cal=calendars,
    start=moments,
    a=st.integers(0, 30),
    b=st.integers(0, 30),
    kind=st.sampled_from([DurationKind.WORKING_HOURS, DurationKind.WORKING_DAYS]),
)
def test_monotonic_in_duration(cal, start, a, b, kind):
    a, b = sorted((a, b))
    assert add_working_time(start, Duration(kind, a), cal) <= add_working_time(
        start, Duration(kind, b), cal
    )


@PROPERTY
@given(cal=calendars, start=moments, hours=st.integers(0, 300))
def test_between_inverts_add(cal, start, hours):
    due = add_working_time(start, Duration(DurationKind.WORKING_HOURS, hours), cal)
    normalised = add_working_time(start, Duration(DurationKind.WORKING_HOURS, 0), cal)
    assert working_time_between(normalised, due, cal) == timedelta(hours=hours)
    assert working_time_between(start, due, cal) == timedelta(hours=hours)


@PROPERTY
@given(cal=calendars, start=moments, a=st.integers(0, 150), b=st.integers(0, 150))
def test_additive_in_working_hours(cal, start, a, b):
    def add(moment: datetime, hours: int) -> datetime:
        return add_working_time(moment, Duration(DurationKind.WORKING_HOURS, hours), cal)

    assert add(add(start, a), b) == add(start, a + b)


@PROPERTY
@given(cal=calendars, start=moments, days=st.integers(0, 40))
def test_working_day_is_eight_working_hours(cal, start, days):
    assert add_working_time(start, Duration(DurationKind.WORKING_DAYS, days), cal) == (
        add_working_time(start, Duration(DurationKind.WORKING_HOURS, 8 * days), cal)
    )


@PROPERTY
@given(cal=calendars, a=moments, b=moments, c=moments)
def test_between_is_antisymmetric_and_additive(cal, a, b, c):
    assert working_time_between(a, b, cal) == -working_time_between(b, a, cal)
    assert working_time_between(a, b, cal) + working_time_between(b, c, cal) == (
        working_time_between(a, c, cal)
    )
    if a <= b:
        assert working_time_between(a, b, cal) >= timedelta(0)
