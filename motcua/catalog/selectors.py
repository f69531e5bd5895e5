"""Catalog reads."""

from __future__ import annotations

from motcua.catalog.models import CatalogRevision


def catalog_revision() -> int:
    return CatalogRevision.objects.filter(pk=1).values_list("number", flat=True).first() or 0
