"""Several rows saved in one statement on PostgreSQL.

A dossier action writes the dossier row, its event and the applicant's message; each
through `Model.save()` is a round trip and an ORM save of its own, together half the
time of the action (bench/lifecycle.py, issue 14). On PostgreSQL `rows_save` sends them
as one statement, each write a data-modifying WITH query:

    WITH w0 AS (UPDATE dossier SET … WHERE id = … RETURNING 1),
         w1 AS (INSERT INTO event (…, dossier_id) VALUES (…) RETURNING id),
         w2 AS (INSERT INTO notification (…, event_id) VALUES (…, (SELECT id FROM w1)) RETURNING id)
    SELECT (SELECT count(*) FROM w0), (SELECT id FROM w1), (SELECT id FROM w2)

The SQL of each write is the ORM's own (its compilers, the fields' `pre_save` and
conversions), and the models' `pre_save`/`post_save` signals are sent as `save()` sends
them. Elsewhere (SQLite, which has no data-modifying WITH) the writes are saved one by one
with `Model.save()`. Either way a row inserted by an earlier write can be named by a later
one (`Insert(links=…)`). A model with a `save()` of its own sends the writes through
`save()` one by one, unless that save is marked `mirrored_by_rows_save`: the append-only
models' (whose `inserted(using)` this calls, as their save does for a new row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import DatabaseError, connections, models, router
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery, UpdateQuery


@dataclass
class Insert:
    """A new row. `links`: foreign-key attribute → an object inserted earlier in the same
    call, whose new primary key goes there."""

    obj: models.Model
    links: Mapping[str, models.Model] = field(default_factory=dict)


@dataclass
class Update:
    """The columns `fields` of a stored row (as `save(update_fields=fields)`)."""

    obj: models.Model
    fields: list[str]


def rows_save(*writes: Insert | Update) -> None:
    """Save `writes` in order, in one statement where the database allows it."""
    if not writes:
        return
    using = router.db_for_write(type(writes[0].obj), instance=writes[0].obj)
    if connections[using].vendor == "postgresql" and all(_chainable(w.obj) for w in writes):
        _save_chained(writes, using)
        return
    for write in writes:
        if isinstance(write, Update):
            write.obj.save(using=using, update_fields=write.fields)
        else:
            for attname, target in write.links.items():
                _link(write.obj, attname, target)
            write.obj.save(using=using, force_insert=True)  # a new row, as chained


def _link(obj: models.Model, attname: str, target: models.Model) -> None:
    """`obj`'s foreign key `attname` → the saved `target`, kept as the related object as
    assigning `target` itself would."""
    setattr(obj, attname, target.pk)
    next(f for f in obj._meta.concrete_fields if f.attname == attname).set_cached_value(
        obj, target
    )


def _chainable(obj: models.Model) -> bool:
    # A parent table (multi-table inheritance), columns the database fills in besides
    # the key, or a save() of the model's own would need more than this does.
    meta = obj._meta
    save = type(obj).save
    return (
        not meta.parents
        and list(meta.db_returning_fields) == [meta.pk]
        and (save is models.Model.save or getattr(save, "mirrored_by_rows_save", False))
    )


# The SQL of each write's shape (model, columns, which values are NULL, which keys name
# an earlier write), as the ORM compiled it the first time: compiling INSERT and UPDATE
# anew for every write was two fifths of a dossier action (issue 14, bench/lifecycle.py).
# A shape is kept only when the parameters worked out here (each field's pre_save and
# get_db_prep_save, as the compilers do) equal those the ORM gave with it; a value that
# is an expression is always compiled, but for a RawSQL subquery (a notification's
# channel), whose text is part of the shape and whose parameters are taken in place.
_shapes: dict[tuple, str | None] = {}


def _prepared(field: models.Field, value: object, connection) -> object:
    return field.get_db_prep_save(value, connection=connection)


def _same(ours: tuple, theirs: tuple) -> bool:
    # psycopg's Json/Jsonb wrappers compare by identity: compare what they wrap.
    return len(ours) == len(theirs) and all(
        a == b or (type(a) is type(b) and hasattr(a, "obj") and a.obj == b.obj)
        for a, b in zip(ours, theirs, strict=True)
    )


def _is_expression(value: object) -> bool:
    return hasattr(value, "resolve_expression") or hasattr(value, "prepare_database_save")


def _update_sql(write: Update, using: str) -> tuple[str, tuple]:
    obj, meta = write.obj, write.obj._meta
    connection = connections[using]
    columns = [meta.get_field(name) for name in write.fields]
    values = [column.pre_save(obj, False) for column in columns]
    key = params = None
    if not any(_is_expression(value) for value in values):
        prepared = [_prepared(c, v, connection) for c, v in zip(columns, values, strict=True)]
        key = ("update", type(obj), using, tuple(write.fields),
               tuple(value is None for value in prepared))
        params = (*(v for v in prepared if v is not None),
                  meta.pk.get_db_prep_value(obj.pk, connection))
        if (sql := _shapes.get(key)) is not None:
            return sql, params
    query = UpdateQuery(type(obj))
    query.add_update_fields([(c, None, v) for c, v in zip(columns, values, strict=True)])
    query.add_q(Q(pk=obj.pk))
    sql, compiled = query.get_compiler(using).as_sql()
    sql = f"{sql} RETURNING 1"
    if key is not None and key not in _shapes:
        _shapes[key] = sql if _same(params, tuple(compiled)) else None
    return sql, tuple(compiled)


def _values_shape(
    fields: list[models.Field], values: list, connection
) -> tuple[tuple, tuple] | None:
    """Which values are SQL of their own (a RawSQL subquery, by its text) and the
    parameters of all, in order; None when one is another kind of expression."""
    shape, params = [], []
    for column, value in zip(fields, values, strict=True):
        if isinstance(value, RawSQL):
            shape.append(value.sql)
            params.extend(value.params)
        elif _is_expression(value):
            return None
        else:
            shape.append(None)
            params.append(_prepared(column, value, connection))
    return tuple(shape), tuple(params)


def _insert_sql(write: Insert, using: str, names: dict[int, str]) -> tuple[str, tuple]:
    obj, meta = write.obj, write.obj._meta
    connection = connections[using]
    fields = [
        f for f in meta.local_concrete_fields
        if not f.generated and not (f is meta.auto_field and obj.pk is None)
    ]
    links = {attname: names[id(target)] for attname, target in write.links.items()}
    unlinked = [f for f in fields if f.attname not in links]
    values = _values_shape(unlinked, [f.pre_save(obj, True) for f in unlinked], connection)
    if values is not None:
        key = ("insert", type(obj), using, tuple(f.attname for f in fields),
               tuple(sorted(links.items())), values[0])
        if (sql := _shapes.get(key)) is not None:
            return sql, values[1]
    qn = connection.ops.quote_name
    for attname, target in write.links.items():
        source = names[id(target)]
        setattr(obj, attname, RawSQL(f"SELECT {qn(target._meta.pk.column)} FROM {source}", ()))
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(using)
    compiler.returning_fields = [meta.pk]
    [(sql, compiled)] = compiler.as_sql()
    if values is not None and key not in _shapes:
        # What the compiler saved (its pre_save left each value on the object).
        saved = _values_shape(unlinked, [getattr(obj, f.attname) for f in unlinked], connection)
        kept = saved is not None and saved[0] == values[0] and _same(saved[1], tuple(compiled))
        _shapes[key] = sql if kept else None
    return sql, tuple(compiled)


def _save_chained(writes: tuple[Insert | Update, ...], using: str) -> None:
    names = {id(w.obj): f"w{n}" for n, w in enumerate(writes)}
    parts: list[str] = []
    params: list = []
    update_fields = [frozenset(w.fields) if isinstance(w, Update) else None for w in writes]
    for write, fields in zip(writes, update_fields, strict=True):
        obj = write.obj
        pre_save.send(
            sender=type(obj), instance=obj, raw=False, using=using, update_fields=fields
        )
        if isinstance(write, Update):
            sql, values = _update_sql(write, using)
        else:
            sql, values = _insert_sql(write, using, names)
        parts.append(f"{names[id(obj)]} AS ({sql})")
        params.extend(values)
    results = ", ".join(
        f"(SELECT count(*) FROM {names[id(w.obj)]})" if isinstance(w, Update)
        else f"(SELECT * FROM {names[id(w.obj)]})"
        for w in writes
    )
    with connections[using].cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {results}", params)
        row = cursor.fetchone()
    for write, fields, value in zip(writes, update_fields, row, strict=True):
        obj = write.obj
        if isinstance(write, Update):
            if not value:
                raise DatabaseError("Save with update_fields did not affect any rows.")
        else:
            obj.pk = value
            for attname, target in write.links.items():
                _link(obj, attname, target)
            obj._state.adding = False
        obj._state.db = using
        if isinstance(write, Insert) and hasattr(obj, "inserted"):
            obj.inserted(using)
        post_save.send(
            sender=type(obj), instance=obj, created=isinstance(write, Insert),
            update_fields=fields, raw=False, using=using,
        )
