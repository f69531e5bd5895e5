"""Reads by key that every signed-in page makes, with their SQL compiled once.

Django compiles a queryset to SQL each time it is evaluated. For the rows a signed-in
question page reads by key (the session, the user with their profile, the draft) that
compilation cost 0.25–0.45 ms a row, more than the database did, and the three were
about 40% of the page (issue 14, bench/portal.py). A `KeyRead` compiles its queryset
once per database connection and then only executes the SQL with new values:

    _draft = KeyRead(lambda citizen, pk: Draft.objects.filter(citizen_id=citizen, pk=pk))
    draft = _draft.one(citizen=user.pk, pk=42)      # the Draft, or None

The rows become model instances as the ORM makes them (`Model.from_db`, the fields'
converters, `select_related` objects filled in), through the compiler the ORM built,
so what comes back is what `queryset.first()` gives; the statement goes through the
connection's cursor, so query counts, execute wrappers and transactions see it.

What a KeyRead can hold: exact matches on integer or text columns (the values go to the
driver as they are), joins by `select_related`. Each parameter of the function is found
in the compiled SQL's parameters by a marker value; a queryset that transforms a value
(a date compared, `__in`, an expression) is refused when the KeyRead is first used.
Ordering is dropped: a key names one row.
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=models.Model)

# The marker of parameter i is _MARK + i: within a 32-bit integer column's range (PostgreSQL
# refuses a value outside it before any SQL is made), and no constant a query holds.
_MARK = 2_147_000_000


class _Compiled:
    def __init__(self, compiler: Any, sql: str, order: list[int], using: str) -> None:
        self.compiler = compiler
        self.sql = sql
        self.order = order  # SQL parameter j takes the value of argument order[j]
        klass = compiler.klass_info
        first, last = klass["select_fields"][0], klass["select_fields"][-1] + 1
        self.model = klass["model"]
        self.span = slice(first, last)
        self.names = [col[0].target.attname for col in compiler.select[first:last]]
        # Stateless between rows, as ModelIterable uses them: built once, not per read.
        self.populators = get_related_populators(klass, compiler.select, using)
        self.converters = compiler.get_converters(
            [col[0] for col in compiler.select[: compiler.col_count]]
        )


class KeyRead(Generic[M]):
    def __init__(self, build: Callable[..., models.QuerySet[M]]) -> None:
        self.build = build
        self.params = list(inspect.signature(build).parameters)
        # Per connection object (one per thread and alias): a compiler holds its connection.
        self._compiled: weakref.WeakKeyDictionary[Any, _Compiled] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _compile(self, connection: Any) -> _Compiled:
        marks = [_MARK + i for i in range(len(self.params))]
        queryset = self.build(*marks).order_by()
        compiler = queryset.query.get_compiler(connection=connection)
        sql, sql_params = compiler.as_sql()
        order = []
        for value in sql_params:
            found = [i for i, mark in enumerate(marks) if str(value) == str(mark)]
            if len(found) != 1:
                raise ValueError(
                    f"KeyRead: SQL parameter {value!r} is not one of the arguments "
                    "as given (only exact matches on integer or text columns)"
                )
            order.append(found[0])
        if sorted(set(order)) != list(range(len(marks))):
            raise ValueError("KeyRead: every argument must appear in the query")
        return _Compiled(compiler, sql, order, connection.alias)

    def one(self, using: str = "default", **values: int | str) -> M | None:
        """The row the values name (with its `select_related` objects), or None."""
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compile(connection)
            with self._lock:
                self._compiled[connection] = compiled
        args = [values[name] for name in self.params]
        for value in args:
            if not isinstance(value, int | str):
                raise TypeError(f"KeyRead: {value!r} is neither an integer nor text")
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, [args[i] for i in compiled.order])
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        row = rows[0]
        if compiled.converters:
            row = next(compiled.compiler.apply_converters([row], compiled.converters))
        obj = compiled.model.from_db(using, compiled.names, row[compiled.span])
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj
