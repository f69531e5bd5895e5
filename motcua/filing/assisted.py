"""Assisted online filing: a receiving officer, at the counter or a commune kiosk, fills
in the online form for a citizen, who confirms with a one-time code sent to their phone.

The draft belongs to the citizen's account (found or created from the phone number) and
records the officer and their agency. Until the citizen confirms, only that officer sees
it (the citizen's own lists leave it out: the number typed may be wrong, and the answers
are not yet theirs); the officer never sees the citizen's other drafts or dossiers, and
an assisted draft is not prefilled from them. The dossier it makes records the officer
as `filed_by` and the citizen as its owner, so it shows in the citizen's "my dossiers".
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from motcua.accounts.models import PhoneOtp, Role
from motcua.accounts.selectors import citizen_profile, user_has_role
from motcua.accounts.services import (
    OtpError,
    citizen_get_or_create,
    phone_normalize,
    phone_otp_send,
    phone_otp_verify,
)
from motcua.catalog import formdefs
from motcua.catalog.models import FormDefinition, ProcedureVersion
from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.models import Dossier, Draft
from motcua.dossiers.services import ActionNotAllowed
from motcua.filing import drafts
from motcua.organizations.models import Agency

CONFIRM_TEMPLATE_KEY = "filing_confirm"


class AssistError(Exception):
    """A refused step of assisted filing; the message is plain language for the officer."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def phone_display(phone: str) -> str:
    """84912345678 → 0912 345 678."""
    local = "0" + phone[2:] if phone.startswith("84") else phone
    return f"{local[:4]} {local[4:7]} {local[7:]}"


def _is_receiving_officer(officer: Any, agency: Agency | None) -> bool:
    return agency is not None and user_has_role(
        user=officer, agency=agency, roles=[Role.RECEIVING_OFFICER]
    )


# --- reads ---------------------------------------------------------------------------------


def assisted_procedures() -> list[tuple[ProcedureVersion, FormDefinition]]:
    """Procedures in force that have an online form, by code."""
    found: list[tuple[ProcedureVersion, FormDefinition]] = []
    for form in FormDefinition.objects.select_related("procedure").order_by(
        "procedure__code", "-number"
    ):
        if found and found[-1][1].procedure_id == form.procedure_id:
            continue  # an older version of the same form
        version = procedure_get_current(code=form.procedure.code)
        if version is not None:
            found.append((version, form))
    return found


def assisted_drafts_open(*, officer: Any) -> QuerySet[Draft]:
    """The drafts `officer` is filling in for citizens, not yet sent, most recent first."""
    return (
        Draft.objects.filter(assisted_by=officer, dossier__isnull=True)
        .select_related(
            "procedure_version__procedure", "form_definition", "assisted_agency",
            "citizen__citizen_profile",
        )
        .order_by("-updated_at")
    )


def assisted_draft_get(*, officer: Any, pk: int) -> Draft | None:
    """The draft `officer` is assisting with, while they are still a receiving officer of
    the agency they started it at; None for anything else."""
    if officer is None or not officer.is_authenticated:
        return None
    draft = (
        Draft.objects.select_related(
            "procedure_version__procedure", "form_definition", "dossier", "assisted_agency",
        )
        .filter(pk=pk, assisted_by=officer)
        .first()
    )
    if draft is None or not _is_receiving_officer(officer, draft.assisted_agency):
        return None
    return draft


def assisted_citizen_phone(draft: Draft) -> str:
    """The citizen's phone (84…) the confirmation code goes to."""
    profile = citizen_profile(user=draft.citizen)
    if profile is None or not profile.phone:
        raise AssistError(_("This citizen account has no phone number to send a code to."))
    return profile.phone


def assisted_receiving(*, draft: Draft) -> Agency:
    """Where the draft would be filed now. Raises AssistError while answers need fixing,
    DraftError when no desk the officer works at may file it."""
    clean, errors = drafts.draft_check(draft)
    if errors:
        raise AssistError(
            _("Some answers are missing or need fixing. Use “Change” to fix them.")
        )
    _applicant, unit = drafts._applicant(draft.form_definition.definition, clean)
    agency = drafts.assisted_receiving_agency(draft=draft, unit=unit)
    if agency is None:
        raise drafts.DraftError(_(
            "No office can receive this dossier online yet. Please call the one-stop desk."
        ))
    return agency


# --- writes --------------------------------------------------------------------------------


def assisted_draft_start(
    *, officer: Any, agency: Agency, phone: str, procedure_code: str
) -> Draft:
    """A new draft for the citizen with `phone` (their account is created if they have
    none), filled in by `officer` for `agency`. Raises ValidationError naming the field
    (phone, procedure), AssistError when the officer does not receive for `agency`."""
    if not _is_receiving_officer(officer, agency):
        raise AssistError(
            _("Only a receiving officer of %(agency)s can file online for a citizen here.")
            % {"agency": agency.name}
        )
    errors: dict[str, Any] = {}
    normalized = ""
    try:
        normalized = phone_normalize(phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    version = procedure_get_current(code=(procedure_code or "").strip()[:40])
    form = formdefs.form_definition_latest(procedure=version.procedure) if version else None
    if form is None:
        errors["procedure"] = [_("Choose a procedure that can be filed online.")]
    if errors:
        raise ValidationError(errors)
    citizen = citizen_get_or_create(phone=normalized)
    answers: dict[str, Any] = {}
    phone_page = form.definition.get("applicant", {}).get("phone")
    if phone_page:  # the number just typed; nothing else is taken from the account
        answers[phone_page] = "0" + normalized[2:]
    return drafts.draft_start(
        citizen=citizen,
        procedure_version=version,
        form_definition=form,
        answers=answers,
        assisted_by=officer,
        assisted_agency=agency,
    )


def assisted_code_send(*, officer: Any, draft_id: int, client_ip: str = "") -> PhoneOtp:
    """Send the citizen the code that confirms the draft (same limits as sign-in codes).
    Refused (AssistError, DraftError) while the draft cannot be sent, so
    no code is wasted; OtpError when a limit is reached."""
    draft = assisted_draft_get(officer=officer, pk=draft_id)
    if draft is None:
        raise AssistError(_("This form cannot be found."))
    if draft.dossier_id is not None:
        raise AssistError(_("This form has already been sent."))
    assisted_receiving(draft=draft)
    return phone_otp_send(
        phone=assisted_citizen_phone(draft),
        client_ip=client_ip,
        template=CONFIRM_TEMPLATE_KEY,
        context={"agency": draft.assisted_agency.name},
    )


def assisted_submit(
    *, officer: Any, draft_id: int, key: str, otp_id: int | None, code: str
) -> drafts.SubmitResult:
    """Send the draft once the citizen's code is right. A draft already sent returns its
    dossier (created=False). Raises AssistError, DraftError, ValidationError (answers) or
    OtpError (wrong, expired, spent code; every wrong try counts); nothing is filed then."""
    draft = assisted_draft_get(officer=officer, pk=draft_id)
    if draft is None:
        raise AssistError(_("This form cannot be found."))
    if draft.dossier_id is not None:
        return drafts.SubmitResult(dossier=Dossier.objects.get(pk=draft.dossier_id),
                                   created=False)
    if not secrets.compare_digest(str(key), draft.idempotency_key):
        raise drafts.DraftError(
            _("This page is out of date. Check your answers and send again.")
        )
    assisted_receiving(draft=draft)  # checked before the code is spent
    phone = assisted_citizen_phone(draft)
    if otp_id is None or not PhoneOtp.objects.filter(pk=otp_id, phone=phone).exists():
        raise AssistError(_("Send a code to the citizen’s phone first."))
    try:
        confirmed = phone_otp_verify(otp_id=otp_id, code=code)
    except OtpError:
        draft.refresh_from_db(fields=["dossier"])
        if draft.dossier_id is not None:  # the same code sent twice at once: one dossier
            return drafts.SubmitResult(dossier=Dossier.objects.get(pk=draft.dossier_id),
                                       created=False)
        raise
    if confirmed.pk != draft.citizen_id:
        raise AssistError(_("The code was not sent for this citizen. Send a new code."))
    try:
        return drafts.draft_submit(
            citizen=draft.citizen, draft_id=draft.pk, key=str(key), officer=officer
        )
    except ActionNotAllowed as exc:
        raise AssistError(str(exc)) from exc
