"""Drafts of online filings: saved at every step, resumable, submitted exactly once.

A draft keeps the answers as typed (see motcua.catalog.formdefs) and the uploaded
files per upload question. `draft_submit` locks the draft row, and a draft already
submitted returns its dossier: a double click, a reload or a retried request never
makes a second dossier.
"""

from __future__ import annotations

import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from motcua.backoffice.forms import upload_error
from motcua.backoffice.selectors import sniff_upload
from motcua.catalog import formdefs
from motcua.catalog.models import FormDefinition, ProcedureVersion, RequiredPaper
from motcua.dossiers.models import Dossier, Draft
from motcua.dossiers.services import Applicant, PaperInput, dossier_file_online
from motcua.organizations.models import AdministrativeUnit, Agency, AgencyType, UnitLevel

MAX_PHOTO_SIDE = 2000  # pixels; larger photos are scaled down (enough to read a paper)
MAX_FILES_PER_PAPER = 10
PHOTO_KINDS = ("jpeg", "png", "webp")  # HEIC is kept as sent: Pillow cannot read it


class DraftError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _token() -> str:
    return secrets.token_urlsafe(32)


def province_code() -> str:
    return settings.MOTCUA_PROVINCE_CODE


# --- reads ---------------------------------------------------------------------------------


def drafts_open(*, citizen: Any) -> QuerySet[Draft]:
    """The citizen's drafts not yet submitted, most recent first."""
    return (
        Draft.objects.filter(citizen=citizen, dossier__isnull=True)
        .select_related("procedure_version__procedure", "form_definition")
        .order_by("-updated_at")
    )


def draft_get(*, citizen: Any, pk: int) -> Draft | None:
    return (
        Draft.objects.select_related("procedure_version__procedure", "form_definition", "dossier")
        .filter(citizen=citizen, pk=pk).first()
    )


def draft_by_token(*, citizen: Any, token: str) -> Draft | None:
    return Draft.objects.filter(citizen=citizen, resume_token=token).first()


def draft_resume_link(draft: Draft) -> str:
    """The link that brings the citizen back to the draft (absolute when the site's
    address is configured as NOTIFY_SITE_URL), for an SMS or e-mail."""
    from motcua.notifications import conf

    path = reverse("filing:resume", args=[draft.resume_token])
    base = (conf.get("NOTIFY_SITE_URL") or "").rstrip("/")
    return f"{base}{path}"


def draft_pages(draft: Draft) -> list[dict]:
    return formdefs.pages_visible(draft.form_definition.definition, draft.answers)


# --- writes --------------------------------------------------------------------------------


def draft_start(
    *, citizen: Any, procedure_version: ProcedureVersion, form_definition: FormDefinition
) -> Draft:
    return Draft.objects.create(
        citizen=citizen,
        procedure_version=procedure_version,
        form_definition=form_definition,
        resume_token=_token(),
        idempotency_key=_token(),
    )


def draft_save_answer(*, draft: Draft, page_id: str, raw: Any) -> None:
    """Keep what was typed on a page, checked or not (autosave uses this too)."""
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.dossier_id:
            raise DraftError(_("This form has already been sent."))
        locked.answers = {**locked.answers, page_id: raw}
        locked.current_page = page_id
        locked.save(update_fields=["answers", "current_page", "updated_at"])
    draft.answers, draft.current_page = locked.answers, locked.current_page


def draft_set_page(*, draft: Draft, page_id: str) -> None:
    Draft.objects.filter(pk=draft.pk).update(current_page=page_id, updated_at=timezone.now())
    draft.current_page = page_id


def _photo_downscaled(data: bytes) -> bytes | None:
    """A smaller JPEG of a photo larger than MAX_PHOTO_SIDE, or None to keep it."""
    with Image.open(io.BytesIO(data)) as image:
        if max(image.size) <= MAX_PHOTO_SIDE:
            return None
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue()


def draft_add_uploads(*, draft: Draft, page_id: str, files: list[UploadedFile]) -> list[str]:
    """Store the files sent for one upload question; returns a message per refused file."""
    errors: list[str] = []
    stored: list[dict] = []
    for upload in files:
        if message := upload_error(upload):
            errors.append(message)
            continue
        upload.seek(0)
        data = upload.read()
        kind = sniff_upload(data[:16])
        if kind in PHOTO_KINDS:
            try:
                smaller = _photo_downscaled(data)
            except Exception:  # any unreadable image gets the same message
                errors.append(
                    _("The photo “%(name)s” cannot be opened. Take the photo again.")
                    % {"name": upload.name}
                )
                continue
            if smaller is not None:
                data, kind = smaller, "jpeg"
        name = default_storage.save(
            f"filing/drafts/{draft.pk}/{uuid.uuid4().hex}.{kind}", ContentFile(data)
        )
        stored.append({"path": name, "name": str(upload.name)[:200], "kind": kind,
                       "size": len(data)})
    if stored:
        with transaction.atomic():
            locked = Draft.objects.select_for_update().get(pk=draft.pk)
            if locked.dossier_id:
                raise DraftError(_("This form has already been sent."))
            current = list(locked.uploads.get(page_id, []))
            room = MAX_FILES_PER_PAPER - len(current)
            if len(stored) > room:
                errors.append(
                    _("At most %(n)d files for one paper.") % {"n": MAX_FILES_PER_PAPER}
                )
                stored = stored[:max(room, 0)]
            locked.uploads = {**locked.uploads, page_id: current + stored}
            locked.current_page = page_id
            locked.save(update_fields=["uploads", "current_page", "updated_at"])
        draft.uploads = locked.uploads
    return errors


def draft_remove_upload(*, draft: Draft, page_id: str, index: int) -> None:
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.dossier_id:
            raise DraftError(_("This form has already been sent."))
        files = list(locked.uploads.get(page_id, []))
        if 0 <= index < len(files):
            files.pop(index)
            locked.uploads = {**locked.uploads, page_id: files}
            locked.save(update_fields=["uploads", "updated_at"])
    draft.uploads = locked.uploads


# --- checking ------------------------------------------------------------------------------


def page_check(draft: Draft, page: dict) -> tuple[Any, dict[str, str]]:
    """(clean answer, {input name: message}) of one page as the draft holds it."""
    if page["type"] == "upload":
        files = draft.uploads.get(page["id"], [])
        if page.get("required", True) and not files:
            return None, {"file": _("Add a photo or a PDF of this paper.")}
        return len(files), {}
    return formdefs.answer_clean(
        page, draft.answers.get(page["id"]), province_code=province_code()
    )


def draft_check(draft: Draft) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Clean answers of the visible pages, and the errors of each page that has some."""
    clean: dict[str, Any] = {}
    errors: dict[str, dict[str, str]] = {}
    for page in draft_pages(draft):
        value, page_errors = page_check(draft, page)
        if page_errors:
            errors[page["id"]] = page_errors
        clean[page["id"]] = value
    return clean, errors


# --- submission ----------------------------------------------------------------------------


def _applicant(
    definition: dict, clean: dict[str, Any]
) -> tuple[Applicant, AdministrativeUnit | None]:
    mapping = definition["applicant"]
    person = clean.get(mapping.get("person", "")) or {}
    name = person.get("full_name") or clean.get(mapping.get("name", "")) or ""
    birth = person.get("birth_date")
    address = clean.get(mapping.get("address", "")) or None
    unit = None
    if address:
        unit = AdministrativeUnit.objects.filter(
            code=address["commune"], level=UnitLevel.COMMUNE, valid_to__isnull=True
        ).first()
    return Applicant(
        name=name,
        birth_date=date.fromisoformat(birth) if birth else None,
        id_number=clean.get(mapping.get("id_number", "")) or "",
        phone=clean.get(mapping.get("phone", "")) or "",
        address=(f"{address['street']}, {address['commune_name']}" if address else ""),
        unit=unit,
    ), unit


def receiving_agency_for(
    *, procedure_version: ProcedureVersion, unit: AdministrativeUnit | None
) -> Agency | None:
    """The desk of the applicant's commune that receives the online dossier: the commune
    agency the procedure names, else the commune's service centre or People's Committee;
    the provincial service centre when none."""
    active = Agency.objects.filter(is_active=True)
    if unit is not None:
        named = [t for t in procedure_version.competent_agency_types or [] if t in (
            AgencyType.COMMUNE_POLICE, AgencyType.COMMUNE_PEOPLES_COMMITTEE,
            AgencyType.COMMUNE_SERVICE_CENTRE,
        )]
        for agency_type in [*named, AgencyType.COMMUNE_SERVICE_CENTRE,
                            AgencyType.COMMUNE_PEOPLES_COMMITTEE]:
            if found := active.filter(unit=unit, type=agency_type).order_by("code").first():
                return found
    return active.filter(
        type=AgencyType.PROVINCE_SERVICE_CENTRE, unit__code=province_code()
    ).order_by("code").first()


def _paper_files(draft: Draft, page: dict) -> list[tuple[str, ContentFile]]:
    """The files of one upload question; several photos become one PDF."""
    files = draft.uploads.get(page["id"], [])
    photos = [f for f in files if f["kind"] in PHOTO_KINDS]
    others = [f for f in files if f["kind"] not in PHOTO_KINDS]
    out: list[tuple[str, ContentFile]] = []
    if len(photos) > 1:
        images = []
        for f in photos:
            with default_storage.open(f["path"], "rb") as handle:
                image = Image.open(io.BytesIO(handle.read()))
                images.append(ImageOps.exif_transpose(image).convert("RGB"))
        buffer = io.BytesIO()
        images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=150)
        out.append((f"{page['id']}.pdf", ContentFile(buffer.getvalue())))
    else:
        others = photos + others
    for f in others:
        with default_storage.open(f["path"], "rb") as handle:
            out.append((f"{page['id']}.{f['kind']}", ContentFile(handle.read())))
    for name, content in out:
        content.name = name
    return out


def _required_paper(version: ProcedureVersion, words: str) -> RequiredPaper | None:
    words = words.casefold()
    return next((p for p in version.papers.all() if words in p.name.casefold()), None)


@dataclass(frozen=True)
class SubmitResult:
    dossier: Dossier
    created: bool


def draft_submit(*, citizen: Any, draft_id: int, key: str) -> SubmitResult:
    """File the draft once. A draft already submitted returns its dossier (created=False);
    a wrong key (a page older than the draft) raises DraftError; wrong answers raise
    ValidationError({page id: {input: message}}) or the lifecycle's ValidationError."""
    with transaction.atomic():
        draft = (
            Draft.objects.select_for_update()
            .filter(pk=draft_id, citizen=citizen).first()
        )
        if draft is None:
            raise DraftError(_("This form cannot be found."))
        if draft.dossier_id is not None:
            return SubmitResult(dossier=Dossier.objects.get(pk=draft.dossier_id), created=False)
        if not secrets.compare_digest(key, draft.idempotency_key):
            raise DraftError(_("This page is out of date. Check your answers and send again."))
        definition = draft.form_definition.definition
        clean, errors = draft_check(draft)
        if errors:
            raise ValidationError(errors)
        applicant, unit = _applicant(definition, clean)
        version = draft.procedure_version
        agency = receiving_agency_for(procedure_version=version, unit=unit)
        if agency is None:
            raise DraftError(_(
                "No office can receive this dossier online yet. Please call the one-stop desk."
            ))
        papers = []
        for page in draft_pages(draft):
            if page["type"] != "upload":
                continue
            required = _required_paper(version, page["paper"])
            for _name, content in _paper_files(draft, page):
                papers.append(PaperInput(
                    name=(required.name if required else page["paper"])[:500],
                    form=required.form if required else "",
                    required_paper=required,
                    file=content,
                ))
        form_data = {
            "form": {"procedure": definition["procedure"],
                     "version": draft.form_definition.number},
            "answers": {
                page["id"]: clean[page["id"]]
                for page in draft_pages(draft) if page["type"] != "upload"
            },
        }
        dossier = dossier_file_online(
            procedure_version=version,
            applicant=applicant,
            receiving_agency=agency,
            form_data=form_data,
            papers=papers,
            citizen=draft.citizen,
        )
        draft.dossier = dossier
        draft.submitted_at = timezone.now()
        draft.save(update_fields=["dossier", "submitted_at", "updated_at"])
        return SubmitResult(dossier=dossier, created=True)
