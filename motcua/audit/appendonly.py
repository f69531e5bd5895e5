"""Rows that are only ever added: the audit trail and the dossiers' history.

The province must be able to show who did what to a citizen's dossier and its personal
data (Decree 13/2023/NĐ-CP on personal data protection; Decree 85/2016/NĐ-CP on the
security of information systems by level); a history that can be rewritten shows nothing
(ASVS 5.0 V16.4.2: logs cannot be modified). Two guards, one above the other:

1. the model (`AppendOnlyModel`): `save()` of a row already stored and `delete()` raise
   `AppendOnlyError`; so do `update()` and `delete()` of its querysets;
2. the database (`triggers_install`, run by the migrations): BEFORE UPDATE and BEFORE
   DELETE row triggers (and on PostgreSQL a BEFORE TRUNCATE one) that raise, for any
   client, the ORM or raw SQL alike.

Two narrow exceptions, both invisible to any reader:

- a row may be completed by the transaction that wrote it, before that transaction commits
  (only for models with `append_only_complete_fresh = True`, and only inside a
  `fresh_rows_completable()` block: the assisted filing adds the citizen's confirmation to
  the filing event it has just written, motcua.filing.assisted).
  PostgreSQL checks it itself: the row's `xmin` is a transaction still in progress, which
  can only be ours (rows of other open transactions are invisible). SQLite has no such
  thing: the model writes a one-row permit in `motcua_append_only_permit` around its own
  UPDATE, inside the same transaction;
- emptying the whole database (`manage.py flush`, which the tests run after each
  transactional test): motcua.audit's `flush` command allows it for its own transaction
  (`purge_allowed`).

On SQLite, a migration that rebuilds one of these tables (Django's "remake" for most
AlterField/RemoveField) drops its triggers: such a migration must call
`triggers_install` again (tests/audit/test_append_only.py fails until it does).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

PERMIT_TABLE = "motcua_append_only_permit"  # SQLite only; not a Django model, flush leaves it
PURGE_SETTING = "motcua.purge"  # PostgreSQL only; set for one transaction by `flush`
ALL_TABLES = "*"


class AppendOnlyError(Exception):
    """Someone tried to change or delete a row of an append-only table."""


def _refuse(model: type[models.Model], what: str) -> AppendOnlyError:
    return AppendOnlyError(
        f"{model._meta.label} is append-only: its rows cannot be {what} "
        "(add a new row that says what happened instead)"
    )


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise _refuse(self.model, "updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refuse(self.model, "deleted")

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]
    update.alters_data = True  # type: ignore[attr-defined]


AppendOnlyManager = models.Manager.from_queryset(AppendOnlyQuerySet)


# --- rows written by the current transaction ------------------------------------------------

_FRESH = "_motcua_fresh_rows"  # on the connection: None, or the rows of the open block


@contextlib.contextmanager
def fresh_rows_completable(using: str = "default") -> Iterator[None]:
    """Inside one transaction: rows of the models with `append_only_complete_fresh`
    written within this block may be completed within it, and nowhere else. The block
    ends before the transaction does, so no committed row is ever in it (and no row of a
    transaction rolled back, whose id SQLite may give again)."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("fresh_rows_completable() needs a transaction (atomic)")
    previous = getattr(connection, _FRESH, None)
    setattr(connection, _FRESH, set())
    try:
        yield
    finally:
        setattr(connection, _FRESH, previous)


def _fresh(using: str) -> set[tuple[str, Any]] | None:
    return getattr(connections[using], _FRESH, None)


class AppendOnlyModel(models.Model):
    """Base of the append-only models (adds no field)."""

    # May the transaction that wrote a row complete it before it commits?
    append_only_complete_fresh = False

    objects = AppendOnlyManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if self._state.adding:
            # Always an INSERT: with an explicit pk Django would otherwise try an UPDATE.
            kwargs["force_insert"] = True
            super().save(*args, **kwargs)
            self.inserted(using)
            return
        fresh = _fresh(using)
        if not (
            self.append_only_complete_fresh
            and fresh is not None
            and connections[using].in_atomic_block
            and (self._meta.label, self.pk) in fresh
        ):
            raise _refuse(type(self), "changed")
        with transaction.atomic(using=using), _permit_row(using, self._meta.db_table, self.pk):
            super().save(*args, **kwargs)

    save.alters_data = True  # type: ignore[attr-defined]
    # For a new row motcua.core.writes does what this does (an INSERT, then inserted()).
    save.mirrored_by_rows_save = True  # type: ignore[attr-defined]

    def inserted(self, using: str) -> None:
        """Its row was just written (by `save()`, or by motcua.core.writes)."""
        fresh = _fresh(using)
        if self.append_only_complete_fresh and fresh is not None:
            fresh.add((self._meta.label, self.pk))

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise _refuse(type(self), "deleted")

    delete.alters_data = True  # type: ignore[attr-defined]


# --- permits ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _permit_row(using: str, table: str, pk: Any) -> Iterator[None]:
    """SQLite: let the trigger pass one UPDATE of one fresh row (called in a transaction)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield  # PostgreSQL sees by itself that the row is this transaction's
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {PERMIT_TABLE} (tbl, row_id) VALUES (%s, %s)", [table, pk])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {PERMIT_TABLE} WHERE tbl = %s AND row_id = %s", [table, pk]
            )


@contextlib.contextmanager
def purge_allowed(using: str = "default") -> Iterator[None]:
    """Within one transaction, let the whole database be emptied (the `flush` command)."""
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])
            elif connection.vendor == "sqlite":
                cursor.execute(
                    f"INSERT INTO {PERMIT_TABLE} (tbl, row_id) VALUES (%s, NULL)", [ALL_TABLES]
                )
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, '', true)", [PURGE_SETTING])
            elif connection.vendor == "sqlite":
                cursor.execute(f"DELETE FROM {PERMIT_TABLE} WHERE tbl = %s", [ALL_TABLES])


# --- the database triggers -------------------------------------------------------------------

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION motcua_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    own_xid bigint;
    distance bigint;
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
       AND coalesce(current_setting('{PURGE_SETTING}', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'complete_fresh' THEN
        -- A row written by this very transaction (or one of its savepoints), not
        -- committed yet, may be completed. xmin has 32 bits and txid_status wants 64:
        -- place it within 2^31 of our own transaction's id (savepoints' ids come after).
        BEGIN
            own_xid := txid_current();
            distance := OLD.xmin::text::bigint - (own_xid & 4294967295);
            IF distance > 2147483647 THEN
                distance := distance - 4294967296;
            ELSIF distance < -2147483648 THEN
                distance := distance + 4294967296;
            END IF;
            IF txid_status(own_xid + distance) = 'in progress' THEN
                RETURN NEW;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END IF;
    RAISE EXCEPTION '% is append-only: its rows cannot be changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""

_SQLITE_PERMIT = (
    f"CREATE TABLE IF NOT EXISTS {PERMIT_TABLE} (tbl TEXT NOT NULL, row_id INTEGER NULL)"
)


def _sqlite_triggers(table: str, complete_fresh: bool) -> list[str]:
    update_when = (
        f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE} WHERE tbl = '{table}' AND row_id = OLD.id) "
        if complete_fresh
        else ""
    )
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"{update_when}"
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: its rows cannot be changed'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"WHEN NOT EXISTS (SELECT 1 FROM {PERMIT_TABLE} WHERE tbl = '{ALL_TABLES}') "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: its rows cannot be deleted'); END",
    ]


def _pg_triggers(table: str, complete_fresh: bool) -> list[str]:
    mode = "complete_fresh" if complete_fresh else "strict"
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION motcua_append_only('{mode}')",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION motcua_append_only('strict')",
    ]


def triggers_install(
    connection: BaseDatabaseWrapper, *, table: str, complete_fresh: bool = False
) -> None:
    """Make `table` append-only at the database (idempotent). Other vendors: nothing (the
    model guards still hold)."""
    if connection.vendor == "postgresql":
        statements = [_PG_FUNCTION, *_pg_triggers(table, complete_fresh)]
    elif connection.vendor == "sqlite":
        statements = [_SQLITE_PERMIT, *_sqlite_triggers(table, complete_fresh)]
    else:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def triggers_remove(connection: BaseDatabaseWrapper, *, table: str) -> None:
    """Undo `triggers_install` for `table` (the shared function and permit table stay)."""
    if connection.vendor == "postgresql":
        statements = [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    elif connection.vendor == "sqlite":
        statements = [
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
        ]
    else:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
