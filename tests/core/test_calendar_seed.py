from __future__ import annotations

from datetime import date

import pytest

from motcua.core.models import CalendarDay, CalendarDayKind, CalendarDaySource
from motcua.core.services import calendar_day_save, calendar_ensure_seeded, calendar_seed

pytestmark = pytest.mark.django_db

PACKAGE = CalendarDaySource.HOLIDAYS_PACKAGE
ADMIN = CalendarDaySource.ADMINISTRATOR


def kinds(year: int) -> dict[date, str]:
    return dict(CalendarDay.objects.filter(date__year=year).values_list("date", "kind"))


def test_seed_2026():
    result = calendar_seed(years=[2026])
    days = kinds(2026)
    assert result.created == len(days) == 15
    for day in (16, 17, 18, 19, 20):
        assert days[date(2026, 2, day)] == CalendarDayKind.HOLIDAY
    assert days[date(2026, 4, 27)] == CalendarDayKind.HOLIDAY  # Hùng Kings, observed
    assert days[date(2026, 8, 31)] == CalendarDayKind.DAY_OFF
    assert days[date(2026, 8, 22)] == CalendarDayKind.WORKING_DAY
    assert "31/08/2026" in CalendarDay.objects.get(date=date(2026, 8, 22)).name
    assert set(CalendarDay.objects.values_list("source", flat=True)) == {PACKAGE}


def test_seed_is_idempotent():
    first = calendar_seed(years=[2025, 2026])
    rows = list(CalendarDay.objects.values_list("pk", "date", "kind", "name", "updated_at"))
    second = calendar_seed(years=[2025, 2026])
    assert first.created == len(rows)
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    assert list(CalendarDay.objects.values_list("pk", "date", "kind", "name", "updated_at")) == rows


def test_seed_keeps_administrator_rows():
    calendar_seed(years=[2026])
    # An administrator turns a reported holiday into a working day ...
    row = CalendarDay.objects.get(date=date(2026, 11, 24))
    row.kind, row.name = CalendarDayKind.WORKING_DAY, "Làm việc bình thường"
    calendar_day_save(day=row)
    # ... and adds a province's own day off.
    calendar_day_save(
        day=CalendarDay(date=date(2026, 10, 12), kind=CalendarDayKind.DAY_OFF, name="Nghỉ")
    )
    result = calendar_seed(years=[2026])
    assert result.kept == 1 and result.created == result.updated == result.deleted == 0
    row.refresh_from_db()
    assert (row.kind, row.source) == (CalendarDayKind.WORKING_DAY, ADMIN)
    assert CalendarDay.objects.get(date=date(2026, 10, 12)).source == ADMIN


def test_seed_repairs_package_rows():
    calendar_seed(years=[2026])
    CalendarDay.objects.filter(date=date(2026, 1, 1)).update(name="wrong")
    CalendarDay.objects.create(
        date=date(2026, 6, 1), kind=CalendarDayKind.HOLIDAY, name="gone", source=PACKAGE
    )
    result = calendar_seed(years=[2026])
    assert (result.updated, result.deleted) == (1, 1)
    assert CalendarDay.objects.get(date=date(2026, 1, 1)).name != "wrong"
    assert not CalendarDay.objects.filter(date=date(2026, 6, 1)).exists()


def test_seed_leaves_other_years_alone():
    calendar_seed(years=[2025, 2026])
    calendar_seed(years=[2026])
    assert kinds(2025)


def test_swaps_across_new_year():
    # 2 January 2015 was taken off in exchange for Saturday 27 December 2014.
    calendar_seed(years=[2014])
    assert kinds(2014)[date(2014, 12, 27)] == CalendarDayKind.WORKING_DAY
    assert date(2015, 1, 2) not in kinds(2015)
    calendar_seed(years=[2015])
    assert kinds(2015)[date(2015, 1, 2)] == CalendarDayKind.DAY_OFF


def test_ensure_seeded_only_fills_missing_years():
    assert calendar_ensure_seeded(years=[2026, 2027]) == [2026, 2027]
    assert calendar_ensure_seeded(years=[2025, 2026, 2027]) == [2025]
    assert calendar_ensure_seeded(years=[2025, 2026, 2027]) == []


def test_admin_save_marks_row_as_administrator(admin_client):
    calendar_seed(years=[2026])
    row = CalendarDay.objects.get(date=date(2026, 9, 1))
    response = admin_client.post(
        f"/admin/core/calendarday/{row.pk}/change/",
        {"date": "2026-09-01", "kind": CalendarDayKind.HOLIDAY, "name": "Quốc khánh", "note": ""},
    )
    assert response.status_code == 302, response.content
    row.refresh_from_db()
    assert row.source == ADMIN
    changelist = admin_client.get("/admin/core/calendarday/", {"q": "Quốc", "source": ADMIN})
    assert changelist.status_code == 200
    assert "Quốc khánh" in changelist.content.decode()
