"""Dossier lifecycle writes: filing and reception create a dossier; every later act is
an action of the registry (motcua.dossiers.actions), run by the one runner.

The functions below are the typed, keyword-only entry points the pages, the API, the
gateways and the tests call; each names its inputs and hands them to `action_run`,
which does lock → check → apply → timing → version → event → outbox (see runner.py).
Filing creates the row instead of locking one, so it records its event and outbox row
through the runner's own `history_save`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import Role
from motcua.catalog.models import OnlineLevel, ProcedureVersion, VersionState
from motcua.core.text import clean_text, fold
from motcua.dossiers.actions import action_get, definition_of
from motcua.dossiers.actions.base import (
    ActionNotAllowed,
    Context,
    DossierError,
    Effect,
    StaleDossier,
)
from motcua.dossiers.actions.receive import receive
from motcua.dossiers.actions.runner import (
    action_check,
    action_run,
    actor_or_none,
    dossier_lock_queryset,
    event_new,
    history_save,
    notice_new,
    require_role,
    roles_lookup,
)
from motcua.dossiers.codes import dossier_code_next
from motcua.dossiers.inputs import (
    Applicant,
    PaperInput,
    applicant_clean,
    paper_errors,
    papers_save,
)
from motcua.dossiers.models import Channel, Dossier, NationalStatus, ResultDelivery
from motcua.dossiers.routing import competent_agency_for
from motcua.organizations.models import Agency
from motcua.workflows.definitions import SUBMITTED
from motcua.workflows.selectors import workflow_for

User = AbstractBaseUser

__all__ = [
    "ActionNotAllowed",
    "Applicant",
    "DossierError",
    "PaperInput",
    "StaleDossier",
    "action_check",
    "applicant_clean",
    "competent_agency_for",
    "dossier_act",
    "dossier_apologize",
    "dossier_decline_withdrawal",
    "dossier_fee_paid",
    "dossier_file_online",
    "dossier_lock_queryset",
    "dossier_receive",
    "dossier_receive_at_counter",
    "dossier_refuse",
    "dossier_refuse_reception",
    "dossier_request_fee",
    "dossier_request_supplement",
    "dossier_request_withdrawal",
    "dossier_resubmit",
    "dossier_return_incomplete",
    "dossier_return_result",
    "dossier_stop",
    "dossier_supplement_complete",
    "result_delivery_errors",
]


# --- filing and reception ---------------------------------------------------------------


RESULT_ADDRESS_MAX = 300


def result_delivery_errors(
    *, procedure_version: ProcedureVersion, result_delivery: str, result_address: str
) -> dict[str, str]:
    """What is wrong with how the applicant asked to receive the result, by field.

    The choice is the applicant's (Decree 61/2018 art. 20; Decision 45/2016/QĐ-TTg
    art. 5 for the post, which needs the address to deliver to). The catalog has no
    field on the form of the result, so "electronic" is refused only where it says the
    procedure is done in person only; anything else it leaves open.
    """
    if result_delivery not in ResultDelivery.values:
        return {
            "result_delivery": _(
                "How to receive the result: “%(value)s” is not a choice; choose at the "
                "one-stop desk, by public post or electronically."
            )
            % {"value": str(result_delivery)[:40]}
        }
    if result_delivery == ResultDelivery.POST:
        if not result_address:
            return {
                "result_address": _(
                    "Address for the result: write where the post office should deliver "
                    "the result (house number, village or street, commune)."
                )
            }
        if len(result_address) > RESULT_ADDRESS_MAX:
            return {
                "result_address": _("Address for the result: at most %(n)d characters.")
                % {"n": RESULT_ADDRESS_MAX}
            }
    if (
        result_delivery == ResultDelivery.ELECTRONIC
        and procedure_version.online_level == OnlineLevel.OFFLINE
    ):
        return {
            "result_delivery": _(
                "How to receive the result: this procedure is done in person only, so its "
                "result cannot be received electronically; choose the one-stop desk or the "
                "public post."
            )
        }
    return {}


def _filing_clean(
    *,
    applicant: Applicant,
    procedure_version: ProcedureVersion,
    receiving_agency: Agency,
    form_data: Any,
    papers: Sequence[PaperInput],
    result_delivery: str,
    result_address: str,
) -> Applicant:
    """Validate everything a filing carries; raise one ValidationError naming every field."""
    errors: dict[str, Any] = result_delivery_errors(
        procedure_version=procedure_version,
        result_delivery=result_delivery,
        result_address=result_address,
    )
    if procedure_version.state != VersionState.PUBLISHED:
        errors["procedure_version"] = _(
            "Procedure: this version is not in force; choose the current one."
        )
    if not receiving_agency.is_active:
        errors["receiving_agency"] = _("Receiving agency: this agency no longer receives dossiers.")
    if form_data is not None and not isinstance(form_data, dict):
        errors["form_data"] = _("Form answers: must be a set of named answers.")
    if problems := paper_errors(papers, procedure_version):
        errors["papers"] = problems
    try:
        applicant = applicant_clean(applicant)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    return applicant


def _new_dossier(
    *,
    procedure_version: ProcedureVersion,
    applicant: Applicant,
    receiving_agency: Agency,
    form_data: dict[str, Any] | None,
    channel: int,
    filed_by: User | None,
    now: datetime,
    result_delivery: str,
    result_address: str,
) -> Dossier:
    code, dossier_id = dossier_code_next(agency=receiving_agency, at=now)
    dossier = Dossier(
        id=dossier_id,
        code=code,
        procedure_version=procedure_version,
        workflow=workflow_for(procedure_version=procedure_version),
        channel=channel,
        filed_by=actor_or_none(filed_by),
        receiving_agency=receiving_agency,
        competent_agency=competent_agency_for(
            procedure_version=procedure_version,
            receiving_agency=receiving_agency,
            applicant_unit=applicant.unit,
        ),
        form_data=form_data or {},
        submitted_at=now,
        applicant_type=applicant.type,
        applicant_name=applicant.name,
        applicant_name_folded=fold(applicant.name)[:200],
        applicant_id_number=applicant.id_number,
        applicant_birth_date=applicant.birth_date,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        applicant_address=applicant.address,
        applicant_unit=applicant.unit,
        organisation_name=applicant.organisation_name,
        organisation_tax_code=applicant.tax_code,
        result_delivery=result_delivery,
        # Only the post delivers to an address; keep none for the other ways.
        result_address=result_address if result_delivery == ResultDelivery.POST else "",
    )
    return dossier


def _created(
    dossier: Dossier,
    papers: Sequence[PaperInput],
    *,
    key: str,
    actor: User | None,
    effect: Effect,
) -> Dossier:
    """Save a new dossier with its papers, its first event and the applicant's message."""
    # The papers and the message's short link need the dossier's id: taken with its
    # code on PostgreSQL (dossier_code_next), else by saving the row first.
    new = dossier.pk is not None and not papers
    changed = []
    if not new:
        dossier.save(force_insert=True)
    if papers:
        papers_save(dossier, papers)
        changed = ["scanned_at_counter", "reused_data", "updated_at"]
    event = event_new(
        dossier,
        action=key,
        from_state="",
        actor=actor,
        agency=dossier.receiving_agency,
        at=dossier.submitted_at,
        effect=effect,
    )
    notice = None
    if effect.notify is not None:
        notice = notice_new(dossier, event, action_get(key).template, **effect.notify)
    history_save(dossier, event, notice, changed=changed, new=new)
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
    result_delivery: str = ResultDelivery.DESK,
    result_address: str = "",
) -> Dossier:
    """An online filing (status 1): the dossier gets its code now and waits for reception.

    `citizen`: the portal account it belongs to (their "my dossiers").
    `filed_by`: an official filing online on the applicant's behalf (assisted mode or the
    paperless pilot); they must be a receiving officer of `receiving_agency`.
    `result_delivery`: how the applicant receives the result ("desk", "post" or
    "electronic", see ResultDelivery); `result_address`: where the post delivers it
    (required for "post", ignored otherwise). A wrong choice is a ValidationError on
    "result_delivery" or "result_address".
    The applicant is told at once that the dossier was sent (template "filed").
    """
    result_address = " ".join(clean_text(result_address).split())  # one line, NFC
    applicant = _filing_clean(
        applicant=applicant,
        procedure_version=procedure_version,
        receiving_agency=receiving_agency,
        form_data=form_data,
        papers=papers,
        result_delivery=result_delivery,
        result_address=result_address,
    )
    if actor_or_none(filed_by) is not None:
        require_role([(receiving_agency, [Role.RECEIVING_OFFICER])], roles_lookup(filed_by))
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
            result_delivery=result_delivery,
            result_address=result_address,
        )
        dossier.state = SUBMITTED
        dossier.status = NationalStatus.FILED
        dossier.citizen = citizen
        data = {
            "channel": Channel.ONLINE,
            "assisted": actor_or_none(filed_by) is not None,
            "competent_agency": dossier.competent_agency_id,
            "papers": len(papers),
        }
        return _created(
            dossier, papers, key="file", actor=filed_by, effect=Effect(data=data, notify={})
        )


def dossier_receive_at_counter(
    *,
    officer: User,
    agency: Agency,
    procedure_version: ProcedureVersion,
    applicant: Applicant,
    form_data: dict[str, Any] | None = None,
    papers: Sequence[PaperInput] = (),
    channel: int = Channel.IN_PERSON,
    appointment: datetime | None = None,
    result_delivery: str = ResultDelivery.DESK,
    result_address: str = "",
) -> Dossier:
    """A dossier brought to the desk (or by post), typed in by the officer and received
    at once (status 2): code, clock started, appointment, receipt notification.
    `appointment`: required when the procedure's legal time could not be read.
    `result_delivery`, `result_address`: how the applicant receives the result, checked
    as for an online filing (dossier_file_online)."""
    require_role([(agency, [Role.RECEIVING_OFFICER])], roles_lookup(officer))
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Channel: must be in person, online or post.")})
    result_address = " ".join(clean_text(result_address).split())  # one line, NFC
    applicant = _filing_clean(
        applicant=applicant,
        procedure_version=procedure_version,
        receiving_agency=agency,
        form_data=form_data,
        papers=papers,
        result_delivery=result_delivery,
        result_address=result_address,
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
            result_delivery=result_delivery,
            result_address=result_address,
        )
        ctx = Context(
            dossier=dossier,
            actor=officer,
            agency=agency,
            now=now,
            params={},
            definition=definition_of(dossier.workflow),
        )
        try:
            data = receive(ctx, appointment=appointment)
        except ActionNotAllowed as exc:
            raise ValidationError({"appointment": exc.message}) from None
        data.update(channel=int(channel), assisted=True, papers=len(papers))
        return _created(
            dossier,
            papers,
            key="receive",
            actor=officer,
            effect=Effect(data=data, notify={"due_at": data["due_at"]}),
        )


# --- acts on a dossier: one line each, the runner does the rest ----------------------------


def dossier_receive(
    *, dossier: Dossier, officer: User, expected_version: int, appointment: datetime | None = None
) -> Dossier:
    """Receive an online dossier (status 1 → the workflow's start step, clock starts)."""
    return action_run(
        key="receive",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        appointment=appointment,
    )


def dossier_return_incomplete(
    *, dossier: Dossier, officer: User, missing: list[str], expected_version: int, contact: str = ""
) -> Dossier:
    """Send an online dossier back before reception with everything missing (form 02)."""
    return action_run(
        key="return_incomplete",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        missing=missing,
        contact=contact,
    )


def dossier_resubmit(
    *,
    dossier: Dossier,
    expected_version: int,
    actor: User | None = None,
    papers: Sequence[PaperInput] = (),
) -> Dossier:
    """The completed dossier is sent again and waits for reception (status 1)."""
    return action_run(
        key="resubmit",
        dossier=dossier,
        actor=actor,
        expected_version=expected_version,
        papers=papers,
    )


def dossier_refuse_reception(
    *, dossier: Dossier, officer: User, reasons: list[str], expected_version: int
) -> Dossier:
    """Refuse an online dossier at reception (status 3), with written reasons (form 03)."""
    return action_run(
        key="refuse_reception",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        reasons=reasons,
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
    """Apply an action of the dossier's own workflow (assign, propose, approve, consult…)."""
    return action_run(
        key=action,
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        note=note,
        consult_agency=consult_agency,
        assignee=assignee,
    )


def dossier_request_supplement(
    *, dossier: Dossier, officer: User, missing: list[str], expected_version: int, contact: str = ""
) -> Dossier:
    """Ask the applicant for everything missing (form 02); the clock stops."""
    return action_run(
        key="request_supplement",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        missing=missing,
        contact=contact,
    )


def dossier_supplement_complete(
    *,
    dossier: Dossier,
    expected_version: int,
    actor: User | None = None,
    papers: Sequence[PaperInput] = (),
) -> Dossier:
    """The complete dossier arrived: the clock runs again."""
    return action_run(
        key="supplement_complete",
        dossier=dossier,
        actor=actor,
        expected_version=expected_version,
        papers=papers,
    )


def dossier_request_fee(
    *, dossier: Dossier, officer: User, amount_vnd: int, expected_version: int
) -> Dossier:
    """Ask for the fee (status 6): the clock stops until it is paid."""
    return action_run(
        key="request_fee",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        amount_vnd=amount_vnd,
    )


def dossier_fee_paid(
    *, dossier: Dossier, expected_version: int, payment: dict[str, Any],
    actor: User | None = None,
) -> Dossier:
    """The fee is paid. Only motcua.payments calls this, once the money is confirmed;
    `payment` holds the facts Decision 766 counts (online, platform, receipt)."""
    return action_run(
        key="fee_paid",
        dossier=dossier,
        actor=actor,
        expected_version=expected_version,
        payment=payment,
    )


def dossier_apologize(
    *, dossier: Dossier, officer: User, reason: str, new_due_at: datetime, expected_version: int
) -> Dossier:
    """Apology and new date (form 04), by the competent agency's approver."""
    return action_run(
        key="apologize",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        reason=reason,
        new_due_at=new_due_at,
    )


def dossier_request_withdrawal(
    *, dossier: Dossier, expected_version: int, reason: str, actor: User | None = None
) -> Dossier:
    """The applicant asks to withdraw (status 7); the desk then stops or answers."""
    return action_run(
        key="request_withdrawal",
        dossier=dossier,
        actor=actor,
        expected_version=expected_version,
        reason=reason,
    )


def dossier_stop(*, dossier: Dossier, officer: User, expected_version: int) -> Dossier:
    """The desk accepts the withdrawal request: processing stops (status 8)."""
    return action_run(key="stop", dossier=dossier, actor=officer, expected_version=expected_version)


def dossier_decline_withdrawal(
    *, dossier: Dossier, officer: User, reasons: list[str], expected_version: int
) -> Dossier:
    """The desk answers why the withdrawal cannot be granted; processing goes on."""
    return action_run(
        key="decline_withdrawal",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        reasons=reasons,
    )


def dossier_refuse(
    *, dossier: Dossier, officer: User, reasons: list[str], expected_version: int
) -> Dossier:
    """Refuse during processing (form 03): decided (status 9), outcome refused."""
    return action_run(
        key="refuse",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        reasons=reasons,
    )


def dossier_return_result(
    *, dossier: Dossier, officer: User, expected_version: int, electronic: bool = False
) -> Dossier:
    """Hand the result over (status 10); electronically only when a result file exists."""
    return action_run(
        key="return_result",
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        electronic=electronic,
    )
