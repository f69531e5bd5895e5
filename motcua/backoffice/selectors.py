"""Reads for the back office (inbox, one dossier, search), always scoped to the agencies
where the official holds roles.

Every list reads one agency at a time through the indexes on Dossier:
(receiving_agency, status, -id) for what the one-stop desk handles, and
(competent_agency, state, due_at) for what the processing desks handle. Pages are
cut by keyset (the last row's id, or due moment and id), never by OFFSET, and box
sizes are counted only up to a cap, so no page view counts a whole table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import Role
from motcua.accounts.selectors import OfficialScope
from motcua.catalog.models import ProcedureVersion
from motcua.core.calendar import Duration, DurationKind, add_working_time
from motcua.core.selectors import working_calendar
from motcua.core.text import clean_text, fold
from motcua.dossiers.actions import definition_of, event_text
from motcua.dossiers.models import (
    Dossier,
    DossierPaper,
    NationalStatus,
)
from motcua.dossiers.selectors import paper_with_kind
from motcua.organizations.models import AdministrativeUnit, Agency
from motcua.organizations.selectors import unit_list_communes
from motcua.reporting.selectors import ScopeError, agency_scope, may_read
from motcua.workflows.definitions import FEE, SUPPLEMENT
from motcua.workflows.models import Workflow

PAGE_SIZE = 25
COUNT_CAP = 99

# Built-in steps the applicant has to act on.
WAITING_STATES = (SUPPLEMENT, FEE)


# --- deadlines ---------------------------------------------------------------------


class Urgency:
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"


@dataclass(frozen=True)
class Clock:
    """Now, and the end of the next working day of an agency: what 'due soon' means."""

    now: datetime
    soon: datetime

    def urgency(self, dossier: Dossier) -> str:
        due = dossier.due_at
        if due is None or dossier.status in (
            NationalStatus.NOT_RECEIVED,
            NationalStatus.STOPPED,
            NationalStatus.DECIDED,
            NationalStatus.RETURNED,
            NationalStatus.SUPPLEMENT_REQUESTED,  # the clock is paused
        ):
            return ""
        if due < self.now:
            return Urgency.OVERDUE
        if due < self.soon:
            return Urgency.DUE_SOON
        return ""


def agency_clock(*, agency: Agency | None, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    soon = add_working_time(
        now, Duration(DurationKind.WORKING_DAYS, 1), working_calendar(agency=agency)
    )
    return Clock(now=now, soon=soon)


# --- workflow steps ----------------------------------------------------------------


@dataclass(frozen=True)
class Steps:
    """Step labels and the steps each role works on, over every workflow on record."""

    labels: dict[tuple[int, str], str]
    by_role: dict[str, frozenset[str]]  # role → processing steps (status 4)

    def label(self, dossier: Dossier) -> str:
        found = self.labels.get((dossier.workflow_id, dossier.state))
        if found:
            return found
        return str(NationalStatus(dossier.status).label) if dossier.status else dossier.state

    def for_roles(self, roles: Iterable[str]) -> frozenset[str]:
        states: set[str] = set()
        for role in roles:
            states |= self.by_role.get(role, frozenset())
        return frozenset(states)


def workflow_steps() -> Steps:
    labels: dict[tuple[int, str], str] = {}
    by_role: dict[str, set[str]] = {}
    for workflow_id, definition in Workflow.objects.values_list("pk", "definition"):
        states = (definition or {}).get("states") or {}
        for key, state in states.items():
            if not isinstance(state, dict):
                continue
            labels[(workflow_id, key)] = str(state.get("label") or key)
            if state.get("status") == NationalStatus.PROCESSING and state.get("role"):
                by_role.setdefault(state["role"], set()).add(key)
    return Steps(labels=labels, by_role={r: frozenset(s) for r, s in by_role.items()})


# --- the inbox ---------------------------------------------------------------------


class Box:
    NEW = "new"
    RECEIVE = "receive"
    PROCESS = "process"
    APPROVE = "approve"
    RETURN = "return"
    WAITING = "waiting"


BOX_LABELS = {
    Box.NEW: _("New online dossiers"),
    Box.RECEIVE: _("To receive and transfer"),
    Box.PROCESS: _("To process"),
    Box.APPROVE: _("To approve"),
    Box.RETURN: _("Results to return"),
    Box.WAITING: _("Waiting for the citizen"),
}
BOX_ORDER = [Box.NEW, Box.RECEIVE, Box.PROCESS, Box.APPROVE, Box.RETURN, Box.WAITING]
# Boxes ordered by urgency (due moment first); the others show the newest first.
_BY_DUE = {Box.PROCESS, Box.APPROVE}
_DESK_BOXES = {Box.NEW, Box.RECEIVE, Box.RETURN}


def _box_states(box: str, roles: frozenset[str], steps: Steps) -> frozenset[str]:
    if box == Box.APPROVE:
        return steps.for_roles({Role.APPROVER} & roles)
    if box == Box.PROCESS:
        return steps.for_roles(roles - {Role.APPROVER}) - steps.for_roles({Role.APPROVER})
    return frozenset()


def inbox_boxes(*, scope: OfficialScope, agency: Agency, steps: Steps) -> list[str]:
    """The boxes that concern the official's roles in `agency`."""
    roles = scope.roles_in(agency.pk)
    boxes = []
    for box in BOX_ORDER:
        if box in _DESK_BOXES:
            if Role.RECEIVING_OFFICER in roles or roles & {Role.LEADER, Role.AGENCY_ADMIN}:
                boxes.append(box)
        elif box in _BY_DUE:
            if _box_states(box, roles, steps) or roles & {Role.LEADER, Role.AGENCY_ADMIN}:
                boxes.append(box)
        else:
            boxes.append(box)
    return boxes


@dataclass(frozen=True)
class InboxFilters:
    box: str = ""  # "": the first of the official's boxes that holds a dossier
    overdue: bool = False
    due_soon: bool = False
    procedure: str = ""  # national procedure code
    after: str = ""  # keyset cursor


@dataclass(frozen=True)
class InboxRow:
    dossier: Dossier
    step: str
    urgency: str


@dataclass
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str = ""
    counts: dict[str, str] = field(default_factory=dict)
    box: str = ""  # the box shown


def _box_queryset(
    *, box: str, agency: Agency, roles: frozenset[str], steps: Steps
) -> QuerySet[Dossier]:
    dossiers = Dossier.objects.all()
    if box == Box.NEW:
        return dossiers.filter(receiving_agency=agency, status=NationalStatus.FILED)
    if box == Box.RECEIVE:
        return dossiers.filter(receiving_agency=agency, status=NationalStatus.RECEIVED)
    if box == Box.RETURN:
        return dossiers.filter(receiving_agency=agency, status=NationalStatus.DECIDED)
    if box == Box.WAITING:
        return dossiers.filter(
            Q(
                receiving_agency=agency,
                status__in=[NationalStatus.SUPPLEMENT_REQUESTED, NationalStatus.FEE_REQUESTED],
            )
            | Q(competent_agency=agency, state__in=WAITING_STATES)
        )
    # Processing boxes: a leader or agency administrator oversees every step.
    if roles & {Role.LEADER, Role.AGENCY_ADMIN}:
        wanted = {Role.APPROVER} if box == Box.APPROVE else set(Role.values) - {Role.APPROVER}
        states = _box_states(box, frozenset(wanted), steps)
    else:
        states = _box_states(box, roles, steps)
    # A consulted agency (liên thông) works on the dossier while its opinion is awaited.
    return dossiers.filter(
        Q(competent_agency=agency) | Q(consult_agency=agency), state__in=sorted(states)
    )


def _filtered(
    dossiers: QuerySet[Dossier], *, filters: InboxFilters, clock: Clock
) -> QuerySet[Dossier]:
    if filters.overdue:
        dossiers = dossiers.filter(due_at__lt=clock.now)
    if filters.due_soon:
        dossiers = dossiers.filter(due_at__gte=clock.now, due_at__lt=clock.soon)
    if filters.procedure:
        versions = list(
            ProcedureVersion.objects.filter(procedure__code=filters.procedure).values_list(
                "pk", flat=True
            )
        )
        dossiers = dossiers.filter(procedure_version_id__in=versions)
    return dossiers


def _after_due(cursor: str) -> Q | None:
    due_text, _sep, pk_text = cursor.rpartition("_")
    if not pk_text.isdigit():
        return None
    pk = int(pk_text)
    if due_text == "":
        return Q(due_at__isnull=True, pk__gt=pk)
    due = parse_datetime(due_text)
    if due is None:
        return None
    return Q(due_at__gt=due) | Q(due_at=due, pk__gt=pk) | Q(due_at__isnull=True)


def _due_cursor(dossier: Dossier) -> str:
    due = dossier.due_at.isoformat() if dossier.due_at else ""
    return f"{due}_{dossier.pk}"


def inbox_page(
    *,
    scope: OfficialScope,
    agency: Agency,
    filters: InboxFilters,
    steps: Steps,
    clock: Clock,
    size: int = PAGE_SIZE,
) -> InboxPage:
    """One page of one box of `agency`, and capped sizes of the official's boxes."""
    roles = scope.roles_in(agency.pk)
    boxes = inbox_boxes(scope=scope, agency=agency, steps=steps)
    counts = {}
    sizes = {}
    for other in boxes:
        queryset = _box_queryset(box=other, agency=agency, roles=roles, steps=steps)
        sizes[other] = n = queryset.order_by()[: COUNT_CAP + 1].count()
        counts[other] = f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)
    if filters.box in boxes:
        box = filters.box
    else:  # an official opening the inbox lands where the work is
        box = next((b for b in boxes if sizes[b]), boxes[0] if boxes else Box.WAITING)
    dossiers = _filtered(
        _box_queryset(box=box, agency=agency, roles=roles, steps=steps),
        filters=filters,
        clock=clock,
    )
    if box in _BY_DUE:
        if filters.after:
            after = _after_due(filters.after)
            if after is not None:
                dossiers = dossiers.filter(after)
        dossiers = dossiers.order_by(F("due_at").asc(nulls_last=True), "pk")
    else:
        if filters.after.isdigit():
            dossiers = dossiers.filter(pk__lt=int(filters.after))
        dossiers = dossiers.order_by("-pk")
    found = list(
        dossiers.select_related("procedure_version", "receiving_agency", "competent_agency")[
            : size + 1
        ]
    )
    rows = [InboxRow(d, steps.label(d), clock.urgency(d)) for d in found[:size]]
    next_cursor = ""
    if len(found) > size:
        last = found[size - 1]
        next_cursor = _due_cursor(last) if box in _BY_DUE else str(last.pk)
    return InboxPage(rows=rows, next_cursor=next_cursor, counts=counts, box=box)


# --- one dossier -------------------------------------------------------------------


def dossier_for_official(
    *, scope: OfficialScope, code: str, reader: Any = None
) -> Dossier | None:
    """The dossier with this code if the official's agencies receive or handle it, or,
    given the signed-in `reader`, if it is in the reports they may read (a leader opens,
    read-only, the dossiers behind a number)."""
    code = code.strip()
    if not code or len(code) > 60:
        return None
    dossier = (
        Dossier.objects.select_related(
            "procedure_version__procedure",
            "workflow",
            "receiving_agency",
            "competent_agency",
            "applicant_unit",
            "assignee",
            "filed_by",
        )
        .filter(code=code)
        .first()
    )
    if dossier is None:
        return None
    if scope.may_see(dossier) or (reader is not None and _reads_reports_of(reader, dossier)):
        return dossier
    return None


def _reads_reports_of(reader: Any, dossier: Dossier) -> bool:
    try:
        covering = agency_scope(dossier.competent_agency)
    except ScopeError:
        return False
    return may_read(user=reader, scope=covering)


def paper_for_official(
    *, scope: OfficialScope, code: str, paper_id: int, reader: Any = None
) -> tuple[DossierPaper, str | None] | None:
    """A paper with a file of a dossier the official may see, and the file's kind
    (from its first bytes; None when it is not a PDF or a photo)."""
    dossier = dossier_for_official(scope=scope, code=code, reader=reader)
    if dossier is None:
        return None
    return paper_with_kind(dossier=dossier, paper_id=paper_id)


# --- people and agencies to hand a dossier to -------------------------------------


def agency_officials(*, agency: Agency, role: str) -> list[Any]:
    """Officials holding `role` in `agency` (to assign a dossier to)."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(
            role_assignments__agency=agency, role_assignments__role=role, is_active=True
        )
        .distinct()
        .order_by("first_name", "username")
    )


def consultable_agencies(*, exclude: Iterable[int] = ()) -> QuerySet[Agency]:
    """Agencies another agency may ask for an opinion (liên thông)."""
    return Agency.objects.filter(is_active=True).exclude(pk__in=list(exclude)).order_by("name")


# --- search ------------------------------------------------------------------------

_CODE = re.compile(r"^[0-9A-Za-z.]+-\d{6}-\d{4,}$")
_DIGITS = re.compile(r"^\d+$")


class SearchKind:
    CODE = "code"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    NAME = "name"


@dataclass(frozen=True)
class DossierSearch:
    kind: str
    dossiers: list[Dossier]


def phone_variants(raw: str) -> list[str]:
    """The forms a Vietnamese mobile number is written in: 0912…, 84912…, +84912…"""
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("+84"):
        local = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        local = "0" + digits[2:]
    else:
        local = digits
    return list(dict.fromkeys([raw.strip(), digits, local, "+84" + local[1:], "84" + local[1:]]))


def search_kind(query: str) -> str:
    text = query.strip()
    compact = re.sub(r"[\s.\-()]", "", text)
    if _CODE.match(text):
        return SearchKind.CODE
    if _DIGITS.match(text) and len(text) in (9, 12):
        return SearchKind.ID_NUMBER
    if re.match(r"^\+?\d{9,12}$", compact) and (compact.startswith(("0", "+84", "84"))):
        return SearchKind.PHONE
    return SearchKind.NAME


def dossier_search(
    *, scope: OfficialScope, query: str, agency: Agency | None, limit: int = 50
) -> DossierSearch:
    """Dossiers by exact code, citizen ID or phone (indexed), or by a part of the
    applicant's name within the official's agencies (a province administrator: within
    the agency chosen in the switcher)."""
    text = clean_text(query)[:100]
    kind = search_kind(text)
    dossiers = Dossier.objects.select_related(
        "procedure_version", "receiving_agency", "competent_agency"
    ).order_by("-pk")
    if kind == SearchKind.CODE:
        dossiers = dossiers.filter(code__in=[text, text.upper()])
    elif kind == SearchKind.ID_NUMBER:
        dossiers = dossiers.filter(applicant_id_number=text)
    elif kind == SearchKind.PHONE:
        dossiers = dossiers.filter(applicant_phone__in=phone_variants(text))
    else:
        if len(text) < 2:
            return DossierSearch(kind=kind, dossiers=[])
        if scope.province_admin:
            ids = [agency.pk] if agency else []
        else:
            ids = scope.agency_ids
        dossiers = dossiers.filter(
            Q(receiving_agency_id__in=ids) | Q(competent_agency_id__in=ids),
            # Folded both sides: "nguyen thi" finds "Nguyễn Thị", typed composed or not.
            applicant_name_folded__contains=fold(text),
        )
    if kind != SearchKind.NAME and not scope.province_admin:
        ids = scope.agency_ids
        dossiers = dossiers.filter(Q(receiving_agency_id__in=ids) | Q(competent_agency_id__in=ids))
    return DossierSearch(kind=kind, dossiers=list(dossiers[:limit]))


# --- counter reception --------------------------------------------------------------


def counter_communes(*, province_code: str) -> QuerySet[AdministrativeUnit]:
    """Today's communes and wards of the province, for the applicant's address."""
    return unit_list_communes(province_code=province_code)


# --- history -----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    label: str
    actor: Any
    agency: Agency | None
    note: str


def history_rows(*, dossier: Dossier, events: Iterable[Any]) -> list[HistoryRow]:
    """Events of a dossier with what happened in the official's words (the registry's)."""
    definition = definition_of(dossier.workflow)
    rows = []
    for event in events:
        label = event_text(definition, event.action, for_citizen=False)
        if label is None:
            try:
                label = str(NationalStatus(event.status).label)
            except ValueError:
                label = event.action
        rows.append(
            HistoryRow(
                at=event.at,
                label=label,
                actor=event.actor,
                agency=event.agency,
                note=event.note,
            )
        )
    return rows
