"""Reads for the back office, always scoped to the agencies where the official holds roles.

Every list reads one agency at a time through the indexes on Dossier:
(receiving_agency, status, -id) for what the one-stop desk handles, and
(competent_agency, state, due_at) for what the processing desks handle. Pages are
cut by keyset (the last row's id, or due moment and id), never by OFFSET, and box
sizes are counted only up to a cap, so no page view counts a whole table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import Role, RoleAssignment
from motcua.catalog.models import PaperForm, ProcedureVersion
from motcua.core.calendar import VN_TZ, Duration, DurationKind, add_working_time
from motcua.core.selectors import working_calendar
from motcua.dossiers.models import (
    Channel,
    Dossier,
    DossierEvent,
    DossierPaper,
    NationalStatus,
    Outcome,
)
from motcua.dossiers.selectors import dossier_step_deadlines
from motcua.dossiers.services import (
    APOLOGIZE,
    RECEIVE,
    REFUSE,
    REFUSE_RECEPTION,
    REQUEST_SUPPLEMENT,
)
from motcua.organizations.models import AdministrativeUnit, Agency
from motcua.organizations.selectors import unit_list_communes
from motcua.workflows.definitions import FEE, SUPPLEMENT
from motcua.workflows.models import Workflow

PAGE_SIZE = 25
COUNT_CAP = 99

# Built-in steps the applicant has to act on.
WAITING_STATES = (SUPPLEMENT, FEE)


# --- who sees what -----------------------------------------------------------------


@dataclass(frozen=True)
class OfficialScope:
    """The agencies an official works for and the roles held in each."""

    roles_by_agency: dict[int, frozenset[str]]
    province_admin: bool = False

    @property
    def agency_ids(self) -> list[int]:
        return sorted(self.roles_by_agency)

    @property
    def is_official(self) -> bool:
        return bool(self.roles_by_agency)

    def roles_in(self, agency_id: int | None) -> frozenset[str]:
        if self.province_admin:
            return frozenset(Role.values)
        return self.roles_by_agency.get(agency_id or 0, frozenset())

    def may_see_agency(self, agency_id: int | None) -> bool:
        return self.province_admin or (agency_id in self.roles_by_agency)

    def may_see(self, dossier: Dossier) -> bool:
        return any(
            self.may_see_agency(agency_id)
            for agency_id in (
                dossier.receiving_agency_id,
                dossier.competent_agency_id,
                dossier.consult_agency_id,
            )
            if agency_id
        )


def official_scope(*, user: AbstractBaseUser | AnonymousUser) -> OfficialScope:
    """One indexed read of the official's role assignments."""
    if not user.is_authenticated:
        return OfficialScope(roles_by_agency={})
    roles: dict[int, set[str]] = {}
    for agency_id, role in RoleAssignment.objects.filter(user=user).values_list(
        "agency_id", "role"
    ):
        roles.setdefault(agency_id, set()).add(role)
    province_admin = any(Role.PROVINCE_ADMIN in held for held in roles.values())
    return OfficialScope(
        roles_by_agency={agency_id: frozenset(held) for agency_id, held in roles.items()},
        province_admin=province_admin,
    )


def scope_agencies(*, scope: OfficialScope) -> list[Agency]:
    """Agencies the official may switch to: their own, or every active one for a
    province administrator (their own first)."""
    own = list(Agency.objects.filter(pk__in=scope.agency_ids).order_by("name"))
    if not scope.province_admin:
        return own
    others = Agency.objects.filter(is_active=True).exclude(pk__in=scope.agency_ids)
    return own + list(others.order_by("name"))


def scope_agency(*, scope: OfficialScope, agency_id: Any) -> Agency | None:
    """The agency with this id if the official may work in it."""
    try:
        pk = int(agency_id)
    except (TypeError, ValueError):
        return None
    if not scope.may_see_agency(pk):
        return None
    return Agency.objects.filter(pk=pk).first()


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
    box: str = Box.RECEIVE
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
    box = filters.box if filters.box in boxes else (boxes[0] if boxes else Box.WAITING)
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
    counts = {}
    for other in boxes:
        queryset = _box_queryset(box=other, agency=agency, roles=roles, steps=steps)
        n = queryset.order_by()[: COUNT_CAP + 1].count()
        counts[other] = f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)
    return InboxPage(rows=rows, next_cursor=next_cursor, counts=counts)


# --- one dossier -------------------------------------------------------------------


def dossier_for_official(*, scope: OfficialScope, code: str) -> Dossier | None:
    """The dossier with this code if the official's agencies receive or handle it."""
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
    if dossier is None or not scope.may_see(dossier):
        return None
    return dossier


# --- papers ------------------------------------------------------------------------

UPLOAD_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}


def sniff_upload(head: bytes) -> str | None:
    """The kind of a scan or phone photo from its first bytes, or None if not accepted."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "heic"
    return None


@dataclass(frozen=True)
class PaperRow:
    pk: int
    name: str
    form_label: str
    count: int
    reused: bool
    file: Any


def paper_rows(*, dossier: Dossier) -> list[PaperRow]:
    return [
        PaperRow(
            pk=paper.pk,
            name=paper.name,
            form_label=str(PaperForm(paper.form).label) if paper.form in PaperForm.values else "",
            count=paper.count,
            reused=paper.reused,
            file=paper.file,
        )
        for paper in dossier.papers.all()
    ]


def paper_for_official(
    *, scope: OfficialScope, code: str, paper_id: int
) -> tuple[DossierPaper, str | None] | None:
    """A paper with a file of a dossier the official may see, and the file's kind
    (from its first bytes; None when it is not a PDF or a photo)."""
    dossier = dossier_for_official(scope=scope, code=code)
    if dossier is None:
        return None
    return paper_with_kind(dossier=dossier, paper_id=paper_id)


def paper_with_kind(*, dossier: Dossier, paper_id: int) -> tuple[DossierPaper, str | None] | None:
    """The dossier's paper `paper_id` if it has a readable file, and the file's kind
    (from its first bytes; None when it is not a PDF or a photo)."""
    paper = DossierPaper.objects.filter(dossier=dossier, pk=paper_id).first()
    if paper is None or not paper.file:
        return None
    try:
        with paper.file.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    return paper, sniff_upload(head)


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
    text = query.strip()[:100]
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
            applicant_name__icontains=text,
        )
    if kind != SearchKind.NAME and not scope.province_admin:
        ids = scope.agency_ids
        dossiers = dossiers.filter(Q(receiving_agency_id__in=ids) | Q(competent_agency_id__in=ids))
    return DossierSearch(kind=kind, dossiers=list(dossiers[:limit]))


# --- counter reception --------------------------------------------------------------


def counter_communes(*, province_code: str) -> QuerySet[AdministrativeUnit]:
    """Today's communes and wards of the province, for the applicant's address."""
    return unit_list_communes(province_code=province_code)


# --- slips -------------------------------------------------------------------------

# Slips are legal documents printed in Vietnamese whatever the interface language.
_SLIP_PAPER_FORMS = {
    "original": "Bản chính",
    "copy": "Bản sao",
    "certified_copy": "Bản sao chứng thực",
    "original_or_copy": "Bản chính hoặc bản sao",
}
SLIP_FORMS = ("01", "02", "03", "04", "05")
# Form 06 on A4: WeasyPrint lays out about 80 register lines a second, and slips are
# printed one at a time per process, so a register stops at this many lines.
REGISTER_MAX_ROWS = 1000
# "Giấy tờ: lý do" (or " - ", " – ") on one line of a supplement request; not "08:00".
_PAPER_WHY = re.compile(r"\s*:(?!\d)\s*|\s+[-–—]\s+")


def _legal_time_text(version: ProcedureVersion) -> str:
    """The processing time as the slip prints it: the published text, else its reading."""
    if version.processing_time_text.strip():
        return version.processing_time_text.strip()
    if version.duration_kind == DurationKind.SAME_DAY:
        return "Trong ngày"
    amount = version.duration_amount
    units = {
        DurationKind.WORKING_DAYS: "ngày làm việc",
        DurationKind.WORKING_HOURS: "giờ làm việc",
        DurationKind.CALENDAR_DAYS: "ngày",
    }
    if not amount or version.duration_kind not in units:
        return ""
    return f"{amount:02d} {units[version.duration_kind]}"


def slip_forms(*, dossier: Dossier) -> list[str]:
    """The slips (forms 01–05) that apply to the dossier now, from its own fields:
    01 and 05 once received, 02 once a supplement was requested, 03 once refused (at
    reception or during processing), 04 once the agency apologised."""
    received = dossier.received_at is not None
    applies = {
        "01": received,
        "02": dossier.supplement_requests > 0,
        "03": dossier.outcome in (Outcome.REFUSED, Outcome.NOT_RECEIVED),
        "04": dossier.apologies > 0,
        "05": received,
    }
    return [form for form in SLIP_FORMS if applies[form]]


def _person(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _slip_agency(agency: Agency) -> Any:
    from motcua.dossiers.slips import SlipAgency

    parent = None
    if agency.parent_id:
        parent = Agency.objects.filter(pk=agency.parent_id).values_list("name", flat=True).first()
    return SlipAgency(
        name=agency.name,
        parent_name=(parent or "").upper(),
        address=agency.address,
        phone=agency.phone,
    )


def _last_event(dossier: Dossier, *actions: str) -> DossierEvent | None:
    return dossier.events.filter(action__in=actions).select_related("actor").order_by("-id").first()


def _moment(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else []
    return [str(item).strip() for item in items if str(item).strip()]


def _receiving_officer(dossier: Dossier) -> Any:
    receipt = _last_event(dossier, RECEIVE)
    return receipt.actor if receipt and receipt.actor else dossier.filed_by


def _slip_common(dossier: Dossier, tracking_url: str) -> Any:
    """What every slip of a dossier carries: desk, code, applicant, request, times."""
    from motcua.dossiers.slips import SlipApplicant, SlipContext

    desk = dossier.receiving_agency
    address = ", ".join(
        part for part in (dossier.applicant_address, str(dossier.applicant_unit or "")) if part
    )
    return SlipContext(
        agency=_slip_agency(desk),
        code=dossier.code,
        tracking_url=tracking_url,
        procedure_name=dossier.procedure_version.name,
        applicant=SlipApplicant(
            name=dossier.organisation_name or dossier.applicant_name,
            address=address,
            phone=dossier.applicant_phone,
            email=dossier.applicant_email,
            id_number=dossier.applicant_id_number,
        ),
        processing_time_text=_legal_time_text(dossier.procedure_version),
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        result_place=", ".join(part for part in (desk.name, desk.address) if part),
    )


def _receipt_slip(dossier: Dossier, base: Any) -> Any:
    """Form 01: the papers received and the receiving officer."""
    from motcua.dossiers.slips import SlipPaper

    return replace(
        base,
        papers=[
            SlipPaper(
                name=paper.name,
                form_label=_SLIP_PAPER_FORMS.get(paper.form, ""),
                count=paper.count,
            )
            for paper in dossier.papers.all()
        ],
        officer_name=_person(_receiving_officer(dossier)),
        # The appointment the receipt gave, also after an apology (form 04) moved it.
        due_at=dossier.original_due_at or dossier.due_at,
    )


def _missing_line(line: str) -> tuple[str, str]:
    parts = _PAPER_WHY.split(line, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1][:1].upper() + parts[1][1:]
    return line, ""


def _supplement_slip(dossier: Dossier, base: Any) -> Any:
    """Form 02, from the last supplement request: each paper and why, whom to ask."""
    event = _last_event(dossier, REQUEST_SUPPLEMENT)
    if event is None:
        return base  # imported history: the blank form, to fill in by hand
    officer = _person(event.actor)
    desk = dossier.receiving_agency
    contact = str(event.data.get("contact") or "").strip()
    if not contact and officer:
        contact = ", ".join(
            part
            for part in (officer, desk.name, f"điện thoại {desk.phone}" if desk.phone else "")
            if part
        )
    return replace(
        base,
        missing=[_missing_line(line) for line in _texts(event.data.get("missing"))],
        contact=contact,
        officer_name=officer,
        issued_at=event.at,
    )


def _refusal_slip(dossier: Dossier, base: Any) -> Any:
    """Form 03, from the refusal at reception or during processing: the reasons. The
    receiving officer signs it (who refused at reception, else who received)."""
    event = _last_event(dossier, REFUSE_RECEPTION, REFUSE)
    if event is None:
        return base
    officer = event.actor if event.action == REFUSE_RECEPTION else _receiving_officer(dossier)
    return replace(
        base,
        reasons=_texts(event.data.get("reasons")),
        officer_name=_person(officer),
        issued_at=event.at,
    )


def _apology_slip(dossier: Dossier, base: Any) -> Any:
    """Form 04, from the apology: the reason for the delay and the new return moment.
    The head of the agency signs it: no name is printed."""
    event = _last_event(dossier, APOLOGIZE)
    original = dossier.original_due_at or dossier.due_at
    if event is None:
        return replace(base, due_at=original, new_due_at=dossier.due_at)
    return replace(
        base,
        due_at=_moment(event.data.get("original_due_at")) or original,
        delay_reason=str(event.data.get("reason") or "").strip(),
        new_due_at=_moment(event.data.get("new_due_at")) or dossier.due_at,
        issued_at=event.at,
    )


def _control_slip(dossier: Dossier, base: Any) -> Any:
    """Form 05: each hand-over with the desk or agency that took the dossier (the desk
    itself for its own step, the applicant while waiting), the step's deadline, when it
    ended and whether early, on time or late (dossier_step_deadlines)."""
    from motcua.dossiers.slips import SlipStep

    states = (dossier.workflow.definition or {}).get("states") or {}
    with translation.override("vi"):  # the labels of the waits for the applicant
        rows = dossier_step_deadlines(dossier=dossier)
        steps = []
        for row in rows:
            spec = states.get(row.step) if isinstance(states.get(row.step), dict) else {}
            if row.agency is None:
                holder = "Người nộp hồ sơ"
            elif spec.get("role") == Role.RECEIVING_OFFICER:
                holder = dossier.receiving_agency.name  # the desk's own step
            else:
                holder = row.agency.name
            steps.append(
                SlipStep(
                    desk=f"{holder} – {row.label}",
                    handed_over_at=row.handed_over_at,
                    due_at=row.deadline,
                    done_at=row.done_at,
                    verdict=row.timing,
                )
            )
    return replace(base, steps=steps)


_SLIP_BUILDERS = {
    "01": _receipt_slip,
    "02": _supplement_slip,
    "03": _refusal_slip,
    "04": _apology_slip,
    "05": _control_slip,
}


def slip_context_for(*, dossier: Dossier, form: str = "01", tracking_url: str = "") -> Any:
    """The context of slip `form` (01–05) of the dossier, or None when it does not apply
    (see slip_forms). Forms 02–04 read the event that called for them."""
    if form not in slip_forms(dossier=dossier):
        return None
    return _SLIP_BUILDERS[form](dossier, _slip_common(dossier, tracking_url))


# --- form 06, the tracking register ---------------------------------------------------


@dataclass(frozen=True)
class RegisterPeriod:
    """Days of a tracking register, first and last included, in Vietnam time."""

    first: date
    last: date
    month: bool = False  # a calendar month chosen as such

    @property
    def label(self) -> str:
        if self.month:
            return f"Tháng {self.first:%m} năm {self.first:%Y}"
        return f"Từ ngày {self.first:%d/%m/%Y} đến ngày {self.last:%d/%m/%Y}"

    @property
    def slug(self) -> str:
        if self.month:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"


def _register_result(dossier: Dossier) -> str:
    if dossier.outcome == Outcome.GRANTED:
        text = "Đã trả kết quả" if dossier.returned_at else "Đã có kết quả"
    elif dossier.outcome == Outcome.REFUSED:
        text = "Từ chối giải quyết"
    elif dossier.outcome == Outcome.WITHDRAWN:
        text = "Rút hồ sơ, dừng xử lý"
    elif dossier.status == NationalStatus.SUPPLEMENT_REQUESTED:
        return f"Yêu cầu bổ sung (lần {dossier.supplement_requests})"
    elif dossier.status == NationalStatus.FEE_REQUESTED:
        text = "Chờ nộp phí, lệ phí"
    else:
        text = "Đang xử lý"
    if dossier.supplement_requests:
        text += f"; đã yêu cầu bổ sung {dossier.supplement_requests} lần"
    return text


def _register_note(dossier: Dossier) -> str:
    notes = []
    if dossier.channel == Channel.ONLINE:
        notes.append("Nộp trực tuyến")
    elif dossier.channel == Channel.POST:
        notes.append("Nộp qua bưu chính")
    if dossier.apologies:
        notes.append("Đã xin lỗi, hẹn lại")
    if dossier.is_late:
        notes.append("Quá hạn")
    return "; ".join(notes)


def _transfer_moments(dossier_ids: list[int], now: datetime) -> dict[int, datetime]:
    """When each dossier passed to the competent unit: the transfer moment its receive
    event stored (not yet reached: not transferred), read through the (dossier, id) index."""
    found: dict[int, datetime] = {}
    for start in range(0, len(dossier_ids), 500):  # SQLite caps the bound parameters
        events = DossierEvent.objects.filter(
            dossier_id__in=dossier_ids[start : start + 500], action=RECEIVE
        ).values_list("dossier_id", "data")
        for dossier_id, data in events:
            moment = _moment((data or {}).get("transfer_at"))
            if moment is not None and moment <= now:
                found.setdefault(dossier_id, moment)
    return found


def register_context(
    *, agency: Agency, period: RegisterPeriod, max_rows: int = REGISTER_MAX_ROWS
) -> Any:
    """Form 06 of `agency` for `period`: one line per dossier it received in the period,
    in order of receipt (receiving agency + received_at range, capped at max_rows)."""
    from motcua.dossiers.slips import SlipContext, SlipRegisterRow

    start = datetime.combine(period.first, time.min, tzinfo=VN_TZ)
    end = datetime.combine(period.last + timedelta(days=1), time.min, tzinfo=VN_TZ)
    dossiers = list(
        Dossier.objects.filter(receiving_agency=agency, received_at__gte=start, received_at__lt=end)
        .select_related("procedure_version", "competent_agency")
        .only(
            "code",
            "applicant_name",
            "organisation_name",
            "channel",
            "status",
            "outcome",
            "received_at",
            "due_at",
            "returned_at",
            "supplement_requests",
            "apologies",
            "is_late",
            "procedure_version__name",
            "competent_agency__name",
        )
        .order_by("received_at", "pk")[: max_rows + 1]
    )
    label = period.label
    if len(dossiers) > max_rows:
        dossiers = dossiers[:max_rows]
        last = timezone.localtime(dossiers[-1].received_at, VN_TZ)
        shown = f"{max_rows:,}".replace(",", ".")  # 1.000 as Vietnamese writes it
        label += (
            f" – chỉ in {shown} hồ sơ đầu tiên (đến {last:%H:%M %d/%m/%Y}); "
            "chọn khoảng thời gian ngắn hơn để in các hồ sơ còn lại"
        )
    transfers = _transfer_moments([d.pk for d in dossiers], timezone.now())
    return SlipContext(
        agency=_slip_agency(agency),
        period_label=label,
        register_rows=[
            SlipRegisterRow(
                code=d.code,
                procedure=d.procedure_version.name,
                applicant=d.organisation_name or d.applicant_name,
                agency=d.competent_agency.name,
                received_at=d.received_at,
                due_at=d.due_at,
                transferred_at=transfers.get(d.pk),
                result=_register_result(d),
                returned_at=d.returned_at,
                note=_register_note(d),
            )
            for d in dossiers
        ],
    )


# --- history -----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    label: str
    actor: Any
    agency: Agency | None
    note: str


def _builtin_event_labels() -> dict[str, str]:
    return {
        "submit": _("Filed online"),
        "file": _("Filed online"),
        "file_online": _("Filed online"),
        "receive": _("Dossier received"),
        "receive_at_counter": _("Received at the counter"),
        "refuse_reception": _("Refused at reception"),
        "request_supplement": _("Supplement requested"),
        "supplement_complete": _("Supplement received"),
        "request_fee": _("Fee requested"),
        "fee_paid": _("Fee paid"),
        "apologize": _("Apology sent, new return date"),
        "withdraw": _("Withdrawn at the applicant's request"),
        "refuse": _("Refused"),
        "return_result": _("Result returned"),
    }


def history_rows(*, dossier: Dossier, events: Iterable[Any]) -> list[HistoryRow]:
    """Events of a dossier with what happened in words, for officials."""
    actions = (dossier.workflow.definition or {}).get("actions") or {}
    builtin = _builtin_event_labels()
    rows = []
    for event in events:
        action = actions.get(event.action)
        if isinstance(action, dict) and action.get("label"):
            label = str(action["label"])
        elif event.action in builtin:
            label = str(builtin[event.action])
        else:
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
