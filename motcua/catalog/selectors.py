"""Catalog reads."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from motcua.catalog.models import CatalogRevision, ProcedureVersion


def catalog_revision() -> int:
    return CatalogRevision.objects.filter(pk=1).values_list("number", flat=True).first() or 0


def catalog_revision_key() -> tuple[int, datetime | None]:
    """The revision number with the moment it was set: what a cache of the catalog keys on.

    A transaction that bumped the number and rolled back can leave a cache labelled
    with a number the next committed change reuses; the moment differs.
    """
    row = CatalogRevision.objects.filter(pk=1).values_list("number", "changed_at").first()
    return row or (0, None)


def procedure_get_current(*, code: str) -> ProcedureVersion | None:
    """The version in force of the procedure with this national code."""
    return (
        ProcedureVersion.objects.select_related("procedure", "sector")
        .prefetch_related("fees", "papers")
        .filter(procedure__code=code, procedure__current=F("pk"))
        .first()
    )
