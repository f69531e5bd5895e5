"""A fresh database for tests that run motcua in processes of their own (a worker killed
mid-flight, a web server restarted): a SQLite file, or a PostgreSQL database of its own
when the suite runs on PostgreSQL, dropped afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

Query = Callable[[str], list[tuple[Any, ...]]]


@contextmanager
def fresh_database(folder: Path, pg_name: str) -> Iterator[tuple[str, Query]]:
    """(DATABASE_URL, query): a file in `folder`, or on PostgreSQL the database `pg_name`
    (give each test module its own: under xdist two of them run at the same time)."""
    if not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        path = folder / "motcua.sqlite3"

        def query_sqlite(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path, timeout=20) as connection:
                return connection.execute(sql).fetchall()

        yield f"sqlite:///{path}", query_sqlite
        return

    import psycopg

    params = django_settings.DATABASES["default"]
    server = {
        "host": params.get("HOST") or "127.0.0.1",
        "port": params.get("PORT") or 5432,
        "user": params.get("USER") or "postgres",
        "password": params.get("PASSWORD") or None,
    }

    def drop() -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")

    drop()
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f"CREATE DATABASE {pg_name}")

    def query_pg(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(dbname=pg_name, autocommit=True, **server) as connection:
            return connection.execute(sql).fetchall()

    password = f":{server['password']}" if server["password"] else ""
    url = f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{pg_name}"
    try:
        yield url, query_pg
    finally:
        drop()
