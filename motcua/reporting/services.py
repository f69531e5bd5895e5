"""Writes of the reporting app: keeping the rollups up to date, and the plans.

The refresh runs every minute (tasks.py): dossiers changed since the last run (their
`updated_at`, read again over an overlap so that a transaction committed late is not
missed) and running dossiers whose due moment has just passed get their fact rows
rewritten; the day rollups of each (agency, day) they touch and the month rollups of
each (agency, month) are then recomputed from the facts and the days. The rebuild does
the same for everything, so both give the same numbers by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Expression, F, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from motcua.dossiers.models import Dossier
from motcua.organizations.models import AdministrativeUnit
from motcua.reporting.facts import (
    COLUMNS as FACT_COLUMNS,
)
from motcua.reporting.facts import (
    RUNNING,
    agency_places,
    facts_query,
    insert_facts,
)
from motcua.reporting.indicators import BY_KEY
from motcua.reporting.models import MEASURES, DossierFact, Grain, Plan, Rollup, RollupState

# A dossier is read again if changed this long before the last run: covers
# transactions that commit long after they stamped `updated_at` (a large import).
OVERLAP = dt.timedelta(minutes=10)
CHUNK = 500
TERMS = 100
ROLLUP_KEYS = ("agency_id", "unit_id", "province_id", "procedure_id")
COLUMNS = ("period", *ROLLUP_KEYS, *MEASURES)  # of a rollup row, after its grain


@dataclass
class RefreshReport:
    dossiers: int = 0
    days: int = 0
    months: int = 0
    rebuilt: bool = False


def _insert_select(query: QuerySet, grain: str) -> None:
    """INSERT INTO the rollups SELECT an aggregate query (columns named in order)."""
    compiler = query.query.get_compiler(connection=connection)
    select_sql, params = compiler.as_sql()
    aliases = [alias for _e, _s, alias in compiler.select]
    if aliases != [f"r_{c}" for c in COLUMNS]:
        raise RuntimeError(f"rollup columns out of order: {aliases}")
    table = connection.ops.quote_name(Rollup._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in ("grain", *COLUMNS))
    quoted = connection.ops.quote_name("r_grain")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT %s AS {quoted}, sub.* FROM ({select_sql}) sub",
            (grain, *params),
        )


def _aggregate(source: QuerySet, *, period: Expression, procedure: Expression) -> QuerySet:
    """Measures summed per (period, agency, procedure), columns in COLUMNS order, in key
    order: one agency's rows sit together, for the refresh to read."""
    keys = {
        "r_period": period,
        "r_agency_id": F("agency_id"),
        "r_unit_id": F("unit_id"),
        "r_province_id": F("province_id"),
        "r_procedure_id": procedure,  # Value(0): all procedures (never grouped by)
    }
    return (
        source.annotate(**keys)
        .values(*keys)
        .annotate(**{f"r_{m}": Sum(m) for m in MEASURES})
        .values(*[f"r_{c}" for c in COLUMNS])
        .order_by("r_agency_id", "r_period", "r_procedure_id")
    )


def _days_rebuild(where: Q | None) -> None:
    facts = DossierFact.objects.all() if where is None else DossierFact.objects.filter(where)
    for procedure in (F("procedure_id"), Value(0)):
        _insert_select(_aggregate(facts, period=F("day"), procedure=procedure), Grain.DAY)


def _months_rebuild(where: Q | None) -> None:
    days = Rollup.objects.filter(grain=Grain.DAY)
    if where is not None:
        days = days.filter(where)
    # Month rows are sums of day rows, procedure by procedure and for all (0) alike.
    month = _aggregate(days, period=TruncMonth("period"), procedure=F("procedure_id"))
    _insert_select(month, Grain.MONTH)


def _state() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def reporting_rebuild(*, now: dt.datetime | None = None) -> RefreshReport:
    """Recompute every fact and rollup from the dossiers, in one transaction (readers
    keep seeing the previous numbers until it commits)."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _state()
        DossierFact.objects.all().delete()
        Rollup.objects.all().delete()
        count = insert_facts(facts_query(now=now, places=agency_places()))
        _days_rebuild(None)
        _months_rebuild(None)
        state.watermark = state.refreshed_at = state.rebuilt_at = now
        state.save()
    return RefreshReport(dossiers=max(count, 0), rebuilt=True)


def _pairs_qs(pairs: set[tuple[int, dt.date]], field: str) -> list[Q]:
    """Conditions matching (agency, day) pairs, a bounded number of terms each (SQLite
    refuses expressions over 1000 deep)."""
    by_agency: dict[int, list[dt.date]] = {}
    for agency_id, day in sorted(pairs):
        by_agency.setdefault(agency_id, []).append(day)
    terms = [Q(agency_id=a, **{f"{field}__in": days}) for a, days in by_agency.items()]
    out = []
    for start in range(0, len(terms), TERMS):
        q = Q(pk__in=[])
        for term in terms[start : start + TERMS]:
            q |= term
        out.append(q)
    return out


def _month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def rollups_refresh(*, now: dt.datetime | None = None) -> RefreshReport:
    """Bring facts and rollups up to date with the dossiers changed since the last run."""
    now = now or timezone.now()
    with transaction.atomic():
        first = _state().watermark is None
    if first:
        return reporting_rebuild(now=now)
    report = RefreshReport()
    with transaction.atomic():
        state = _state()
        since = state.watermark - OVERLAP
        last = (state.refreshed_at or state.watermark) - OVERLAP
        # order_by(): the model's "-id" would make SQLite walk the whole table.
        changed = Dossier.objects.filter(updated_at__gt=since).order_by()
        ids = set(changed.values_list("pk", flat=True))
        ids |= set(
            Dossier.objects.filter(
                status__in=RUNNING, paused_at__isnull=True, due_at__gt=last, due_at__lte=now
            )
            .order_by()
            .values_list("pk", flat=True)
        )
        places = agency_places() if ids else {}
        days: set[tuple[int, dt.date]] = set()
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            facts = DossierFact.objects.filter(dossier_id__in=chunk)
            before = set(facts.values_list(*FACT_COLUMNS))
            facts.delete()
            insert_facts(facts_query(now=now, places=places).filter(pk__in=chunk))
            after = set(facts.values_list(*FACT_COLUMNS))
            # Only the days of facts that changed: a dossier read again within the
            # overlap, or touched without changing what it counts for, costs nothing.
            days |= {(row[1], row[5]) for row in before ^ after}
        if days:
            for q in _pairs_qs(days, "period"):
                Rollup.objects.filter(Q(grain=Grain.DAY) & q).delete()
            for q in _pairs_qs(days, "day"):
                _days_rebuild(q)
            months = {(agency_id, _month_of(day)) for agency_id, day in days}
            for q in _pairs_qs(months, "period"):
                Rollup.objects.filter(Q(grain=Grain.MONTH) & q).delete()
            month_list = sorted(months)
            for start in range(0, len(month_list), TERMS):
                month_days = Q(pk__in=[])
                for agency_id, month in month_list[start : start + TERMS]:
                    following = (month + dt.timedelta(days=32)).replace(day=1)
                    month_days |= Q(agency_id=agency_id, period__gte=month, period__lt=following)
                _months_rebuild(month_days)
            report.months = len(months)
        report.dossiers, report.days = len(ids), len(days)
        state.watermark = state.refreshed_at = now
        state.save()
    return report


def rollups_age(*, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How old the numbers are: since the last refresh (None: never built)."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.refreshed_at is None:
        return None
    return max(dt.timedelta(0), (now or timezone.now()) - state.refreshed_at)


# --- plans and targets ----------------------------------------------------------------


class PlanError(ValueError):
    pass


def plan_save(
    *,
    name: str,
    year: int,
    unit: AdministrativeUnit,
    targets: dict[str, Decimal],
    user: AbstractBaseUser | None = None,
    plan: Plan | None = None,
) -> Plan:
    """Create or update a plan and its targets (indicator key → percent)."""
    from django.utils.translation import gettext as _

    unknown = [key for key in targets if key not in BY_KEY or not BY_KEY[key].targetable]
    if unknown:
        raise PlanError(_("Unknown indicator: %s") % ", ".join(sorted(unknown)))
    for key, value in targets.items():
        if not Decimal(0) <= Decimal(value) <= Decimal(100):
            raise PlanError(_("A target is a percentage from 0 to 100 (%s).") % key)
    with transaction.atomic():
        if plan is None:
            plan = Plan.objects.create(name=name.strip(), year=year, unit=unit, created_by=user)
        else:
            plan.name, plan.year, plan.unit = name.strip(), year, unit
            plan.save()
        plan.targets.exclude(indicator__in=list(targets)).delete()
        for key, value in targets.items():
            plan.targets.update_or_create(indicator=key, defaults={"value": Decimal(value)})
    return plan
