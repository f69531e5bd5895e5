"""Assisted online filing: a receiving officer, at the counter or a commune kiosk, fills
in the online form for a citizen, who then confirms it in one of three ways:

- a one-time code sent to the citizen's own phone, which the officer types in;
- a code sent to a relative's or acquaintance's phone, for a citizen without a phone of
  their own; the relation ("con trai", "hàng xóm") and the name are written down, and the
  SMS names whose dossier it confirms;
- on paper: the citizen signs the printed form ("bản khai để công dân ký") and the officer
  attests it, without any code.

Which account owns the dossier. A code proves who holds a phone, nothing else; so:
- a code to the citizen's own phone files the dossier into that phone's account (as
  before: found or created from the number, and that code proves it is theirs);
- otherwise the dossier goes into a new account of its own, without a phone, made for
  this citizen. It never goes into the relative's account (the relative would see the
  citizen's dossier, and their profile would be filled in with the citizen's name and ID
  number), nor into the account of a number the officer typed but no code proved (a typo
  would hand the dossier to a stranger). The citizen follows it with the dossier code.
The confirmation record (AssistedConfirmation) keeps how the citizen confirmed, by which
phone, the relation, the attesting officer, their agency and the moment; the filing event
of the dossier carries the same, so its history shows it. News about the dossier go to
the phone number of the form, which starts as the number typed here (the citizen's own or
the relative's): the phone that confirms.

Until the citizen confirms, only the officer sees the draft (the citizen's own lists
leave it out: the number typed may be wrong, and the answers are not yet theirs); the
officer never sees the citizen's other drafts or dossiers, and an assisted draft is not
prefilled from them. The dossier records the officer as `filed_by`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.accounts.models import PhoneOtp, Role
from motcua.accounts.selectors import citizen_profile, user_has_role
from motcua.accounts.services import (
    OtpError,
    citizen_get_or_create,
    citizen_without_phone_create,
    phone_normalize,
    phone_otp_send,
    phone_otp_verify,
)
from motcua.audit.appendonly import fresh_rows_completable
from motcua.catalog import formdefs
from motcua.catalog.models import FormDefinition, ProcedureVersion
from motcua.catalog.selectors import procedure_get_current
from motcua.core.text import nfc
from motcua.core.uploads import stored_files_removed_on_error
from motcua.dossiers.models import (
    AssistedConfirmation,
    ConfirmMethod,
    Dossier,
    DossierEvent,
    Draft,
    PhoneOwner,
)
from motcua.dossiers.services import ActionNotAllowed
from motcua.dossiers.slips import SlipAgency, format_moment
from motcua.filing import drafts
from motcua.filing.uploads import UploadRefused, upload_read
from motcua.organizations.models import Agency

CONFIRM_TEMPLATE_KEY = "filing_confirm"
RELATION_MAX = 60
NAME_MAX = 100


class AssistError(Exception):
    """A refused step of assisted filing; the message is plain language for the officer.
    `field`: the input it is about, when there is one (for the page's error summary)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.message = message
        self.field = field
        super().__init__(message)


def phone_display(phone: str) -> str:
    """84912345678 → 0912 345 678."""
    local = "0" + phone[2:] if phone.startswith("84") else phone
    return f"{local[:4]} {local[4:7]} {local[7:]}"


def _is_receiving_officer(officer: Any, agency: Agency | None) -> bool:
    return agency is not None and user_has_role(
        user=officer, agency=agency, roles=[Role.RECEIVING_OFFICER]
    )


def _officer_name(officer: Any) -> str:
    return (officer.get_full_name() or officer.get_username())[:200]


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
            "citizen__citizen_profile", "confirmation",
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
    """The citizen's own phone (84…): the phone of the account the draft belongs to."""
    profile = citizen_profile(user=draft.citizen)
    if profile is None or not profile.phone:
        raise AssistError(_(
            "No phone of the citizen’s own was given when this form was started. Send the "
            "code to a relative’s phone, or have the citizen sign the printed form."
        ))
    return profile.phone


def _confirmation(draft: Draft) -> AssistedConfirmation:
    """The draft's confirmation record; a draft started before it existed gets one for
    the phone of its account."""
    row = AssistedConfirmation.objects.filter(draft=draft).first()
    if row is not None:
        return row
    profile = citizen_profile(user=draft.citizen)
    phone = profile.phone if profile and profile.phone else ""
    row, _created = AssistedConfirmation.objects.get_or_create(
        draft=draft,
        defaults={"phone": phone, "phone_owner": PhoneOwner.CITIZEN if phone else PhoneOwner.NONE},
    )
    return row


@dataclass(frozen=True)
class Channel:
    """Where the codes of a draft go, for its pages."""

    owner: str  # PhoneOwner
    phone: str  # 84…, or "" (no phone)
    relation: str
    relative_name: str
    own_phone: str  # the citizen's own phone (84…), "" when none was given

    @property
    def display(self) -> str:
        return phone_display(self.phone) if self.phone else ""


def assisted_channel(draft: Draft) -> Channel:
    row = _confirmation(draft)
    profile = citizen_profile(user=draft.citizen)
    return Channel(
        owner=row.phone_owner,
        phone=row.phone,
        relation=row.relation,
        relative_name=row.relative_name,
        own_phone=profile.phone if profile and profile.phone else "",
    )


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


def _honorific(sex: Any) -> str:
    return {"nu": "bà", "nam": "ông"}.get(str(sex or ""), "ông/bà")


def _applicant_named(draft: Draft, clean: dict[str, Any]) -> tuple[str, str]:
    """(name, honorific) of the applicant, for the SMS that says whose dossier it is."""
    definition = draft.form_definition.definition
    applicant, _unit = drafts._applicant(definition, clean)
    person = clean.get(definition.get("applicant", {}).get("person", "")) or {}
    sex = person.get("sex") if isinstance(person, dict) else ""
    return applicant.name, _honorific(sex)


def _digest(draft: Draft) -> str:
    """A short fingerprint of the answers and files the form to sign shows (read in
    Vietnamese, as printed, so the officer's language cannot change it)."""
    with translation.override("vi"):
        clean, _errors = drafts.draft_check(draft)
    pages = drafts.draft_pages(draft)
    content = {
        "answers": {p["id"]: clean.get(p["id"]) for p in pages},
        "files": {p["id"]: [f.get("path") for f in draft.uploads.get(p["id"], [])]
                  for p in pages if p["type"] == "upload"},
    }
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    value = hashlib.sha256(data.encode()).hexdigest()[:8].upper()
    return f"{value[:4]}-{value[4:]}"


def assisted_declaration(*, officer: Any, draft_id: int, now: datetime | None = None
                         ) -> dict[str, Any]:
    """What the printed form to sign shows (in Vietnamese, the language of the paper
    kept in the dossier): the answers, the papers, the applicant, the officer, and a
    fingerprint of its content. Printing it is recorded: a confirmation on paper files
    the draft only while it still holds what was last printed. Raises AssistError
    (or DraftError) while the answers are incomplete or the form cannot be found."""
    draft = assisted_draft_get(officer=officer, pk=draft_id)
    if draft is None:
        raise AssistError(_("This form cannot be found."))
    if draft.dossier_id is not None:
        raise AssistError(_("This form has already been sent."))
    receiving = assisted_receiving(draft=draft)
    now = now or timezone.now()
    with translation.override("vi"):
        clean, _errors = drafts.draft_check(draft)
        definition = draft.form_definition.definition
        applicant, _unit = drafts._applicant(definition, clean)
        declared, papers = [], []
        for page in drafts.draft_pages(draft):
            files = draft.uploads.get(page["id"], []) if page["type"] == "upload" else []
            if files:
                lines = [f"{len(files)} tệp: " + ", ".join(f["name"] for f in files)]
            else:  # an answer, or a paper declared missing with its statement
                lines = formdefs.answer_lines(page, clean.get(page["id"]))
            lines = [str(line) for line in lines if line]
            if page["type"] == "upload":
                papers.append((page.get("paper") or page["question"], lines))
            else:
                declared.append((page["question"], lines))
    digest = _digest(draft)
    with transaction.atomic():
        row = _confirmation(draft)
        AssistedConfirmation.objects.filter(pk=row.pk).update(
            printed_digest=digest, printed_at=now, updated_at=now
        )
    agency = draft.assisted_agency
    printed = timezone.localtime(now)
    return {
        # The slips' base template (motcua.dossiers.slips.document_pdf) reads these.
        "form": "declaration",
        "doc_title": "Bản khai để công dân ký",
        "c": {"place": "", "code": ""},
        "issued_date": f"ngày {printed:%d} tháng {printed:%m} năm {printed:%Y}",
        "agency": SlipAgency(name=agency.name, address=agency.address, phone=agency.phone),
        # The form itself.
        "draft": draft,
        "digest": digest,
        "printed": format_moment(printed),
        "receiving": receiving,
        "title": definition.get("title", ""),
        "procedure": draft.procedure_version.name,
        "applicant": applicant,
        "declared": declared,
        "papers": papers,
        "officer_name": _officer_name(officer),
    }


def assisted_scans_missing(*, agency: Agency, limit: int = 50) -> QuerySet[AssistedConfirmation]:
    """Dossiers confirmed on paper at `agency` whose signed page is not scanned yet."""
    return (
        AssistedConfirmation.objects.filter(
            agency=agency, method=ConfirmMethod.PAPER, dossier__isnull=False, scan=""
        )
        .select_related("dossier__procedure_version")
        .order_by("-confirmed_at")[:limit]
    )


# --- writes --------------------------------------------------------------------------------


def _relative_clean(phone: str, relation: str, name: str) -> tuple[str, str, str]:
    """The relative's phone (84…), relation and name; ValidationError by field."""
    errors: dict[str, Any] = {}
    normalized = ""
    try:
        normalized = phone_normalize(phone)
    except ValidationError:
        errors["relative_phone"] = [_(
            "Enter the mobile number of the relative or acquaintance: 10 digits starting "
            "with 0, e.g. 0912 345 678."
        )]
    relation = " ".join(nfc(relation or "").split())
    name = " ".join(nfc(name or "").split())
    if not relation:
        errors["relation"] = [_(
            "Write how this person is related to the citizen, e.g. son, daughter, neighbour."
        )]
    elif len(relation) > RELATION_MAX:
        errors["relation"] = [_("Write at most %(n)d characters.") % {"n": RELATION_MAX}]
    if not name:
        errors["relative_name"] = [_("Enter the full name of the phone’s owner.")]
    elif len(name) > NAME_MAX:
        errors["relative_name"] = [_("Write at most %(n)d characters.") % {"n": NAME_MAX}]
    if errors:
        raise ValidationError(errors)
    return normalized, relation, name


def assisted_draft_start(
    *,
    officer: Any,
    agency: Agency,
    phone: str,
    procedure_code: str,
    phone_owner: str = PhoneOwner.CITIZEN,
    relation: str = "",
    relative_name: str = "",
) -> Draft:
    """A new draft filled in by `officer` for `agency`, for a citizen whose codes go to
    `phone`: their own (their account is found or created from it), a relative's
    (`relation`, `relative_name` written down; the citizen gets an account without a
    phone, never the relative's), or none (`phone_owner` "none": confirmed on paper).
    Raises ValidationError naming the field (phone, relative_phone, relation,
    relative_name, procedure), AssistError when the officer does not receive for `agency`."""
    if not _is_receiving_officer(officer, agency):
        raise AssistError(
            _("Only a receiving officer of %(agency)s can file online for a citizen here.")
            % {"agency": agency.name}
        )
    errors: dict[str, Any] = {}
    normalized = ""
    if phone_owner not in PhoneOwner.values:
        errors["phone_owner"] = [_("Choose whose phone receives the code.")]
    elif phone_owner == PhoneOwner.CITIZEN:
        try:
            normalized = phone_normalize(phone)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    elif phone_owner == PhoneOwner.RELATIVE:
        try:
            normalized, relation, relative_name = _relative_clean(phone, relation, relative_name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    version = procedure_get_current(code=(procedure_code or "").strip()[:40])
    form = formdefs.form_definition_latest(procedure=version.procedure) if version else None
    if form is None:
        errors["procedure"] = [_("Choose a procedure that can be filed online.")]
    if errors:
        raise ValidationError(errors)
    answers: dict[str, Any] = {}
    phone_page = form.definition.get("applicant", {}).get("phone")
    if phone_page and normalized:  # the number just typed; nothing else is taken from the account
        answers[phone_page] = "0" + normalized[2:]
    with transaction.atomic():
        if phone_owner == PhoneOwner.CITIZEN:
            citizen = citizen_get_or_create(phone=normalized)
        else:  # the relative's phone is only a channel: it must not decide the account
            citizen = citizen_without_phone_create()
        draft = drafts.draft_start(
            citizen=citizen,
            procedure_version=version,
            form_definition=form,
            answers=answers,
            assisted_by=officer,
            assisted_agency=agency,
        )
        AssistedConfirmation.objects.create(
            draft=draft,
            phone_owner=phone_owner,
            phone=normalized,
            relation=relation if phone_owner == PhoneOwner.RELATIVE else "",
            relative_name=relative_name if phone_owner == PhoneOwner.RELATIVE else "",
        )
    return draft


def assisted_code_send(
    *,
    officer: Any,
    draft_id: int,
    client_ip: str = "",
    to: str | None = None,
    relative_phone: str = "",
    relation: str = "",
    relative_name: str = "",
) -> PhoneOtp:
    """Send the code that confirms the draft (same limits as sign-in codes), naming whose
    dossier it is. `to`: "citizen" (their own phone), "relative" (with the relative's
    phone, relation and name, which become the draft's channel), or None: where the last
    code went. Refused (AssistError, DraftError) while the draft cannot be sent, so no
    code is wasted; ValidationError for the relative's details (by field); OtpError when
    a limit is reached (the channel is then left as it was)."""
    draft = assisted_draft_get(officer=officer, pk=draft_id)
    if draft is None:
        raise AssistError(_("This form cannot be found."))
    if draft.dossier_id is not None:
        raise AssistError(_("This form has already been sent."))
    assisted_receiving(draft=draft)
    row = _confirmation(draft)
    to = to or (PhoneOwner.RELATIVE if row.phone_owner == PhoneOwner.RELATIVE else
                PhoneOwner.CITIZEN)
    if to == PhoneOwner.RELATIVE:
        if relative_phone or relation or relative_name or not row.phone:
            phone, relation, relative_name = _relative_clean(
                relative_phone, relation, relative_name
            )
        else:  # "send a new code" to the relative already written down
            phone, relation, relative_name = row.phone, row.relation, row.relative_name
        channel = {"phone_owner": PhoneOwner.RELATIVE, "phone": phone,
                   "relation": relation, "relative_name": relative_name}
    elif to == PhoneOwner.CITIZEN:
        phone = assisted_citizen_phone(draft)
        channel = {"phone_owner": PhoneOwner.CITIZEN, "phone": phone,
                   "relation": "", "relative_name": ""}
    else:
        raise AssistError(_("Choose how the citizen confirms."))
    clean, _errors = drafts.draft_check(draft)
    name, honorific = _applicant_named(draft, clean)
    with transaction.atomic():
        AssistedConfirmation.objects.filter(pk=row.pk).update(
            **channel, updated_at=timezone.now()
        )
        return phone_otp_send(
            phone=phone,
            client_ip=client_ip,
            template=CONFIRM_TEMPLATE_KEY,
            context={"agency": draft.assisted_agency.name, "applicant": name,
                     "honorific": honorific},
        )


def assisted_submit(
    *, officer: Any, draft_id: int, key: str, otp_id: int | None, code: str
) -> drafts.SubmitResult:
    """Send the draft once the code sent to its channel (the citizen's phone or the
    relative's) is right. A draft already sent returns its dossier (created=False).
    Raises AssistError, DraftError, ValidationError (answers) or OtpError (wrong, expired,
    spent code; every wrong try counts); nothing is filed then."""
    draft = assisted_draft_get(officer=officer, pk=draft_id)
    if draft is None:
        raise AssistError(_("This form cannot be found."))
    if draft.dossier_id is not None:
        return drafts.SubmitResult(dossier=Dossier.objects.get(pk=draft.dossier_id),
                                   created=False)
    _key_check(draft, key)
    assisted_receiving(draft=draft)  # checked before the code is spent
    row = _confirmation(draft)
    if otp_id is None or not row.phone or not PhoneOtp.objects.filter(
        pk=otp_id, phone=row.phone
    ).exists():
        raise AssistError(_("Send a code to the citizen’s phone first."), field="code")
    # Verified outside any transaction of ours: a wrong try stays counted.
    try:
        confirmed = phone_otp_verify(otp_id=otp_id, code=code)
    except OtpError:
        draft.refresh_from_db(fields=["dossier"])
        if draft.dossier_id is not None:  # the same code sent twice at once: one dossier
            return drafts.SubmitResult(dossier=Dossier.objects.get(pk=draft.dossier_id),
                                       created=False)
        raise
    if row.phone_owner == PhoneOwner.RELATIVE:
        method = ConfirmMethod.RELATIVE_CODE
    else:
        if confirmed.pk != draft.citizen_id:
            raise AssistError(_("The code was not sent for this citizen. Send a new code."))
        method = ConfirmMethod.CITIZEN_CODE
    return _file(officer=officer, draft=draft, key=key, method=method)


def assisted_paper_confirm(
    *, officer: Any, draft_id: int, key: str, attested: bool
) -> drafts.SubmitResult:
    """Send the draft the citizen confirmed by signing the printed form, on the officer's
    word (`attested`: "I confirm that the citizen read the form again and signed it"). No
    code. Refused (AssistError) without the attestation, when the form was not printed,
    or when the answers changed since it was printed (the signed paper would not match).
    A draft already sent returns its dossier (created=False)."""
    draft = assisted_draft_get(officer=officer, pk=draft_id)
    if draft is None:
        raise AssistError(_("This form cannot be found."))
    if draft.dossier_id is not None:
        return drafts.SubmitResult(dossier=Dossier.objects.get(pk=draft.dossier_id),
                                   created=False)
    _key_check(draft, key)
    assisted_receiving(draft=draft)
    row = _confirmation(draft)
    if not row.printed_digest:
        raise AssistError(
            _("Print the form for the citizen to sign first, and have them sign it."),
            field="attest",
        )
    if _digest(draft) != row.printed_digest:
        raise AssistError(
            _("The answers changed after the form was printed. Print it again and have "
              "the citizen sign the new one."),
            field="attest",
        )
    if not attested:
        raise AssistError(
            _("Tick “I confirm that the citizen read the form again and signed it” to send "
              "the dossier without a code."),
            field="attest",
        )
    return _file(officer=officer, draft=draft, key=key, method=ConfirmMethod.PAPER)


def _key_check(draft: Draft, key: str) -> None:
    if not secrets.compare_digest(str(key), draft.idempotency_key):
        raise drafts.DraftError(
            _("This page is out of date. Check your answers and send again.")
        )


def _note(row: AssistedConfirmation) -> str:
    """The history line of the confirmation (the officers' language, as other notes)."""
    if row.method == ConfirmMethod.PAPER:
        return _(
            "Confirmed on paper: the citizen signed the printed form %(digest)s; "
            "%(officer)s attested it. No code was used."
        ) % {"digest": row.printed_digest, "officer": row.officer_name}
    if row.method == ConfirmMethod.RELATIVE_CODE:
        return _(
            "Confirmed with the code sent to %(phone)s, the phone of %(name)s (%(relation)s)."
        ) % {"phone": row.phone_display, "name": row.relative_name, "relation": row.relation}
    return _("Confirmed with the code sent to the citizen’s phone %(phone)s.") % {
        "phone": row.phone_display
    }


def _file(*, officer: Any, draft: Draft, key: str, method: str) -> drafts.SubmitResult:
    """File the draft and record how the citizen confirmed, in one transaction: the
    draft row is locked first, so a double click files once. The filing event it writes
    is completed with the confirmation before commit (fresh_rows_completable)."""
    with transaction.atomic(), fresh_rows_completable():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.dossier_id is not None:
            return drafts.SubmitResult(dossier=Dossier.objects.get(pk=locked.dossier_id),
                                       created=False)
        row = AssistedConfirmation.objects.select_for_update().get(draft=locked)
        owner = citizen_profile(user=locked.citizen)
        if method != ConfirmMethod.CITIZEN_CODE and owner is not None and owner.phone:
            # No code proved the typed number is the citizen's: the dossier must not land
            # in that number's account (module docstring).
            locked.citizen = citizen_without_phone_create()
            locked.save(update_fields=["citizen", "updated_at"])
        try:
            result = drafts.draft_submit(
                citizen=locked.citizen, draft_id=locked.pk, key=str(key), officer=officer
            )
        except ActionNotAllowed as exc:
            raise AssistError(str(exc)) from exc
        now = timezone.now()
        row.method = method
        row.dossier = result.dossier
        row.officer = officer
        row.officer_name = _officer_name(officer)
        row.agency = locked.assisted_agency
        row.confirmed_at = now
        row.save()
        # The filing event was written a moment ago in this same transaction: it is
        # completed, not rewritten; no reader ever saw it without this.
        event = (
            DossierEvent.objects.filter(dossier=result.dossier, action="file")
            .order_by("id").first()
        )
        if event is not None:
            event.data = {**event.data, "confirmation": {
                "method": method,
                "officer": officer.pk,
                "officer_name": row.officer_name,
                "agency": row.agency_id,
                "at": now.isoformat(),
                "phone": row.phone if method != ConfirmMethod.PAPER else "",
                "relation": row.relation if method == ConfirmMethod.RELATIVE_CODE else "",
                "relative_name": (
                    row.relative_name if method == ConfirmMethod.RELATIVE_CODE else ""
                ),
                "printed": row.printed_digest if method == ConfirmMethod.PAPER else "",
            }}
            event.note = "\n".join(filter(None, [event.note, _note(row)]))
            event.save(update_fields=["data", "note"])
    return result


@transaction.atomic
def assisted_scan_attach(
    *, officer: Any, confirmation_id: int, upload: UploadedFile
) -> AssistedConfirmation:
    """Keep the scan (PDF or photo) of the page the citizen signed, once, for a dossier
    confirmed on paper, by a receiving officer of the agency where it was signed.
    Raises AssistError (field "scan") otherwise or when the file is refused."""
    row = (
        AssistedConfirmation.objects.select_for_update()
        .filter(pk=confirmation_id, method=ConfirmMethod.PAPER, dossier__isnull=False)
        .first()
    )
    if row is None or not _is_receiving_officer(officer, row.agency):
        raise AssistError(_("This dossier cannot be found."), field="scan")
    if row.scan:
        raise AssistError(_("The scan of the signed page is already attached."), field="scan")
    try:
        data, kind = upload_read(upload)  # checked by content; a photo without its EXIF
    except UploadRefused as exc:
        raise AssistError(exc.message, field="scan") from exc
    row.scan = ContentFile(data, name=f"{row.dossier_id}-ban-khai.{kind}")
    row.scan_added_at = timezone.now()
    row.scan_added_by = officer
    with stored_files_removed_on_error():  # written at save(); gone again if it fails
        row.save(update_fields=["scan", "scan_added_at", "scan_added_by", "updated_at"])
    return row
