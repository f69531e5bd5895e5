"""Catalog reads."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db.models import F, Q, QuerySet

from motcua.catalog.models import CatalogRevision, FormDefinition, ProcedureVersion
from motcua.core.memo import Memo


def catalog_revision() -> int:
    return CatalogRevision.objects.filter(pk=1).values_list("number", flat=True).first() or 0


def catalog_revision_key() -> tuple[int, datetime | None]:
    """The revision number with the moment it was set: what a cache of the catalog keys on.

    A transaction that bumped the number and rolled back can leave a cache labelled
    with a number the next committed change reuses; the moment differs.
    """
    row = CatalogRevision.objects.filter(pk=1).values_list("number", "changed_at").first()
    return row or (0, None)


# The revision as the public pages and the memos read it (motcua.portal.pagecache,
# motcua.core.memo): from the `default` cache, re-read from the database at most this
# often, and kept a second in the process. With Redis the cache is shared and
# catalog_revision_bump() clears the entry on commit, so every process sees a change
# within that second; with the local-memory cache each process holds its own copy, and a
# change made by another process (an admin save in another worker, import_catalog) shows
# there within these seconds. A cached page is then served without any database query.
REVISION_CACHE_KEY = "motcua:catalog-revision"
REVISION_CACHE_SECONDS = 5


# In front of the cache, this process keeps the revision for a second: a page asks for it
# several times (page cache, memos), and with Redis each ask would be a round trip.
_revision: Memo[tuple[int, datetime | None]] = Memo(seconds=1, size=1)


def catalog_revision_cached() -> tuple[int, datetime | None]:
    """catalog_revision_key(), through the cache (see REVISION_CACHE_SECONDS)."""

    def shared() -> tuple[int, datetime | None]:
        revision = cache.get(REVISION_CACHE_KEY)
        if revision is None:
            revision = catalog_revision_key()
            cache.set(REVISION_CACHE_KEY, revision, REVISION_CACHE_SECONDS)
        return revision

    return _revision.get(None, shared)


def catalog_revision_forget() -> None:
    """Drop the revision kept in the cache and in this process: read it afresh."""
    cache.delete(REVISION_CACHE_KEY)
    _revision.clear()


# What every page of a draft reads (motcua.core.memo): the form definition, a large JSON
# document that is never edited (a change is a new version, a new id), and the
# procedure version, kept per catalog revision.
_form_definitions: Memo[FormDefinition] = Memo(seconds=None, size=128)
_versions: Memo[ProcedureVersion] = Memo(seconds=300, size=256)


def form_definition_cached(pk: int) -> FormDefinition:
    """The form definition `pk`, shared by the threads of this process: read only."""
    return _form_definitions.get(pk, lambda: FormDefinition.objects.get(pk=pk))


def procedure_version_cached(pk: int) -> ProcedureVersion:
    """The procedure version `pk` with its procedure, as of the catalog revision this
    process last read; shared by the threads of this process: read only."""
    return _versions.get(
        (pk, catalog_revision_cached()),
        lambda: ProcedureVersion.objects.select_related("procedure").get(pk=pk),
    )


def procedure_get_current(*, code: str) -> ProcedureVersion | None:
    """The version in force of the procedure with this national code."""
    return (
        ProcedureVersion.objects.select_related("procedure", "sector")
        .prefetch_related("fees", "papers")
        .filter(procedure__code=code, procedure__current=F("pk"))
        .first()
    )


def procedure_versions_without_legal_time() -> QuerySet[ProcedureVersion]:
    """Versions whose legal processing time could not be read into a structured duration
    (motcua.dossiers.timing.duration_of gives None): nothing of them is received without
    an appointment the officer types, so the administrator should fix them first."""
    from motcua.core.calendar import DurationKind

    counted = Q(duration_kind=DurationKind.SAME_DAY) | (
        ~Q(duration_kind="") & Q(duration_amount__gt=0)
    )
    return ProcedureVersion.objects.exclude(counted)
