"""Dossier codes: `<receiving agency code>-YYMMDD-XXXX` (Circular 01/2018/TT-VPCP).

The sequence is per receiving agency and local day (Asia/Ho_Chi_Minh) and has at
least four digits (0001 … 9999, then 10000 …). It must never repeat, also when many
officers receive at the same moment, on SQLite and on PostgreSQL:

1. insert the (agency, day) counter row with `ON CONFLICT DO NOTHING`
   (`bulk_create(ignore_conflicts=True)`): whoever comes first creates it, the others
   wait for that insert to commit or roll back and then find it;
2. lock the row (`SELECT … FOR UPDATE`; SQLite has no row locks, but motcua opens
   SQLite transactions IMMEDIATE, which takes the database write lock at BEGIN),
   increment and save — all inside the caller's transaction, so a rolled-back
   reception gives its number back instead of leaving a gap in use.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from motcua.core.calendar import VN_TZ
from motcua.dossiers.models import DossierCodeSequence
from motcua.organizations.models import Agency


def dossier_code_format(*, agency_code: str, day: date, number: int) -> str:
    return f"{agency_code}-{day:%y%m%d}-{number:04d}"


def dossier_code_next(*, agency: Agency, at: datetime) -> str:
    """The next dossier code of `agency` for the local day of `at`.

    Must run inside the transaction that saves the dossier (it holds the counter
    row's lock until that transaction ends).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("dossier_code_next must run inside transaction.atomic().")
    day = timezone.localtime(at, VN_TZ).date()
    DossierCodeSequence.objects.bulk_create(
        [DossierCodeSequence(agency=agency, day=day, last=0)], ignore_conflicts=True
    )
    counter = DossierCodeSequence.objects.select_for_update().get(agency=agency, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return dossier_code_format(agency_code=agency.code, day=day, number=counter.last)
