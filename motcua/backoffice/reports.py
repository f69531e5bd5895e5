"""Leaders' reports on the Decision 766/QĐ-TTg index: a province's overview with its
units ranked against their targets, a unit's or an agency's page, a procedure's, the
dossiers behind any number, each exported as .xlsx and A4 PDF; and the province
administrator's plans with their targets.

Thin: parse the query, call motcua.reporting's selectors (and `plan_save`), lay the
numbers out once (`Table`s) for the page, the spreadsheet and the PDF alike, so the
three always show the same numbers. Who reads what: `report_scopes` / `may_read`.
A ratio whose denominator is 0 is N/A, never 0% or 100%; an indicator motcua holds no
data for is shown as not measured, never with a number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from motcua.audit.services import audit_export, audit_record
from motcua.audit.snapshots import changes
from motcua.backoffice.charts import Bar, Point, bar_chart, trend_chart
from motcua.backoffice.views import Desk, _render, official_required
from motcua.catalog.models import Sector
from motcua.catalog.selectors import procedure_get_current
from motcua.core.calendar import VN_TZ
from motcua.core.downloads import private_file_response
from motcua.dossiers.models import Dossier
from motcua.reporting import periods
from motcua.reporting.indicators import (
    DOSSIERS,
    GROUPS,
    INDICATORS,
    TARGETABLE,
    Indicator,
    Value,
    percent,
    round2,
)
from motcua.reporting.models import Plan
from motcua.reporting.periods import Period, PeriodError
from motcua.reporting.selectors import (
    AGENCY,
    DRILLS,
    PROVINCE,
    UNIT,
    Progress,
    Report,
    Row,
    Scope,
    ScopeError,
    breakdown,
    drill_dossiers,
    indicators,
    may_read,
    monthly_sums,
    plan_progress,
    province_targets,
    report_scopes,
    scope_for_code,
    today_local,
    units_of,
)
from motcua.reporting.services import PlanError, plan_save, rollups_age
from motcua.reporting.views_data import (
    agency_codes,
    plan_of_province,
    plan_same,
    plan_units,
    plans_of_province,
    procedure_codes,
    provincial_agency_ids,
    sector_get,
    sector_procedure_ids,
    sectors,
    unit_codes,
    unit_targets,
)

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 5000  # dossiers in one spreadsheet
# Dossiers in one PDF: WeasyPrint takes about a second per 100 rows (and prints one
# document at a time); the spreadsheet has them all.
PDF_MAX_ROWS = 300
CHART_MAX_BARS = 30
# Indicators read from the dossier rollups: a unit can be ranked on them and a number
# of them opens the dossiers behind it.
RANKABLE: tuple[Indicator, ...] = tuple(i for i in INDICATORS if i.source == DOSSIERS)
RANK_KEYS = {i.key for i in RANKABLE}
# The dossiers an indicator misses: the drill-down of "what went wrong".
SHORTFALLS = {
    "on_time": "late",
    "full_online": "not_full_online",
    "filed_online": "not_filed_online",
    "paid_online": "not_paid_online",
    "e_result": "no_e_result",
}
BREAKDOWN_COLUMNS = ("on_time", "full_online", "filed_online", "paid_online", "e_result")

MEASURE_LABELS: dict[str, Promise] = {
    "received": gettext_lazy("Dossiers received"),
    "filed_online": gettext_lazy("Dossiers filed online"),
    "eligible": gettext_lazy("Dossiers of procedures offered fully online"),
    "full_online": gettext_lazy("Dossiers handled fully online"),
    "with_fee": gettext_lazy("Dossiers with a fee"),
    "paid_online": gettext_lazy("Dossiers with a fee paid online"),
    "handled": gettext_lazy("Dossiers received and handled (not withdrawn)"),
    "on_time": gettext_lazy("Dossiers on time (finished on time or within their deadline)"),
    "open_late": gettext_lazy("Dossiers still open past their deadline"),
    "finished": gettext_lazy("Dossiers finished"),
    "late_finished": gettext_lazy("Dossiers finished late"),
    "granted": gettext_lazy("Dossiers granted"),
    "e_result": gettext_lazy("Dossiers with an electronic result"),
    "digitized": gettext_lazy("Digitized dossiers"),
    "reused": gettext_lazy("Dossiers reusing digitized data"),
    "rated": gettext_lazy("Dossiers rated by the applicant"),
    "disliked": gettext_lazy("Dossiers rated not satisfied"),
    "late": gettext_lazy("Late dossiers"),
    "not_full_online": gettext_lazy(
        "Dossiers not handled fully online (procedures offered fully online)"
    ),
    "not_filed_online": gettext_lazy("Dossiers not filed online"),
    "not_paid_online": gettext_lazy("Dossiers with a fee not paid online"),
    "no_e_result": gettext_lazy("Dossiers granted without an electronic result"),
}
SHORTFALL_LINKS: dict[str, Callable[[int], str]] = {
    "late": lambda n: ngettext("%(n)s late dossier", "%(n)s late dossiers", n),
    "not_full_online": lambda n: ngettext(
        "%(n)s dossier not handled fully online", "%(n)s dossiers not handled fully online", n
    ),
    "not_filed_online": lambda n: ngettext(
        "%(n)s dossier not filed online", "%(n)s dossiers not filed online", n
    ),
    "not_paid_online": lambda n: ngettext(
        "%(n)s fee not paid online", "%(n)s fees not paid online", n
    ),
    "no_e_result": lambda n: ngettext(
        "%(n)s result not issued electronically", "%(n)s results not issued electronically", n
    ),
}


# --- numbers as people read them ------------------------------------------------------


def fmt_int(value: int | None) -> str:
    return "" if value is None else number_format(value, decimal_pos=0, force_grouping=True)


def fmt_pct(value: float | Decimal | None) -> str:
    """95,54% (Vietnamese), 95.54% (English); N/A when there is nothing to divide by."""
    return _("N/A") if value is None else number_format(value, decimal_pos=2) + "%"


def fmt_score(value: float | None) -> str:
    return "" if value is None else number_format(value, decimal_pos=2)


def fmt_points(value: float | Decimal) -> str:
    """Points without needless decimals: 6, 2,5, 35,27."""
    value = round2(value)
    if float(value).is_integer():
        return number_format(int(value), decimal_pos=0)
    return number_format(value, decimal_pos=2).rstrip("0").rstrip(",.")


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else timezone.localtime(moment, VN_TZ)


def fmt_when(moment: dt.datetime | None) -> str:
    local = _local(moment)
    return "" if local is None else f"{local:%H:%M %d/%m/%Y}"


# --- access ------------------------------------------------------------------------


def _page(
    request: HttpRequest, desk: Desk, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return _render(request, desk, template, {"nav": "reports", **context}, status)


def _forbidden(request: HttpRequest, desk: Desk, message: str) -> HttpResponse:
    return _page(request, desk, "backoffice/reports/forbidden.html", {"message": message}, 403)


def reports_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in official who may read at least one report (a leader, a province
    administrator); the view gets the desk and the scopes the official may read."""

    @official_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, desk: Desk, *args: Any, **kwargs: Any) -> HttpResponse:
        scopes = report_scopes(user=request.user)
        if not scopes:
            return _forbidden(
                request,
                desk,
                _(
                    "Reports are for the leaders of a People's Committee, a public service "
                    "centre or an agency, and for the province administrator. Your account "
                    "holds none of these roles: ask your agency's administrator if you need them."
                ),
            )
        return view(request, desk, scopes, *args, **kwargs)

    return wrapper


def _scope_of_code(code: str) -> Scope:
    """The scope of a unit or agency code; 404 when nothing has it."""
    try:
        return scope_for_code(code)
    except ScopeError as exc:
        raise Http404(str(exc)) from exc


def _refused(request: HttpRequest, desk: Desk, scope: Scope) -> HttpResponse:
    return _forbidden(
        request,
        desk,
        _("You may not read the reports of %(name)s: it is outside the units you lead.")
        % {"name": scope.label},
    )


# --- the query: period, field, indicator --------------------------------------------


@dataclass
class Params:
    period: Period
    sector: Sector | None = None
    procedure_ids: list[int] | None = None
    rank: str = "on_time"
    rank_chosen: bool = False
    errors: list[str] = field(default_factory=list)

    def base(self) -> dict[str, str]:
        """What every link of a report page carries on: the period and the field."""
        query = dict(self.period.query)
        if self.sector is not None:
            query["linh_vuc"] = str(self.sector.pk)
        return query


def _params(request: HttpRequest) -> Params:
    today = today_local()
    errors: list[str] = []
    get = request.GET
    # The period list wins over the days of a range the page was showing.
    chosen = (get.get("period") or "").strip()
    raw = {"period": chosen} if chosen else {"from": get.get("from", ""), "to": get.get("to", "")}
    try:
        period = periods.parse(raw, today=today)
    except PeriodError as exc:
        errors.append(_("Period: %(error)s") % {"error": exc})
        period = periods.parse({}, today=today)
    except (ValueError, OverflowError):  # a year 0000, or past 9999 at the month's end
        errors.append(
            _("Period: there is no such period %(value)s.")
            % {"value": (chosen or f"{get.get('from', '')} – {get.get('to', '')}")[:40]}
        )
        period = periods.parse({}, today=today)
    params = Params(period=period, errors=errors)
    sector_text = (get.get("linh_vuc") or "").strip()
    if sector_text:
        found = sector_text.isdigit() and len(sector_text) < 10
        sector = sector_get(sector_id=int(sector_text)) if found else None
        if sector is None:
            errors.append(_("Field: there is no field %(value)s.") % {"value": sector_text[:40]})
        else:
            params.sector = sector
            params.procedure_ids = sector_procedure_ids(sector_id=sector.pk)
    rank = (get.get("rank") or "").strip()
    if rank:
        if rank in RANK_KEYS:
            params.rank, params.rank_chosen = rank, True
        else:
            errors.append(
                _("Indicator: there is no indicator %(value)s to rank by.") % {"value": rank[:40]}
            )
    return params


def _link(name: str, *args: Any, **query: Any) -> str:
    url = reverse(f"backoffice:{name}", args=args)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return url + ("?" + urlencode(query) if query else "")


def _drill_url(scope: Scope, measure: str, params: Params, procedure: str = "") -> str:
    if measure not in DRILLS:
        return ""
    return _link(
        "report_dossiers", don_vi=scope.code, chi_so=measure, thu_tuc=procedure, **params.base()
    )


def _period_options(period: Period, today: dt.date) -> list[dict[str, Any]]:
    """The period list: years, quarters and months, newest first, by year."""
    years = sorted({*range(today.year - 3, today.year + 1), period.first.year}, reverse=True)
    groups = []
    for year in years:
        options = [(str(year), periods.year(year))]
        last_month = today.month if year == today.year else 12
        for q in range((last_month - 1) // 3 + 1, 0, -1):
            options.append((f"{year}-Q{q}", periods.quarter(year, q)))
        for m in range(last_month, 0, -1):
            options.append((f"{year}-{m:02d}", periods.month(year, m)))
        groups.append(
            {
                "label": str(year),
                "options": [
                    {
                        "value": value,
                        "label": p.label,
                        "selected": (p.first, p.last) == (period.first, period.last),
                    }
                    for value, p in options
                ],
            }
        )
    return groups


def _age() -> dict[str, Any]:
    age = rollups_age()
    if age is None:
        return {"text": _("The numbers have not been computed yet."), "stale": True}
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        text = _("Numbers updated less than a minute ago.")
    elif minutes < 120:
        text = ngettext(
            "Numbers updated %(n)d minute ago.", "Numbers updated %(n)d minutes ago.", minutes
        ) % {"n": minutes}
    else:
        hours = minutes // 60
        text = ngettext(
            "Numbers updated %(n)d hour ago.", "Numbers updated %(n)d hours ago.", hours
        ) % {"n": hours}
    return {"text": text, "stale": minutes >= 10}


# --- the numbers laid out once --------------------------------------------------------


@dataclass(frozen=True)
class Count:
    value: int
    url: str = ""

    @property
    def text(self) -> str:
        return fmt_int(self.value)


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Indicator
    value: Value
    numerator: Count | None
    denominator: Count | None
    shortfall: Count | None = None
    shortfall_text: str = ""

    @property
    def measured(self) -> bool:
        return self.indicator.measured

    @property
    def na(self) -> bool:
        return self.measured and self.value.ratio is None

    @property
    def ratio_text(self) -> str:
        return fmt_pct(self.value.ratio) if self.measured else _("not measured")

    @property
    def score_text(self) -> str:
        if self.measured and self.value.score is None:
            return _("N/A")
        return fmt_score(self.value.score)

    @property
    def max_text(self) -> str:
        return fmt_points(self.indicator.max)


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    score: float
    measured_max: float
    max: float
    rows: list[IndicatorRow]

    @property
    def text(self) -> str:
        return _("%(score)s of %(measured)s measured points (%(max)s)") % {
            "score": fmt_points(self.score),
            "measured": fmt_points(self.measured_max),
            "max": fmt_points(self.max),
        }


def _indicator_groups(
    report: Report, scope: Scope, params: Params, procedure: str = ""
) -> list[Group]:
    groups = []
    for key, (label, _points) in GROUPS.items():
        rows = []
        for indicator in INDICATORS:
            if indicator.group != key:
                continue
            value = report.values[indicator.key]
            if not indicator.measured:
                rows.append(IndicatorRow(indicator, value, None, None))
                continue
            link = indicator.source == DOSSIERS
            numerator = Count(
                value.numerator,
                _drill_url(scope, indicator.numerator, params, procedure) if link else "",
            )
            denominator = Count(
                value.denominator,
                _drill_url(scope, indicator.denominator, params, procedure) if link else "",
            )
            short = SHORTFALLS.get(indicator.key)
            shortfall, text = None, ""
            if short and value.denominator > value.numerator:
                missing = value.denominator - value.numerator
                shortfall = Count(missing, _drill_url(scope, short, params, procedure))
                text = SHORTFALL_LINKS[short](missing) % {"n": fmt_int(missing)}
            rows.append(IndicatorRow(indicator, value, numerator, denominator, shortfall, text))
        score, measured, maximum = report.total.groups[key]
        groups.append(Group(key, str(label), score, measured, maximum, rows))
    return groups


UNMEASURED_POINTS = sum(i.max for i in INDICATORS if not i.measured)


def _total(report: Report) -> dict[str, Any]:
    total = report.total
    na_points = max(0.0, round2(total.max - total.measured_max - UNMEASURED_POINTS))
    sentences = [
        _(
            "%(score)s points of the %(measured)s points measured; the index counts "
            "%(max)s points in all."
        )
        % {
            "score": fmt_points(total.score),
            "measured": fmt_points(total.measured_max),
            "max": fmt_points(total.max),
        },
        _(
            "%(points)s points are not measured: motcua holds no data on publishing "
            "procedures, syncing dossiers with the national portal, complaints, the "
            "citizen's document store or the population database."
        )
        % {"points": fmt_points(UNMEASURED_POINTS)},
    ]
    if na_points:
        sentences.append(
            _("%(points)s points do not apply in this period: there is no dossier to count.")
            % {"points": fmt_points(na_points)}
        )
    return {
        "score": fmt_points(total.score),
        "measured": fmt_points(total.measured_max),
        "max": fmt_points(total.max),
        "sentences": sentences,
        "sentence": " ".join(sentences),
    }


@dataclass(frozen=True)
class ProgressRow:
    plan: str
    indicator: str
    target: Decimal
    value: float | None
    gap: float | None

    @property
    def status(self) -> str:
        if self.value is None:
            return _("N/A: no dossier to count")
        if self.gap is not None and self.gap > 0:
            return _("behind by %(points)s points") % {"points": fmt_score(self.gap)}
        return _("target met")

    @property
    def behind(self) -> bool:
        return self.gap is not None and self.gap > 0

    @property
    def target_text(self) -> str:
        return fmt_pct(self.target)

    @property
    def value_text(self) -> str:
        return fmt_pct(self.value)


def _progress(targets: list[Progress]) -> list[ProgressRow]:
    return [ProgressRow(p.plan.name, p.label, p.target, p.value, p.gap) for p in targets]


@dataclass(frozen=True)
class RankRow:
    id: int
    label: str
    code: str
    url: str
    value: Value | None  # None: no dossier in the period
    target: Decimal | None
    received: Count | None = None
    shortfall: Count | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.value is None else self.value.ratio

    @property
    def gap(self) -> float | None:
        if self.target is None or self.ratio is None:
            return None
        return round(float(self.target) - self.ratio, 2)

    @property
    def behind(self) -> bool:
        return self.gap is not None and self.gap > 0

    @property
    def ratio_text(self) -> str:
        return fmt_pct(self.ratio)

    @property
    def target_text(self) -> str:
        return "" if self.target is None else fmt_pct(self.target)

    @property
    def shortfall_text(self) -> str:
        short = SHORTFALLS.get(self.value.indicator.key) if self.value else None
        if not short or not self.shortfall:
            return ""
        return SHORTFALL_LINKS[short](self.shortfall.value) % {"n": fmt_int(self.shortfall.value)}

    @property
    def status(self) -> str:
        if self.ratio is None:
            return _("N/A")
        if self.target is None:
            return ""
        if self.behind:
            return _("behind by %(points)s points") % {"points": fmt_score(self.gap)}
        return _("target met")


def _ranking(scope: Scope, params: Params, report: Report) -> list[RankRow]:
    """Today's communes and wards of a province on one indicator: those furthest
    behind their target first (their own plan's target, else the province's), then
    the lowest ratios; units without any dossier last."""
    key = params.rank
    year = report.period.first.year
    province_target = province_targets(scope=scope, year=year).get(key)
    own_targets = unit_targets(province_id=scope.province_id, year=year, indicator=key)
    rows = {
        r.id: r
        for r in breakdown(
            scope=scope, period=params.period, by="unit", procedure_ids=params.procedure_ids
        )
        if r.id != scope.province_id
    }
    units = {u.pk: (u.name, u.code) for u in units_of(scope=scope)}
    missing = [pk for pk in rows if pk not in units]
    codes = unit_codes(ids=missing)
    for pk in missing:
        units[pk] = (rows[pk].label, codes.get(pk, ""))
    short = SHORTFALLS.get(key)
    out = []
    for pk, (name, code) in units.items():
        row = rows.get(pk)
        value = row.values[key] if row else None
        out.append(
            RankRow(
                id=pk,
                label=name,
                code=code,
                url=_link("report_unit", code, rank=key, **params.base()) if code else "",
                value=value,
                target=own_targets.get(pk, province_target),
                received=Count(row.sums["received"], _drill_url_code(code, "received", params))
                if row
                else None,
                shortfall=Count(
                    value.denominator - value.numerator, _drill_url_code(code, short, params)
                )
                if value and short
                else None,
            )
        )
    out.sort(
        key=lambda r: (
            r.ratio is None,
            r.gap is None,
            -(r.gap or 0.0),
            r.ratio if r.ratio is not None else 0.0,
            r.label,
        )
    )
    return out


def _drill_url_code(code: str, measure: str | None, params: Params, procedure: str = "") -> str:
    if not code or not measure or measure not in DRILLS:
        return ""
    return _link("report_dossiers", don_vi=code, chi_so=measure, thu_tuc=procedure, **params.base())


def _slowest(ranking: list[RankRow]) -> list[RankRow]:
    """Up to three units named first: behind their target, or else the lowest."""
    with_data = [r for r in ranking if r.ratio is not None]
    behind = [r for r in with_data if r.behind]
    if behind:
        return behind[:3]
    if any(r.target is not None for r in with_data) or len(with_data) < 2:
        return []
    return with_data[:3]


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    code: str
    url: str
    received: Count
    late: Count
    ratios: list[str]
    values: list[float | None]


def _breakdown_rows(
    rows: list[Row],
    *,
    params: Params,
    scope: Scope,
    by: str,
) -> list[BreakdownRow]:
    ids = [r.id for r in rows]
    codes = agency_codes(ids=ids) if by == "agency" else procedure_codes(ids=ids)
    out = []
    for row in rows:
        code = codes.get(row.id, "")
        if by == "agency":
            url = _link("report_unit", code, **params.base()) if code else ""
            drill_code, procedure = code, ""
        else:
            url = (
                _link("report_procedure", code, don_vi=scope.code, **params.period.query)
                if code
                else ""
            )
            drill_code, procedure = scope.code, code
        handled, on_time = row.sums["handled"], row.sums["on_time"]
        out.append(
            BreakdownRow(
                label=row.label,
                code=code,
                url=url,
                received=Count(
                    row.sums["received"],
                    _drill_url_code(drill_code, "received", params, procedure),
                ),
                late=Count(
                    handled - on_time, _drill_url_code(drill_code, "late", params, procedure)
                ),
                ratios=[fmt_pct(row.values[k].ratio) for k in BREAKDOWN_COLUMNS],
                values=[row.values[k].ratio for k in BREAKDOWN_COLUMNS],
            )
        )
    return out


@dataclass(frozen=True)
class MonthRow:
    month: dt.date
    received: int
    numerator: int
    denominator: int
    ratio: float | None

    @property
    def label(self) -> str:
        return f"{self.month:%m/%Y}"

    @property
    def received_text(self) -> str:
        return fmt_int(self.received)

    @property
    def numerator_text(self) -> str:
        return fmt_int(self.numerator)

    @property
    def denominator_text(self) -> str:
        return fmt_int(self.denominator)

    @property
    def ratio_text(self) -> str:
        return fmt_pct(self.ratio)


def _trend(scope: Scope, params: Params, indicator: Indicator) -> list[MonthRow]:
    out = []
    for month, sums in monthly_sums(
        scope=scope, period=params.period, procedure_ids=params.procedure_ids
    ):
        num, den = sums[indicator.numerator], sums[indicator.denominator]
        out.append(MonthRow(month, sums["received"], num, den, percent(num, den)))
    return out


def _trend_chart(months: list[MonthRow], indicator: Indicator, scope: Scope) -> str:
    points = [Point(f"{m.month.month}/{m.month:%y}", m.received, m.ratio) for m in months]
    return trend_chart(
        ident="trend",
        title=_("%(scope)s: dossiers received and %(indicator)s, month by month")
        % {"scope": scope.label, "indicator": str(indicator.label).lower()},
        desc=_("Bars: dossiers received each month. Line with squares: %(indicator)s (%%).")
        % {"indicator": indicator.label}
        + " "
        + "; ".join(f"{m.label}: {fmt_int(m.received)}, {fmt_pct(m.ratio)}" for m in months),
        points=points,
        count_label=_("Dossiers received"),
        ratio_label=_("%(indicator)s (%%)") % {"indicator": indicator.label},
        format_count=fmt_int,
    )


def _ranking_chart(ranking: list[RankRow], indicator: Indicator) -> str:
    shown = [r for r in ranking if r.ratio is not None][:CHART_MAX_BARS]
    bars = []
    for r in shown:
        text = fmt_pct(r.ratio)
        if r.behind:
            text += " – " + _("behind by %(points)s") % {"points": fmt_score(r.gap)}
        bars.append(
            Bar(
                label=r.label,
                value=r.ratio or 0.0,
                text=text,
                target=float(r.target) if r.target is not None else None,
                behind=r.behind,
            )
        )
    return bar_chart(
        ident="rank",
        title=_("Units on %(indicator)s, furthest behind first") % {"indicator": indicator.label},
        desc="; ".join(
            f"{r.label}: {fmt_pct(r.ratio)}"
            + (f" ({_('target')} {fmt_pct(r.target)})" if r.target is not None else "")
            for r in shown
        ),
        bars=bars,
        legend_met=_("target met"),
        legend_behind=_("behind target"),
        legend_target=_("target"),
    )


# --- tables for the spreadsheet and the PDF ------------------------------------------


@dataclass
class Table:
    title: str
    columns: list[str]
    kinds: list[str]  # text, int, pct, score, when
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""

    def texts(self) -> list[list[str]]:
        return [
            [_cell_text(kind, v) for kind, v in zip(self.kinds, row, strict=True)]
            for row in self.rows
        ]


def _cell_text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "int":
        return fmt_int(value)
    if kind == "pct":
        return fmt_pct(value)
    if kind == "score":
        return fmt_score(value)
    if kind == "points":
        return fmt_points(value)
    if kind == "when":
        return fmt_when(value)
    return str(value)


def _ratio_cell(ratio: float | None) -> float | str:
    return _("N/A") if ratio is None else ratio


def _indicator_table(groups: list[Group]) -> Table:
    table = Table(
        _("Indicators"),
        [
            _("Group"),
            _("Indicator"),
            _("Numerator"),
            _("Denominator"),
            _("Ratio (%)"),
            _("Score"),
            _("Maximum"),
        ],
        ["text", "text", "int", "int", "pct", "score", "points"],
    )
    for group in groups:
        for row in group.rows:
            if not row.measured:
                table.rows.append(
                    [group.label, str(row.indicator.label), None, None, _("not measured"), None,
                     row.indicator.max]
                )  # fmt: skip
                continue
            table.rows.append(
                [
                    group.label,
                    str(row.indicator.label),
                    row.value.numerator,
                    row.value.denominator,
                    _ratio_cell(row.value.ratio),
                    row.value.score if row.value.score is not None else None,
                    row.indicator.max,
                ]
            )
    return table


def _group_table(groups: list[Group]) -> Table:
    table = Table(
        _("Groups"),
        [_("Group"), _("Score"), _("Measured points"), _("Maximum")],
        ["text", "score", "points", "points"],
    )
    for g in groups:
        table.rows.append([g.label, g.score, g.measured_max, g.max])
    return table


def _progress_table(rows: list[ProgressRow]) -> Table:
    table = Table(
        _("Plan targets"),
        [_("Plan"), _("Indicator"), _("Target (%)"), _("Result (%)"), _("Status")],
        ["text", "text", "pct", "pct", "text"],
    )
    for r in rows:
        table.rows.append([r.plan, r.indicator, float(r.target), _ratio_cell(r.value), r.status])
    return table


def _ranking_table(rows: list[RankRow], indicator: Indicator) -> Table:
    table = Table(
        _("Units"),
        [
            _("Rank"),
            _("Commune or ward"),
            _("Code"),
            _("Dossiers received"),
            str(indicator.label) + " (%)",
            _("Target (%)"),
            _("Status"),
        ],
        ["int", "text", "text", "int", "pct", "pct", "text"],
    )
    for n, r in enumerate(rows, 1):
        table.rows.append(
            [
                n,
                r.label,
                r.code,
                r.received.value if r.received else 0,
                _ratio_cell(r.ratio),
                float(r.target) if r.target is not None else None,
                r.status,
            ]
        )
    return table


def _breakdown_table(title: str, first: str, rows: list[BreakdownRow]) -> Table:
    table = Table(
        title,
        [
            first,
            _("Dossiers received"),
            _("Late dossiers"),
            *[str(_indicator(k).label) + " (%)" for k in BREAKDOWN_COLUMNS],
        ],
        ["text", "int", "int", *["pct"] * len(BREAKDOWN_COLUMNS)],
    )
    for r in rows:
        table.rows.append(
            [r.label, r.received.value, r.late.value, *[_ratio_cell(v) for v in r.values]]
        )
    return table


def _trend_table(months: list[MonthRow], indicator: Indicator) -> Table:
    table = Table(
        _("Month by month"),
        [
            _("Month"),
            _("Dossiers received"),
            _("Numerator"),
            _("Denominator"),
            str(indicator.label) + " (%)",
        ],
        ["text", "int", "int", "int", "pct"],
    )
    for m in months:
        table.rows.append([m.label, m.received, m.numerator, m.denominator, _ratio_cell(m.ratio)])
    return table


def _indicator(key: str) -> Indicator:
    return next(i for i in INDICATORS if i.key == key)


# --- exports -------------------------------------------------------------------------

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def xlsx_bytes(*, heading: list[str], tables: list[Table]) -> bytes:
    """One sheet a table, the heading lines (title, unit, period, age) above each;
    numbers as numbers, N/A and not measured as text, never 0."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    formats = {"int": "#,##0", "pct": "0.00", "score": "0.00", "points": "0.##"}
    for table in tables:
        name = _SHEET_BAD.sub(" ", table.title)[:31].strip() or "Sheet"
        base, n = name, 2
        while name.lower() in used:
            name = f"{base[:28]} {n}"
            n += 1
        used.add(name.lower())
        sheet = book.create_sheet(name)
        for line_no, line in enumerate(heading, 1):
            sheet.cell(row=line_no, column=1, value=line).font = Font(bold=line_no == 1)
        top = len(heading) + 2
        if table.note:
            sheet.cell(row=top, column=1, value=table.note)
            top += 2
        for col, title in enumerate(table.columns, 1):
            sheet.cell(row=top, column=col, value=title).font = Font(bold=True)
        for r, row in enumerate(table.rows, top + 1):
            for col, (kind, value) in enumerate(zip(table.kinds, row, strict=True), 1):
                if isinstance(value, Decimal):
                    value = float(value)
                if kind == "when" and isinstance(value, dt.datetime):
                    value = _local(value).replace(tzinfo=None)  # type: ignore[union-attr]
                cell = sheet.cell(row=r, column=col, value=value)
                if kind == "when" and value is not None:
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif kind in formats and isinstance(value, int | float):
                    cell.number_format = formats[kind]
        for col, kind in enumerate(table.kinds, 1):
            width = 46 if kind == "text" and col <= 2 else 18
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = sheet.cell(row=top + 1, column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _file_name(kind: str, scope: Scope, period: Period, extension: str) -> str:
    code = re.sub(r"[^A-Za-z0-9.]+", "-", scope.code).strip("-") or scope.kind
    return f"bao-cao-{kind}-{code}-{period.slug}.{extension}"


def _export(
    request: HttpRequest,
    *,
    kind: str,
    heading: list[str],
    tables: list[Table],
    scope: Scope,
    period: Period,
    total: dict[str, Any] | None = None,
    charts: list[tuple[str, str]] | None = None,
) -> HttpResponse | None:
    """The spreadsheet or the PDF of a page when ?xuat= asks for one, else None."""
    wanted = request.GET.get("xuat", "")
    if wanted == "xlsx":
        lines = [*heading, *(total["sentences"] if total else [])]
        name = _file_name(kind, scope, period, "xlsx")
        response = private_file_response(
            xlsx_bytes(heading=lines, tables=tables),
            filename=name,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        audit_export(request=request, what=heading[0], file_name=name, rows=_rows(tables))
        return response
    if wanted == "pdf":
        from motcua.dossiers.slips import document_pdf

        pdf = document_pdf(
            template="backoffice/reports/export_pdf.html",
            context={
                "heading": heading,
                "total": total,
                "charts": charts or [],
                "tables": [
                    {
                        "title": t.title,
                        "note": t.note,
                        "columns": t.columns,
                        "rows": [
                            [
                                (text, "" if kind == "text" else "num")
                                for kind, text in zip(t.kinds, row, strict=True)
                            ]
                            for row in t.texts()
                        ],
                    }
                    for t in tables
                ],
                "doc_title": heading[0],
            },
        )
        name = _file_name(kind, scope, period, "pdf")
        response = private_file_response(pdf, filename=name, content_type="application/pdf")
        audit_export(request=request, what=heading[0], file_name=name, rows=_rows(tables))
        return response
    return None


def _rows(tables: list[Table]) -> int:
    return sum(len(table.rows) for table in tables)


def _export_links(request: HttpRequest) -> dict[str, str]:
    query = request.GET.copy()
    query.pop("trang", None)
    query["xuat"] = "xlsx"
    xlsx = "?" + query.urlencode()
    query["xuat"] = "pdf"
    return {"xlsx": xlsx, "pdf": "?" + query.urlencode()}


# --- pages ---------------------------------------------------------------------------


def _heading(title: str, scope: Scope, params: Params, extra: str = "") -> list[str]:
    lines = [title, _("Unit: %(name)s") % {"name": scope.label}]
    if scope.note:
        lines.append(scope.note)
    lines.append(_("Period: %(period)s") % {"period": params.period.label})
    if params.sector is not None:
        lines.append(_("Field: %(name)s") % {"name": params.sector.name})
    if extra:
        lines.append(extra)
    lines.append(_age()["text"])
    lines.append(
        _("Printed at %(moment)s") % {"moment": fmt_when(timezone.now())},
    )
    return lines


KEPT = ("pham_vi", "don_vi", "chi_so", "thu_tuc")


def _common(request: HttpRequest, params: Params, *, visible: frozenset[str]) -> dict[str, Any]:
    """What the header of every report page needs: the period forms, which keep in
    hidden fields what else the query holds (`visible`: the fields the page shows),
    the age of the numbers, the export links."""
    today = today_local()
    state = [(name, request.GET[name]) for name in KEPT if request.GET.get(name)]
    if params.sector is not None:
        state.append(("linh_vuc", str(params.sector.pk)))
    if params.rank_chosen:
        state.append(("rank", params.rank))
    return {
        "hidden_main": [(n, v) for n, v in state if n not in visible],
        "hidden_range": state,
        "show_sector": "linh_vuc" in visible,
        "show_rank": "rank" in visible,
        "params": params,
        "period": params.period,
        "period_options": _period_options(params.period, today),
        "range_first": params.period.first.isoformat() if params.period.kind == "range" else "",
        "range_last": params.period.last.isoformat() if params.period.kind == "range" else "",
        "age": _age(),
        "exports": _export_links(request),
        "errors": params.errors,
    }


def _scope_page(
    request: HttpRequest,
    desk: Desk,
    scopes: list[Scope],
    scope: Scope,
    params: Params,
    *,
    page: str,
) -> HttpResponse:
    """The overview of a province, or the page of a unit or an agency."""
    report = indicators(scope=scope, period=params.period, procedure_ids=params.procedure_ids)
    groups = _indicator_groups(report, scope, params)
    total = _total(report)
    targets = plan_progress(scope=scope, report=report)
    progress = _progress(targets)
    if not params.rank_chosen:
        firsts = [p.indicator for p in targets if p.indicator in RANK_KEYS]
        if scope.kind == PROVINCE:
            firsts = [
                k
                for k in province_targets(scope=scope, year=params.period.first.year)
                if k in RANK_KEYS
            ] or firsts
        params.rank = firsts[0] if firsts else "on_time"
    chosen = _indicator(params.rank)
    months = _trend(scope, params, chosen)
    ranking: list[RankRow] = []
    if scope.kind == PROVINCE:
        ranking = _ranking(scope, params, report)
    agency_rows: list[Row] = []
    if scope.kind in (PROVINCE, UNIT):
        agency_rows = breakdown(
            scope=scope, period=params.period, by="agency", procedure_ids=params.procedure_ids
        )
        if scope.kind == PROVINCE:
            provincial = provincial_agency_ids(scope=scope)
            agency_rows = [r for r in agency_rows if r.id in provincial]
    procedure_rows: list[Row] = []
    if scope.kind in (UNIT, AGENCY):
        procedure_rows = breakdown(
            scope=scope, period=params.period, by="procedure", procedure_ids=params.procedure_ids
        )
    agencies = _breakdown_rows(agency_rows, params=params, scope=scope, by="agency")
    procedures = _breakdown_rows(procedure_rows, params=params, scope=scope, by="procedure")
    late = report.sums["handled"] - report.sums["on_time"]
    title = (
        _("Decision 766 index: overview")
        if page == "overview"
        else _("Decision 766 index: %(name)s") % {"name": scope.label}
    )
    with_data = [r for r in ranking if r.ratio is not None]
    shown_scopes = scopes if page == "overview" and len(scopes) > 1 else []
    visible = frozenset({"linh_vuc", "rank", *(["pham_vi"] if shown_scopes else [])})
    context = {
        **_common(request, params, visible=visible),
        "title": title,
        "page": page,
        "scope": scope,
        "scopes": shown_scopes,
        "report": report,
        "groups": groups,
        "total": total,
        "progress": progress,
        "late": Count(late, _drill_url(scope, "late", params)),
        "open_late": Count(report.sums["open_late"], _drill_url(scope, "open_late", params)),
        "received": Count(report.sums["received"], _drill_url(scope, "received", params)),
        "rank_options": RANKABLE,
        "chosen": chosen,
        "ranking": ranking,
        "ranking_empty": [r for r in ranking if r.ratio is None],
        "ranking_with_data": with_data,
        "slowest": _slowest(ranking),
        "ranking_chart": _ranking_chart(ranking, chosen) if with_data else "",
        "chart_capped": len(with_data) > CHART_MAX_BARS,
        "chart_max": CHART_MAX_BARS,
        "agencies_rows": agencies,
        "procedure_rows": procedures,
        "breakdown_columns": [_indicator(k) for k in BREAKDOWN_COLUMNS],
        "months": months,
        "trend_chart": _trend_chart(months, chosen, scope) if months else "",
        "sectors": sectors(),
        "may_plan": _admin_province(desk, scopes) is not None,
    }
    tables = [_group_table(groups), _indicator_table(groups)]
    if progress:
        tables.append(_progress_table(progress))
    if ranking:
        tables.append(_ranking_table(ranking, chosen))
    if agencies:
        tables.append(_breakdown_table(_("Agencies"), _("Handling agency"), agencies))
    if procedures:
        tables.append(_breakdown_table(_("Procedures"), _("Procedure"), procedures))
    tables.append(_trend_table(months, chosen))
    if not params.errors:
        exported = _export(
            request,
            kind="tong-quan" if page == "overview" else "don-vi",
            heading=_heading(title, scope, params),
            tables=tables,
            scope=scope,
            period=params.period,
            total=total,
            charts=[
                (name, svg)
                for name, svg in (
                    (
                        _("Units ranked on %(indicator)s") % {"indicator": chosen.label},
                        context["ranking_chart"],
                    ),
                    (
                        _("Month by month: %(indicator)s") % {"indicator": chosen.label},
                        context["trend_chart"],
                    ),
                )
                if svg
            ],
        )
        if exported is not None:
            return exported
    return _page(
        request,
        desk,
        "backoffice/reports/scope.html",
        context,
        status=400 if params.errors else 200,
    )


@require_GET
@reports_required
def overview(request: HttpRequest, desk: Desk, scopes: list[Scope]) -> HttpResponse:
    """The signed-in official's own scope (the first they may read, or the one chosen
    among theirs with ?pham_vi=)."""
    params = _params(request)
    chosen = (request.GET.get("pham_vi") or "").strip()
    scope = next((s for s in scopes if s.code == chosen), scopes[0])
    return _scope_page(request, desk, scopes, scope, params, page="overview")


@require_GET
@reports_required
def unit(request: HttpRequest, desk: Desk, scopes: list[Scope], code: str) -> HttpResponse:
    """A commune or ward (today's, or a former one counted on its successors), the
    province, or an agency."""
    scope = _scope_of_code(code)
    if not may_read(user=request.user, scope=scope):
        return _refused(request, desk, scope)
    return _scope_page(request, desk, scopes, scope, _params(request), page="unit")


def _scope_param(request: HttpRequest, desk: Desk, scopes: list[Scope]) -> Scope | HttpResponse:
    code = (request.GET.get("don_vi") or "").strip()
    if not code:
        return scopes[0]
    scope = _scope_of_code(code)
    if not may_read(user=request.user, scope=scope):
        return _refused(request, desk, scope)
    return scope


@require_GET
@reports_required
def procedure(request: HttpRequest, desk: Desk, scopes: list[Scope], code: str) -> HttpResponse:
    """One procedure's indicators in a unit (?don_vi=, the official's own by default)."""
    version = procedure_get_current(code=code)
    if version is None:
        raise Http404
    scope = _scope_param(request, desk, scopes)
    if isinstance(scope, HttpResponse):
        return scope
    params = _params(request)
    params.sector, params.procedure_ids = None, [version.procedure_id]
    report = indicators(scope=scope, period=params.period, procedure_ids=params.procedure_ids)
    groups = _indicator_groups(report, scope, params, procedure=code)
    chosen = _indicator(params.rank)
    months = _trend(scope, params, chosen)
    agency_rows = (
        breakdown(
            scope=scope, period=params.period, by="agency", procedure_ids=params.procedure_ids
        )
        if scope.kind != AGENCY
        else []
    )
    agencies = _breakdown_rows(agency_rows, params=params, scope=scope, by="agency")
    # An agency's row opens that agency's page for this procedure.
    agencies = [
        dataclasses.replace(
            r,
            url=_link("report_procedure", code, don_vi=r.code, **params.period.query)
            if r.code
            else "",
        )
        for r in agencies
    ]
    title = _("Procedure %(code)s: %(name)s") % {"code": code, "name": version.name}
    late = report.sums["handled"] - report.sums["on_time"]
    context = {
        **_common(request, params, visible=frozenset({"rank"})),
        "title": title,
        "page": "procedure",
        "scope": scope,
        "procedure": version,
        "procedure_code": code,
        "report": report,
        "groups": groups,
        "late": Count(late, _drill_url(scope, "late", params, code)),
        "open_late": Count(report.sums["open_late"], _drill_url(scope, "open_late", params, code)),
        "received": Count(report.sums["received"], _drill_url(scope, "received", params, code)),
        "rank_options": RANKABLE,
        "chosen": chosen,
        "agencies_rows": agencies,
        "breakdown_columns": [_indicator(k) for k in BREAKDOWN_COLUMNS],
        "months": months,
        "trend_chart": _trend_chart(months, chosen, scope) if months else "",
        "overview_url": _link("report_unit", scope.code, **params.period.query),
    }
    tables = [_indicator_table(groups)]
    if agencies:
        tables.append(_breakdown_table(_("Agencies"), _("Handling agency"), agencies))
    tables.append(_trend_table(months, chosen))
    if not params.errors:
        exported = _export(
            request,
            kind=f"thu-tuc-{code}",
            heading=_heading(title, scope, params),
            tables=tables,
            scope=scope,
            period=params.period,
            charts=[
                (_("Month by month: %(indicator)s") % {"indicator": chosen.label}, trend)
                for trend in [context["trend_chart"]]
                if trend
            ],
        )
        if exported is not None:
            return exported
    return _page(
        request,
        desk,
        "backoffice/reports/procedure.html",
        context,
        status=400 if params.errors else 200,
    )


@require_GET
@reports_required
def dossiers(request: HttpRequest, desk: Desk, scopes: list[Scope]) -> HttpResponse:
    """The dossiers behind one number: ?don_vi=<unit or agency>&chi_so=<measure>,
    the period, and a procedure (?thu_tuc=) or a field (?linh_vuc=)."""
    scope = _scope_param(request, desk, scopes)
    if isinstance(scope, HttpResponse):
        return scope
    params = _params(request)
    measure = (request.GET.get("chi_so") or "late").strip()
    if measure not in DRILLS:
        params.errors.append(
            _("Number: there is no number %(value)s to list the dossiers of.")
            % {"value": measure[:40]}
        )
        measure = "late"
    procedure_code = (request.GET.get("thu_tuc") or "").strip()
    version = None
    if procedure_code:
        version = procedure_get_current(code=procedure_code)
        if version is None:
            raise Http404
        params.sector, params.procedure_ids = None, [version.procedure_id]
    rows = drill_dossiers(
        scope=scope, period=params.period, measure=measure, procedure_ids=params.procedure_ids
    )
    label = str(MEASURE_LABELS.get(measure, measure))
    title = label
    extra = (
        _("Procedure: %(code)s %(name)s") % {"code": procedure_code, "name": version.name}
        if version
        else ""
    )
    if not params.errors:
        wanted = request.GET.get("xuat", "")
        cap = PDF_MAX_ROWS if wanted == "pdf" else EXPORT_MAX_ROWS
        if wanted in ("xlsx", "pdf"):
            found = list(rows[: cap + 1])
            table = _dossier_table(found[:cap], label)
            count = rows.count()
            table.note = ngettext("%(n)s dossier.", "%(n)s dossiers.", count) % {
                "n": fmt_int(count)
            }
            if len(found) > cap:
                table.note += " " + _(
                    "Only the %(cap)s newest are listed: choose a shorter period for the rest."
                ) % {"cap": fmt_int(cap)}
            exported = _export(
                request,
                kind=f"ho-so-{measure}",
                heading=_heading(title, scope, params, extra),
                tables=[table],
                scope=scope,
                period=params.period,
            )
            if exported is not None:
                return exported
    pages = Paginator(rows, PAGE_SIZE)
    current = pages.get_page(request.GET.get("trang"))
    query = request.GET.copy()
    query.pop("xuat", None)

    def page_url(number: int) -> str:
        query["trang"] = str(number)
        return "?" + query.urlencode()

    back = (
        _link("report_procedure", procedure_code, don_vi=scope.code, **params.period.query)
        if version
        else _link("report_unit", scope.code, **params.base())
    )
    context = {
        **_common(request, params, visible=frozenset()),
        "title": title,
        "page": "dossiers",
        "scope": scope,
        "measure": measure,
        "extra": extra,
        "count": pages.count,
        "count_text": fmt_int(pages.count),
        "rows": [
            {
                "dossier": d,
                "received": fmt_when(d.received_at),
                "due": fmt_when(d.due_at),
            }
            for d in current.object_list
        ],
        "pager": current,
        "previous_url": page_url(current.previous_page_number()) if current.has_previous() else "",
        "next_url": page_url(current.next_page_number()) if current.has_next() else "",
        "back_url": back,
        "measures": [(key, str(MEASURE_LABELS.get(key, key))) for key in DRILLS],
    }
    return _page(
        request,
        desk,
        "backoffice/reports/dossiers.html",
        context,
        status=400 if params.errors else 200,
    )


def _dossier_table(rows: list[Dossier], title: str) -> Table:
    table = Table(
        _("Dossiers"),
        [
            _("Dossier code"),
            _("Procedure"),
            _("Handling agency"),
            _("Received at"),
            _("Due"),
            _("Status"),
        ],
        ["text", "text", "text", "when", "when", "text"],
    )
    for d in rows:
        table.rows.append(
            [
                d.code,
                d.procedure_version.name,
                d.competent_agency.name if d.competent_agency_id else "",
                d.received_at,
                d.due_at,
                d.get_status_display(),
            ]
        )
    return table


# --- plans ---------------------------------------------------------------------------


def _admin_province(desk: Desk, scopes: list[Scope]) -> Scope | None:
    """The province a province administrator keeps the plans of (None: not one)."""
    if not desk.scope.province_admin:
        return None
    return next((s for s in scopes if s.kind == PROVINCE), None)


class PercentField(forms.DecimalField):
    """A percentage typed as people type it: 95,5 or 95.5, with or without %."""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = value.strip().removesuffix("%").strip().replace(",", ".")
        try:
            return super().to_python(value)
        except InvalidOperation as exc:  # pragma: no cover - DecimalField raises its own
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class PlanForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Plan name"),
        max_length=300,
        help_text=gettext_lazy("As the plan is issued, e.g. Kế hoạch 132/KH-UBND năm 2026."),
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2018, max_value=2100)
    unit = forms.TypedChoiceField(
        label=gettext_lazy("Unit the plan binds"), coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {u.pk: u for u in units}
        self.fields["unit"].choices = [("", _("Choose a unit"))] + [(u.pk, u.name) for u in units]
        for indicator in TARGETABLE:
            self.fields[f"target_{indicator.key}"] = PercentField(
                label=indicator.label,
                required=False,
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 7}),
            )

    @property
    def target_fields(self) -> list[Any]:
        return [self[f"target_{i.key}"] for i in TARGETABLE]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not self.targets():
            raise forms.ValidationError(
                _("Targets: set a target for at least one indicator."), code="no_target"
            )
        return data

    def targets(self) -> dict[str, Decimal]:
        return {
            i.key: self.cleaned_data[f"target_{i.key}"]
            for i in TARGETABLE
            if self.cleaned_data.get(f"target_{i.key}") is not None
        }


def _form_errors(form: forms.Form) -> list[str]:
    """Every error with the name of its field, for the summary above the form."""
    out = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            out.append(f"{label}: {error}" if label else str(error))
    return out


@require_GET
@reports_required
def plans(request: HttpRequest, desk: Desk, scopes: list[Scope]) -> HttpResponse:
    province = _admin_province(desk, scopes)
    if province is None:
        return _forbidden(request, desk, _("Only the province administrator keeps the plans."))
    rows = plans_of_province(province_id=province.province_id)
    labels = {i.key: str(i.label) for i in INDICATORS}
    return _page(
        request,
        desk,
        "backoffice/reports/plans.html",
        {
            "title": _("Plans and targets"),
            "province": province,
            "age": _age(),
            "plans": [
                {
                    "plan": p,
                    "targets": [
                        (labels.get(t.indicator, t.indicator), fmt_pct(t.value))
                        for t in p.targets.all()
                    ],
                }
                for p in rows
            ],
        },
    )


def _plan_values(plan: Plan | None) -> dict[str, Any]:
    if plan is None or plan.pk is None:
        return {}
    values: dict[str, Any] = {"name": plan.name, "year": plan.year, "unit": str(plan.unit)}
    # order_by: a fresh query, not targets prefetched before the save.
    for target in plan.targets.order_by("indicator"):
        values[f"target {target.indicator}"] = str(target.value)
    return values


def _plan_audit(request: HttpRequest, before: dict[str, Any], plan: Plan) -> None:
    """The province's targets decide how units are ranked: each change is in the trail."""
    old, new = changes(before, _plan_values(plan))
    if old or new:
        audit_record(action="plan.save", request=request, obj=plan, before=old, after=new)


@require_http_methods(["GET", "POST"])
@reports_required
def plan_edit(
    request: HttpRequest, desk: Desk, scopes: list[Scope], pk: int | None = None
) -> HttpResponse:
    province = _admin_province(desk, scopes)
    if province is None:
        return _forbidden(request, desk, _("Only the province administrator keeps the plans."))
    plan: Plan | None = None
    if pk is not None:
        plan = plan_of_province(province_id=province.province_id, plan_id=pk)
        if plan is None:
            raise Http404
    units = plan_units(province_id=province.province_id)
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            target_plan = plan or plan_same(
                name=data["name"], year=data["year"], unit_id=data["unit"]
            )
            before = _plan_values(target_plan)
            try:
                saved = plan_save(
                    name=data["name"],
                    year=data["year"],
                    unit=form.units[data["unit"]],
                    targets=form.targets(),
                    user=request.user,
                    plan=target_plan,
                )
            except PlanError as exc:
                form.add_error(None, str(exc))
            else:
                _plan_audit(request, before, saved)
                messages.success(request, _("Plan “%(name)s” saved.") % {"name": saved.name})
                return redirect("backoffice:report_plans")
        status = 400
    else:
        initial: dict[str, Any] = {"year": today_local().year, "unit": province.province_id}
        if plan is not None:
            initial = {"name": plan.name, "year": plan.year, "unit": plan.unit_id}
            for target in plan.targets.all():
                initial[f"target_{target.indicator}"] = target.value
        form = PlanForm(initial=initial, units=units)
    return _page(
        request,
        desk,
        "backoffice/reports/plan_form.html",
        {
            "title": _("Edit the plan") if plan else _("New plan"),
            "plan": plan,
            "form": form,
            "summary": _form_errors(form) if form.is_bound else [],
            "age": _age(),
        },
        status=status,
    )
