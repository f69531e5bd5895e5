#!/usr/bin/env python
"""Benchmark of the Decision 766 reporting: rebuild, dashboard reads, incremental refresh.

    .venv/bin/python bench/reporting.py [--database-url URL] [--dossiers 5000000]
                                        [--requests 200] [--changes 1000] [--keep]

Set-up: today's units of the province (MOTCUA_PROVINCE_CODE, 15) and the pre-2025 units,
the demo agencies (motcua.demo.agencies), the demo catalog (a few dozen procedures, some
fully online, some with fees), the shipped workflows. Then:

1. Fill: `--dossiers` historical dossiers received 2023-01-01 .. 2025-12-31 (more on
   weekdays, a little more each year, about half filed online), over every agency of the
   province, skewed like reality (a few big wards, the land registry and the police
   among the departments), with statuses (mostly returned; some running, late, waiting,
   stopped, refused at reception, filed but never received) and flags (fee, paid online,
   fully online, electronic result, scanned, reused papers, rating) that keep the rules
   of the CSV import (docs/import_dossiers.md: paid online only with a fee, fully online
   only online, ...). Rows are generated day by day and streamed into the table (COPY
   on PostgreSQL, multi-row INSERT on SQLite): memory stays flat whatever the count.
   Then `reporting_rebuild()` from empty tables; the counts of facts and rollups.
2. Dashboard: the province overview (indicators + breakdown by unit for a year) and a
   commune's reads (indicators + breakdown by procedure for a quarter, and for any range
   of days such as 2024-02-10 .. 2024-11-20), each `--requests` times with varied years,
   quarters, ranges and communes (every fifth a pre-2025 commune's code, counted on its
   successors), scope resolution included; p50/p95 against a 100 ms target.
3. Baseline, same run: the same province/year numbers computed straight from the
   dossier table (facts_query of motcua.reporting.facts, grouped by agency: one pass
   gives both the total and the per-unit rows); its p50/p95 and the ratio raw/rollup.
   The raw numbers must equal the rollups' (checked).
4. Incremental: the refresh with nothing changed (the per-minute job's idle cost);
   then `--changes` dossiers changed by plain UPDATEs that stamp updated_at (a third
   returned late, a third asked a supplement, a third paid online) and one timed
   `rollups_refresh()` (ms per changed dossier), the next run within the 10-minute
   overlap, and a check: every year's province indicators and breakdown after the
   refresh must equal what a fresh `reporting_rebuild()` gives (AGREE/DISAGREE; the
   exit status is 1 on DISAGREE). That second rebuild, over full tables, is the
   nightly job's cost.

Database: a throwaway SQLite file by default (use small numbers, e.g. --dossiers 200000).
With --database-url postgresql://user@host:port/name the database is created if it
does not exist and dropped at the end unless --keep; an existing one must hold no
dossiers, and is left in place. On PostgreSQL the fill drops the dossier table's
secondary indexes and foreign keys, COPYs, then recreates them (as a bulk load does),
and VACUUM ANALYZEs the table; the facts and rollups are ANALYZEd after each rebuild (what
autovacuum does within a minute). Timings depend on the machine: compare the ratios.
"""

from __future__ import annotations

import argparse
import bisect
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2025, 12, 31)
YEARS = (2023, 2024, 2025)
TARGET_MS = 100.0
VN_OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh has no daylight saving time


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the database -------------------------------------------------------------------


def _pg_params(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or "") or None,
        "dbname": unquote(parts.path.lstrip("/")),
    }


def _pg_admin(url: str):
    import psycopg

    params = _pg_params(url)
    params["dbname"] = "postgres"
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True)


def pg_ensure(url: str) -> bool:
    """Create the database if missing; True when this run created it."""
    from psycopg import sql

    name = str(_pg_params(url)["dbname"])
    if not name:
        raise SystemExit("--database-url must name a database")
    with _pg_admin(url) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def pg_drop(url: str) -> None:
    from psycopg import sql

    name = str(_pg_params(url)["dbname"])
    with _pg_admin(url) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: temporary SQLite)")
    parser.add_argument("--dossiers", type=int, default=5_000_000, help="historical dossiers")
    parser.add_argument("--requests", type=int, default=200, help="timed reads per dashboard")
    parser.add_argument(
        "--baseline-requests", type=int, default=10, help="timed raw GROUP BYs (each a scan)"
    )
    parser.add_argument("--changes", type=int, default=1000, help="dossiers changed")
    parser.add_argument("--seed", type=int, default=766)
    parser.add_argument("--keep", action="store_true", help="keep the database and work dir")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="motcua-bench-")
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    created = False
    if url.startswith(("postgres://", "postgresql://")):
        created = pg_ensure(url)
    os.environ["MOTCUA_VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = url
    os.environ["HUEY_IMMEDIATE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections

    try:
        return run(args)
    finally:
        connections.close_all()
        if args.keep:
            print(f"kept: {url} (work dir {workdir})")
        else:
            if created:
                pg_drop(url)
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from motcua.dossiers.models import Dossier

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Dossier.objects.exists():
        raise SystemExit("the database already holds dossiers: give an empty or a new one")
    world = setup(settings.MOTCUA_PROVINCE_CODE)
    print(
        f"database: {connection.vendor}; set up in {time.perf_counter() - started:.0f} s: "
        f"{world.summary}"
    )
    rng = random.Random(args.seed)
    fill(world, args.dossiers, rng)
    rebuild("reporting_rebuild() from empty tables")
    counts()
    rollup = dashboard(world, args.requests, rng)
    agree = baseline(world, args.baseline_requests, rng, rollup)
    agree = incremental(args.changes, rng) and agree
    print(f"total: {(time.perf_counter() - started) / 60:.1f} min")
    return 0 if agree else 1


# --- set-up -------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    version_id: int
    workflow_id: int
    full: bool  # offered fully online (eligible)
    online: bool  # may be filed online
    charged: bool
    online_payment: bool
    legal_seconds: int  # calendar seconds from receipt to the appointment (0: same day)
    kind: str  # competent agency type it goes to


@dataclass
class World:
    province_id: int
    province_code: str
    commune_codes: list[str]
    former_codes: list[str]
    # (receiving desk, competent agency by type) per commune; the province's.
    communes: list[tuple[int, dict[str, int]]]
    commune_cum: list[float]
    province_desk: int
    departments: list[int]
    department_cum: list[float]
    province_police: int
    commune_procs: list[Proc]
    commune_proc_cum: list[float]
    province_procs: list[Proc]
    province_proc_cum: list[float]
    start_state: str
    summary: str


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def setup(province_code: str) -> World:
    import json

    from django.conf import settings
    from django.db import transaction

    from motcua.catalog.models import FeeStatus, OnlineLevel, Procedure
    from motcua.catalog.services import catalog_import
    from motcua.demo.agencies import demo_agencies_load
    from motcua.organizations.models import AdministrativeUnit, Agency, AgencyType, UnitLevel
    from motcua.organizations.services import units_import_current, units_import_history
    from motcua.workflows.definitions import COMMUNE_WORKFLOW
    from motcua.workflows.selectors import workflow_latest
    from motcua.workflows.services import workflows_ensure_shipped

    catalog_dir = Path(settings.BASE_DIR) / "motcua" / "catalog" / "data"
    with transaction.atomic():
        units_import_current(province_codes=[province_code])
        units_import_history()
        demo_agencies_load(province_code=province_code)
        workflows_ensure_shipped()
        for name in ("catalog_sample.json", "lao_cai_demo.json"):
            entries = json.loads((catalog_dir / name).read_text(encoding="utf-8"))
            catalog_import(entries=entries, source_name=name)

    rng = random.Random(15)
    province = AdministrativeUnit.objects.get(
        level=UnitLevel.PROVINCE, code=province_code, valid_to__isnull=True
    )
    agencies = list(Agency.objects.select_related("unit"))
    by_unit: dict[int, dict[str, int]] = defaultdict(dict)
    for agency in agencies:
        by_unit[agency.unit_id][agency.type] = agency.pk
    commune_units = sorted(
        (a.unit for a in agencies if a.type == AgencyType.COMMUNE_PEOPLES_COMMITTEE),
        key=lambda u: u.code,
    )
    communes = [
        (by_unit[u.pk][AgencyType.COMMUNE_SERVICE_CENTRE], by_unit[u.pk]) for u in commune_units
    ]
    # A few big wards (the provincial city, the tourist towns), a long tail of communes.
    commune_weights = [rng.lognormvariate(0, 0.9) for _ in communes]
    province_agencies = by_unit[province.pk]
    departments = sorted(a.pk for a in agencies if a.type == AgencyType.DEPARTMENT)
    # The land registry and a couple of departments carry most provincial dossiers.
    department_weights = [1 / (rank + 1) ** 1.1 for rank in range(len(departments))]
    rng.shuffle(department_weights)

    start = workflow_latest(code=COMMUNE_WORKFLOW)
    commune_procs, province_procs = [], []
    rows = Procedure.objects.exclude(current=None).values_list(
        "current_id",
        "current__workflow_id",
        "current__levels",
        "current__competent_agency_types",
        "current__online_level",
        "current__fee_status",
        "current__online_payment",
        "current__duration_kind",
        "current__duration_amount",
    )
    for version, workflow, levels, kinds, level, fee, payment, unit, amount in rows.order_by(
        "code"
    ):
        if unit == "working_days" and amount:
            legal = int(amount * 7 / 5 * 86400)
        elif unit == "calendar_days" and amount:
            legal = amount * 86400
        elif unit == "same_day":
            legal = 0
        else:
            legal = 10 * 86400
        common = {
            "version_id": version,
            "workflow_id": workflow or start.pk,
            "full": level == OnlineLevel.FULL,
            "online": level in (OnlineLevel.FULL, OnlineLevel.PARTIAL),
            "charged": fee == FeeStatus.CHARGED,
            "online_payment": bool(payment),
            "legal_seconds": legal,
        }
        kinds = kinds or []
        if "commune" in (levels or []):
            kind = (
                AgencyType.COMMUNE_POLICE
                if "cong_an_xa" in kinds and "ubnd_xa" not in kinds
                else AgencyType.COMMUNE_PEOPLES_COMMITTEE
            )
            commune_procs.append(Proc(**common, kind=kind))
        if "province" in (levels or []):
            kind = AgencyType.PROVINCE_POLICE if "cong_an_tinh" in kinds else AgencyType.DEPARTMENT
            province_procs.append(Proc(**common, kind=kind))
    # Popularity: a handful of procedures (birth, residence, land) make most dossiers.
    rng.shuffle(commune_procs)
    rng.shuffle(province_procs)

    former = AdministrativeUnit.objects.filter(
        level=UnitLevel.COMMUNE, valid_to__isnull=False, successors__isnull=False
    ).distinct()
    summary = (
        f"{len(commune_units)} communes and wards, {former.count()} pre-2025 communes, "
        f"{len(agencies)} agencies, {len(commune_procs)} commune-level and "
        f"{len(province_procs)} province-level procedures"
    )
    return World(
        province_id=province.pk,
        province_code=province.code,
        commune_codes=[u.code for u in commune_units],
        former_codes=sorted(former.values_list("code", flat=True)),
        communes=communes,
        commune_cum=_cumulative(commune_weights),
        province_desk=province_agencies[AgencyType.PROVINCE_SERVICE_CENTRE],
        departments=departments,
        department_cum=_cumulative(department_weights),
        province_police=province_agencies[AgencyType.PROVINCE_POLICE],
        commune_procs=commune_procs,
        commune_proc_cum=_cumulative([1 / (r + 1) ** 0.9 for r in range(len(commune_procs))]),
        province_procs=province_procs,
        province_proc_cum=_cumulative([1 / (r + 1) ** 0.9 for r in range(len(province_procs))]),
        start_state=start.definition["start"],
        summary=summary,
    )


# --- the fill -----------------------------------------------------------------------


def _days_with_counts(total: int) -> list[tuple[date, int]]:
    """Every day of the three years with its number of dossiers (adds up to total)."""
    days, weights = [], []
    day = FIRST_DAY
    span = (LAST_DAY - FIRST_DAY).days
    while day <= LAST_DAY:
        weekday = day.weekday()
        weight = 1.0 if weekday < 5 else 0.25 if weekday == 5 else 0.04
        weight *= 1 + 0.25 * (day - FIRST_DAY).days / span  # a little more every year
        if (day.month, day.day) in ((1, 1), (4, 30), (5, 1), (9, 2)):
            weight *= 0.05
        days.append(day)
        weights.append(weight)
        day += timedelta(days=1)
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    remainders = sorted(range(len(days)), key=lambda i: weights[i] * scale - counts[i])
    for i in remainders[len(days) - (total - sum(counts)) :]:
        counts[i] += 1
    return list(zip(days, counts, strict=True))


def _dossier_rows(world: World, total: int, rng: random.Random, stamp: Callable) -> Iterator:
    """Rows (dicts of the columns that vary) in reception order, one day at a time."""
    from motcua.dossiers.importing import DEFAULT_OUTCOME, STATUS_STATE
    from motcua.dossiers.models import Channel, NationalStatus, Outcome
    from motcua.organizations.models import AgencyType

    S = NationalStatus
    now = time.time()
    start = world.start_state
    state_of = {s: STATUS_STATE[s] or start for s in S}
    # Old dossiers have nearly all ended; the last two months still have many running.
    old = [
        (S.RETURNED, 888),
        (S.DECIDED, 30),
        (S.STOPPED, 15),
        (S.NOT_RECEIVED, 15),
        (S.PROCESSING, 20),
        (S.RECEIVED, 8),
        (S.SUPPLEMENT_REQUESTED, 10),
        (S.FEE_REQUESTED, 4),
        (S.WITHDRAWAL_REQUESTED, 1),
        (S.FILED, 4),
    ]
    recent = [(s, w * 8 if s in (2, 4, 5, 6, 7, 1) else w) for s, w in old]
    statuses = [s for s, _w in old]
    old_cum, recent_cum = _cumulative([w for _s, w in old]), _cumulative([w for _s, w in recent])
    finished = {S.DECIDED, S.RETURNED}
    running = {S.RECEIVED, S.PROCESSING, S.WITHDRAWAL_REQUESTED}
    waiting = {S.SUPPLEMENT_REQUESTED, S.FEE_REQUESTED}
    span = (LAST_DAY - FIRST_DAY).days
    recent_from = LAST_DAY - timedelta(days=60)
    province_share = 0.22
    communes, commune_cum = world.communes, world.commune_cum
    departments, department_cum = world.departments, world.department_cum
    n = 0
    random_ = rng.random
    for day, count in _days_with_counts(total):
        t = (day - FIRST_DAY).days / span
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() - VN_OFFSET
        office_open = midnight + 7.5 * 3600
        day_end = midnight + 17 * 3600
        status_cum = recent_cum if day >= recent_from else old_cum
        p_online = 0.42 + 0.22 * t
        p_scan = 0.3 + 0.45 * t
        p_reuse = 0.08 + 0.2 * t
        for _ in range(count):
            n += 1
            if random_() < province_share:
                procs, cum = world.province_procs, world.province_proc_cum
                proc = procs[bisect.bisect(cum, random_() * cum[-1])]
                desk = world.province_desk
                if proc.kind == AgencyType.PROVINCE_POLICE:
                    competent = world.province_police
                else:
                    competent = departments[
                        bisect.bisect(department_cum, random_() * department_cum[-1])
                    ]
            else:
                procs, cum = world.commune_procs, world.commune_proc_cum
                proc = procs[bisect.bisect(cum, random_() * cum[-1])]
                desk, kinds = communes[bisect.bisect(commune_cum, random_() * commune_cum[-1])]
                competent = kinds[proc.kind]
            status = statuses[bisect.bisect(status_cum, random_() * status_cum[-1])]
            if proc.online and random_() < p_online:
                channel = Channel.ONLINE
            else:
                channel = Channel.POST if random_() < 0.01 else Channel.IN_PERSON
            if status == S.FILED and channel != Channel.ONLINE:
                status = S.NOT_RECEIVED
            if status == S.FEE_REQUESTED and not proc.charged:
                status = S.PROCESSING
            received = office_open + random_() * 9.5 * 3600
            if proc.legal_seconds:
                due = received + proc.legal_seconds
            else:
                due = max(day_end, received + 3600)
            supplements = 0
            if status not in (S.FILED, S.NOT_RECEIVED):
                roll = random_()
                supplements = 2 if roll < 0.015 else 1 if roll < 0.1 else 0
            if status == S.SUPPLEMENT_REQUESTED:
                supplements = max(supplements, 1)
            supplement_seconds = 0
            if supplements and status != S.SUPPLEMENT_REQUESTED:
                waited = rng.randint(1, 6)
                supplement_seconds = waited * 8 * 3600
                due += waited * 7 / 5 * 86400  # counted again once complete
            end = paused = None
            late = supplements > 1
            if status in finished or status == S.STOPPED:
                if random_() < 0.07:
                    end = due + 3600 + random_() * 10 * 86400
                else:
                    end = received + 600 + random_() * max(0.0, due - received - 600)
                late = late or end > due
            elif status == S.NOT_RECEIVED:
                end = received + 1800 + random_() * 7200
            elif status in waiting:
                paused = received + random_() * 1.2 * (due - received) + 600
                late = late or paused > due
            elif status in running:
                late = late or now > due
            returned = None
            if status == S.RETURNED:
                returned = end + random_() * 2 * 86400
            fee = 0
            if proc.charged:
                fee = 1000 * rng.choice((8, 15, 20, 30, 50, 100, 200, 500))
            paid_online = False
            fee_paid = None
            if fee and status not in (S.FILED, S.NOT_RECEIVED, S.FEE_REQUESTED):
                online = channel == Channel.ONLINE
                paid_online = proc.online_payment and random_() < (0.7 if online else 0.1)
                fee_paid = received + 3600
            outcome = DEFAULT_OUTCOME.get(status, Outcome.PENDING)
            if status in finished and random_() < 0.03:
                outcome = Outcome.REFUSED
            granted = status in finished and outcome == Outcome.GRANTED
            online = channel == Channel.ONLINE
            rated = status in finished and random_() < 0.25
            rating = None
            if rated:
                roll = random_()
                rating = 0 if roll < 0.04 else 1 if roll < 0.6 else 2
            filed = status == S.FILED
            last = max(x for x in (received, end, paused, returned) if x is not None)
            yield {
                "code": f"BENCH-{n:09d}",
                "procedure_version_id": proc.version_id,
                "workflow_id": proc.workflow_id,
                "state": state_of[status],
                "status": int(status),
                "outcome": str(outcome),  # the value: psycopg would dump an Enum's name
                "applicant_type": "organisation" if random_() < 0.08 else "person",
                "applicant_name": f"Người dân {n}",
                "applicant_id_number": f"0{n % 100_000_000_000:011d}",
                "applicant_phone": f"09{n % 100_000_000:08d}",
                "channel": int(channel),
                "receiving_agency_id": desk,
                "competent_agency_id": competent,
                "fee_amount": fee,
                "fee_paid_at": stamp(fee_paid) if fee_paid else None,
                "paid_online": paid_online,
                "payment_platform": ("national" if paid_online else "counter") if fee_paid else "",
                "submitted_at": stamp(received) if online else None,
                "received_at": None if filed else stamp(received),
                "clock_started_at": None if filed or status == S.NOT_RECEIVED else stamp(received),
                "appointment_at": None if filed or status == S.NOT_RECEIVED else stamp(due),
                "due_at": None if filed or status == S.NOT_RECEIVED else stamp(due),
                "paused_at": stamp(paused) if paused else None,
                "resume_state": start if status in waiting else "",
                "before_withdrawal": start if status == S.WITHDRAWAL_REQUESTED else "",
                "decided_at": stamp(end) if status in finished else None,
                "stopped_at": stamp(end) if status in (S.STOPPED, S.NOT_RECEIVED) else None,
                "returned_at": stamp(returned) if returned else None,
                "supplement_requests": supplements,
                "supplement_seconds": supplement_seconds,
                "is_late": late,
                "full_online": proc.full and online and granted and random_() < 0.65,
                "scanned_at_counter": not online and random_() < p_scan,
                "reused_data": random_() < p_reuse,
                "electronic_result": granted and random_() < (0.6 if online else 0.25),
                "rating": rating,
                "imported": True,
                "created_at": stamp(received),
                "updated_at": stamp(last),
            }


def fill(world: World, total: int, rng: random.Random) -> None:
    from django.db import connection, transaction

    from motcua.dossiers.models import Dossier

    fields = [f for f in Dossier._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    template = [f.get_db_prep_save(f.get_default(), connection) for f in fields]
    index = {f.attname: i for i, f in enumerate(fields)}
    postgres = connection.vendor == "postgresql"
    if postgres:

        def stamp(seconds: float) -> datetime:
            return datetime.fromtimestamp(seconds, UTC)

    else:  # Django stores naive UTC text in SQLite

        def stamp(seconds: float) -> str:
            return str(datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None))

    table = connection.ops.quote_name(Dossier._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    batch = 100_000 if postgres else max(1, 30000 // len(columns))  # SQLite: bound variables
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"

    def rows() -> Iterator[list]:
        for values in _dossier_rows(world, total, rng, stamp):
            row = template[:]
            for name, value in values.items():
                row[index[name]] = value
            yield row

    started = time.perf_counter()
    dropped = _pg_bulk_start(Dossier._meta.db_table) if postgres else []
    generated = rows()
    written = 0
    while written < total:
        size = min(batch, total - written)
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                    for _ in range(size):
                        copy.write_row(next(generated))
            else:
                data = [next(generated) for _ in range(size)]
                sql = f"INSERT INTO {table} ({column_sql}) VALUES " + ", ".join(
                    [placeholders] * size
                )
                cursor.execute(sql, [v for values in data for v in values])
        written += size
        if postgres or written % 200_000 < size:
            log(f"  ... {written:,} dossiers written ({time.perf_counter() - started:.0f} s)")
    loaded = time.perf_counter() - started
    rebuilt = time.perf_counter()
    if postgres:
        _pg_bulk_end(dropped)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}" if postgres else "ANALYZE")
    after = time.perf_counter() - rebuilt
    took = time.perf_counter() - started
    print(
        f"filled the dossier table with {Dossier.objects.count():,} dossiers in {took:.0f} s "
        f"({total / max(loaded, 1e-9):,.0f} rows/s written"
        + (
            f"; {len(dropped)} indexes and foreign keys dropped for the load and rebuilt, "
            f"then VACUUM ANALYZE: {after:.0f} s)"
            if postgres
            else f"; ANALYZE {after:.0f} s)"
        )
    )
    _fill_profile()


def _pg_bulk_start(table: str) -> list[tuple[str, str]]:
    """Drop the table's secondary indexes and foreign keys; their re-creation statements."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND c.oid IS NULL",
            [table],
        )
        indexes = cursor.fetchall()
        quoted = connection.ops.quote_name(table)
        out = []
        for name, definition in constraints:
            cursor.execute(
                f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}"
            )
            out.append(
                (
                    name,
                    f"ALTER TABLE {quoted} ADD CONSTRAINT "
                    f"{connection.ops.quote_name(name)} {definition}",
                )
            )
        for name, definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
            out.append((name, definition))
    return out


def _pg_bulk_end(dropped: list[tuple[str, str]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, statement in dropped:
            cursor.execute(statement)
        cursor.execute("RESET maintenance_work_mem")


def _fill_profile() -> None:
    """What the table holds, in a few shares."""
    from django.db.models import Count, Q

    from motcua.dossiers.models import Channel, Dossier, NationalStatus

    S = NationalStatus
    total = Dossier.objects.count() or 1
    shares = Dossier.objects.aggregate(
        online=Count("pk", filter=Q(channel=Channel.ONLINE)),
        returned=Count("pk", filter=Q(status=S.RETURNED)),
        running=Count("pk", filter=Q(status__in=(2, 4, 5, 6, 7))),
        late=Count("pk", filter=Q(is_late=True)),
        stopped=Count("pk", filter=Q(status__in=(S.STOPPED, S.NOT_RECEIVED))),
        fee=Count("pk", filter=Q(fee_amount__gt=0)),
        paid_online=Count("pk", filter=Q(paid_online=True)),
    )
    biggest = (
        Dossier.objects.values("competent_agency_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("n", flat=True)[:5]
    )
    print(
        "  shares: "
        + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in shares.items())
        + "; 5 biggest agencies: "
        + ", ".join(f"{100 * n / total:.1f}%" for n in biggest)
    )


# --- rebuild ------------------------------------------------------------------------


def _analyze_reporting() -> None:
    from django.db import connection

    from motcua.reporting.models import DossierFact, Rollup

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (DossierFact, Rollup):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")


def rebuild(label: str) -> float:
    from motcua.reporting.services import reporting_rebuild

    started = time.perf_counter()
    report = reporting_rebuild()
    took = time.perf_counter() - started
    _analyze_reporting()
    print(f"{label}: {took:.1f} s ({report.dossiers:,} facts)")
    return took


def counts() -> None:
    from django.db import connection
    from django.db.models import Count, Q

    from motcua.reporting.models import DossierFact, Grain, Rollup

    facts = DossierFact.objects.count()
    rollups = Rollup.objects.aggregate(
        total=Count("pk"),
        day_all=Count("pk", filter=Q(grain=Grain.DAY, procedure_id=0)),
        day_procedure=Count("pk", filter=Q(grain=Grain.DAY) & ~Q(procedure_id=0)),
        month_all=Count("pk", filter=Q(grain=Grain.MONTH, procedure_id=0)),
        month_procedure=Count("pk", filter=Q(grain=Grain.MONTH) & ~Q(procedure_id=0)),
    )
    print(f"rows: DossierFact {facts:,}; Rollup {rollups['total']:,}")
    print(
        f"  rollups: day × agency {rollups['day_all']:,}, day × agency × procedure "
        f"{rollups['day_procedure']:,}, month × agency {rollups['month_all']:,}, "
        f"month × agency × procedure {rollups['month_procedure']:,}"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            sizes = []
            for model in ("dossiers.Dossier", "reporting.DossierFact", "reporting.Rollup"):
                from django.apps import apps

                table = apps.get_model(model)._meta.db_table
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes.append(f"{table} {cursor.fetchone()[0] / 2**20:,.0f} MB")
        print("  sizes with indexes: " + ", ".join(sizes))


# --- dashboard reads ----------------------------------------------------------------


def _random_range(rng: random.Random) -> tuple[date, date]:
    first = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days - 20))
    last = min(LAST_DAY, first + timedelta(days=rng.randrange(20, 400)))
    return first, last


def _measure(call: Callable[[int], object], requests: int) -> list[float]:
    for n in range(5):  # warm caches and connections
        call(-1 - n)
    samples = []
    for n in range(requests):
        begin = time.perf_counter()
        call(n)
        samples.append((time.perf_counter() - begin) * 1000)
    return samples


def dashboard(world: World, requests: int, rng: random.Random) -> tuple[float, float]:
    """Time the dashboard's reads; the province overview's p50 and p95."""
    from motcua.reporting import periods
    from motcua.reporting.selectors import breakdown, indicators, scope_for_code

    def commune_code(n: int) -> str:
        if n % 5 == 4 and world.former_codes:
            return rng.choice(world.former_codes)
        return rng.choice(world.commune_codes)

    def province_year(n: int) -> None:
        scope = scope_for_code(world.province_code)
        period = periods.year(YEARS[n % 3])
        indicators(scope=scope, period=period)
        breakdown(scope=scope, period=period, by="unit")

    def commune_quarter(n: int) -> None:
        scope = scope_for_code(commune_code(n))
        period = periods.quarter(rng.choice(YEARS), rng.randint(1, 4))
        indicators(scope=scope, period=period)
        breakdown(scope=scope, period=period, by="procedure")

    def commune_range(n: int) -> None:
        scope = scope_for_code(commune_code(n))
        first, last = (date(2024, 2, 10), date(2024, 11, 20)) if n == 0 else _random_range(rng)
        period = periods.between(first, last)
        indicators(scope=scope, period=period)
        breakdown(scope=scope, period=period, by="procedure")

    def province_range(n: int) -> None:
        scope = scope_for_code(world.province_code)
        first, last = (date(2024, 2, 10), date(2024, 11, 20)) if n == 0 else _random_range(rng)
        period = periods.between(first, last)
        indicators(scope=scope, period=period)
        breakdown(scope=scope, period=period, by="unit")

    def province_procedures(n: int) -> None:
        scope = scope_for_code(world.province_code)
        breakdown(scope=scope, period=periods.year(YEARS[n % 3]), by="procedure")

    checks = [
        ("province, a year: indicators + by unit", province_year, True),
        ("commune, a quarter: indicators + by procedure", commune_quarter, True),
        ("commune, any days: indicators + by procedure", commune_range, True),
        ("(extra) province, any days: ind. + by unit", province_range, False),
        ("(extra) province, a year: by procedure", province_procedures, False),
    ]
    print(f"dashboard reads over {requests} requests each, ms:        p50      p95")
    overview = (0.0, 0.0)
    for label, call, target in checks:
        samples = _measure(call, requests)
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        verdict = ("PASS" if p95 <= TARGET_MS else "FAIL") if target else ""
        print(f"  {label:<48} {p50:8.2f} {p95:8.2f}  {verdict}")
        if call is province_year:
            overview = (p50, p95)
    return overview


# --- the raw baseline ---------------------------------------------------------------


def _raw_province_year(world: World, year: int, places: dict) -> tuple[Counter, dict]:
    """The province's measure sums and per-unit sums for a year, from the dossiers."""
    from django.db.models import Sum
    from django.utils import timezone

    from motcua.core.calendar import VN_TZ
    from motcua.reporting.facts import facts_query
    from motcua.reporting.models import MEASURES

    agencies = [a for a, (_unit, province) in places.items() if province == world.province_id]
    rows = (
        facts_query(now=timezone.now(), places=places)
        .filter(
            received_at__gte=datetime(year, 1, 1, tzinfo=VN_TZ),
            received_at__lt=datetime(year + 1, 1, 1, tzinfo=VN_TZ),
            competent_agency_id__in=agencies,
        )
        .values("f_agency_id")
        .annotate(**{m: Sum(f"f_{m}") for m in MEASURES})
        .order_by()
    )
    total: Counter = Counter()
    by_unit: dict[int, Counter] = defaultdict(Counter)
    for row in rows:
        unit = places[row["f_agency_id"]][0]
        for m in MEASURES:
            total[m] += row[m]
            by_unit[unit][m] += row[m]
    return total, by_unit


def baseline(world: World, requests: int, rng: random.Random, rollup: tuple[float, float]) -> bool:
    from motcua.reporting import periods
    from motcua.reporting.facts import agency_places
    from motcua.reporting.models import MEASURES
    from motcua.reporting.selectors import breakdown, measure_sums, scope_for_code

    places = agency_places()
    samples = []
    agree = True
    scope = scope_for_code(world.province_code)
    for n in range(max(1, requests)):
        year = YEARS[n % 3]
        begin = time.perf_counter()
        total, by_unit = _raw_province_year(world, year, places)
        samples.append((time.perf_counter() - begin) * 1000)
        if n < 3:  # the raw numbers are the rollups' numbers
            period = periods.year(year)
            sums = measure_sums(scope=scope, period=period)
            rows = {r.id: r.sums for r in breakdown(scope=scope, period=period, by="unit")}
            agree = agree and all(sums[m] == total[m] for m in MEASURES)
            agree = agree and set(rows) == set(by_unit)
            agree = agree and all(rows[u][m] == by_unit[u][m] for u in rows for m in MEASURES)
    p50, p95 = statistics.median(samples), percentile(samples, 0.95)
    print(f"baseline: raw GROUP BY over the dossiers, province, a year ({len(samples)} runs):")
    print(f"  {'facts_query grouped by agency (total + units)':<48} {p50:8.2f} {p95:8.2f}")
    ratio50, ratio95 = p50 / max(rollup[0], 1e-9), p95 / max(rollup[1], 1e-9)
    print(
        f"  raw/rollup: p50 {ratio50:,.0f}x, p95 {ratio95:,.0f}x; "
        f"raw numbers = rollup numbers: {'AGREE' if agree else 'DISAGREE'}"
    )
    return agree


# --- incremental refresh ------------------------------------------------------------


def _sample_ids(where, count: int, rng: random.Random, exclude: set[int]) -> list[int]:
    """`count` random ids of dossiers matching `where` (drawn, not scanned)."""
    from django.db.models import Max, Min

    from motcua.dossiers.models import Dossier

    bounds = Dossier.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    found: list[int] = []
    tries = 0
    while len(found) < count and tries < 200:
        tries += 1
        candidates = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(900)]
        hits = Dossier.objects.filter(where, pk__in=candidates).values_list("pk", flat=True)
        for pk in hits:
            if pk not in exclude and len(found) < count:
                exclude.add(pk)
                found.append(pk)
    return found


def _change(count: int, rng: random.Random) -> int:
    """Plain UPDATEs, as the lifecycle would leave the rows, stamped now."""
    from django.db.models import Case, F, Q, When
    from django.utils import timezone

    from motcua.dossiers.models import Dossier, NationalStatus, Outcome
    from motcua.workflows import definitions as wf

    S = NationalStatus
    now = timezone.now()
    taken: set[int] = set()
    third = count // 3
    running = Q(status__in=(S.RECEIVED, S.PROCESSING))
    returned = _sample_ids(running, third, rng, taken)
    supplement = _sample_ids(running, third, rng, taken)
    paid = _sample_ids(
        Q(fee_amount__gt=0, paid_online=False, status__in=(S.DECIDED, S.RETURNED)),
        count - 2 * third,
        rng,
        taken,
    )
    changed = 0
    for start in range(0, len(returned), 500):
        changed += Dossier.objects.filter(pk__in=returned[start : start + 500]).update(
            status=S.RETURNED,
            state=wf.RETURNED,
            outcome=Outcome.GRANTED,
            decided_at=now,
            returned_at=now,
            is_late=True,
            lock_version=F("lock_version") + 1,
            updated_at=now,
        )
    for start in range(0, len(supplement), 500):
        changed += Dossier.objects.filter(pk__in=supplement[start : start + 500]).update(
            status=S.SUPPLEMENT_REQUESTED,
            state=wf.SUPPLEMENT,
            paused_at=now,
            resume_state=F("state"),
            supplement_requests=F("supplement_requests") + 1,
            is_late=Case(When(supplement_requests__gte=1, then=True), default=F("is_late")),
            lock_version=F("lock_version") + 1,
            updated_at=now,
        )
    for start in range(0, len(paid), 500):
        changed += Dossier.objects.filter(pk__in=paid[start : start + 500]).update(
            paid_online=True,
            fee_paid_at=now,
            payment_platform="national",
            lock_version=F("lock_version") + 1,
            updated_at=now,
        )
    return changed


def _numbers() -> dict:
    from django.conf import settings

    from motcua.reporting import periods
    from motcua.reporting.selectors import breakdown, indicators, scope_for_code

    scope = scope_for_code(settings.MOTCUA_PROVINCE_CODE)
    out = {}
    for year in YEARS:
        period = periods.year(year)
        report = indicators(scope=scope, period=period)
        out[year] = (
            report.sums,
            {k: (v.numerator, v.denominator) for k, v in report.values.items()},
            {r.id: r.sums for r in breakdown(scope=scope, period=period, by="unit")},
        )
    return out


def incremental(changes: int, rng: random.Random) -> bool:
    from motcua.reporting.services import rollups_refresh

    idle = []
    for _ in range(20):
        begin = time.perf_counter()
        report = rollups_refresh()
        idle.append((time.perf_counter() - begin) * 1000)
        assert report.dossiers == 0, report
    print("incremental refresh:")
    print(
        f"  nothing changed (the per-minute job's idle cost), 20 runs: "
        f"p50 {statistics.median(idle):.1f} ms, max {max(idle):.1f} ms"
    )

    begin = time.perf_counter()
    changed = _change(changes, rng)
    took = time.perf_counter() - begin
    print(f"  {changed:,} dossiers changed by plain UPDATEs in {took:.1f} s")
    begin = time.perf_counter()
    report = rollups_refresh()
    took = (time.perf_counter() - begin) * 1000
    print(
        f"  rollups_refresh(): {took:,.0f} ms for {report.dossiers:,} dossiers "
        f"({report.days:,} agency-days, {report.months:,} agency-months): "
        f"{took / max(report.dossiers, 1):.2f} ms per changed dossier"
    )
    begin = time.perf_counter()
    again = rollups_refresh()
    took = (time.perf_counter() - begin) * 1000
    print(
        f"  the next run, within the 10-minute overlap: {took:,.0f} ms "
        f"(reads {again.dossiers:,} dossiers again)"
    )

    after_refresh = _numbers()
    rebuild("  nightly reporting_rebuild() over full tables")
    fresh = _numbers()
    agree = after_refresh == fresh
    detail = ""
    if not agree:
        for year in YEARS:
            for part, (a, b) in enumerate(zip(after_refresh[year], fresh[year], strict=True)):
                if a != b:
                    keys = [k for k in set(a) | set(b) if a.get(k) != b.get(k)][:5]
                    detail += f" {year}/{part}: " + ", ".join(
                        f"{k} {a.get(k)} vs {b.get(k)}" for k in keys
                    )
    print(
        f"  province indicators and units, {YEARS[0]}-{YEARS[-1]}, after the refresh vs "
        f"a fresh rebuild: {'AGREE' if agree else 'DISAGREE'}{detail}"
    )
    return agree


if __name__ == "__main__":
    sys.exit(main())
