"""The past counts: the former Lào Cai city's first quarter of 2024, imported from a CSV
of its former wards' one-stop system, reads on today's units that succeeded them as
the province reported it — 9,070 of 9,493 dossiers fully online (95.54%), 7,563 of
8,890 fee-bearing dossiers paid online (85.07%)."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta
from html import unescape
from io import BytesIO, StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from openpyxl import load_workbook

from motcua.accounts.models import Role, RoleAssignment
from motcua.catalog.models import OnlineLevel, ProcedureVersion
from motcua.dossiers.importing import dossiers_import_csv
from motcua.dossiers.models import Dossier
from motcua.organizations.models import AdministrativeUnit, Agency, AgencyType
from motcua.organizations.selectors import unit_current_successors
from motcua.reporting.services import reporting_rebuild, rollups_refresh
from tests.officials import official_login

ELIGIBLE, FULLY_ONLINE = 9_493, 9_070
WITH_FEE, PAID_ONLINE = 8_890, 7_563
OTHER = 607  # dossiers of a procedure that cannot be done fully online
CITY = "080"  # Thành phố Lào Cai, before 1 July 2025


@pytest.fixture
def former_wards(world):
    """The one-stop desks of the city's former wards and communes, as the former
    system knew them: agencies of units that no longer exist."""
    units = AdministrativeUnit.objects.filter(
        parent__code=CITY, parent__valid_to__isnull=False, valid_to__isnull=False
    ).order_by("code")
    agencies = [
        Agency.objects.create(
            code=f"000.{n:02d}.80.H37",
            name=f"Ủy ban nhân dân {unit.name} (trước 01/7/2025)",
            type=AgencyType.COMMUNE_PEOPLES_COMMITTEE,
            unit=unit,
        )
        for n, unit in enumerate(units, start=1)
    ]
    assert len(agencies) == 17  # 10 wards, 7 communes
    ProcedureVersion.objects.filter(procedure__code="1.001193").update(
        online_level=OnlineLevel.FULL
    )
    ProcedureVersion.objects.filter(procedure__code="2.000908").update(
        online_level=OnlineLevel.PARTIAL
    )
    return agencies


def _rows(agencies):
    moments = itertools.cycle(
        datetime(2024, 1, 2, 8, 0) + timedelta(days=d, hours=h)
        for d in range(0, 88)
        if (datetime(2024, 1, 2) + timedelta(days=d)).weekday() < 5
        for h in (0, 2, 6)
    )
    rows = []
    for n in range(ELIGIBLE + OTHER):
        agency = agencies[n % len(agencies)]
        eligible = n < ELIGIBLE
        received = next(moments)
        full = eligible and n < FULLY_ONLINE
        fee = n < WITH_FEE
        rows.append(
            {
                "code": f"{agency.code}-24{received:%m%d}-{n:05d}",
                "procedure_code": "1.001193" if eligible else "2.000908",
                "receiving_agency_code": agency.code,
                "competent_agency_code": agency.code,
                "unit_code": agency.unit.code,
                "channel": "2" if full or n % 2 else "1",
                "applicant_type": "person",
                "received_at": f"{received:%Y-%m-%d %H:%M}",
                "due_at": f"{received + timedelta(days=3):%Y-%m-%d %H:%M}",
                "finished_at": f"{received + timedelta(days=1):%Y-%m-%d %H:%M}",
                "returned_at": f"{received + timedelta(days=2):%Y-%m-%d %H:%M}",
                "status": "10",
                "full_online": "1" if full else "0",
                "fee_amount": "8000" if fee else "0",
                "paid_online": "1" if fee and n < PAID_ONLINE else "0",
                "supplement_requests": "0",
                "supplement_days": "",
                "e_result": "1" if full else "0",
                "digitized": "1",
                "reused_data": "0",
                "rating": "2",
            }
        )
    return rows


def indicators_json(unit: str, *options: str) -> dict:
    out = StringIO()
    call_command(
        "indicators",
        "--unit",
        unit,
        "--from",
        "2024-01-01",
        "--to",
        "2024-03-31",
        "--format",
        "json",
        *options,
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_the_city_first_quarter_reads_on_todays_units(former_wards, write_csv, client):
    report = dossiers_import_csv(path=write_csv(_rows(former_wards)))
    assert report.created == ELIGIBLE + OTHER
    assert Dossier.objects.filter(imported=True).count() == ELIGIBLE + OTHER
    rollups_refresh()
    # The import's 10,100 dossiers are read again by each refresh for 10 minutes (the
    # overlap that catches late commits): read the rollups as they are from here on.
    quick = "--no-refresh"

    successors = {s.code for a in former_wards for s in unit_current_successors(unit=a.unit)}
    assert len(successors) >= 2
    for code in (CITY, "15", "10"):  # the former city, today's province, the former one
        got = indicators_json(code, quick)
        assert (got["unit"], got["from"], got["to"]) == (code, "2024-01-01", "2024-03-31")
        full, paid = got["indicators"]["full_online"], got["indicators"]["paid_online"]
        assert (full["numerator"], full["denominator"], full["ratio"]) == (
            FULLY_ONLINE,
            ELIGIBLE,
            95.54,
        ), code
        assert (paid["numerator"], paid["denominator"], paid["ratio"]) == (
            PAID_ONLINE,
            WITH_FEE,
            85.07,
        ), code
        assert full["max"] == 4 and paid["max"] == 6
        assert got["indicators"]["filed_online"]["denominator"] == ELIGIBLE + OTHER
    # Today's units one by one add up to the city.
    parts = [
        indicators_json(code, quick)["indicators"]["full_online"] for code in sorted(successors)
    ]
    assert sum(p["numerator"] for p in parts) == FULLY_ONLINE
    assert sum(p["denominator"] for p in parts) == ELIGIBLE

    # The dashboard and its export, for the province's leader, in Vietnamese.
    leader = get_user_model().objects.create_user(username="lanhdao.tinh", password="x")
    RoleAssignment.objects.create(
        user=leader,
        agency=Agency.objects.get(code="000.00.00.H37"),  # Ủy ban nhân dân tỉnh
        role=Role.LEADER,
    )
    official_login(client, leader)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    quarter = {"from": "2024-01-01", "to": "2024-03-31"}
    for url in ("/mot-cua/bao-cao/", f"/mot-cua/bao-cao/don-vi/{CITY}/"):
        page = client.get(url, quarter)
        assert page.status_code == 200, url
        text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page.content.decode())))
        assert "9.070 / 9.493 95,54%" in text, url
        assert "7.563 / 8.890 85,07%" in text, url
        sheet = client.get(url, quarter | {"xuat": "xlsx"})
        book = load_workbook(BytesIO(sheet.content))
        cells = [
            r for sheet in book.worksheets for r in sheet.iter_rows(values_only=True) if len(r) > 4
        ]
        assert (FULLY_ONLINE, ELIGIBLE, 95.54) in [tuple(r[2:5]) for r in cells], url
        assert (PAID_ONLINE, WITH_FEE, 85.07) in [tuple(r[2:5]) for r in cells], url

    # A rebuild from scratch gives the same numbers.
    before = indicators_json(CITY, quick)["indicators"]
    reporting_rebuild()
    assert indicators_json(CITY, quick)["indicators"] == before
    assert indicators_json(CITY)["indicators"] == before  # refreshed: still the same
