from __future__ import annotations

from datetime import date, time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from motcua.core.models import CalendarDay, CalendarDayKind
from motcua.core.services import calendar_day_save
from motcua.organizations.models import AdministrativeUnit, Agency

pytestmark = pytest.mark.django_db


def due_date(*args: str) -> list[str]:
    out = StringIO()
    call_command("due_date", *args, stdout=out)
    return out.getvalue().splitlines()


def test_fresh_database_seeds_and_answers():
    assert not CalendarDay.objects.exists()
    lines = due_date("--start", "2026-02-13T16:10", "--duration", "3 ngày làm việc")
    assert lines[-1] == "2026-02-25T16:10:00+07:00"
    assert "24h00" in lines[0]
    assert CalendarDay.objects.filter(date=date(2026, 2, 17)).exists()


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-03-04T15:01", "trong ngày", "2026-03-05T17:00:00+07:00"),
        ("2026-03-04T15:00", "ngay trong ngay", "2026-03-04T17:00:00+07:00"),
        ("2026-04-24T10:00", "1 ngày làm việc", "2026-04-28T10:00:00+07:00"),
        ("2026-08-21T13:30", "8 giờ làm việc", "2026-08-22T11:30:00+07:00"),
        ("2026-02-13T03:10:00+00:00", "5 ngày", "2026-02-23T17:00:00+07:00"),
        # Crosses New Year: 2027 is seeded on the way.
        ("2026-12-30T10:00", "05 ngày làm việc", "2027-01-07T10:00:00+07:00"),
    ],
)
def test_due_moments(start, duration, expected):
    assert due_date("--start", start, "--duration", duration)[-1] == expected


def test_administrator_day_off_changes_the_answer():
    args = ("--start", "2026-03-04T10:00", "--duration", "1 ngày làm việc")
    assert due_date(*args)[-1] == "2026-03-05T10:00:00+07:00"
    calendar_day_save(
        day=CalendarDay(date=date(2026, 3, 5), kind=CalendarDayKind.DAY_OFF, name="Nghỉ")
    )
    assert due_date(*args)[-1] == "2026-03-06T10:00:00+07:00"


def test_agency_hours():
    unit = AdministrativeUnit.objects.create(
        code="15", name="Tỉnh Lào Cai", level="province", type="tinh"
    )
    Agency.objects.create(
        code="000.00.15.H37",
        name="Trung tâm",
        type="ttpvhcc_tinh",
        unit=unit,
        afternoon_start=time(13, 0),
        afternoon_end=time(16, 30),
    )
    lines = due_date(
        "--start", "2026-03-04T16:00", "--duration", "1 giờ làm việc", "--agency", "000.00.15.H37"
    )
    assert lines[-1] == "2026-03-05T07:30:00+07:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", "13/02/2026", "--duration", "3 ngày"), "Invalid --start"),
        (("--start", "2026-02-30T10:00", "--duration", "3 ngày"), "Invalid --start"),
        (("--start", "2026-02-13T10:00", "--duration", "ba ngày"), "Invalid --duration"),
        (("--start", "2026-02-13T10:00", "--duration", "4 giờ"), "Invalid --duration"),
        (("--start", "2026-02-13", "--duration", "3 ngày", "--agency", "NONE"), "No agency"),
        (("--duration", "3 ngày"), "--start"),
        (("--start", "1800-01-01T10:00", "--duration", "3 ngày"), "out of range"),
    ],
)
def test_errors(args, message):
    with pytest.raises(CommandError, match=message):
        due_date(*args)


def test_calendar_seed_command():
    out = StringIO()
    call_command("calendar_seed", "--year", "2025-2026", stdout=out)
    assert "29 created" in out.getvalue()
    out = StringIO()
    call_command("calendar_seed", "--year", "2025", "--year", "2026", stdout=out)
    assert "0 created, 0 updated, 0 deleted" in out.getvalue()
    with pytest.raises(CommandError, match="Invalid year"):
        call_command("calendar_seed", "--year", "next")
