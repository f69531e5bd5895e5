"""Catalog writes. Every function that changes procedures calls catalog_revision_bump()."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from motcua.catalog.models import CatalogRevision


def catalog_revision_bump() -> None:
    """Mark the catalog as changed (call inside the writing transaction)."""
    with transaction.atomic():
        updated = CatalogRevision.objects.filter(pk=1).update(number=F("number") + 1)
        if not updated:
            CatalogRevision.objects.get_or_create(pk=1, defaults={"number": 1})
