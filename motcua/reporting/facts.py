"""What each received dossier counts for, in SQL: one fact row a dossier.

Measures (0 or 1) — Decision 766/QĐ-TTg, as DESIGN.md §2 words them:
- received: the dossier was received (status 1 "filed, not received" and 3 "refused at
  reception" never are); every ratio below counts received dossiers only, by the day of
  reception in Vietnam time;
- filed_online: filed through the online channel;
- eligible / full_online: its procedure version is offered fully online (toàn trình) /
  and the dossier was handled fully online (filed, processed, paid, returned online:
  the fact recorded by the lifecycle when it happened);
- with_fee / paid_online: a fee is due / and it was paid online;
- handled: received and not withdrawn (status 8 stops the count);
- on_time: finished on time, or still running within its legal due moment — now; the
  refresh job reads a running dossier again when its due moment passes;
- open_late: still running past its legal due moment, or late by a second supplement;
- finished / late_finished: decided (status 9, 10) / and late by the one rule
  (motcua.dossiers.timing: after the due moment, or more than one supplement request);
- granted / e_result: decided in the applicant's favour / with an electronic result;
- digitized: filed online, or its papers were scanned at the counter;
- reused: it reuses papers already digitized in the citizen's store;
- rated / disliked: the applicant rated it / "not satisfied" (0 on Circular 01's scale).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate

from motcua.catalog.models import OnlineLevel
from motcua.core.calendar import VN_TZ
from motcua.dossiers.models import Channel, Dossier, NationalStatus, Outcome
from motcua.organizations.models import AdministrativeUnit, Agency, UnitLevel
from motcua.organizations.selectors import unit_current_successors
from motcua.reporting.models import MEASURES, DossierFact

S = NationalStatus
NOT_COUNTED = (S.FILED, S.NOT_RECEIVED)
FINISHED = (S.DECIDED, S.RETURNED)
RUNNING = (S.RECEIVED, S.PROCESSING, S.WITHDRAWAL_REQUESTED)
OPEN = (*RUNNING, S.SUPPLEMENT_REQUESTED, S.FEE_REQUESTED)
KEYS = ("agency_id", "unit_id", "province_id", "procedure_id", "day")
COLUMNS = ("dossier_id", *KEYS, *MEASURES)


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _measures(now: datetime) -> dict[str, Case | Value]:
    finished = Q(status__in=FINISHED)
    # Running past the legal due moment (a dossier waiting for the applicant has its
    # clock stopped), or already judged late by the rule.
    overdue = Q(is_late=True) | Q(status__in=RUNNING, paused_at__isnull=True, due_at__lt=now)
    eligible = Q(procedure_version__online_level=OnlineLevel.FULL)
    fee = Q(fee_amount__gt=0)
    granted = finished & Q(outcome=Outcome.GRANTED)
    return {
        "received": Value(1, output_field=IntegerField()),
        "filed_online": _flag(Q(channel=Channel.ONLINE)),
        "eligible": _flag(eligible),
        "full_online": _flag(eligible & Q(full_online=True)),
        "with_fee": _flag(fee),
        "paid_online": _flag(fee & Q(paid_online=True)),
        "handled": _flag(~Q(status=S.STOPPED)),
        "on_time": _flag((finished & Q(is_late=False)) | (Q(status__in=OPEN) & ~overdue)),
        "open_late": _flag(Q(status__in=OPEN) & overdue),
        "finished": _flag(finished),
        "late_finished": _flag(finished & Q(is_late=True)),
        "granted": _flag(granted),
        "e_result": _flag(granted & Q(electronic_result=True)),
        "digitized": _flag(Q(channel=Channel.ONLINE) | Q(scanned_at_counter=True)),
        "reused": _flag(Q(reused_data=True)),
        "rated": _flag(Q(rating__isnull=False)),
        "disliked": _flag(Q(rating=0)),
    }


def agency_places(*, agency_ids: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """agency id → (today's unit, today's province) it counts on, for every agency or
    those named.

    A commune-level agency counts on its commune or ward, followed to today's
    successor for a unit that no longer exists; any other agency counts on its
    province. An old unit with no recorded successor counts on its province's
    successor, never on a guessed commune.
    """
    current: dict[int, AdministrativeUnit | None] = {}

    def today(unit: AdministrativeUnit | None) -> AdministrativeUnit | None:
        if unit is None or unit.valid_to is None:
            return unit
        if unit.pk not in current:
            found = unit_current_successors(unit=unit)
            current[unit.pk] = found[0] if len(found) == 1 else None
        return current[unit.pk]

    def province_of(unit: AdministrativeUnit) -> AdministrativeUnit | None:
        while unit.level != UnitLevel.PROVINCE and unit.parent_id:
            unit = unit.parent
        return today(unit) if unit.level == UnitLevel.PROVINCE else None

    agencies = Agency.objects.select_related("unit__parent__parent")
    if agency_ids is not None:
        agencies = agencies.filter(pk__in=agency_ids)
    places: dict[int, tuple[int, int]] = {}
    for agency in agencies:
        unit = agency.unit
        commune = today(unit) if unit.level == UnitLevel.COMMUNE else None
        province = province_of(commune) if commune is not None else province_of(unit)
        if province is None:
            continue  # a unit outside any province on record: nothing to count it on
        places[agency.pk] = ((commune or province).pk, province.pk)
    return places


def facts_query(*, now: datetime, places: dict[int, tuple[int, int]]) -> QuerySet:
    """Every received dossier as a fact row (columns in COLUMNS order)."""
    agencies = list(places)

    def place(index: int) -> Case:
        return Case(
            *[When(competent_agency_id=a, then=Value(places[a][index])) for a in agencies],
            default=Value(0),
            output_field=IntegerField(),
        )

    return (
        Dossier.objects.filter(received_at__isnull=False, competent_agency_id__in=agencies)
        .exclude(status__in=NOT_COUNTED)
        .annotate(
            f_dossier_id=F("pk"),
            f_agency_id=F("competent_agency_id"),
            f_unit_id=place(0),
            f_province_id=place(1),
            f_procedure_id=F("procedure_version__procedure_id"),
            f_day=TruncDate("received_at", tzinfo=VN_TZ),
            **{f"f_{name}": expr for name, expr in _measures(now).items()},
        )
        .values(*[f"f_{c}" for c in COLUMNS])
        .order_by()  # no "-id" sort carried into the INSERT
    )


def insert_facts(query: QuerySet) -> int:
    """INSERT INTO the facts SELECT the query: no row passes through Python."""
    compiler = query.query.get_compiler(connection=connection)
    select_sql, params = compiler.as_sql()
    aliases = [alias for _expr, _sql, alias in compiler.select]
    expected = [f"f_{c}" for c in COLUMNS]
    if aliases != expected:  # the INSERT names its columns in this order
        raise RuntimeError(f"fact columns out of order: {aliases}")
    table = connection.ops.quote_name(DossierFact._meta.db_table)
    names = ", ".join(
        connection.ops.quote_name(DossierFact._meta.get_field(c.removesuffix("_id")).column)
        if c == "dossier_id"
        else connection.ops.quote_name(c)
        for c in COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {select_sql}", params)
        return cursor.rowcount
