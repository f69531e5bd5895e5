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
