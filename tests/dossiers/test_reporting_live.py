"""Decision 766 indicators follow the dossiers: a change shows on the dashboard's
numbers at the next refresh (the job runs every minute), and a rebuild from scratch
gives the same numbers as the refreshes did.

Dates: March 2026, an ordinary working month (holidays start 30/4).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from motcua.dossiers.models import Dossier
from motcua.dossiers.services import (
    dossier_fee_paid,
    dossier_request_fee,
    dossier_request_supplement,
    dossier_return_result,
    dossier_supplement_complete,
)
from motcua.organizations.models import AdministrativeUnit
from motcua.reporting import periods
from motcua.reporting.models import DossierFact, Rollup
from motcua.reporting.selectors import indicators, scope_for_code, unit_scope
from motcua.reporting.services import rollups_age, rollups_refresh
from motcua.reporting.tasks import reporting_rollups_refresh
from tests.officials import official_login

from .conftest import BIRTH, LAND, at
from .test_lawful_lifecycle import PAID_ONLINE, counter, decide

MARCH = periods.month(2026, 3)


def numbers(scope, period=MARCH):
    report = indicators(scope=scope, period=period)
    return {k: (v.numerator, v.denominator, v.ratio) for k, v in report.values.items()}


def snapshot():
    return sorted(
        Rollup.objects.values_list(
            "grain",
            "period",
            "agency_id",
            "procedure_id",
            "received",
            "handled",
            "on_time",
            "open_late",
            "finished",
            "late_finished",
            "with_fee",
            "paid_online",
        )
    )


@pytest.fixture
def commune(world):
    unit = AdministrativeUnit.objects.get(pk=world.agency("000.01.31.H37").unit_id)
    return unit_scope(unit)


def test_changes_show_at_the_next_refresh_and_a_rebuild_agrees(world, clock, commune):
    u = world.users
    clock.set(2026, 3, 2, 9, 0)
    rollups_refresh()  # the first run builds everything
    on_time = counter(world)  # birth: 2 working days → due Wed 4/3 09:00
    supplemented = counter(world, LAND)  # 10 working days → due Mon 16/3 09:00
    paying = counter(world)
    clock.set(2026, 3, 2, 9, 1)
    reporting_rollups_refresh.call_local()
    assert numbers(commune)["on_time"] == (3, 3, 100.0)
    assert numbers(commune)["filed_online"] == (0, 3, 0.0)
    assert numbers(commune)["paid_online"] == (0, 0, None)  # N/A, not 0% or 100%

    # An online payment.
    clock.set(2026, 3, 2, 10, 0)
    paying = dossier_request_fee(
        dossier=paying, officer=u["desk"], amount_vnd=8000, expected_version=paying.lock_version
    )
    paying = dossier_fee_paid(
        dossier=paying, expected_version=paying.lock_version, payment=PAID_ONLINE
    )
    # A second supplement request: late by Decision 766 whatever the time.
    for day in (3, 5):
        clock.set(2026, 3, day, 9, 0)
        supplemented = dossier_request_supplement(
            dossier=supplemented,
            officer=u["desk"],
            missing=["Bản đồ thửa đất"],
            expected_version=supplemented.lock_version,
        )
        clock.set(2026, 3, day, 14, 0)
        supplemented = dossier_supplement_complete(
            dossier=supplemented, expected_version=supplemented.lock_version
        )
    assert supplemented.is_late
    # A late return: decided on Thu 5/3, after the due moment Wed 4/3 09:00.
    clock.set(2026, 3, 5, 10, 0)
    on_time = decide(world, on_time)
    on_time = dossier_return_result(
        dossier=on_time, officer=u["desk"], expected_version=on_time.lock_version
    )
    assert on_time.is_late
    # The worker runs the refresh every minute: this is the minute after the changes.
    assert reporting_rollups_refresh.task_class().validate_datetime(at(2026, 3, 5, 10, 1))
    clock.set(2026, 3, 5, 10, 1)
    reporting_rollups_refresh.call_local()
    assert rollups_age() == timedelta(0)
    got = numbers(commune)
    # Paying (birth, due Wed 4/3 + 0 h of fee wait... paid at once) is now also overdue.
    assert got["paid_online"] == (1, 1, 100.0)
    assert got["on_time"] == (0, 3, 0.0)
    assert got["satisfaction"] == (0, 1, 0.0)  # one finished, late
    before = snapshot()
    facts = sorted(DossierFact.objects.values_list("dossier_id", "on_time", "open_late"))

    call_command("reporting_rebuild")
    assert snapshot() == before
    assert sorted(DossierFact.objects.values_list("dossier_id", "on_time", "open_late")) == facts
    assert Dossier.objects.count() == 3


def test_a_running_dossier_turns_late_when_its_due_moment_passes(world, clock, commune):
    clock.set(2026, 3, 2, 9, 0)
    rollups_refresh()
    counter(world, BIRTH)  # due Wed 4/3 09:00
    clock.set(2026, 3, 4, 8, 59)
    rollups_refresh()
    assert numbers(commune)["on_time"] == (1, 1, 100.0)
    clock.set(2026, 3, 4, 9, 1)  # nothing changed on the dossier: only time passed
    rollups_refresh()
    assert numbers(commune)["on_time"] == (0, 1, 0.0)
    assert numbers(commune, periods.between(date(2026, 3, 3), date(2026, 3, 31)))["on_time"] == (
        0,
        0,
        None,
    )


def test_the_province_and_a_former_unit_code_read_the_same_rollups(world, clock):
    clock.set(2026, 3, 2, 9, 0)
    counter(world)
    rollups_refresh()
    province = scope_for_code("15")
    assert numbers(province)["filed_online"] == (0, 1, 0.0)
    assert at(2026, 3, 2, 9, 0)


@pytest.fixture
def leaders(world):
    from django.contrib.auth import get_user_model

    from motcua.accounts.models import Role, RoleAssignment

    User = get_user_model()
    commune = User.objects.create_user(username="commune_leader", password="x")
    RoleAssignment.objects.create(
        user=commune, agency=world.agency("000.01.31.H37"), role=Role.LEADER
    )
    province = User.objects.create_user(username="province_leader", password="x")
    RoleAssignment.objects.create(
        user=province, agency=world.agency("000.00.00.H37"), role=Role.LEADER
    )
    return {"commune": commune, "province": province}


def test_the_api_gives_the_same_numbers_to_those_who_may_read_them(world, clock, client, leaders):
    clock.set(2026, 3, 2, 9, 0)
    counter(world)
    rollups_refresh()
    commune_code = world.agency("000.01.31.H37").unit.code
    url = "/api/v1/indicators"
    query = {"unit": commune_code, "from": "2026-03-01", "to": "2026-03-31"}
    assert client.get(url, query).status_code == 401

    official_login(client, leaders["commune"])
    answer = client.get(url, query)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["unit"], body["from"], body["to"]) == (commune_code, "2026-03-01", "2026-03-31")
    assert body["indicators"]["filed_online"] | {"label": "", "group": ""} == {
        "numerator": 0,
        "denominator": 1,
        "ratio": 0.0,
        "score": 0.0,
        "max": 4.0,
        "measured": True,
        "label": "",
        "group": "",
    }
    assert body["indicators"]["paid_online"]["ratio"] is None  # no fee: N/A
    assert body["indicators"]["synced_realtime"]["measured"] is False
    # Not the province, not another commune.
    assert client.get(url, query | {"unit": "15"}).status_code == 403
    other = world.agency("000.02.31.H37").unit.code
    assert client.get(url, query | {"unit": other}).status_code == 403

    official_login(client, leaders["province"])
    for unit in ("15", commune_code, other, "000.01.31.H37"):
        assert client.get(url, query | {"unit": unit}).status_code == 200, unit
    same = client.get(url, query | {"unit": "15"}).json()["indicators"]["filed_online"]
    assert (same["numerator"], same["denominator"]) == (0, 1)

    bad = client.get(url, query | {"from": "01/03/2026"})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("from: ")
    backwards = client.get(url, query | {"from": "2026-04-01"})
    assert backwards.status_code == 400 and backwards.json()["detail"]
    assert client.get(url, query | {"unit": "99999"}).status_code == 404
    assert client.get(url, query | {"procedure": "9.999999"}).status_code == 404
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/indicators" in schema["paths"]


def test_the_command_names_bad_input(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="from: expected a date"):
        call_command("indicators", unit="15", first="2026-3-1", last="2026-03-31")
    with pytest.raises(CommandError, match="No unit or agency has the code 77"):
        call_command("indicators", unit="77", first="2026-03-01", last="2026-03-31")
