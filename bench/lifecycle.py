#!/usr/bin/env python
"""Benchmark of the dossier lifecycle and of the back-office inbox.

    .venv/bin/python bench/lifecycle.py [--database-url URL] [--dossiers 300] [--rounds 3]
                                        [--fill 1000000] [--requests 200]

1. Throughput: receives `--dossiers` dossiers at the Bát Xát desk through the real
   services (code, due moment, event, outbox rows, row locks), then takes each through
   assign → propose → approve → return. Printed as receptions and actions per second,
   each as a ratio to a bare one-row INSERT + COMMIT measured in the same round (the
   median of three timings: before the receptions, between, after the actions), with the
   SQL statements per reception and per action (BEGIN/COMMIT not counted); `--rounds`
   rounds, each with new dossiers, after one untimed round (warm-up), and the median
   ratios. Delivery is queued on commit for the worker, as in production (on Redis when
   REDIS_URL is set, else in memory), and not run.
2. Inbox: fills the dossier table to `--fill` rows (historical dossiers spread over the
   province's 99 communes, written with one multi-row INSERT per batch, or COPY on
   PostgreSQL), then times the receiving officer's inbox page through the full Django
   stack (middleware, session, templates) beside a bare page of the same app (the
   sign-in page), p50 and p95.

Runs on a throwaway SQLite file unless --database-url names an empty database
(PostgreSQL: create it first; the benchmark leaves its rows there).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--dossiers", type=int, default=300, help="dossiers through the services")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (median kept)")
    parser.add_argument(
        "--fill",
        type=int,
        default=1_000_000,
        help="rows in the table for the inbox (0: throughput only, no inbox)",
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="motcua-bench-")
    os.environ["MOTCUA_VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["STATICFILES_STORAGE"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    # Delivery is the worker's job: the outbox row is queued on commit, not sent inline.
    os.environ["HUEY_IMMEDIATE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    if not os.environ.get("REDIS_URL"):
        # Production queues on Redis (REDIS_URL), a sub-millisecond push; the fallback
        # SQLite queue file would add an fsync per message that no deployment pays.
        settings.HUEY = {**settings.HUEY, "huey_class": "huey.MemoryHuey"}
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    print(f"database: {connection.vendor}; demo loaded")
    throughput(args.dossiers, args.rounds)
    if args.fill > 0:
        inbox(args.fill, args.requests)
    return 0


def throughput(count: int, rounds: int) -> None:
    from django.db import connection, transaction

    from motcua.catalog.selectors import procedure_get_current
    from motcua.demo.officials import demo_officials_load
    from motcua.dossiers.services import (
        Applicant,
        dossier_act,
        dossier_receive_at_counter,
        dossier_return_result,
    )
    from motcua.organizations.models import Agency, AgencyType

    demo_officials_load()
    users = _users()
    desk = Agency.objects.get(unit__name="Xã Bát Xát", type=AgencyType.COMMUNE_SERVICE_CENTRE)
    version = procedure_get_current(code="1.001193")

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_bare (id INTEGER PRIMARY KEY, note VARCHAR(40))")
    bare_ids = iter(range(10**9))
    statements = [0]

    def counted(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    def bare_round() -> float:
        start = time.perf_counter()
        for n in itertools.islice(bare_ids, count):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_bare (id, note) VALUES (%s, %s)", [n, "x"])
        return count / (time.perf_counter() - start)

    def receptions(base: int, number: int = count) -> tuple[list, float, float]:
        received = []
        statements[0] = 0
        with connection.execute_wrapper(counted):
            start = time.perf_counter()
            for n in range(base, base + number):
                received.append(
                    dossier_receive_at_counter(
                        officer=users["batxat.tiepnhan"],
                        agency=desk,
                        procedure_version=version,
                        applicant=Applicant(
                            name=f"Người dân {n}", id_number="010190012345", phone="0912345678"
                        ),
                    )
                )
            rate = number / (time.perf_counter() - start)
        return received, rate, statements[0] / number

    def actions(received: list) -> tuple[float, float]:
        statements[0] = 0
        with connection.execute_wrapper(counted):
            start = time.perf_counter()
            for dossier in received:
                for officer, action in (
                    ("batxat.tiepnhan", "assign"),
                    ("batxat.chuyenvien", "propose"),
                    ("batxat.pheduyet", "approve"),
                ):
                    dossier = dossier_act(
                        dossier=dossier,
                        officer=users[officer],
                        action=action,
                        expected_version=dossier.lock_version,
                        assignee=users["batxat.chuyenvien"] if action == "assign" else None,
                    )
                dossier_return_result(
                    dossier=dossier,
                    officer=users["batxat.tiepnhan"],
                    expected_version=dossier.lock_version,
                )
            rate = 4 * len(received) / (time.perf_counter() - start)
        return rate, statements[0] / (4 * len(received))

    print(f"throughput over {count} dossiers per round (one transaction each), {rounds} rounds"
          " after one untimed;")
    print("each round times the bare INSERT + COMMIT before, between and after the services")
    print("and divides by the median of the three (a short burst swings on a busy machine):")
    print(f"  {'round':<6} {'bare/s':>8}  {'receptions/s':>12} {'x bare':>7}  "
          f"{'actions/s':>9} {'x bare':>7}")
    # One round untimed first: the first receptions of a fresh process and database ran
    # at a quarter of the later rate (the day's code counter row, the memos, statements
    # prepared on their second run), which a server meets once, not per dossier.
    actions(receptions(-count)[0])
    rows = []
    for r in range(rounds):
        bares = [bare_round()]
        received, receive_rate, receive_statements = receptions(r * count)
        bares.append(bare_round())
        action_rate, action_statements = actions(received)
        bares.append(bare_round())
        bare = statistics.median(bares)
        rows.append((bare, receive_rate / bare, action_rate / bare))
        print(f"  {r + 1:<6} {bare:8.1f}  {receive_rate:12.1f} {receive_rate / bare:7.3f}  "
              f"{action_rate:9.1f} {action_rate / bare:7.3f}")
    print(f"  {'median':<6} {statistics.median(b for b, _r, _a in rows):8.1f}  {'':>12} "
          f"{statistics.median(r for _b, r, _a in rows):7.3f}  {'':>9} "
          f"{statistics.median(a for _b, _r, a in rows):7.3f}")
    print(f"statements per reception {receive_statements:.1f}, per action {action_statements:.1f}"
          " (BEGIN/COMMIT not counted)")


def _users() -> dict:
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.all()}


def inbox(fill: int, requests: int) -> None:
    from django.db import connection
    from django.test import Client

    from motcua.accounts.signin import SESSION_SECOND_FACTOR
    from motcua.dossiers.models import Dossier

    have = Dossier.objects.count()
    start = time.perf_counter()
    _fill(fill - have)
    took = time.perf_counter() - start
    print(f"filled the dossier table to {Dossier.objects.count():,} rows in {took:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE dossiers_dossier")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    official = Client()
    official.force_login(_users()["batxat.tiepnhan"])
    # The back office wants a session that passed the second factor (as after the code).
    session = official.session
    session[SESSION_SECOND_FACTOR] = time.time()
    session.save()
    # The sign-in form goes through the same middleware and template engine, reads no
    # dossier: the bare page of the same app.
    visitor = Client()
    pages = {
        "bare page (sign-in form)": "/mot-cua/dang-nhap/",
        "inbox: to receive/transfer": "/mot-cua/?box=receive",
        "inbox: results to return": "/mot-cua/?box=return",
        "inbox: overdue filter": "/mot-cua/?box=receive&overdue=on",
    }
    print(f"pages over {requests} requests each, ms:   p50      p95   p95/bare")
    bare_p95 = None
    for label, url in pages.items():
        client = visitor if url.endswith("dang-nhap/") else official
        for _ in range(5):  # warm caches and the search index
            assert client.get(url).status_code == 200, url
        samples = []
        for _ in range(requests):
            begin = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        bare_p95 = bare_p95 or p95
        print(f"  {label:<34} {p50:7.2f}  {p95:7.2f}   {p95 / bare_p95:5.1f}x")


def _fill(rows: int) -> None:
    """Historical dossiers, written straight into the table (not through the services)."""
    if rows <= 0:
        return
    from django.db import connection, transaction
    from django.utils import timezone

    from motcua.catalog.models import Procedure
    from motcua.dossiers.models import Dossier, NationalStatus
    from motcua.organizations.models import Agency, AgencyType
    from motcua.workflows.definitions import COMMUNE_WORKFLOW
    from motcua.workflows.selectors import workflow_latest

    rng = random.Random(7)
    desks = list(Agency.objects.filter(type=AgencyType.COMMUNE_SERVICE_CENTRE))
    committees = {
        a.unit_id: a.pk for a in Agency.objects.filter(type=AgencyType.COMMUNE_PEOPLES_COMMITTEE)
    }
    versions = list(Procedure.objects.exclude(current=None).values_list("current_id", flat=True))
    workflow = workflow_latest(code=COMMUNE_WORKFLOW).pk
    now = timezone.now()
    fields = [f for f in Dossier._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    # Mostly finished dossiers, as in a real archive; a few percent still open.
    statuses = [
        (NationalStatus.RETURNED, "returned", 90),
        (NationalStatus.DECIDED, "decided", 3),
        (NationalStatus.PROCESSING, "appraising", 3),
        (NationalStatus.RECEIVED, "received", 2),
        (NationalStatus.SUPPLEMENT_REQUESTED, "supplement", 1),
        (NationalStatus.STOPPED, "stopped", 1),
    ]
    weights = [w for *_x, w in statuses]

    def row(n: int) -> list:
        desk = desks[n % len(desks)]
        status, state, _w = rng.choices(statuses, weights)[0]
        received = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        values = {
            "code": f"{desk.code}-B{n:09d}",
            "procedure_version": rng.choice(versions),
            "workflow": workflow,
            "state": state,
            "status": int(status),
            "applicant_name": f"Người dân {n}",
            "applicant_phone": f"09{n % 100000000:08d}",
            "applicant_id_number": f"0101900{n % 100000:05d}",
            "channel": 1 + n % 2,
            "receiving_agency": desk.pk,
            "competent_agency": committees[desk.unit_id],
            "received_at": received,
            "clock_started_at": received,
            "submitted_at": received,
            "due_at": received + timedelta(days=rng.randrange(1, 15)),
            "returned_at": received + timedelta(days=3) if state == "returned" else None,
            "imported": True,
            "created_at": now,
            "updated_at": now,
        }
        out = []
        for f in fields:
            key = f.name if f.name in values else f.attname
            value = values.get(f.name, values.get(key, f.get_default()))
            out.append(f.get_db_prep_save(value, connection))
        return out

    # SQLite caps the bound variables of one statement (32,766 since 3.32).
    batch = 5000 if connection.vendor == "postgresql" else max(1, 30000 // len(columns))
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    table = connection.ops.quote_name(Dossier._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    written = 0
    while written < rows:
        size = min(batch, rows - written)
        data = [row(written + i) for i in range(size)]
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                    for values in data:
                        copy.write_row(values)
            else:
                sql = f"INSERT INTO {table} ({column_sql}) VALUES " + ", ".join(
                    [placeholders] * size
                )
                cursor.execute(sql, [v for values in data for v in values])
        written += size


if __name__ == "__main__":
    sys.exit(main())
