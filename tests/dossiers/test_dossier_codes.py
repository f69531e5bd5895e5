"""Dossier codes `<agency>-YYMMDD-XXXX`: per agency per local day, never twice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from django.db import connection, transaction

from motcua.dossiers.codes import dossier_code_format, dossier_code_next
from motcua.dossiers.models import Dossier, DossierCodeSequence
from motcua.dossiers.services import Applicant, dossier_receive_at_counter
from motcua.organizations.models import AdministrativeUnit, Agency
from tests.concurrency import all_at_once

from .conftest import BIRTH, at, build_world

ROOT = Path(__file__).resolve().parents[2]
DESK = "000.01.32.H37"


def receive(world, officer: str = "desk", agency: str = DESK) -> Dossier:
    return dossier_receive_at_counter(
        officer=world.users[officer],
        agency=world.agency(agency),
        procedure_version=world.procedures[BIRTH],
        applicant=Applicant(name="Vừ A Dính"),
    )


def test_format():
    assert dossier_code_format(agency_code="000.00.04.G18", day=date(2018, 3, 1), number=1) == (
        "000.00.04.G18-180301-0001"
    )
    assert dossier_code_format(agency_code="X", day=date(2026, 2, 13), number=12345) == (
        "X-260213-12345"
    )


def test_sequence_per_agency_per_local_day(world, clock):
    assert [receive(world).code for _ in range(3)] == [
        "000.01.32.H37-260213-0001",
        "000.01.32.H37-260213-0002",
        "000.01.32.H37-260213-0003",
    ]
    assert receive(world, "desk2", "000.02.32.H37").code == "000.02.32.H37-260213-0001"
    # 23:30 UTC on 13 February is already 14 February in Việt Nam.
    clock.now = at(2026, 2, 14, 6, 30)
    assert receive(world).code == "000.01.32.H37-260214-0001"
    counter = DossierCodeSequence.objects.get(agency=world.agency(DESK), day=date(2026, 2, 13))
    assert counter.last == 3


def test_more_than_9999_a_day(world, clock):
    DossierCodeSequence.objects.create(agency=world.agency(DESK), day=date(2026, 2, 13), last=9999)
    assert receive(world).code == "000.01.32.H37-260213-10000"


def test_a_rolled_back_reception_gives_its_number_back(world, clock, monkeypatch):
    from motcua.dossiers import services

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(services, "history_save", explode)
        with pytest.raises(RuntimeError):
            dossier_receive_at_counter(
                officer=world.users["desk"],
                agency=world.agency(DESK),
                procedure_version=world.procedures[BIRTH],
                applicant=Applicant(name="Vừ A Dính", phone="0912345678"),
            )
    assert receive(world).code == "000.01.32.H37-260213-0001"


def test_needs_a_transaction(transactional_db):
    unit = AdministrativeUnit.objects.create(
        code="15", name="Tỉnh Lào Cai", level="province", type="tinh"
    )
    agency = Agency.objects.create(code="A1", name="Trung tâm", type="ttpvhcc_tinh", unit=unit)
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        dossier_code_next(agency=agency, at=at(2026, 2, 13, 9, 0))
    with transaction.atomic():
        code, dossier_id = dossier_code_next(agency=agency, at=at(2026, 2, 13, 9, 0))
    assert code == "A1-260213-0001"
    # PostgreSQL: the id of the dossier to write comes with the code (one statement
    # then writes the dossier, its event and its message)
    assert (dossier_id is not None) == (connection.vendor == "postgresql")


def _concurrent_receptions(world, count: int) -> list[str]:
    return all_at_once(lambda: receive(world).code, count)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the SQLite in-memory test database cannot be shared by "
    "threads with separate connections (see the file-database test below)",
)
def test_fifty_concurrent_receptions_on_postgresql(transactional_db, clock):
    world = build_world()
    codes = _concurrent_receptions(world, 50)
    assert len(codes) == 50
    assert sorted(codes) == [f"000.01.32.H37-260213-{n:04d}" for n in range(1, 51)]
    assert Dossier.objects.count() == 50


SQLITE_SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    sys.path.insert(0, os.path.join(os.getcwd(), "tests"))
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone
    call_command("migrate", verbosity=0)
    from dossiers.conftest import BIRTH, at, build_world
    from motcua.dossiers.services import Applicant, dossier_receive_at_counter
    timezone.now = lambda: at(2026, 2, 13, 16, 10)
    world = build_world()
    connections.close_all()
    barrier = threading.Barrier(10)
    codes, errors = [], []

    def work():
        try:
            barrier.wait(timeout=30)
            codes.append(dossier_receive_at_counter(
                officer=world.users["desk"], agency=world.agency("000.01.32.H37"),
                procedure_version=world.procedures[BIRTH], applicant=Applicant(name="A"),
            ).code)
        except BaseException as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("ERRORS", errors)
    print("CODES", " ".join(sorted(codes)))
    """
)


def test_ten_concurrent_receptions_on_a_sqlite_file_database(tmp_path):
    """The embedded default (SQLite file, WAL, IMMEDIATE transactions) in a child process,
    since the in-memory test database cannot serve threads with their own connections."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'motcua.sqlite3'}",
        "MOTCUA_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "motcua.test_settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines["ERRORS"] == "[]"
    assert lines["CODES"].split() == [f"000.01.32.H37-260213-{n:04d}" for n in range(1, 11)]
