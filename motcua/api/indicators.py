"""Decision 766 indicators in the API: GET /indicators?unit=CODE&from=…&to=….

The same numbers as the back office's reports and `manage.py indicators`, read from the
rollups. Officials only (a signed-in session), and each sees what the reports show
them: a province leader the province, a commune leader the commune.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth

from motcua.api.schemas import ErrorOut
from motcua.catalog.models import Procedure
from motcua.reporting import periods
from motcua.reporting.selectors import ScopeError, indicators, may_read, scope_for_code
from motcua.reporting.services import rollups_age

router = Router(tags=["reporting"])


class IndicatorOut(Schema):
    numerator: int
    denominator: int
    ratio: float | None
    score: float | None
    max: float
    measured: bool
    label: str
    group: str


class TotalOut(Schema):
    score: float
    measured_max: float
    max: float


class IndicatorsOut(Schema):
    unit: str
    name: str
    counted_on: str
    from_: date = Field(..., alias="from")
    to: date
    procedure: str | None
    field: int | None
    age_seconds: int | None
    indicators: dict[str, IndicatorOut]
    total: TotalOut


@router.get(
    "/indicators",
    response={200: IndicatorsOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Decision 766 indicators of a unit over a period",
    auth=django_auth,
    by_alias=True,
)
def indicators_get(
    request: HttpRequest,
    unit: str = Query(
        ...,
        max_length=40,
        description="Today's or a pre-2025 unit code, the province code, or an agency code.",
    ),
    from_: str = Query(..., alias="from", max_length=10, description="First day, YYYY-MM-DD."),
    to: str = Query(..., max_length=10, description="Last day, YYYY-MM-DD (included)."),
    procedure: str = Query("", max_length=20, description="A national procedure code."),
    field: int | None = Query(None, description="A field (sector) id of the catalog."),
) -> Status:
    """Every indicator of the index as numerator, denominator, ratio (%, 2 decimals;
    null when the denominator is 0), score and maximum. `measured` is false for the
    indicators motcua holds no data for."""
    try:
        period = periods.between(periods.parse_date(from_, "from"), periods.parse_date(to, "to"))
        scope = scope_for_code(unit)
    except periods.PeriodError as exc:
        return Status(400, {"detail": str(exc)})
    except ScopeError as exc:
        return Status(404, {"detail": str(exc)})
    if not may_read(user=request.user, scope=scope):
        return Status(403, {"detail": _("You may not read the reports of this unit.")})
    procedure_ids: list[int] | None = None
    if procedure or field is not None:
        rows = Procedure.objects.all()
        if procedure:
            rows = rows.filter(code=procedure)
        if field is not None:
            rows = rows.filter(current__sector_id=field)
        procedure_ids = list(rows.values_list("pk", flat=True))
        if procedure and not procedure_ids:
            return Status(404, {"detail": _("No procedure has the code %s.") % procedure})
    report = indicators(scope=scope, period=period, procedure_ids=procedure_ids)
    age = rollups_age()
    return Status(
        200,
        {
            "unit": unit,
            "name": scope.label,
            "counted_on": scope.note,
            "from": period.first,
            "to": period.last,
            "procedure": procedure or None,
            "field": field,
            "age_seconds": None if age is None else int(age.total_seconds()),
            "indicators": {
                key: {
                    **value.as_json(),
                    "label": str(value.indicator.label),
                    "group": value.indicator.group,
                }
                for key, value in report.values.items()
            },
            "total": {
                "score": report.total.score,
                "measured_max": report.total.measured_max,
                "max": report.total.max,
            },
        },
    )
