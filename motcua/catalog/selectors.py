"""Catalog reads."""

from __future__ import annotations

from django.db.models import F

from motcua.catalog.models import CatalogRevision, ProcedureVersion


def catalog_revision() -> int:
    return CatalogRevision.objects.filter(pk=1).values_list("number", flat=True).first() or 0


def procedure_get_current(*, code: str) -> ProcedureVersion | None:
    """The version in force of the procedure with this national code."""
    return (
        ProcedureVersion.objects.select_related("procedure", "sector")
        .prefetch_related("fees", "papers")
        .filter(procedure__code=code, procedure__current=F("pk"))
        .first()
    )
