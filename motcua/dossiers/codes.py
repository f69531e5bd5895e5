"""Dossier codes: `<receiving agency code>-YYMMDD-XXXX` (Circular 01/2018/TT-VPCP).

The sequence is per receiving agency and local day (Asia/Ho_Chi_Minh) and has at
least four digits (0001 … 9999, then 10000 …). It must never repeat, also when many
officers receive at the same moment, on SQLite and on PostgreSQL:

one statement, `INSERT … ON CONFLICT (agency, day) DO UPDATE SET last = last + 1
RETURNING last`: whoever comes first creates the (agency, day) counter row, the others
wait on its row lock (SQLite has no row locks, but motcua opens SQLite transactions
IMMEDIATE, which takes the database write lock at BEGIN) and then increment it — all
inside the caller's transaction, so a rolled-back reception gives its number back
instead of leaving a gap in use.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from motcua.core.calendar import VN_TZ
from motcua.dossiers.models import Dossier, DossierCodeSequence
from motcua.organizations.models import Agency


def dossier_code_format(*, agency_code: str, day: date, number: int) -> str:
    return f"{agency_code}-{day:%y%m%d}-{number:04d}"


def dossier_code_next(*, agency: Agency, at: datetime) -> tuple[str, int | None]:
    """The next dossier code of `agency` for the local day of `at`, and on PostgreSQL the
    id the new dossier will have (taken from its sequence in the same statement, so the
    dossier, its event and its message, whose short link carries the id, are then
    written in one statement: motcua.core.writes); None elsewhere.

    Must run inside the transaction that saves the dossier (it holds the counter
    row's lock until that transaction ends).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("dossier_code_next must run inside transaction.atomic().")
    day = timezone.localtime(at, VN_TZ).date()
    connection = transaction.get_connection()
    table = connection.ops.quote_name(DossierCodeSequence._meta.db_table)
    new_id = "NULL"
    if connection.vendor == "postgresql":
        new_id = f"nextval(pg_get_serial_sequence('{Dossier._meta.db_table}', 'id'))"
    with connection.cursor() as cursor:
        # PostgreSQL and SQLite (3.35+) share this syntax; the conflict target is the
        # dossier_code_sequence_day unique constraint.
        cursor.execute(
            f"INSERT INTO {table} (agency_id, day, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (agency_id, day) DO UPDATE SET last = "
            f"{table}.last + 1 RETURNING last, {new_id}",
            [agency.pk, connection.ops.adapt_datefield_value(day)],
        )
        number, dossier_id = cursor.fetchone()
    return dossier_code_format(agency_code=agency.code, day=day, number=number), dossier_id
