"""Routing: which agency processes a dossier filed at which desk.

Since late 2025 most procedures are boundary-independent: a dossier may be filed and
collected at the provincial centre or any commune centre, while the competent agency
processes it (DESIGN.md §2).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from motcua.catalog.models import Level, ProcedureVersion
from motcua.core.memo import Memo
from motcua.core.text import fold
from motcua.organizations.models import AdministrativeUnit, Agency, AgencyType, UnitLevel
from motcua.organizations.selectors import unit_current_successors

COMMUNE_AGENCY_TYPES = (
    AgencyType.COMMUNE_PEOPLES_COMMITTEE,
    AgencyType.COMMUNE_SERVICE_CENTRE,
    AgencyType.COMMUNE_POLICE,
)


def _province_of(unit: AdministrativeUnit) -> AdministrativeUnit | None:
    while unit is not None and unit.level != UnitLevel.PROVINCE:
        unit = unit.parent
    return unit


def _current_commune(unit: AdministrativeUnit | None) -> AdministrativeUnit | None:
    if unit is None or unit.level != UnitLevel.COMMUNE:
        return None
    successors = unit_current_successors(unit=unit)
    return successors[0] if len(successors) == 1 else None  # split communes: no guess


# The agency of a type in a unit, read by every reception: kept a minute at most, and
# forgotten in this process when an agency is saved or deleted. Shared by the threads
# of the process: read only.
_agencies: Memo[Agency | None] = Memo(seconds=60, size=512)


def _agencies_forget(**_kwargs: Any) -> None:
    _agencies.clear()


post_save.connect(_agencies_forget, sender=Agency, dispatch_uid="routing-agencies")
post_delete.connect(_agencies_forget, sender=Agency, dispatch_uid="routing-agencies")


def _agency_in(unit: AdministrativeUnit | None, agency_type: str) -> Agency | None:
    if unit is None:
        return None

    def read() -> Agency | None:
        agencies = Agency.objects.filter(unit=unit, type=agency_type, is_active=True)
        return agencies.order_by("code").first()

    return _agencies.get((unit.pk, agency_type), read)


def _province_agency(
    province: AdministrativeUnit | None,
    agency_type: str,
    receiving_agency: Agency,
    agency_text: str,
) -> Agency | None:
    if province is None:
        return None
    if receiving_agency.type == agency_type and receiving_agency.unit_id == province.pk:
        return receiving_agency
    candidates = list(
        Agency.objects.filter(unit=province, type=agency_type, is_active=True).order_by("code")
    )
    if len(candidates) == 1:
        return candidates[0]
    # Several departments: the one the published text names ("Sở Tư pháp" matches
    # "Sở Tư pháp tỉnh Lào Cai"); none or several named → no guess.
    text = f" {fold(agency_text)} "
    named = [a for a in candidates if f" {fold(a.name.split(' tỉnh ')[0])} " in text]
    return named[0] if len(named) == 1 else None


def competent_agency_for(
    *,
    procedure_version: ProcedureVersion,
    receiving_agency: Agency,
    applicant_unit: AdministrativeUnit | None,
) -> Agency:
    """The agency that processes a dossier of `procedure_version` filed at `receiving_agency`.

    1. Home commune: for a boundary-independent procedure the applicant's commune
       (today's successor of a former unit), else the receiving agency's commune; each
       falls back to the other when unknown. Province: the receiving agency's.
    2. The procedure's published competent agency types, commune-level types first
       when there is a home commune, province-level types first otherwise. A
       commune-level type resolves to the agency of that type in the home commune; a
       province-level type to the receiving agency if it is of that type, else the only
       agency of that type in the province, else the one the published agency text names.
    3. No published type resolves: the People's Committee of the home commune for a
       commune-level procedure (so a commune procedure that is not boundary-independent
       goes to the receiving commune's People's Committee), else the provincial
       People's Committee; failing all, the receiving agency itself.
    """
    receiving_commune = (
        receiving_agency.unit if receiving_agency.unit.level == UnitLevel.COMMUNE else None
    )
    applicant_commune = _current_commune(applicant_unit)
    if procedure_version.boundary_independent:
        home = applicant_commune or receiving_commune
    else:
        home = receiving_commune or applicant_commune
    province = _province_of(receiving_agency.unit)
    types = [str(t) for t in procedure_version.competent_agency_types or []]
    commune_types = [t for t in types if t in COMMUNE_AGENCY_TYPES]
    province_types = [t for t in types if t not in COMMUNE_AGENCY_TYPES]
    ordered = commune_types + province_types if home else province_types + commune_types
    for agency_type in ordered:
        if agency_type in COMMUNE_AGENCY_TYPES:
            found = _agency_in(home, agency_type)
        else:
            found = _province_agency(
                province, agency_type, receiving_agency, procedure_version.agency_text
            )
        if found is not None:
            return found
    levels = procedure_version.levels or []
    if home is not None and (Level.COMMUNE in levels or not levels):
        found = _agency_in(home, AgencyType.COMMUNE_PEOPLES_COMMITTEE)
        if found is not None:
            return found
    found = _agency_in(province, AgencyType.PROVINCE_PEOPLES_COMMITTEE)
    if found is not None and (Level.PROVINCE in levels or home is None):
        return found
    return receiving_agency


def step_agency_for(*, competent_agency: Agency, agency_type: str) -> Agency | None:
    """The agency of `agency_type` that holds a liên thông step of a dossier the
    competent agency handles: the one in the same commune for a commune-level type,
    else the province's (the only one of its type, or the one whose name the competent
    agency's procedure text does not decide: none)."""
    unit = competent_agency.unit
    if agency_type in COMMUNE_AGENCY_TYPES:
        commune = unit if unit.level == UnitLevel.COMMUNE else None
        return _agency_in(commune, agency_type)
    province = _province_of(unit)
    if province is None:
        return None
    found = list(
        Agency.objects.filter(unit=province, type=agency_type, is_active=True).order_by("code")[:2]
    )
    return found[0] if len(found) == 1 else None
