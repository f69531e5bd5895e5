"""Reads for administrative units and agencies."""

from __future__ import annotations

from django.db.models import QuerySet

from motcua.organizations.models import AdministrativeUnit, UnitLevel


def unit_current_successors(*, unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    """Today's units that took over `unit` (itself if it still exists).

    Follows successor links through several reorganisations; an old unit whose
    successor is not on record maps to nothing rather than to a guess.
    """
    if unit.valid_to is None:
        return [unit]
    found: dict[int, AdministrativeUnit] = {}
    seen = {unit.pk}
    frontier = [unit]
    while frontier:
        successors = list(
            AdministrativeUnit.objects.filter(predecessors__in=frontier).exclude(pk__in=seen)
        )
        frontier = []
        for successor in successors:
            seen.add(successor.pk)
            if successor.valid_to is None:
                found[successor.pk] = successor
            else:
                frontier.append(successor)
    return sorted(found.values(), key=lambda u: u.name)


def unit_list_communes(*, province_code: str) -> QuerySet[AdministrativeUnit]:
    """Today's communes, wards and special zones of a province."""
    return AdministrativeUnit.objects.filter(
        level=UnitLevel.COMMUNE,
        valid_to__isnull=True,
        parent__code=province_code,
        parent__valid_to__isnull=True,
    ).order_by("name")
