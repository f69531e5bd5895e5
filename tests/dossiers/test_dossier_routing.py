"""Which agency processes a dossier (competent_agency_for)."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from motcua.dossiers.services import Applicant, competent_agency_for, dossier_file_online
from motcua.organizations.models import AdministrativeUnit, UnitSuccession

from .conftest import BIRTH, JUSTICE, RESIDENCE

COMMITTEE_1, CENTRE_1 = "000.01.31.H37", "000.01.32.H37"
COMMITTEE_2, CENTRE_2 = "000.02.31.H37", "000.02.32.H37"
PROVINCE_COMMITTEE, PROVINCE_CENTRE, JUSTICE_DEPT = (
    "000.00.00.H37",
    "000.00.01.H37",
    "000.00.02.H37",
)


@pytest.fixture
def commune_1(world) -> AdministrativeUnit:
    return world.agency(COMMITTEE_1).unit


def route(world, code: str, receiving: str, unit: AdministrativeUnit | None) -> str:
    return competent_agency_for(
        procedure_version=world.procedures[code],
        receiving_agency=world.agency(receiving),
        applicant_unit=unit,
    ).code


def test_commune_procedure_goes_to_the_receiving_communes_committee(world, commune_1):
    assert route(world, BIRTH, CENTRE_1, commune_1) == COMMITTEE_1
    # Not boundary-independent: filed in commune 2, commune 2 decides.
    assert route(world, BIRTH, CENTRE_2, commune_1) == COMMITTEE_2


def test_boundary_independent_procedure_goes_to_the_applicants_commune(world, commune_1):
    assert route(world, RESIDENCE, CENTRE_2, commune_1) == COMMITTEE_1
    assert route(world, RESIDENCE, PROVINCE_CENTRE, commune_1) == COMMITTEE_1
    # Commune unknown: the receiving commune.
    assert route(world, RESIDENCE, CENTRE_2, None) == COMMITTEE_2


def test_applicant_of_a_former_unit_is_routed_to_its_successor(world, commune_1):
    old = AdministrativeUnit.objects.create(
        code="02647",
        name="Phường Cốc Lếu",
        level="commune",
        type="phuong",
        valid_to=date(2025, 6, 30),
    )
    UnitSuccession.objects.create(predecessor=old, successor=commune_1)
    assert route(world, RESIDENCE, CENTRE_2, old) == COMMITTEE_1


def test_province_procedure_goes_to_the_department_the_text_names(world, commune_1):
    assert route(world, JUSTICE, PROVINCE_CENTRE, None) == JUSTICE_DEPT
    assert route(world, JUSTICE, CENTRE_1, commune_1) == JUSTICE_DEPT


def test_unknown_agency_type_falls_back_to_the_peoples_committee(world, commune_1):
    version = copy.copy(world.procedures[BIRTH])
    version.competent_agency_types, version.levels = [], []
    kwargs = {"procedure_version": version, "applicant_unit": None}
    assert competent_agency_for(receiving_agency=world.agency(CENTRE_1), **kwargs).code == (
        COMMITTEE_1
    )
    assert competent_agency_for(receiving_agency=world.agency(PROVINCE_CENTRE), **kwargs).code == (
        PROVINCE_COMMITTEE
    )
    version.agency_text, version.competent_agency_types, version.levels = (
        "Sở Khoa học",
        ["so_nganh"],
        ["province"],
    )
    assert competent_agency_for(receiving_agency=world.agency(PROVINCE_CENTRE), **kwargs).code == (
        PROVINCE_COMMITTEE
    )


def test_filing_stores_the_routing(world, clock, commune_1):
    d = dossier_file_online(
        procedure_version=world.procedures[RESIDENCE],
        applicant=Applicant(name="Giàng Seo Phử", unit=commune_1),
        receiving_agency=world.agency(CENTRE_2),
    )
    assert d.receiving_agency.code == CENTRE_2 and d.competent_agency.code == COMMITTEE_1
    assert d.code.startswith(CENTRE_2 + "-")
    assert d.events.get().data["competent_agency"] == d.competent_agency_id
