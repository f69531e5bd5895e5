"""Working-time arithmetic: pure functions over a WorkingCalendar.

Nothing here queries the database. A ``WorkingCalendar`` is a frozen value (office
sessions per weekday, non-working dates, extra working dates); build one from the
database with ``motcua.core.selectors.working_calendar(agency=...)``. When the functions
below get ``calendar=None`` they ask that selector for the national default calendar
(lazy import), so callers that forget a calendar still get holidays right; tests and
hot loops pass a calendar explicitly.

Times: aware datetimes are converted to Asia/Ho_Chi_Minh, naive ones are taken as
Asia/Ho_Chi_Minh wall time; results are aware in Asia/Ho_Chi_Minh. Vietnam has had no
daylight saving since 1975, so wall-clock arithmetic is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.text import fold

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# 8 working hours = 1 working day, whatever an agency's own office hours add up to.
WORKING_DAY = timedelta(hours=8)
# A dossier received after 15:00 goes over to the next working day (Decree 61/2018).
SAME_DAY_CUTOFF = time(15, 0)
# The longest run of consecutive non-working days we accept before calling the
# calendar broken (guards the walks below against looping forever).
_MAX_CLOSED_RUN = 3660


class DurationKind(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("days")
    WORKING_HOURS = "working_hours", _("working hours")
    SAME_DAY = "same_day", _("same day")


@dataclass(frozen=True)
class Duration:
    kind: DurationKind
    amount: int = 0  # ignored for SAME_DAY


Session = tuple[time, time]
DEFAULT_SESSIONS: tuple[Session, ...] = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
DEFAULT_WEEKDAYS: frozenset[int] = frozenset(range(5))  # Monday–Friday


@dataclass(frozen=True)
class WorkingCalendar:
    """When an office is open.

    ``weekday_sessions`` has seven entries, Monday first; an empty entry means closed.
    ``non_working_dates`` (holidays, days off) close a day whatever its weekday;
    ``extra_working_dates`` (compensatory working Saturdays) open a day with
    ``extra_day_sessions``. A date cannot be in both sets.
    """

    weekday_sessions: tuple[tuple[Session, ...], ...]
    non_working_dates: frozenset[date] = frozenset()
    extra_working_dates: frozenset[date] = frozenset()
    extra_day_sessions: tuple[Session, ...] = DEFAULT_SESSIONS
    same_day_cutoff: time = SAME_DAY_CUTOFF

    def __post_init__(self) -> None:
        if len(self.weekday_sessions) != 7:
            raise ValueError("weekday_sessions needs seven entries, Monday first.")
        for sessions in (*self.weekday_sessions, self.extra_day_sessions):
            _check_sessions(sessions)
        if both := self.non_working_dates & self.extra_working_dates:
            raise ValueError(f"Dates both working and non-working: {sorted(both)}.")
        if not any(self.weekday_sessions) and not self.extra_working_dates:
            raise ValueError("The calendar has no working day at all.")

    @classmethod
    def standard(
        cls,
        *,
        sessions: Iterable[Session] = DEFAULT_SESSIONS,
        working_weekdays: Iterable[int] = DEFAULT_WEEKDAYS,
        non_working_dates: Iterable[date] = (),
        extra_working_dates: Iterable[date] = (),
    ) -> WorkingCalendar:
        """The same sessions on every working weekday and on extra working dates."""
        sessions = tuple(sessions)
        weekdays = frozenset(working_weekdays)
        return cls(
            weekday_sessions=tuple(sessions if d in weekdays else () for d in range(7)),
            non_working_dates=frozenset(non_working_dates),
            extra_working_dates=frozenset(extra_working_dates),
            extra_day_sessions=sessions,
        )

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        if day in self.non_working_dates:
            return ()
        if day in self.extra_working_dates:
            return self.weekday_sessions[day.weekday()] or self.extra_day_sessions
        return self.weekday_sessions[day.weekday()]

    def is_working_day(self, day: date) -> bool:
        return bool(self.sessions_on(day))

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for _n in range(_MAX_CLOSED_RUN):
            day += timedelta(days=1)
            if self.sessions_on(day):
                return day
        raise ValueError(f"No working day within {_MAX_CLOSED_RUN} days after {day}.")

    def closing_time(self, day: date) -> datetime:
        """End of the last session of a working day (naive local)."""
        return datetime.combine(day, self.sessions_on(day)[-1][1])

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(day, opens), datetime.combine(day, closes))
            for opens, closes in self.sessions_on(day)
        ]


def _check_sessions(sessions: tuple[Session, ...]) -> None:
    previous_end: time | None = None
    for start, end in sessions:
        if not start < end:
            raise ValueError(f"Office session {start}–{end} must start before it ends.")
        if previous_end is not None and start < previous_end:
            raise ValueError("Office sessions must be in order and must not overlap.")
        previous_end = end


DEFAULT_CALENDAR = WorkingCalendar.standard()


# --- time zone ----------------------------------------------------------------------------


def _local(value: datetime) -> datetime:
    """Naive Asia/Ho_Chi_Minh wall time."""
    if value.tzinfo is None:
        return value
    return value.astimezone(VN_TZ).replace(tzinfo=None)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=VN_TZ)


def _resolve(calendar: WorkingCalendar | None) -> WorkingCalendar:
    if calendar is not None:
        return calendar
    from motcua.core.selectors import working_calendar  # DB-backed default, see module doc

    return working_calendar()


# --- arithmetic ---------------------------------------------------------------------------


def duration_working_time(duration: Duration) -> timedelta:
    """Working time of a WORKING_HOURS or WORKING_DAYS duration."""
    if duration.amount < 0:
        raise ValueError("A duration cannot be negative.")
    if duration.kind == DurationKind.WORKING_HOURS:
        return timedelta(hours=duration.amount)
    if duration.kind == DurationKind.WORKING_DAYS:
        return duration.amount * WORKING_DAY
    raise ValueError(f"{duration.kind} is not measured in working time.")


def _walk(cal: WorkingCalendar, start: datetime, remaining: timedelta) -> datetime:
    """First naive local moment at which ``remaining`` working time has elapsed since
    ``start``. Sessions are closed intervals: a result that uses up a session exactly
    stays at its end (11:30, 17:00), and ``remaining == 0`` returns ``start`` itself
    when it lies within or at the edge of a session, else the next opening."""
    day = start.date()
    closed_run = 0
    while True:
        intervals = cal.intervals(day)
        closed_run = 0 if intervals else closed_run + 1
        if closed_run > _MAX_CLOSED_RUN:
            raise ValueError(f"No working day within {_MAX_CLOSED_RUN} days after {day}.")
        for opens, closes in intervals:
            if closes < start:
                continue
            cursor = max(opens, start)
            available = closes - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        day += timedelta(days=1)


def next_working_moment(moment: datetime, calendar: WorkingCalendar | None = None) -> datetime:
    """``moment`` if the office is open then (session ends included), else the next opening."""
    return _aware(_walk(_resolve(calendar), _local(moment), timedelta(0)))


def add_office_time(
    start: datetime, amount: timedelta, calendar: WorkingCalendar | None = None
) -> datetime:
    """``start`` plus ``amount`` of office time, to the second (same rules as below).

    For clocks that resume with what was left (after a fee pause) or a step's share of
    the legal time, which are not whole hours.
    """
    if amount < timedelta(0):
        raise ValueError("An amount of office time cannot be negative.")
    return _aware(_walk(_resolve(calendar), _local(start), amount))


def add_working_time(
    start: datetime, duration: Duration, calendar: WorkingCalendar | None = None
) -> datetime:
    """The due moment of ``duration`` counted from ``start`` (the moment of receipt).

    - A start outside office hours counts from the next working moment.
    - WORKING_HOURS N: N×60 working minutes; WORKING_DAYS N: N×8 working hours, so a
      dossier received Friday 16:10 with 3 working days is due mid-afternoon, not at a
      close. A result using up a session exactly stays at its end (11:30 / 17:00).
    - SAME_DAY ("trong ngày"): close of office on the receipt day if received at or
      before 15:00, else close of the next working day.
    - CALENDAR_DAYS N ("N ngày"): as the Civil Code counts a period in days (art.
      147–148): it ends at the close of office on the N-th day after the normalised
      receipt, or of the next working day when that day is not one.
    """
    cal = _resolve(calendar)
    if duration.amount < 0:
        raise ValueError("A duration cannot be negative.")
    received = _walk(cal, _local(start), timedelta(0))
    if duration.kind in (DurationKind.WORKING_HOURS, DurationKind.WORKING_DAYS):
        return _aware(_walk(cal, received, duration_working_time(duration)))
    if duration.kind == DurationKind.SAME_DAY:
        day = received.date()
        if received.time() > cal.same_day_cutoff:
            day = cal.next_working_day(day)
        return _aware(cal.closing_time(day))
    if duration.kind == DurationKind.CALENDAR_DAYS:
        last_day = received.date() + timedelta(days=duration.amount)
        if not cal.is_working_day(last_day):
            last_day = cal.next_working_day(last_day)
        return _aware(cal.closing_time(last_day))
    raise ValueError(f"Unknown duration kind: {duration.kind!r}.")


def working_time_between(
    a: datetime, b: datetime, calendar: WorkingCalendar | None = None
) -> timedelta:
    """Office time elapsed from ``a`` to ``b``; negative when ``b`` is before ``a``."""
    cal = _resolve(calendar)
    start, end = _local(a), _local(b)
    if end < start:
        return -working_time_between(b, a, cal)
    total = timedelta(0)
    day = start.date()
    while day <= end.date():
        for opens, closes in cal.intervals(day):
            lo, hi = max(opens, start), min(closes, end)
            if lo < hi:
                total += hi - lo
        day += timedelta(days=1)
    return total


# --- parsing the law's wording ------------------------------------------------------------


# No law gives more; a bigger number is a typo and would make the walks needlessly long.
MAX_AMOUNT = 9999
# Lead-ins the law puts before the number: "không quá", "trong vòng", "trong thời hạn", "tối đa".
_LEAD = r"(?:(?:khong qua|toi da|trong vong|trong thoi han|trong|within|at most)\s+)?"
_UNITS = {
    "ngay lam viec": DurationKind.WORKING_DAYS,
    "working days": DurationKind.WORKING_DAYS,
    "working day": DurationKind.WORKING_DAYS,
    "gio lam viec": DurationKind.WORKING_HOURS,
    "working hours": DurationKind.WORKING_HOURS,
    "working hour": DurationKind.WORKING_HOURS,
    "ngay": DurationKind.CALENDAR_DAYS,
    "days": DurationKind.CALENDAR_DAYS,
    "day": DurationKind.CALENDAR_DAYS,
}
# Trailing "kể từ ngày nhận đủ hồ sơ hợp lệ" (counted from receipt) is what we do anyway.
_AMOUNT_RE = re.compile(
    rf"^{_LEAD}(\d+)\s*({'|'.join(sorted(_UNITS, key=len, reverse=True))})(?:\s+ke tu\b.*)?$"
)
_SAME_DAY_RE = re.compile(r"^(?:ngay\s+)?trong\s+ngay(?:\s+lam\s+viec)?$|^(?:the\s+)?same\s+day$")


def parse_duration(text: str) -> Duration:
    """Read a legal processing time as the law writes it.

    "3 ngày làm việc", "không quá 03 ngày làm việc", "4 giờ làm việc", "5 ngày",
    "trong ngày", "ngay trong ngày" (any case, composed or decomposed Unicode, with or
    without diacritics). Bare "giờ" is refused: the law counts hours in working hours.
    """
    if re.search(r"[-−]\s*\d", text):  # folding drops signs: a negative time is refused here
        raise ValueError(f"The processing time {text!r} cannot be negative.")
    folded = fold(text)
    if _SAME_DAY_RE.match(folded):
        return Duration(DurationKind.SAME_DAY)
    match = _AMOUNT_RE.match(folded)
    if not match:
        raise ValueError(
            f"Cannot read the processing time {text!r}: expected e.g. '3 ngày làm việc', "
            "'4 giờ làm việc', '5 ngày' or 'trong ngày'."
        )
    amount = int(match.group(1))
    if not 1 <= amount <= MAX_AMOUNT:
        raise ValueError(f"The processing time {text!r} must be between 1 and {MAX_AMOUNT}.")
    return Duration(_UNITS[match.group(2)], amount)
