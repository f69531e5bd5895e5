"""Reads the report pages need besides the indicators (motcua.reporting.selectors):
fields of procedures to filter by, names and codes of what a breakdown lists, the
targets of each unit's plans, and the plans a province administrator keeps.

Selectors-level code: plain typed functions over the models, no HTTP.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from motcua.catalog.models import Procedure, Sector, VersionState
from motcua.organizations.models import AdministrativeUnit, Agency, UnitLevel
from motcua.reporting.facts import agency_places
from motcua.reporting.models import Plan, Target
from motcua.reporting.selectors import PROVINCE, Scope


def sectors() -> list[Sector]:
    """The fields (lĩnh vực) of the procedures in force, by name."""
    in_force = Procedure.objects.filter(current__state=VersionState.PUBLISHED)
    return list(
        Sector.objects.filter(pk__in=in_force.values("current__sector_id")).order_by("name")
    )


def sector_get(*, sector_id: int) -> Sector | None:
    return Sector.objects.filter(pk=sector_id).first()


def sector_procedure_ids(*, sector_id: int) -> list[int]:
    """The procedures whose version in force belongs to the field."""
    return list(
        Procedure.objects.filter(current__sector_id=sector_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def procedure_codes(*, ids: list[int]) -> dict[int, str]:
    """procedure id → national code."""
    return dict(Procedure.objects.filter(pk__in=ids).values_list("pk", "code"))


def agency_codes(*, ids: list[int]) -> dict[int, str]:
    """agency id → identifier code."""
    return dict(Agency.objects.filter(pk__in=ids).values_list("pk", "code"))


def unit_codes(*, ids: list[int]) -> dict[int, str]:
    """administrative unit id → official code."""
    return dict(AdministrativeUnit.objects.filter(pk__in=ids).values_list("pk", "code"))


def provincial_agency_ids(*, scope: Scope) -> set[int]:
    """The agencies a province's report counts on the province itself (its committee,
    service centre, departments), not on a commune or ward."""
    if scope.kind != PROVINCE:
        return set()
    return {
        agency_id
        for agency_id, (unit_id, province_id) in agency_places().items()
        if unit_id == province_id == scope.province_id
    }


def unit_targets(*, province_id: int, year: int, indicator: str) -> dict[int, Decimal]:
    """The target each commune or ward of the province set itself on one indicator in
    its own plans of the year (unit id → percent; the first plan by name wins)."""
    rows = (
        Target.objects.filter(
            indicator=indicator,
            plan__year=year,
            plan__unit__parent_id=province_id,
            plan__unit__level=UnitLevel.COMMUNE,
        )
        .order_by("plan__name", "plan_id")
        .values_list("plan__unit_id", "value")
    )
    targets: dict[int, Decimal] = {}
    for unit_id, value in rows:
        targets.setdefault(unit_id, value)
    return targets


# --- plans ---------------------------------------------------------------------------


def plan_units(*, province_id: int) -> list[AdministrativeUnit]:
    """The units a plan of the province may bind: the province, then today's communes
    and wards by name."""
    province = list(AdministrativeUnit.objects.filter(pk=province_id))
    communes = AdministrativeUnit.objects.filter(
        parent_id=province_id, level=UnitLevel.COMMUNE, valid_to__isnull=True
    ).order_by("name")
    return province + list(communes)


def plans_of_province(*, province_id: int) -> list[Plan]:
    """The plans of the province and of its communes and wards, newest year first."""
    return list(
        Plan.objects.filter(Q(unit_id=province_id) | Q(unit__parent_id=province_id))
        .select_related("unit")
        .prefetch_related("targets")
        .order_by("-year", "unit__level", "unit__name", "name")
    )


def plan_of_province(*, province_id: int, plan_id: int) -> Plan | None:
    return (
        Plan.objects.filter(Q(unit_id=province_id) | Q(unit__parent_id=province_id))
        .filter(pk=plan_id)
        .select_related("unit")
        .prefetch_related("targets")
        .first()
    )


def plan_same(*, name: str, year: int, unit_id: int) -> Plan | None:
    """A plan already saved with this name, year and unit (a submit sent twice)."""
    return Plan.objects.filter(name=name.strip(), year=year, unit_id=unit_id).first()
