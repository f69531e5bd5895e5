"""The dossiers' history and the audit trail are append-only: the model refuses, and so
does the database, whatever client talks to it (raw SQL too), on SQLite and PostgreSQL
(CI runs the suite on both). Real transactions: on PostgreSQL a row written by the
transaction still open may be completed, so the rows here are committed first."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from motcua.audit.appendonly import AppendOnlyError, fresh_rows_completable
from motcua.audit.models import AuditEvent
from motcua.audit.services import audit_record
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.services import Applicant, dossier_receive_at_counter
from tests.dossiers.conftest import BIRTH, build_world, clock  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

DESK = "000.01.32.H37"
TABLES = ["dossiers_dossierevent", "audit_auditevent"]


@pytest.fixture
def dossier(clock) -> Dossier:  # noqa: F811
    """A dossier received at the counter, with its events committed."""
    world = build_world()
    return dossier_receive_at_counter(
        officer=world.users["desk"],
        agency=world.agency(DESK),
        procedure_version=world.procedures[BIRTH],
        applicant=Applicant(name="Vừ A Dính"),
    )


def _raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def test_the_model_refuses_to_change_or_delete_a_dossier_event(dossier):
    event = DossierEvent.objects.filter(dossier=dossier).first()
    assert event is not None
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError, match="append-only"):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["note"])
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        DossierEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        DossierEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        dossier.events.all().delete()
    with pytest.raises(AppendOnlyError):
        DossierEvent.objects.bulk_update([event], ["note"])
    event.refresh_from_db()
    assert event.note != "rewritten"


def test_the_model_refuses_to_change_or_delete_an_audit_event():
    row = audit_record(action="test.append_only", actor_label="someone")
    row.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=row.pk).update(detail="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=row.pk).detail == ""


@pytest.mark.parametrize("table", TABLES)
def test_the_database_refuses_raw_updates_and_deletes(dossier, table):
    if table == "audit_auditevent":
        pk = audit_record(action="test.append_only", actor_label="someone").pk
    else:
        pk = DossierEvent.objects.filter(dossier=dossier).values_list("pk", flat=True)[0]
    column = "note" if table == "dossiers_dossierevent" else "detail"
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"UPDATE {table} SET {column} = 'rewritten' WHERE id = %s", [pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"DELETE FROM {table} WHERE id = %s", [pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"DELETE FROM {table}")
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="append-only"):
            _raw(f"TRUNCATE {table} CASCADE")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        assert cursor.fetchone()[0] != "rewritten"


def test_a_dossier_with_a_history_cannot_be_deleted(dossier):
    assert dossier.events.exists()
    with pytest.raises(ProtectedError):
        dossier.delete()
    with pytest.raises(IntegrityError):
        _raw("DELETE FROM dossiers_dossier WHERE id = %s", [dossier.pk])
    assert Dossier.objects.filter(pk=dossier.pk).exists()


def test_the_transaction_that_wrote_an_event_may_complete_it_until_it_commits(dossier):
    # The assisted filing completes its filing event with the citizen's confirmation
    # (motcua.filing.assisted): before commit, nobody has seen the row.
    with transaction.atomic(), fresh_rows_completable():
        with transaction.atomic():  # written in a savepoint, as the runner does
            event = DossierEvent.objects.create(
                dossier=dossier, action="note", status=dossier.status, at=dossier.created_at
            )
        event.note = "completed before commit"
        event.save(update_fields=["note"])
    assert DossierEvent.objects.get(pk=event.pk).note == "completed before commit"
    event.note = "rewritten after commit"
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["note"])
    with transaction.atomic(), fresh_rows_completable():  # another transaction's block
        with pytest.raises(AppendOnlyError):
            event.save(update_fields=["note"])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("UPDATE dossiers_dossierevent SET note = 'x' WHERE id = %s", [event.pk])
    assert DossierEvent.objects.get(pk=event.pk).note == "completed before commit"


def test_only_inside_the_block_that_wrote_it(dossier):
    with transaction.atomic():
        event = DossierEvent.objects.create(
            dossier=dossier, action="note", status=dossier.status, at=dossier.created_at
        )
        event.note = "completed without asking"
        with pytest.raises(AppendOnlyError):
            event.save(update_fields=["note"])
    with pytest.raises(RuntimeError), fresh_rows_completable():
        pass  # outside a transaction there is nothing fresh to complete
    assert DossierEvent.objects.get(pk=event.pk).note == ""


def test_flush_still_empties_the_database_and_leaves_the_guard_on(dossier):
    audit_record(action="test.append_only")
    call_command("flush", verbosity=0, interactive=False)
    assert not DossierEvent.objects.exists() and not AuditEvent.objects.exists()
    pk = audit_record(action="test.append_only").pk
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [pk])
