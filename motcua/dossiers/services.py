"""Dossier lifecycle writes: filing, reception, processing steps, pauses, decision, return.

Every service that changes a dossier follows one pattern (DESIGN.md §3):

1. one `transaction.atomic()`;
2. re-read the row through `dossier_lock_queryset()` (the one locking queryset, so
   every writer takes the same lock the same way) and compare `expected_version` with
   `lock_version`: a page that shows an older version gets `StaleDossier`, so two
   officers can never both apply a change;
3. check the step against the dossier's workflow definition, the official's role in
   the right agency and the legal rule (`dossier_action_check`, also used by the
   selectors to show only the buttons that will work);
4. apply, `lock_version += 1`, append a `DossierEvent`, write the `Notification`
   outbox row in the same transaction; `_enqueue_delivery` runs only on commit.

Who may act (a province administrator holds every role everywhere):
- reception, supplement request, fee request, apology, return of the result: a
  receiving officer of the receiving agency (the one-stop desk the applicant deals with);
- workflow actions: a role the action names, in the competent agency — a receiving
  officer also in the receiving agency (the desk hands the dossier over), and while
  another agency is consulted, also that agency (it may record its own answer);
- refusal during processing (form 03): an approver of the competent agency;
- applicant-side acts (withdrawal, supplement delivered, fee paid): the applicant
  (no actor, a user holding no official role, or the dossier's own citizen account)
  or a receiving officer recording it at the counter. The portal must check that a
  citizen acts on their own dossier (motcua.dossiers.citizen).

Processing-clock arithmetic uses the competent agency's office calendar.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.accounts.models import Role, RoleAssignment
from motcua.accounts.selectors import user_roles
from motcua.catalog.models import (
    Level,
    PaperForm,
    ProcedureVersion,
    RequiredPaper,
    VersionState,
)
from motcua.core.calendar import (
    VN_TZ,
    WORKING_DAY,
    Duration,
    DurationKind,
    add_office_time,
    next_working_moment,
)
from motcua.core.selectors import due_at as calendar_due_at
from motcua.core.selectors import working_calendar, working_time
from motcua.core.text import fold
from motcua.dossiers import validation
from motcua.dossiers.codes import dossier_code_next
from motcua.dossiers.models import (
    ApplicantType,
    Channel,
    Dossier,
    DossierEvent,
    DossierPaper,
    NationalStatus,
    Outcome,
)
from motcua.notifications.models import Notification
from motcua.organizations.models import AdministrativeUnit, Agency, AgencyType, UnitLevel
from motcua.organizations.selectors import unit_current_successors
from motcua.workflows.definitions import (
    BUILTIN_STATES,
    DECIDED,
    FEE,
    NOT_RECEIVED,
    RETURNED,
    STOPPED,
    SUBMITTED,
    SUPPLEMENT,
    status_of,
)
from motcua.workflows.selectors import workflow_for

User = AbstractBaseUser

# --- errors ---------------------------------------------------------------------------


class DossierError(Exception):
    """A refused dossier action; the message is safe to show an official."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class StaleDossier(DossierError):
    """The page showed an older version of the dossier: someone else changed it."""


class ActionNotAllowed(DossierError):
    """Wrong step, wrong role, or a legal rule refuses the action (the message says which)."""


# --- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Applicant:
    type: str = ApplicantType.PERSON
    name: str
    id_number: str = ""
    birth_date: date | None = None
    phone: str = ""
    email: str = ""
    address: str = ""
    unit: AdministrativeUnit | None = None
    organisation_name: str = ""
    tax_code: str = ""


@dataclass(frozen=True)
class PaperInput:
    name: str
    form: str = ""
    count: int = 1
    required_paper: RequiredPaper | None = None  # of the same procedure version
    file: File | None = None
    scanned_at_counter: bool = False
    reused: bool = False


# --- action kinds -----------------------------------------------------------------------

WORKFLOW = "workflow"
FILE = "file"  # event of an online filing (not an action an official chooses)
RECEIVE = "receive"
REFUSE_RECEPTION = "refuse_reception"
REQUEST_SUPPLEMENT = "request_supplement"
SUPPLEMENT_COMPLETE = "supplement_complete"
REQUEST_FEE = "request_fee"
FEE_PAID = "fee_paid"
APOLOGIZE = "apologize"
WITHDRAW = "withdraw"
REFUSE = "refuse"
RETURN_RESULT = "return_result"

BUILTIN_ACTION_LABELS: dict[str, Any] = {
    RECEIVE: gettext_lazy("Receive the dossier"),
    REFUSE_RECEPTION: gettext_lazy("Refuse to receive"),
    REQUEST_SUPPLEMENT: gettext_lazy("Request a supplement"),
    SUPPLEMENT_COMPLETE: gettext_lazy("Supplement received"),
    REQUEST_FEE: gettext_lazy("Request the fee"),
    FEE_PAID: gettext_lazy("Fee paid at the counter"),
    APOLOGIZE: gettext_lazy("Apologise and set a new date"),
    WITHDRAW: gettext_lazy("Withdraw at the applicant's request"),
    REFUSE: gettext_lazy("Refuse, giving reasons"),
    RETURN_RESULT: gettext_lazy("Return the result"),
}
_APPLICANT_SIDE = {SUPPLEMENT_COMPLETE, FEE_PAID, WITHDRAW}
_DESK = {RECEIVE, REFUSE_RECEPTION, REQUEST_SUPPLEMENT, REQUEST_FEE, APOLOGIZE, RETURN_RESULT}

# A supplement request during appraisal must go out within 3 working days of receipt.
SUPPLEMENT_REQUEST_WINDOW = 3 * WORKING_DAY
# An apology must reach the applicant at least 1 working day before the due moment.
APOLOGY_NOTICE = WORKING_DAY

COMMUNE_AGENCY_TYPES = (
    AgencyType.COMMUNE_PEOPLES_COMMITTEE,
    AgencyType.COMMUNE_SERVICE_CENTRE,
    AgencyType.COMMUNE_POLICE,
)


def _allowed_from(kind: str, steps: Iterable[str]) -> set[str]:
    steps = set(steps)
    return {
        RECEIVE: {SUBMITTED},
        REFUSE_RECEPTION: {SUBMITTED},
        REQUEST_SUPPLEMENT: steps,
        SUPPLEMENT_COMPLETE: {SUPPLEMENT},
        REQUEST_FEE: steps,
        FEE_PAID: {FEE},
        APOLOGIZE: steps,
        WITHDRAW: {SUBMITTED, SUPPLEMENT, FEE} | steps,  # anything before a decision
        REFUSE: {SUPPLEMENT, FEE} | steps,
        RETURN_RESULT: {DECIDED},
    }[kind]


# --- small helpers ----------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, VN_TZ)


def _shown(moment: datetime) -> str:
    return _local(moment).strftime("%H:%M %d/%m/%Y")


def _iso(moment: datetime | None) -> str | None:
    return _local(moment).isoformat() if moment is not None else None


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


def _clean_list(items: Iterable[str]) -> list[str]:
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def legal_duration(procedure_version: ProcedureVersion) -> Duration | None:
    """The procedure's structured legal processing time, or None when it has none."""
    kind = procedure_version.duration_kind
    if kind == DurationKind.SAME_DAY:
        return Duration(DurationKind.SAME_DAY)
    if kind and procedure_version.duration_amount:
        return Duration(DurationKind(kind), procedure_version.duration_amount)
    return None


def add_working_timedelta(*, start: datetime, amount: timedelta, agency: Agency | None) -> datetime:
    """`start` plus `amount` of the agency's office time, to the second."""
    return add_office_time(start, max(amount, timedelta(0)), working_calendar(agency=agency))


def transfer_moment(*, received_at: datetime, agency: Agency | None) -> datetime:
    """When a dossier received at `received_at` passes to the competent unit.

    Same day if received by 15:00; after 15:00 (or outside office hours) from the
    next working morning (Decree 61/2018, art. 19).
    """
    calendar = working_calendar(agency=agency)
    local = _local(received_at)
    if local.time() > calendar.same_day_cutoff:
        day = calendar.next_working_day(local.date())
        return datetime.combine(day, calendar.sessions_on(day)[0][0], tzinfo=VN_TZ)
    return next_working_moment(received_at, calendar)


def deadline_timing(
    *, done_at: datetime | None, deadline: datetime | None, now: datetime | None = None
) -> str:
    """How a step or a dossier ended against its deadline (form 05, Decision 766).

    early: done on a day before the deadline's day; on_time: on the deadline's day, not
    after the deadline; late: after it. Unfinished: late once the deadline has passed,
    else "". No deadline: "".
    """
    if deadline is None:
        return ""
    if done_at is None:
        return "late" if (now or timezone.now()) > deadline else ""
    if done_at > deadline:
        return "late"
    return "early" if _local(done_at).date() < _local(deadline).date() else "on_time"


# --- applicant and papers ---------------------------------------------------------------


def applicant_clean(applicant: Applicant) -> Applicant:
    """The applicant with normalised values; ValidationError(field → message) if wrong."""
    errors: dict[str, str] = {}
    name = applicant.name.strip() if isinstance(applicant.name, str) else ""
    organisation_name = applicant.organisation_name.strip()
    id_number = applicant.id_number.replace(" ", "").strip()
    phone = validation.normalize_phone(applicant.phone) if applicant.phone.strip() else ""
    email = applicant.email.strip()
    tax_code = applicant.tax_code.replace(" ", "").strip()
    address = applicant.address.strip()
    if applicant.type not in ApplicantType.values:
        errors["type"] = _("Applicant type: must be a person or an organisation.")
    if not name:
        errors["name"] = _("Full name: this field is required.")
    elif len(name) > 200:
        errors["name"] = _("Full name: at most %(n)d characters.") % {"n": 200}
    if applicant.type == ApplicantType.ORGANISATION and not organisation_name:
        errors["organisation_name"] = _("Organisation: this field is required for an organisation.")
    elif len(organisation_name) > 300:
        errors["organisation_name"] = _("Organisation: at most %(n)d characters.") % {"n": 300}
    if len(address) > 300:
        errors["address"] = _("Address: at most %(n)d characters.") % {"n": 300}
    if applicant.birth_date is not None and (
        problem := validation.birth_date_error(applicant.birth_date)
    ):
        errors["birth_date"] = problem
    if id_number and (problem := validation.cccd_error(id_number, birth_date=applicant.birth_date)):
        errors["id_number"] = problem
    if phone and (problem := validation.phone_error(phone)):
        errors["phone"] = problem
    if email and (problem := validation.email_error(email)):
        errors["email"] = problem
    if tax_code and (problem := validation.tax_code_error(tax_code)):
        errors["tax_code"] = problem
    if applicant.unit is not None and applicant.unit.level != UnitLevel.COMMUNE:
        errors["unit"] = _("Commune or ward: choose a commune, ward or special zone.")
    if errors:
        raise ValidationError(errors)
    return dataclasses.replace(
        applicant,
        name=name,
        organisation_name=organisation_name,
        id_number=id_number,
        phone=phone,
        email=email,
        tax_code=tax_code,
        address=address,
    )


def _paper_errors(papers: Sequence[PaperInput], procedure_version: ProcedureVersion) -> list[str]:
    errors: list[str] = []
    forms = {"", *PaperForm.values}
    for number, paper in enumerate(papers, start=1):
        if not isinstance(paper.name, str) or not paper.name.strip():
            errors.append(_("Papers: paper %(n)d needs a name.") % {"n": number})
        elif len(paper.name.strip()) > 500:
            errors.append(_("Papers: the name of paper %(n)d is too long.") % {"n": number})
        if paper.form not in forms:
            errors.append(
                _("Papers: paper %(n)d has an unknown form (original or copy).") % {"n": number}
            )
        if (
            isinstance(paper.count, bool)
            or not isinstance(paper.count, int)
            or not (1 <= paper.count <= 1000)
        ):
            errors.append(
                _("Papers: the number of copies of paper %(n)d must be 1 to 1000.") % {"n": number}
            )
        if (
            paper.required_paper is not None
            and paper.required_paper.version_id != procedure_version.pk
        ):
            errors.append(
                _("Papers: paper %(n)d is not a paper of this procedure.") % {"n": number}
            )
    return errors


def _filing_errors(
    *,
    procedure_version: ProcedureVersion,
    receiving_agency: Agency,
    form_data: Any,
    papers: Sequence[PaperInput],
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if procedure_version.state != VersionState.PUBLISHED:
        errors["procedure_version"] = _(
            "Procedure: this version is not in force; choose the current one."
        )
    if not receiving_agency.is_active:
        errors["receiving_agency"] = _("Receiving agency: this agency no longer receives dossiers.")
    if form_data is not None and not isinstance(form_data, dict):
        errors["form_data"] = _("Form answers: must be a set of named answers.")
    if paper_errors := _paper_errors(papers, procedure_version):
        errors["papers"] = paper_errors
    return errors


def _filing_clean(
    *,
    applicant: Applicant,
    procedure_version: ProcedureVersion,
    receiving_agency: Agency,
    form_data: Any,
    papers: Sequence[PaperInput],
) -> Applicant:
    """Validate everything a filing carries; raise one ValidationError naming every field."""
    errors = _filing_errors(
        procedure_version=procedure_version,
        receiving_agency=receiving_agency,
        form_data=form_data,
        papers=papers,
    )
    try:
        applicant = applicant_clean(applicant)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    return applicant


def _apply_applicant(dossier: Dossier, applicant: Applicant) -> None:
    dossier.applicant_type = applicant.type
    dossier.applicant_name = applicant.name
    dossier.applicant_id_number = applicant.id_number
    dossier.applicant_birth_date = applicant.birth_date
    dossier.applicant_phone = applicant.phone
    dossier.applicant_email = applicant.email
    dossier.applicant_address = applicant.address
    dossier.applicant_unit = applicant.unit
    dossier.organisation_name = applicant.organisation_name
    dossier.organisation_tax_code = applicant.tax_code


def _save_papers(dossier: Dossier, papers: Sequence[PaperInput]) -> None:
    # Files are written to storage at save(); a rolled-back transaction can leave an
    # orphan file behind but never a row pointing at a missing file.
    for paper in papers:
        DossierPaper.objects.create(
            dossier=dossier,
            required_paper=paper.required_paper,
            name=paper.name.strip(),
            form=paper.form,
            count=paper.count,
            file=paper.file,
            scanned_at_counter=paper.scanned_at_counter,
            reused=paper.reused,
        )
    if any(p.scanned_at_counter for p in papers) and not dossier.scanned_at_counter:
        dossier.scanned_at_counter = True
    if any(p.reused for p in papers) and not dossier.reused_data:
        dossier.reused_data = True


# --- routing ------------------------------------------------------------------------------


def _province_of(unit: AdministrativeUnit) -> AdministrativeUnit | None:
    while unit is not None and unit.level != UnitLevel.PROVINCE:
        unit = unit.parent
    return unit


def _current_commune(unit: AdministrativeUnit | None) -> AdministrativeUnit | None:
    if unit is None or unit.level != UnitLevel.COMMUNE:
        return None
    successors = unit_current_successors(unit=unit)
    return successors[0] if len(successors) == 1 else None  # split communes: no guess


def _agency_in(unit: AdministrativeUnit | None, agency_type: str) -> Agency | None:
    if unit is None:
        return None
    agencies = Agency.objects.filter(unit=unit, type=agency_type, is_active=True)
    return agencies.order_by("code").first()


def _province_agency(
    province: AdministrativeUnit | None,
    agency_type: str,
    receiving_agency: Agency,
    agency_text: str,
) -> Agency | None:
    if province is None:
        return None
    if receiving_agency.type == agency_type and receiving_agency.unit_id == province.pk:
        return receiving_agency
    candidates = list(
        Agency.objects.filter(unit=province, type=agency_type, is_active=True).order_by("code")
    )
    if len(candidates) == 1:
        return candidates[0]
    # Several departments: the one the published text names ("Sở Tư pháp" matches
    # "Sở Tư pháp tỉnh Lào Cai"); none or several named → no guess.
    text = f" {fold(agency_text)} "
    named = [a for a in candidates if f" {fold(a.name.split(' tỉnh ')[0])} " in text]
    return named[0] if len(named) == 1 else None


def competent_agency_for(
    *,
    procedure_version: ProcedureVersion,
    receiving_agency: Agency,
    applicant_unit: AdministrativeUnit | None,
) -> Agency:
    """The agency that processes a dossier of `procedure_version` filed at `receiving_agency`.

    1. Home commune: for a boundary-independent procedure the applicant's commune
       (today's successor of a former unit), else the receiving agency's commune; each
       falls back to the other when unknown. Province: the receiving agency's.
    2. The procedure's published competent agency types, commune-level types first
       when there is a home commune, province-level types first otherwise. A
       commune-level type resolves to the agency of that type in the home commune; a
       province-level type to the receiving agency if it is of that type, else the only
       agency of that type in the province, else the one the published agency text names.
    3. No published type resolves: the People's Committee of the home commune for a
       commune-level procedure (so a commune procedure that is not boundary-independent
       goes to the receiving commune's People's Committee), else the provincial
       People's Committee; failing all, the receiving agency itself.
    """
    receiving_commune = (
        receiving_agency.unit if receiving_agency.unit.level == UnitLevel.COMMUNE else None
    )
    applicant_commune = _current_commune(applicant_unit)
    if procedure_version.boundary_independent:
        home = applicant_commune or receiving_commune
    else:
        home = receiving_commune or applicant_commune
    province = _province_of(receiving_agency.unit)
    types = [str(t) for t in procedure_version.competent_agency_types or []]
    commune_types = [t for t in types if t in COMMUNE_AGENCY_TYPES]
    province_types = [t for t in types if t not in COMMUNE_AGENCY_TYPES]
    ordered = commune_types + province_types if home else province_types + commune_types
    for agency_type in ordered:
        if agency_type in COMMUNE_AGENCY_TYPES:
            found = _agency_in(home, agency_type)
        else:
            found = _province_agency(
                province, agency_type, receiving_agency, procedure_version.agency_text
            )
        if found is not None:
            return found
    levels = procedure_version.levels or []
    if home is not None and (Level.COMMUNE in levels or not levels):
        found = _agency_in(home, AgencyType.COMMUNE_PEOPLES_COMMITTEE)
        if found is not None:
            return found
    found = _agency_in(province, AgencyType.PROVINCE_PEOPLES_COMMITTEE)
    if found is not None and (Level.PROVINCE in levels or home is None):
        return found
    return receiving_agency


# --- locking, checks, events, notifications ---------------------------------------------------


def dossier_lock_queryset() -> QuerySet[Dossier]:
    """The one queryset every service locks dossier rows with (Saleor's lock_objects).

    `of=("self",)`: lock the dossier row only, never rows joined by select_related (and
    PostgreSQL refuses FOR UPDATE on the nullable side of an outer join).
    """
    return Dossier.objects.select_for_update(of=("self",)).select_related(
        "workflow",
        "procedure_version",
        "receiving_agency",
        "competent_agency",
        "consult_agency",
    )


def _lock(dossier: Dossier, expected_version: int) -> Dossier:
    locked = dossier_lock_queryset().get(pk=dossier.pk)
    if locked.lock_version != expected_version:
        raise StaleDossier(
            _(
                "Someone else changed this dossier in the meantime (version %(current)d, your "
                "page shows version %(expected)d). Reload it and check before trying again."
            )
            % {"current": locked.lock_version, "expected": expected_version}
        )
    return locked


RolesIn = Callable[[Agency | None], set[str]]


def roles_lookup(user: User | None) -> RolesIn:
    """roles_in(agency) → the user's roles there, each agency read once."""
    cache: dict[int, set[str]] = {}

    def roles_in(agency: Agency | None) -> set[str]:
        if user is None or agency is None or not user.is_authenticated:
            return set()
        if agency.pk not in cache:
            cache[agency.pk] = user_roles(user=user, agency=agency)
        return cache[agency.pk]

    return roles_in


def _step_label(definition: dict[str, Any], state: str) -> str:
    if state in BUILTIN_STATES:
        return str(NationalStatus(BUILTIN_STATES[state]).label)
    return definition["states"].get(state, {}).get("label", state)


def _require(options: list[tuple[Agency | None, Iterable[str]]], roles_in: RolesIn) -> Agency:
    """The first agency where the user holds one of the roles; else ActionNotAllowed."""
    for agency, roles in options:
        if agency is not None and roles_in(agency) & set(roles):
            return agency
    needed = "; ".join(
        _("%(roles)s of %(agency)s")
        % {"roles": _(" or ").join(str(Role(r).label) for r in roles), "agency": agency.name}
        for agency, roles in options
        if agency is not None
    )
    raise ActionNotAllowed(
        _("Your role does not allow this. It needs: %(needed)s.") % {"needed": needed}
    )


def _is_official(user: User) -> bool:
    return RoleAssignment.objects.filter(user=user).exists()


def _check_workflow(dossier: Dossier, action: str, roles_in: RolesIn) -> Agency:
    definition = dossier.workflow.definition
    spec = definition["actions"].get(action)
    if spec is None:
        raise ActionNotAllowed(
            _("The workflow of this dossier has no action “%(action)s”.") % {"action": action}
        )
    if dossier.state not in spec["from"]:
        raise ActionNotAllowed(
            _("“%(action)s” is not possible while the dossier is at the step “%(step)s”.")
            % {"action": spec["label"], "step": _step_label(definition, dossier.state)}
        )
    roles = spec["roles"]
    options: list[tuple[Agency | None, Iterable[str]]] = [(dossier.competent_agency, roles)]
    if Role.RECEIVING_OFFICER in roles and dossier.receiving_agency != dossier.competent_agency:
        options.append((dossier.receiving_agency, [Role.RECEIVING_OFFICER]))
    if dossier.consult_agency_id:
        options.append((dossier.consult_agency, roles))
    return _require(options, roles_in)


def _check(
    dossier: Dossier, user: User | None, kind: str, action: str, now: datetime, roles_in: RolesIn
) -> Agency | None:
    """Raise ActionNotAllowed unless the action may happen now; return the agency the
    user acts for (None: the applicant or a payment gateway)."""
    if kind == WORKFLOW:
        return _check_workflow(dossier, action, roles_in)
    if kind not in BUILTIN_ACTION_LABELS:
        raise ActionNotAllowed(_("Unknown action “%(action)s”.") % {"action": kind})
    definition = dossier.workflow.definition
    if dossier.state not in _allowed_from(kind, definition["states"]):
        raise ActionNotAllowed(
            _("“%(action)s” is not possible while the dossier is at the step “%(step)s”.")
            % {
                "action": BUILTIN_ACTION_LABELS[kind],
                "step": _step_label(definition, dossier.state),
            }
        )
    desk = [(dossier.receiving_agency, [Role.RECEIVING_OFFICER])]
    agency: Agency | None
    if kind in _APPLICANT_SIDE:
        # The applicant acts for themself; an official only records it at the desk
        # (unless it is their own dossier, from their portal account).
        official = _actor(user) and user.pk != dossier.citizen_id and _is_official(user)
        agency = _require(desk, roles_in) if official else None
    elif kind == REFUSE:
        agency = _require([(dossier.competent_agency, [Role.APPROVER])], roles_in)
    else:
        agency = _require(desk, roles_in)
    if kind == REQUEST_FEE and dossier.fee_amount:
        raise ActionNotAllowed(_("A fee has already been requested for this dossier."))
    if kind == APOLOGIZE:
        if dossier.apologies:
            raise ActionNotAllowed(
                _("This dossier has already been rescheduled once: the law allows one apology.")
            )
        if dossier.due_at is None:
            raise ActionNotAllowed(_("This dossier has no due moment to reschedule."))
        left = working_time(start=now, end=dossier.due_at, agency=dossier.competent_agency)
        if left < APOLOGY_NOTICE:
            raise ActionNotAllowed(
                _(
                    "An apology must be sent at least 1 working day before the due moment "
                    "(%(due)s); it is too late now."
                )
                % {"due": _shown(dossier.due_at)}
            )
    return agency


def dossier_action_check(
    *,
    dossier: Dossier,
    user: User | None,
    kind: str,
    action: str = "",
    now: datetime | None = None,
    roles_in: RolesIn | None = None,
) -> Agency | None:
    """Raise ActionNotAllowed unless `user` may do `kind` (a built-in action, or
    "workflow" with `action`) on `dossier` now: step, role, and the rules that do not
    depend on what the official types. Returns the agency the user acts for."""
    return _check(
        dossier, user, kind, action, now or timezone.now(), roles_in or roles_lookup(user)
    )


def _event(
    dossier: Dossier,
    *,
    action: str,
    from_state: str,
    actor: User | None,
    agency: Agency | None,
    at: datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier,
        action=action,
        from_state=from_state,
        to_state=dossier.state,
        status=dossier.status,
        actor=_actor(actor),
        agency=agency,
        at=at,
        note=note,
        data=data or {},
    )


def _enqueue_delivery(ids: list[int]) -> None:
    """Hand committed outbox rows to the delivery worker (runs only after commit: a
    rolled-back action never announces anything). Never raises: a row whose job could
    not be queued stays `created` and the outbox sweeper queues it."""
    from motcua.notifications.services import notifications_enqueue

    notifications_enqueue(ids=ids)


def _account_contact(dossier: Dossier) -> tuple[str, str]:
    """(phone, e-mail) of the citizen account an online dossier belongs to: the choice
    made on the account's contact page applies to the dossier's news."""
    if dossier.citizen_id is None:
        return "", ""
    from motcua.accounts.models import CitizenProfile

    found = CitizenProfile.objects.filter(user_id=dossier.citizen_id).values_list(
        "phone", "email"
    )
    return next(((phone or "", email) for phone, email in found), ("", ""))


def _notify(dossier: Dossier, event: DossierEvent, template: str, **context: Any) -> None:
    from motcua.notifications.selectors import contact_preference_for

    account_phone, account_email = _account_contact(dossier)
    email = dossier.applicant_email or account_email
    if not (dossier.applicant_phone or email):
        return  # nobody to tell; the slip and the portal carry the news
    row = Notification.objects.create(
        dossier=dossier,
        event=event,
        # Failures show on the page of the desk the applicant deals with.
        agency_id=dossier.receiving_agency_id,
        template=template,
        recipient_phone=dossier.applicant_phone,
        recipient_email=email,
        preferred_channel=contact_preference_for(
            phone=account_phone or dossier.applicant_phone, email=email
        ),
        context={
            "code": dossier.code,
            "procedure": dossier.procedure_version.name,
            "applicant": dossier.applicant_name,
            "agency": dossier.receiving_agency.name,
            **context,
        },
    )
    transaction.on_commit(functools.partial(_enqueue_delivery, [row.pk]))


def _save(dossier: Dossier) -> None:
    dossier.lock_version += 1
    dossier.save()


def _start_clock(dossier: Dossier, now: datetime) -> str:
    """Start (or restart) the legal clock at `now`; returns a note when there is no due."""
    dossier.clock_started_at = now
    duration = legal_duration(dossier.procedure_version)
    if duration is None:
        dossier.due_at = None
        return _("The procedure has no structured processing time: no due moment was set.")
    dossier.due_at = calendar_due_at(start=now, duration=duration, agency=dossier.competent_agency)
    return ""


def _resume(dossier: Dossier) -> None:
    dossier.state = dossier.resume_state
    dossier.status = status_of(dossier.workflow.definition, dossier.state)
    dossier.resume_state = ""
    dossier.paused_at = None


def _end_supplement_wait(dossier: Dossier, now: datetime) -> int:
    """Add the working time spent waiting for the supplement; returns those seconds."""
    if dossier.state != SUPPLEMENT or dossier.paused_at is None:
        return 0
    waited = working_time(start=dossier.paused_at, end=now, agency=dossier.competent_agency)
    seconds = max(0, int(waited.total_seconds()))
    dossier.supplement_seconds += seconds
    return seconds


def _clear_pause(dossier: Dossier) -> None:
    dossier.resume_state = ""
    dossier.paused_at = None
    dossier.paused_remaining_seconds = None
    dossier.consult_agency = None


def _aware(moment: datetime) -> datetime:
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=VN_TZ)


# --- filing and reception ---------------------------------------------------------------------


def _new_dossier(
    *,
    procedure_version: ProcedureVersion,
    applicant: Applicant,
    receiving_agency: Agency,
    form_data: dict[str, Any] | None,
    channel: int,
    filed_by: User | None,
    now: datetime,
) -> Dossier:
    workflow = workflow_for(procedure_version=procedure_version)
    dossier = Dossier(
        code=dossier_code_next(agency=receiving_agency, at=now),
        procedure_version=procedure_version,
        workflow=workflow,
        channel=channel,
        filed_by=_actor(filed_by),
        receiving_agency=receiving_agency,
        competent_agency=competent_agency_for(
            procedure_version=procedure_version,
            receiving_agency=receiving_agency,
            applicant_unit=applicant.unit,
        ),
        form_data=form_data or {},
        submitted_at=now,
    )
    _apply_applicant(dossier, applicant)
    return dossier


def dossier_file_online(
    *,
    procedure_version: ProcedureVersion,
    applicant: Applicant,
    receiving_agency: Agency,
    form_data: dict[str, Any] | None = None,
    papers: Sequence[PaperInput] = (),
    filed_by: User | None = None,
    citizen: User | None = None,
) -> Dossier:
    """An online filing (status 1): the dossier gets its code now and waits for reception.

    `citizen`: the portal account it belongs to (their "my dossiers").
    `filed_by`: an official filing online on the applicant's behalf (assisted mode or the
    paperless pilot); they must be a receiving officer of `receiving_agency`.
    The applicant is told at once that the dossier was sent (template "filed").
    """
    applicant = _filing_clean(
        applicant=applicant,
        procedure_version=procedure_version,
        receiving_agency=receiving_agency,
        form_data=form_data,
        papers=papers,
    )
    if _actor(filed_by) is not None:
        _require([(receiving_agency, [Role.RECEIVING_OFFICER])], roles_lookup(filed_by))
    with transaction.atomic():
        now = timezone.now()
        dossier = _new_dossier(
            procedure_version=procedure_version,
            applicant=applicant,
            receiving_agency=receiving_agency,
            form_data=form_data,
            channel=Channel.ONLINE,
            filed_by=filed_by,
            now=now,
        )
        dossier.state = SUBMITTED
        dossier.status = NationalStatus.FILED
        dossier.citizen = citizen
        _save_papers_after(dossier, papers)
        event = _event(
            dossier,
            action=FILE,
            from_state="",
            actor=filed_by,
            agency=receiving_agency,
            at=now,
            data={
                "channel": Channel.ONLINE,
                "assisted": _actor(filed_by) is not None,
                "competent_agency": dossier.competent_agency_id,
                "papers": len(papers),
            },
        )
        _notify(dossier, event, "filed")
    return dossier


def _save_papers_after(dossier: Dossier, papers: Sequence[PaperInput]) -> None:
    dossier.save()  # papers need the dossier's id
    if papers:
        _save_papers(dossier, papers)
        dossier.save(update_fields=["scanned_at_counter", "reused_data"])


def _received(dossier: Dossier, now: datetime) -> tuple[str, dict[str, Any]]:
    """Enter the workflow's start step at receipt; returns the event note and data."""
    dossier.state = dossier.workflow.definition["start"]
    dossier.status = status_of(dossier.workflow.definition, dossier.state)
    dossier.received_at = now
    note = _start_clock(dossier, now)
    transfer = transfer_moment(received_at=now, agency=dossier.receiving_agency)
    return note, {
        "due_at": _iso(dossier.due_at),
        "transfer_at": _iso(transfer),
        "competent_agency": dossier.competent_agency_id,
    }


def dossier_receive_at_counter(
    *,
    officer: User,
    agency: Agency,
    procedure_version: ProcedureVersion,
    applicant: Applicant,
    form_data: dict[str, Any] | None = None,
    papers: Sequence[PaperInput] = (),
    channel: int = Channel.IN_PERSON,
) -> Dossier:
    """A dossier brought to the desk (or by post), typed in by the officer and received
    at once (status 2): code, clock started, due moment, receipt notification."""
    _require([(agency, [Role.RECEIVING_OFFICER])], roles_lookup(officer))
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Channel: must be in person, online or post.")})
    applicant = _filing_clean(
        applicant=applicant,
        procedure_version=procedure_version,
        receiving_agency=agency,
        form_data=form_data,
        papers=papers,
    )
    with transaction.atomic():
        now = timezone.now()
        dossier = _new_dossier(
            procedure_version=procedure_version,
            applicant=applicant,
            receiving_agency=agency,
            form_data=form_data,
            channel=channel,
            filed_by=officer,
            now=now,
        )
        note, data = _received(dossier, now)
        _save_papers_after(dossier, papers)
        event = _event(
            dossier,
            action=RECEIVE,
            from_state="",
            actor=officer,
            agency=agency,
            at=now,
            note=note,
            data={**data, "channel": int(channel), "assisted": True, "papers": len(papers)},
        )
        _notify(dossier, event, "received", due_at=data["due_at"])
    return dossier


def dossier_receive(*, dossier: Dossier, officer: User, expected_version: int) -> Dossier:
    """Receive an online dossier (status 1 → the workflow's start step, clock starts)."""
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(dossier=dossier, user=officer, kind=RECEIVE, now=now)
        from_state = dossier.state
        note, data = _received(dossier, now)
        _save(dossier)
        event = _event(
            dossier,
            action=RECEIVE,
            from_state=from_state,
            actor=officer,
            agency=agency,
            at=now,
            note=note,
            data=data,
        )
        _notify(dossier, event, "received", due_at=data["due_at"])
    return dossier


def dossier_refuse_reception(
    *, dossier: Dossier, officer: User, reasons: list[str], expected_version: int
) -> Dossier:
    """Refuse an online dossier at reception (status 3), with written reasons."""
    reasons = _clean_list(reasons)
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(dossier=dossier, user=officer, kind=REFUSE_RECEPTION, now=now)
        if not reasons:
            raise ActionNotAllowed(_("Give at least one reason for refusing the dossier."))
        from_state = dossier.state
        dossier.state = NOT_RECEIVED
        dossier.status = NationalStatus.NOT_RECEIVED
        dossier.outcome = Outcome.NOT_RECEIVED
        _save(dossier)
        event = _event(
            dossier,
            action=REFUSE_RECEPTION,
            from_state=from_state,
            actor=officer,
            agency=agency,
            at=now,
            data={"reasons": reasons},
        )
        _notify(dossier, event, "refused", reasons=reasons, at_reception=True)
    return dossier


# --- processing ---------------------------------------------------------------------------------


def _check_assignee(dossier: Dossier, target: str, assignee: User) -> None:
    steps = dossier.workflow.definition["states"]
    if target not in steps:
        raise ActionNotAllowed(_("No one can be assigned once the dossier is decided."))
    role = steps[target]["role"]
    roles_in = roles_lookup(assignee)
    agencies = [dossier.competent_agency, dossier.consult_agency]
    if role == Role.RECEIVING_OFFICER:
        agencies.append(dossier.receiving_agency)
    if not any(role in roles_in(agency) for agency in agencies):
        raise ActionNotAllowed(
            _("%(name)s cannot be assigned: the step “%(step)s” needs a %(role)s.")
            % {
                "name": assignee.get_username(),
                "step": steps[target]["label"],
                "role": Role(role).label,
            }
        )


def dossier_act(
    *,
    dossier: Dossier,
    officer: User,
    action: str,
    expected_version: int,
    note: str = "",
    consult_agency: Agency | None = None,
    assignee: User | None = None,
) -> Dossier:
    """Apply a workflow action (assign, propose, approve, consult, …).

    A consultation action needs `consult_agency`; the consulted agency keeps the
    dossier until an action leaves the consulting step. An action leading to
    "decided" grants the request (a refusal is `dossier_refuse`).
    """
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(
            dossier=dossier, user=officer, kind=WORKFLOW, action=action, now=now
        )
        definition = dossier.workflow.definition
        spec = definition["actions"][action]
        target = spec["to"]
        data: dict[str, Any] = {"kind": WORKFLOW, "label": spec["label"]}
        if spec.get("consult"):
            if consult_agency is None:
                raise ActionNotAllowed(_("Choose the agency to consult."))
            if consult_agency.pk == dossier.competent_agency_id or not consult_agency.is_active:
                raise ActionNotAllowed(
                    _("Consult another active agency, not the competent agency itself.")
                )
        elif consult_agency is not None:
            raise ActionNotAllowed(
                _("“%(action)s” does not consult another agency.") % {"action": spec["label"]}
            )
        from_state = dossier.state
        if dossier.consult_agency_id:  # leaving the consultation: the answer is in
            data["consulted_agency"] = dossier.consult_agency_id
            dossier.consult_agency = None
        if spec.get("consult"):
            dossier.consult_agency = consult_agency
            data["consult_agency"] = consult_agency.pk
            days = definition["states"][target].get("sla_working_days")
            if days:
                data["consult_deadline"] = _iso(
                    calendar_due_at(
                        start=now,
                        duration=Duration(DurationKind.WORKING_DAYS, days),
                        agency=consult_agency,
                    )
                )
        if assignee is not None:
            _check_assignee(dossier, target, assignee)
            dossier.assignee = assignee
            data["assignee"] = assignee.pk
        template = ""
        if target == DECIDED:
            dossier.state = DECIDED
            dossier.status = NationalStatus.DECIDED
            dossier.outcome = Outcome.GRANTED
            dossier.decided_at = now
            if dossier.due_at is not None and now > dossier.due_at:
                dossier.is_late = True
            data["timing"] = deadline_timing(done_at=now, deadline=dossier.due_at)
            template = "result_ready"
        else:
            dossier.state = target
            dossier.status = status_of(definition, target)
        _save(dossier)
        event = _event(
            dossier,
            action=action,
            from_state=from_state,
            actor=officer,
            agency=agency,
            at=now,
            note=note.strip(),
            data=data,
        )
        if template:
            _notify(dossier, event, template)
    return dossier


def dossier_request_supplement(
    *, dossier: Dossier, officer: User, missing: list[str], expected_version: int, contact: str = ""
) -> Dossier:
    """Ask the applicant for everything missing (form 02); the clock pauses.

    Allowed once; a second request is still recorded but makes the dossier late, and so
    does a request more than 3 working days after receipt.
    """
    missing = _clean_list(missing)
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(
            dossier=dossier, user=officer, kind=REQUEST_SUPPLEMENT, now=now
        )
        if not missing:
            raise ActionNotAllowed(_("List every missing or incorrect paper (form 02)."))
        late: list[str] = []
        if dossier.supplement_requests >= 1:
            late.append("second_request")
        if (
            dossier.received_at is not None
            and working_time(start=dossier.received_at, end=now, agency=dossier.competent_agency)
            > SUPPLEMENT_REQUEST_WINDOW
        ):
            late.append("after_3_working_days")
        notes = {
            "second_request": _("A second supplement request: the dossier counts as late."),
            "after_3_working_days": _(
                "Requested more than 3 working days after receipt: the dossier counts as late."
            ),
        }
        if late:
            dossier.is_late = True
        from_state = dossier.state
        dossier.resume_state = from_state
        dossier.state = SUPPLEMENT
        dossier.status = NationalStatus.SUPPLEMENT_REQUESTED
        dossier.paused_at = now
        dossier.supplement_requests += 1
        _save(dossier)
        event = _event(
            dossier,
            action=REQUEST_SUPPLEMENT,
            from_state=from_state,
            actor=officer,
            agency=agency,
            at=now,
            note=" ".join(str(notes[r]) for r in late),
            data={
                "missing": missing,
                "contact": contact.strip(),
                "request_number": dossier.supplement_requests,
                "late": late,
            },
        )
        _notify(dossier, event, "supplement_requested", missing=missing, contact=contact.strip())
    return dossier


def dossier_supplement_complete(
    *,
    dossier: Dossier,
    expected_version: int,
    actor: User | None = None,
    papers: Sequence[PaperInput] = (),
) -> Dossier:
    """The complete dossier arrived: the clock restarts for the full legal time."""
    if paper_errors := _paper_errors(papers, dossier.procedure_version):
        raise ValidationError({"papers": paper_errors})
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(
            dossier=dossier, user=actor, kind=SUPPLEMENT_COMPLETE, now=now
        )
        waited = _end_supplement_wait(dossier, now)
        _resume(dossier)
        note = _start_clock(dossier, now)
        _save_papers(dossier, papers)
        _save(dossier)
        event = _event(
            dossier,
            action=SUPPLEMENT_COMPLETE,
            from_state=SUPPLEMENT,
            actor=actor,
            agency=agency or dossier.receiving_agency,
            at=now,
            note=note,
            data={
                "waited_working_seconds": waited,
                "due_at": _iso(dossier.due_at),
                "papers": len(papers),
            },
        )
        _notify(dossier, event, "received", due_at=_iso(dossier.due_at), after_supplement=True)
    return dossier


def dossier_request_fee(
    *, dossier: Dossier, officer: User, amount_vnd: int, expected_version: int
) -> Dossier:
    """Ask for the fee (status 6): the clock pauses, the remaining working time is kept."""
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise ActionNotAllowed(_("The fee must be a positive whole number of VND."))
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(dossier=dossier, user=officer, kind=REQUEST_FEE, now=now)
        remaining: int | None = None
        if dossier.due_at is not None:
            left = working_time(start=now, end=dossier.due_at, agency=dossier.competent_agency)
            remaining = max(0, int(left.total_seconds()))
        from_state = dossier.state
        dossier.resume_state = from_state
        dossier.state = FEE
        dossier.status = NationalStatus.FEE_REQUESTED
        dossier.paused_at = now
        dossier.paused_remaining_seconds = remaining
        dossier.fee_amount = amount_vnd
        _save(dossier)
        event = _event(
            dossier,
            action=REQUEST_FEE,
            from_state=from_state,
            actor=officer,
            agency=agency,
            at=now,
            data={"amount_vnd": amount_vnd, "remaining_working_seconds": remaining},
        )
        _notify(dossier, event, "fee_requested", amount_vnd=amount_vnd)
    return dossier


def dossier_fee_paid(
    *, dossier: Dossier, expected_version: int, online: bool, actor: User | None = None
) -> Dossier:
    """The fee is paid: the clock resumes with the working time that was left.

    Online payments come from the payment gateway (no actor needed); a payment at the
    counter must be recorded by a receiving officer.
    """
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(dossier=dossier, user=actor, kind=FEE_PAID, now=now)
        if not online and agency is None:
            raise ActionNotAllowed(
                _("A payment at the counter must be recorded by a receiving officer of %(agency)s.")
                % {"agency": dossier.receiving_agency.name}
            )
        remaining = dossier.paused_remaining_seconds
        _resume(dossier)
        if remaining is not None:
            dossier.due_at = add_working_timedelta(
                start=now, amount=timedelta(seconds=remaining), agency=dossier.competent_agency
            )
        dossier.paused_remaining_seconds = None
        dossier.paid_online = bool(online)
        dossier.fee_paid_at = now
        _save(dossier)
        event = _event(
            dossier,
            action=FEE_PAID,
            from_state=FEE,
            actor=actor,
            agency=agency or dossier.receiving_agency,
            at=now,
            data={
                "online": bool(online),
                "amount_vnd": dossier.fee_amount,
                "due_at": _iso(dossier.due_at),
            },
        )
        _notify(
            dossier,
            event,
            "payment_received",
            amount_vnd=dossier.fee_amount,
            due_at=_iso(dossier.due_at),
        )
    return dossier


def dossier_apologize(
    *, dossier: Dossier, officer: User, reason: str, new_due_at: datetime, expected_version: int
) -> Dossier:
    """Apology and new date (form 04): once, at least 1 working day before the due moment."""
    reason = reason.strip()
    new_due_at = _aware(new_due_at)
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(dossier=dossier, user=officer, kind=APOLOGIZE, now=now)
        if not reason:
            raise ActionNotAllowed(_("Give the reason for the delay (form 04)."))
        if new_due_at <= dossier.due_at:
            raise ActionNotAllowed(
                _("The new due moment must be after the current one (%(due)s).")
                % {"due": _shown(dossier.due_at)}
            )
        dossier.original_due_at = dossier.due_at
        dossier.due_at = new_due_at
        dossier.apologies += 1
        _save(dossier)
        event = _event(
            dossier,
            action=APOLOGIZE,
            from_state=dossier.state,
            actor=officer,
            agency=agency,
            at=now,
            data={
                "reason": reason,
                "original_due_at": _iso(dossier.original_due_at),
                "new_due_at": _iso(new_due_at),
            },
        )
        _notify(dossier, event, "apology", reason=reason, new_due_at=_iso(new_due_at))
    return dossier


def dossier_withdraw(
    *, dossier: Dossier, expected_version: int, reason: str, actor: User | None = None
) -> Dossier:
    """The applicant withdraws before a decision: processing stops (status 8)."""
    reason = reason.strip()
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(dossier=dossier, user=actor, kind=WITHDRAW, now=now)
        if not reason:
            raise ActionNotAllowed(_("Give the reason for the withdrawal."))
        from_state = dossier.state
        _end_supplement_wait(dossier, now)
        _clear_pause(dossier)
        dossier.state = STOPPED
        dossier.status = NationalStatus.STOPPED
        dossier.outcome = Outcome.WITHDRAWN
        _save(dossier)
        event = _event(
            dossier,
            action=WITHDRAW,
            from_state=from_state,
            actor=actor,
            agency=agency or dossier.receiving_agency,
            at=now,
            data={"reason": reason},
        )
        _notify(dossier, event, "withdrawn", reason=reason)
    return dossier


def dossier_refuse(
    *, dossier: Dossier, officer: User, reasons: list[str], expected_version: int
) -> Dossier:
    """Refuse during processing (form 03): decided (status 9), outcome refused."""
    reasons = _clean_list(reasons)
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(dossier=dossier, user=officer, kind=REFUSE, now=now)
        if not reasons:
            raise ActionNotAllowed(_("Give at least one reason for refusing the dossier."))
        from_state = dossier.state
        paused = from_state in (SUPPLEMENT, FEE)  # the clock is not running: never late
        _end_supplement_wait(dossier, now)
        _clear_pause(dossier)
        dossier.state = DECIDED
        dossier.status = NationalStatus.DECIDED
        dossier.outcome = Outcome.REFUSED
        dossier.decided_at = now
        if not paused and dossier.due_at is not None and now > dossier.due_at:
            dossier.is_late = True
        _save(dossier)
        event = _event(
            dossier,
            action=REFUSE,
            from_state=from_state,
            actor=officer,
            agency=agency,
            at=now,
            data={"reasons": reasons},
        )
        _notify(dossier, event, "refused", reasons=reasons, at_reception=False)
    return dossier


def dossier_return_result(
    *, dossier: Dossier, officer: User, expected_version: int, electronic: bool = False
) -> Dossier:
    """Hand the result over (status 10); the event says whether it was early, on time or late.

    Processing ends with the decision, so lateness is judged on `decided_at`;
    `timing` in the event compares the return itself with the due moment.
    """
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        now = timezone.now()
        agency = dossier_action_check(dossier=dossier, user=officer, kind=RETURN_RESULT, now=now)
        from_state = dossier.state
        dossier.state = RETURNED
        dossier.status = NationalStatus.RETURNED
        dossier.returned_at = now
        dossier.electronic_result = dossier.electronic_result or bool(electronic)
        if (
            dossier.due_at is not None
            and dossier.decided_at is not None
            and dossier.decided_at > dossier.due_at
        ):
            dossier.is_late = True
        timing = deadline_timing(done_at=now, deadline=dossier.due_at)
        _save(dossier)
        event = _event(
            dossier,
            action=RETURN_RESULT,
            from_state=from_state,
            actor=officer,
            agency=agency,
            at=now,
            data={
                "electronic": bool(electronic),
                "timing": timing,
                "early": timing == "early",
                "outcome": dossier.outcome,
            },
        )
        _notify(dossier, event, "returned", outcome=dossier.outcome, electronic=bool(electronic))
    return dossier
