"""Reporting periods: a month, a quarter, a year or any range of days (inclusive),
and how a range splits into whole months (month rollups) and loose days (day rollups)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _


class PeriodError(ValueError):
    pass


FIRST_YEAR, LAST_YEAR = 2000, 2100  # what a report may cover


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    kind: str = "range"  # month, quarter, year, range

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("Month %(m)02d/%(y)d") % {"m": self.first.month, "y": self.first.year}
        if self.kind == "quarter":
            return _("Quarter %(q)d/%(y)d") % {
                "q": (self.first.month - 1) // 3 + 1,
                "y": self.first.year,
            }
        if self.kind == "year":
            return _("Year %d") % self.first.year
        return _("From %(a)s to %(b)s") % {
            "a": self.first.strftime("%d/%m/%Y"),
            "b": self.last.strftime("%d/%m/%Y"),
        }

    @property
    def slug(self) -> str:
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"

    @property
    def query(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    def split(self) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
        """(first days of the whole months inside, [(first, last) of loose day runs])."""
        months: list[dt.date] = []
        loose: list[tuple[dt.date, dt.date]] = []
        cursor = self.first
        while cursor <= self.last:
            month_end = _month_end(cursor)
            if cursor.day == 1 and month_end <= self.last:
                months.append(cursor)
            else:
                loose.append((cursor, min(month_end, self.last)))
            cursor = month_end + dt.timedelta(days=1)
        return months, loose


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return following - dt.timedelta(days=1)


def month(year: int, number: int) -> Period:
    first = dt.date(year, number, 1)
    return Period(first, _month_end(first), "month")


def quarter(year: int, number: int) -> Period:
    first = dt.date(year, 3 * number - 2, 1)
    return Period(first, _month_end(dt.date(year, 3 * number, 1)), "quarter")


def year(number: int) -> Period:
    return Period(dt.date(number, 1, 1), dt.date(number, 12, 31), "year")


def between(first: dt.date, last: dt.date) -> Period:
    if first.year < FIRST_YEAR or last.year > LAST_YEAR:
        raise PeriodError(
            _("Reports cover the years %(a)d to %(b)d.") % {"a": FIRST_YEAR, "b": LAST_YEAR}
        )
    if last < first:
        raise PeriodError(_("The end date is before the start date."))
    if (last - first).days > 366 * 10:
        raise PeriodError(_("A period may span at most ten years."))
    for kind, candidate in (
        ("year", year(first.year)),
        ("quarter", quarter(first.year, (first.month - 1) // 3 + 1)),
        ("month", month(first.year, first.month)),
    ):
        if (candidate.first, candidate.last) == (first, last):
            return Period(first, last, kind)
    return Period(first, last, "range")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str | None, name: str) -> dt.date:
    if not text or not _DATE.match(text.strip()):
        raise PeriodError(_("%s: expected a date YYYY-MM-DD.") % name)
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise PeriodError(_("%s: no such date.") % name) from exc


def parse(params: dict[str, str], *, today: dt.date) -> Period:
    """A period from query parameters: from/to, or period=YYYY, YYYY-Qn, YYYY-MM.
    Without any, the current quarter. Anything else is a PeriodError naming it."""
    text = (params.get("period") or "").strip()
    if params.get("from") or params.get("to"):
        return between(parse_date(params.get("from"), "from"), parse_date(params.get("to"), "to"))
    if not text:
        current = quarter(today.year, (today.month - 1) // 3 + 1)
        return Period(current.first, current.last, "quarter")
    if re.fullmatch(r"\d{4}", text) and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return year(int(text))
    match = re.fullmatch(r"(\d{4})-[Qq]([1-4])", text)
    if match and FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        return quarter(int(match[1]), int(match[2]))
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if match and 1 <= int(match[2]) <= 12 and FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        return month(int(match[1]), int(match[2]))
    raise PeriodError(_("Unknown period %s: use YYYY, YYYY-Q1 … YYYY-Q4 or YYYY-MM.") % text)
