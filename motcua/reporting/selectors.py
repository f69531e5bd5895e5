"""Reads of the reporting app: Decision 766 indicators for a scope and period, read from
the rollups (never from the dossiers), breakdowns, plans, and who may see what."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import Role
from motcua.accounts.selectors import official_scope
from motcua.catalog.models import FeeStatus, OnlineLevel, Procedure, VersionState
from motcua.core.calendar import VN_TZ
from motcua.dossiers.models import Dossier
from motcua.organizations.models import AdministrativeUnit, Agency, AgencyType, UnitLevel
from motcua.organizations.selectors import unit_current_successors
from motcua.reporting.facts import agency_places
from motcua.reporting.indicators import (
    BY_KEY,
    CATALOG,
    DOSSIERS,
    INDICATORS,
    Total,
    Value,
    score_of,
    total_of,
)
from motcua.reporting.models import MEASURES, DossierFact, Grain, Plan, Rollup
from motcua.reporting.periods import Period

PROVINCE, UNIT, AGENCY = "province", "unit", "agency"
PROVINCE_AGENCIES = (AgencyType.PROVINCE_PEOPLES_COMMITTEE, AgencyType.PROVINCE_SERVICE_CENTRE)


class ScopeError(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    """What a report covers: a province, today's units (one, or the successors of a
    former unit), or one agency."""

    kind: str
    code: str
    label: str
    province_id: int
    unit_ids: tuple[int, ...] = ()
    agency_id: int | None = None
    note: str = ""  # e.g. "former unit, counted on its successors"

    def q(self, prefix: str = "") -> Q:
        if self.kind == PROVINCE:
            return Q(**{f"{prefix}province_id": self.province_id})
        if self.kind == AGENCY:
            return Q(**{f"{prefix}agency_id": self.agency_id})
        return Q(**{f"{prefix}unit_id__in": list(self.unit_ids)})

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.code}"

    def covers(self, other: Scope) -> bool:
        if self.kind == PROVINCE:
            return other.province_id == self.province_id
        if self.kind == UNIT:
            if other.kind == UNIT:
                return set(other.unit_ids) <= set(self.unit_ids)
            if other.kind == AGENCY:
                return _agency_unit(other.agency_id) in self.unit_ids
            return False
        return other.kind == AGENCY and other.agency_id == self.agency_id


def _agency_unit(agency_id: int | None) -> int | None:
    place = agency_places(agency_ids=[agency_id or 0]).get(agency_id or 0)
    return place[0] if place else None


def province_scope(unit: AdministrativeUnit) -> Scope:
    return Scope(PROVINCE, unit.code, unit.name, unit.pk)


def unit_scope(unit: AdministrativeUnit) -> Scope:
    return Scope(UNIT, unit.code, unit.name, unit.parent_id or unit.pk, (unit.pk,))


def agency_scope(agency: Agency) -> Scope:
    place = agency_places(agency_ids=[agency.pk]).get(agency.pk)
    if place is None:
        raise ScopeError(_("Agency %s is not attached to a province on record.") % agency.code)
    return Scope(AGENCY, agency.code, agency.name, place[1], (place[0],), agency.pk)


def scope_for_code(code: str) -> Scope:
    """Today's unit, a former unit (counted on its successors), the province, or an
    agency, by official code."""
    code = (code or "").strip()
    unit = (
        AdministrativeUnit.objects.filter(code=code, valid_to__isnull=True)
        .select_related("parent")
        .order_by("level")
        .first()
    )
    if unit is not None:
        return province_scope(unit) if unit.level == UnitLevel.PROVINCE else unit_scope(unit)
    former = AdministrativeUnit.objects.filter(code=code).order_by("-valid_to").first()
    if former is not None:
        communes = (
            [former]
            if former.level == UnitLevel.COMMUNE
            else list(AdministrativeUnit.objects.filter(parent=former, level=UnitLevel.COMMUNE))
        )
        if former.level == UnitLevel.PROVINCE:
            successors = unit_current_successors(unit=former)
            if len(successors) == 1:
                return province_scope(successors[0])
        today: dict[int, AdministrativeUnit] = {}
        for commune in communes:
            for successor in unit_current_successors(unit=commune):
                today[successor.pk] = successor
        if not today:
            raise ScopeError(
                _("Former unit %(code)s (%(name)s) has no successor on record.")
                % {"code": code, "name": former.name}
            )
        first = next(iter(today.values()))
        return Scope(
            UNIT,
            code,
            former.name,
            first.parent_id or first.pk,
            tuple(sorted(today)),
            note=_("former unit, counted on today's units that succeeded it: %s")
            % ", ".join(sorted(u.name for u in today.values())),
        )
    agency = Agency.objects.filter(code=code).first()
    if agency is not None:
        return agency_scope(agency)
    raise ScopeError(_("No unit or agency has the code %s.") % code)


# --- sums from the rollups ------------------------------------------------------------


def _period_q(period: Period) -> Q:
    months, loose = period.split()
    q = Q(grain=Grain.MONTH, period__in=months) if months else Q(pk__in=[])
    for first, last in loose:
        q |= Q(grain=Grain.DAY, period__gte=first, period__lte=last)
    return q


def _rollups(scope: Scope, period: Period, procedure_ids: list[int] | None) -> QuerySet:
    rows = Rollup.objects.filter(_period_q(period) & scope.q())
    if procedure_ids is None:
        return rows.filter(procedure_id=0)
    return rows.filter(procedure_id__in=procedure_ids)


def _with_derived(sums: dict[str, int]) -> dict[str, int]:
    sums = {m: int(sums.get(m) or 0) for m in MEASURES}
    # Satisfaction with procedures: 100% − (late rate + dislike rate), both over the
    # finished dossiers: what remains when late and disliked ones are taken off.
    sums["satisfied"] = max(0, sums["finished"] - sums["late_finished"] - sums["disliked"])
    return sums


def measure_sums(
    *, scope: Scope, period: Period, procedure_ids: list[int] | None = None
) -> dict[str, int]:
    totals = _rollups(scope, period, procedure_ids).aggregate(**{m: Sum(m) for m in MEASURES})
    return _with_derived(totals)


def monthly_sums(
    *, scope: Scope, period: Period, procedure_ids: list[int] | None = None
) -> list[tuple[dt.date, dict[str, int]]]:
    """Measure sums month by month over the period (first day of each month), for
    trend charts; a month without dossiers is there with zeros."""
    rows = (
        _rollups(scope, period, procedure_ids)
        .annotate(month=TruncMonth("period"))
        .values("month")
        .annotate(**{m: Sum(m) for m in MEASURES})
        .order_by("month")
    )
    found = {row["month"]: _with_derived(row) for row in rows}
    out = []
    cursor = period.first.replace(day=1)
    while cursor <= period.last:
        out.append((cursor, found.get(cursor, _with_derived({}))))
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return out


@dataclass(frozen=True)
class CatalogCounts:
    procedures: int = 0
    online: int = 0
    with_fee: int = 0
    payment_integrated: int = 0
    integrated_ids: frozenset[int] = field(default_factory=frozenset)


def catalog_counts(*, scope: Scope, procedure_ids: list[int] | None = None) -> CatalogCounts:
    """The published procedures a scope offers: a commune's are those of commune level,
    a provincial agency's those of province level, a province's all of them."""
    levels: set[str] | None = None
    if scope.kind == UNIT:
        levels = {"commune"}
    elif scope.kind == AGENCY:
        agency = Agency.objects.select_related("unit").get(pk=scope.agency_id)
        levels = {"commune"} if agency.unit.level == UnitLevel.COMMUNE else {"province"}
    rows = Procedure.objects.filter(current__state=VersionState.PUBLISHED)
    if procedure_ids is not None:
        rows = rows.filter(pk__in=procedure_ids)
    counts = {"procedures": 0, "online": 0, "with_fee": 0, "payment_integrated": 0}
    integrated: set[int] = set()
    for pk, version_levels, online_level, fee_status, online_payment in rows.values_list(
        "pk",
        "current__levels",
        "current__online_level",
        "current__fee_status",
        "current__online_payment",
    ):
        if levels is not None and not levels & set(version_levels or []):
            continue
        counts["procedures"] += 1
        counts["online"] += online_level in (OnlineLevel.FULL, OnlineLevel.PARTIAL)
        if fee_status == FeeStatus.CHARGED:
            counts["with_fee"] += 1
            if online_payment:
                counts["payment_integrated"] += 1
                integrated.add(pk)
    return CatalogCounts(**counts, integrated_ids=frozenset(integrated))


def _payment_used(scope: Scope, period: Period, integrated: frozenset[int]) -> int:
    if not integrated:
        return 0
    rows = Rollup.objects.filter(
        _period_q(period) & scope.q(), procedure_id__in=list(integrated), paid_online__gt=0
    )
    return rows.values("procedure_id").distinct().count()


@dataclass(frozen=True)
class Report:
    scope: Scope
    period: Period
    values: dict[str, Value]
    total: Total
    sums: dict[str, int]


def indicators(*, scope: Scope, period: Period, procedure_ids: list[int] | None = None) -> Report:
    """Every indicator of the index for a scope and period (and procedures)."""
    sums = measure_sums(scope=scope, period=period, procedure_ids=procedure_ids)
    catalog = catalog_counts(scope=scope, procedure_ids=procedure_ids)
    fractions = {
        "procedures_online": (catalog.online, catalog.procedures),
        "payment_integrated": (catalog.payment_integrated, catalog.with_fee),
        "payment_used": (
            _payment_used(scope, period, catalog.integrated_ids),
            catalog.payment_integrated,
        ),
    }
    values: dict[str, Value] = {}
    for indicator in INDICATORS:
        if indicator.source == DOSSIERS:
            num, den = sums[indicator.numerator], sums[indicator.denominator]
        elif indicator.source == CATALOG:
            num, den = fractions[indicator.key]
        else:
            num, den = 0, 0
        values[indicator.key] = score_of(indicator, num, den)
    return Report(scope, period, values, total_of(values), sums)


@dataclass(frozen=True)
class Row:
    id: int
    label: str
    values: dict[str, Value]
    sums: dict[str, int]


def breakdown(
    *, scope: Scope, period: Period, by: str, procedure_ids: list[int] | None = None
) -> list[Row]:
    """Dossier indicators per unit, agency or procedure within a scope, by name."""
    column = {"unit": "unit_id", "agency": "agency_id", "procedure": "procedure_id"}[by]
    rows = Rollup.objects.filter(_period_q(period) & scope.q())
    if by == "procedure":
        rows = rows.exclude(procedure_id=0)
        if procedure_ids is not None:
            rows = rows.filter(procedure_id__in=procedure_ids)
    else:
        rows = (
            rows.filter(procedure_id=0)
            if procedure_ids is None
            else rows.filter(procedure_id__in=procedure_ids)
        )
    grouped = rows.values(column).annotate(**{m: Sum(m) for m in MEASURES}).order_by()
    if by == "unit":
        names = dict(AdministrativeUnit.objects.values_list("pk", "name"))
    elif by == "agency":
        names = dict(Agency.objects.values_list("pk", "name"))
    else:
        names = dict(Procedure.objects.values_list("pk", "current__name"))
    result = []
    for group in grouped:
        sums = _with_derived(group)
        values = {
            i.key: score_of(i, sums[i.numerator], sums[i.denominator])
            for i in INDICATORS
            if i.source == DOSSIERS
        }
        key = group[column]
        result.append(Row(key, names.get(key, str(key)) or str(key), values, sums))
    return sorted(result, key=lambda r: r.label)


# --- drill-down: the dossiers behind a number ------------------------------------------

DRILLS = {
    **{m: Q(**{m: 1}) for m in MEASURES},
    "late": Q(handled=1, on_time=0),
    "not_full_online": Q(eligible=1, full_online=0),
    "not_paid_online": Q(with_fee=1, paid_online=0),
    "not_filed_online": Q(filed_online=0),
    "no_e_result": Q(granted=1, e_result=0),
}


def drill_dossiers(
    *, scope: Scope, period: Period, measure: str, procedure_ids: list[int] | None = None
) -> QuerySet[Dossier]:
    """The dossiers counted in one number (a measure, or a shortfall such as "late")."""
    if measure not in DRILLS:
        raise ScopeError(_("Unknown measure %s.") % measure)
    facts = DossierFact.objects.filter(
        scope.q(), DRILLS[measure], day__gte=period.first, day__lte=period.last
    )
    if procedure_ids is not None:
        facts = facts.filter(procedure_id__in=procedure_ids)
    return (
        Dossier.objects.filter(pk__in=facts.values("dossier_id"))
        .select_related("procedure_version", "competent_agency")
        .order_by("-received_at", "-pk")
    )


# --- plans and who sees what -----------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    plan: Plan
    indicator: str
    label: str
    target: Decimal
    value: float | None
    gap: float | None  # target − value, in points of percent; > 0 behind


def plan_progress(*, scope: Scope, report: Report) -> list[Progress]:
    """Targets of the plans of the scope's unit for the report's year, against it."""
    if scope.kind == AGENCY:
        return []
    unit_ids = [scope.province_id] if scope.kind == PROVINCE else list(scope.unit_ids)
    plans = Plan.objects.filter(
        unit_id__in=unit_ids, year=report.period.first.year
    ).prefetch_related("targets")
    out = []
    for plan in plans:
        for target in plan.targets.all():
            value = report.values.get(target.indicator)
            ratio = value.ratio if value else None
            out.append(
                Progress(
                    plan,
                    target.indicator,
                    str(BY_KEY[target.indicator].label) if target.indicator in BY_KEY else "",
                    target.value,
                    ratio,
                    None if ratio is None else round(float(target.value) - ratio, 2),
                )
            )
    return out


def province_targets(*, scope: Scope, year: int) -> dict[str, Decimal]:
    """The province plan's targets of a year (indicator → percent), to rank units by."""
    targets: dict[str, Decimal] = {}
    for plan in Plan.objects.filter(unit_id=scope.province_id, year=year).prefetch_related(
        "targets"
    ):
        for target in plan.targets.all():
            targets.setdefault(target.indicator, target.value)
    return targets


def report_scopes(*, user: AbstractBaseUser | AnonymousUser) -> list[Scope]:
    """The scopes an official may read: a leader of a province People's Committee or
    service centre, or a province administrator, the whole province; a leader of a
    commune agency that commune and its agencies; any other leader their agency."""
    scope = official_scope(user=user)
    if not scope.is_official:
        return []
    agencies = Agency.objects.filter(pk__in=scope.agency_ids).select_related("unit__parent")
    scopes: list[Scope] = []
    for agency in agencies:
        roles = scope.roles_in(agency.pk)
        if scope.province_admin and Role.PROVINCE_ADMIN in roles:
            province = (
                agency.unit if agency.unit.level == UnitLevel.PROVINCE else agency.unit.parent
            )
            if province is not None:
                scopes.append(province_scope(province))
            continue
        if Role.LEADER not in roles:
            continue
        if agency.type in PROVINCE_AGENCIES and agency.unit.level == UnitLevel.PROVINCE:
            scopes.append(province_scope(agency.unit))
        elif agency.unit.level == UnitLevel.COMMUNE and agency.unit.valid_to is None:
            scopes.append(unit_scope(agency.unit))
        else:
            try:
                scopes.append(agency_scope(agency))
            except ScopeError:
                continue
    unique: dict[str, Scope] = {}
    for s in scopes:
        if not any(o.covers(s) for o in unique.values() if o is not s):
            unique[s.slug] = s
    return [s for s in unique.values() if not any(o.covers(s) and o != s for o in unique.values())]


def may_read(*, user: AbstractBaseUser | AnonymousUser, scope: Scope) -> bool:
    return any(own.covers(scope) for own in report_scopes(user=user))


def units_of(*, scope: Scope) -> list[AdministrativeUnit]:
    """Today's communes and wards a scope reaches (for its unit list)."""
    if scope.kind == PROVINCE:
        return list(
            AdministrativeUnit.objects.filter(
                parent_id=scope.province_id, valid_to__isnull=True, level=UnitLevel.COMMUNE
            ).order_by("name")
        )
    if scope.kind == UNIT:
        return list(AdministrativeUnit.objects.filter(pk__in=scope.unit_ids).order_by("name"))
    return []


def today_local() -> dt.date:
    return timezone.now().astimezone(VN_TZ).date()
