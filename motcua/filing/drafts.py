"""Drafts of online filings: saved at every step, resumable, submitted exactly once.

A draft keeps the answers as typed (see motcua.catalog.formdefs) and the uploaded
files per upload question. `draft_submit` locks the draft row, and a draft already
submitted returns its dossier: a double click, a reload or a retried request never
makes a second dossier.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.services import citizen_profile_fill
from motcua.catalog import formdefs
from motcua.catalog.models import FormDefinition, ProcedureVersion, RequiredPaper
from motcua.catalog.selectors import form_definition_cached, procedure_version_cached
from motcua.core.conf import setting
from motcua.core.reads import KeyRead
from motcua.core.text import nfc
from motcua.core.uploads import (
    count_refusal,
    max_files_per_paper,
    stored_files_removed_on_error,
    too_many_for_paper_message,
)
from motcua.dossiers import validation
from motcua.dossiers.models import Dossier, DossierPaper, Draft
from motcua.dossiers.services import Applicant, PaperInput, dossier_file_online
from motcua.filing.uploads import UploadRefused, paper_files, upload_read
from motcua.organizations.models import AdministrativeUnit, Agency, AgencyType, UnitLevel
from motcua.payments.services import bill_for_filing


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
    """The citizen's drafts not yet submitted, most recent first (not those an officer
    is filling in for them: see motcua.filing.assisted)."""
    return (
        Draft.objects.filter(citizen=citizen, dossier__isnull=True, assisted_by__isnull=True)
        .select_related("procedure_version__procedure", "form_definition")
        .order_by("-updated_at")
    )


_draft_by_key = KeyRead(lambda citizen, pk: Draft.objects.filter(citizen_id=citizen, pk=pk))


def draft_get(*, citizen: Any, pk: int) -> Draft | None:
    """The citizen's draft; an assisted one only once sent (the citizen confirmed it).
    Its form definition and procedure come from this process's memo, not a join: every
    question page reads them (motcua.catalog.selectors.form_definition_cached)."""
    draft = _draft_by_key.one(citizen=citizen.pk, pk=int(pk)) if citizen.pk else None
    if draft is not None and draft.assisted_by_id is not None and draft.dossier_id is None:
        return None
    if draft is not None:
        draft.form_definition = form_definition_cached(draft.form_definition_id)
        draft.procedure_version = procedure_version_cached(draft.procedure_version_id)
    return draft


def draft_by_token(*, citizen: Any, token: str) -> Draft | None:
    return (
        Draft.objects.filter(citizen=citizen, resume_token=token)
        .exclude(assisted_by__isnull=False, dossier__isnull=True).first()
    )


def draft_resume_link(draft: Draft) -> str:
    """The link that brings the citizen back to the draft (absolute when the site's
    address is configured as NOTIFY_SITE_URL), for an SMS or e-mail."""
    from motcua.notifications import conf

    path = reverse("filing:resume", args=[draft.resume_token])
    base = (conf.get("NOTIFY_SITE_URL") or "").rstrip("/")
    return f"{base}{path}"


def draft_phone(draft: Draft) -> str:
    """The phone the citizen signed in with, else the one the form gives; "" if none."""
    from motcua.accounts.selectors import citizen_profile

    profile = citizen_profile(user=draft.citizen)
    if profile and profile.phone:
        return profile.phone
    page_id = draft.form_definition.definition.get("applicant", {}).get("phone", "")
    typed = validation.normalize_phone(str(draft.answers.get(page_id) or ""))
    return typed if typed and validation.phone_error(typed) is None else ""


def draft_link_send(*, draft: Draft, now: Any = None) -> str:
    """Send the citizen the link back to `draft` (SMS, or their preferred channel) at the
    phone they signed in with, else the phone the form gives; at most once an hour per
    draft. Returns the number it went to, masked; raises DraftError when there is none
    or the link was sent less than an hour ago."""
    from motcua.notifications.services import notification_write

    now = now or timezone.now()
    phone = draft_phone(draft)
    if not phone:
        raise DraftError(
            _("We do not know your phone number yet. Answer the phone question first.")
        )
    row = notification_write(
        template="draft_link",
        context={"procedure": draft.procedure_version.name, "url": draft_resume_link(draft)},
        recipient_phone=phone,
        preferred_channel="sms",
        dedupe_key=f"draft_link:{draft.pk}:{timezone.localtime(now):%Y%m%d%H}",
    )
    if row is None:
        raise DraftError(_("The link was sent to you less than an hour ago. Check your messages."))
    return f"…{phone[-3:]}"


def draft_pages(draft: Draft) -> list[dict]:
    return formdefs.pages_visible(draft.form_definition.definition, draft.answers)


# --- prefill and what is already known ----------------------------------------------------

# answers[PREFILLED] says where each prefilled page's answer came from, so the page says so
# truthfully ("from VNeID", "the phone you signed in with", "your last dossier") until the
# citizen saves it. answers[KNOWN] lists the pages not asked at all: their answer comes from
# a verified source (the e-ID, the phone the sign-in code went to); they stay on the check
# page, where they can be changed. Page ids cannot start with "_".
PREFILLED = "_prefilled"
# The keys draft_save_answer writes inside the answers' JSON (a form's page ids are so).
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,80}")
KNOWN = "_known"
FOUND = "_found"  # {page: {field: population-database lookup state}}
VERIFIED_SOURCES = ("vneid", "account")


def prefilled_sources(answers: dict) -> dict[str, str]:
    value = answers.get(PREFILLED) or {}
    if isinstance(value, list):  # drafts saved before sources were kept
        return dict.fromkeys(value, "previous")
    return dict(value)


def _date_text(value: Any) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _identity_raw(citizen: Any) -> dict[str, tuple[Any, str]]:
    """The applicant's answers, as typed, with their source, from the citizen's account:
    an e-ID's identity (verified), the phone the sign-in code went to (verified), or
    what the profile learnt from earlier dossiers."""
    from motcua.accounts.selectors import citizen_identity

    identity = citizen_identity(citizen)
    if identity is None:
        return {}
    source = "vneid" if identity.verified else "profile"
    raw: dict[str, tuple[Any, str]] = {}
    phone = identity.phone or ""  # stored as 84xxxxxxxxx
    if phone.startswith("84"):
        phone = "0" + phone[2:]
    if phone and validation.phone_error(phone) is None:
        raw["phone"] = (phone, "account")
    if identity.full_name:
        raw["person"] = ({
            "full_name": identity.full_name,
            "birth_date": _date_text(identity.birth_date),
            "sex": identity.sex or "",
            "ethnicity": identity.ethnicity or "",
            "nationality": identity.nationality or ("Việt Nam" if identity.verified else ""),
        }, source)
        raw["name"] = (identity.full_name, source)
    if identity.id_number:
        raw["id_number"] = (identity.id_number, source)
    if identity.commune is not None and identity.address:
        raw["address"] = ({"commune": identity.commune.code, "street": identity.address}, source)
    return raw


def _previous_raw(citizen: Any) -> dict[str, tuple[Any, str]]:
    """The applicant's answers, as typed, in the citizen's last submitted draft."""
    last = (
        Draft.objects.filter(citizen=citizen, dossier__isnull=False)
        .select_related("form_definition").order_by("-submitted_at").first()
    )
    if last is None:
        return {}
    mapping = last.form_definition.definition.get("applicant", {})
    found = {
        role: (last.answers[page_id], "previous")
        for role, page_id in mapping.items() if last.answers.get(page_id)
    }
    person = found.get("person", ({}, ""))[0]
    if "name" not in found and isinstance(person, dict) and person.get("full_name"):
        found["name"] = (person["full_name"], "previous")  # a name-only form next time
    return found


def prefill_answers(*, citizen: Any, definition: dict) -> dict[str, Any]:
    """Answers for a new draft's applicant questions (who, ID number, phone, address),
    from the e-ID and the account first, then the last dossier this citizen filed online,
    then the profile. Only what the form asks about the applicant (a page with "prefill":
    false is left empty: the husband's page of a marriage form may not be the last
    applicant). Pages whose answer is verified and complete are not asked (KNOWN); every
    answer is checked again when the dossier is sent."""
    known = _identity_raw(citizen)
    previous = _previous_raw(citizen)
    for role, item in previous.items():
        if known.get(role, (None, ""))[1] not in VERIFIED_SOURCES:
            known[role] = item
    asked = {page["id"]: page for page in definition["pages"]}
    answers: dict[str, Any] = {}
    sources: dict[str, str] = {}
    skipped: list[str] = []
    for role, page_id in definition.get("applicant", {}).items():
        value, source = known.get(role, (None, ""))
        page = asked.get(page_id, {})
        if not value or not page.get("prefill", True):
            continue
        if (role in ("person", "address")) != isinstance(value, dict):
            continue
        answers[page_id] = value
        sources[page_id] = source
        complete = not formdefs.answer_clean(page, value, province_code=province_code())[1]
        if source in VERIFIED_SOURCES and complete:
            skipped.append(page_id)
    if answers:
        answers[PREFILLED] = sources
    if skipped:
        answers[KNOWN] = skipped
    return answers


def draft_flow(draft: Draft) -> list[dict]:
    """The pages the citizen is taken through: the visible ones not already known."""
    known = set(draft.answers.get(KNOWN, []))
    return [page for page in draft_pages(draft) if page["id"] not in known]


def draft_progress(draft: Draft, page: dict) -> tuple[int, int]:
    """(step number, number of steps) of a page: fixed once the draft starts."""
    all_steps = formdefs.steps(
        draft.form_definition.definition, skipped=set(draft.answers.get(KNOWN, []))
    )
    step = formdefs.step_of(page)
    return (all_steps.index(step) + 1 if step in all_steps else 0), len(all_steps)


# --- writes --------------------------------------------------------------------------------


def draft_start(
    *,
    citizen: Any,
    procedure_version: ProcedureVersion,
    form_definition: FormDefinition,
    answers: dict[str, Any] | None = None,
    assisted_by: Any = None,
    assisted_agency: Agency | None = None,
) -> Draft:
    """A new draft, prefilled from the citizen's own data unless `answers` are given
    (assisted mode: the officer must not see that data)."""
    if answers is None:
        answers = prefill_answers(citizen=citizen, definition=form_definition.definition)
    return Draft.objects.create(
        citizen=citizen,
        procedure_version=procedure_version,
        form_definition=form_definition,
        answers=answers,
        resume_token=_token(),
        idempotency_key=_token(),
        assisted_by=assisted_by,
        assisted_agency=assisted_agency,
    )


def draft_answer_keep(*, draft: Draft, page_id: str, raw: Any) -> Any:
    """Put what was typed on a page into `draft` in memory (NFC: a phone keyboard's
    combining marks and composed letters become one), as draft_save_answer writes it;
    returns it as kept."""
    raw = nfc(raw)
    prefilled = {
        p: source for p, source in prefilled_sources(draft.answers).items() if p != page_id
    }
    draft.answers = {**draft.answers, page_id: raw, PREFILLED: prefilled}
    draft.current_page = page_id
    return raw


def draft_save_answer(
    *,
    draft: Draft,
    page_id: str,
    raw: Any,
    found: dict | None = None,
    current_page: str | None = None,
) -> None:
    """Keep what was typed on a page, checked or not (autosave uses this too), with the
    page's population look-ups (`found`, from draft_lookup) and the page to resume at
    (`current_page`, else this one).

    One UPDATE that sets these keys inside the stored answers (SQLite's json_set,
    PostgreSQL's jsonb ||), not a read-lock-write: another tab's answers saved meanwhile
    are kept, and a question page costs one statement. `draft.answers` becomes what the
    row holds."""
    raw = draft_answer_keep(draft=draft, page_id=page_id, raw=raw)
    if not _SAFE_KEY.fullmatch(page_id):  # the definition's ids are; never in SQL if not
        raise DraftError(_("This question does not exist."))
    sets = {page_id: raw}
    if found is not None:
        sets[FOUND] = {**(draft.answers.get(FOUND) or {}), page_id: found}
    now = timezone.now()
    page = page_id if current_page is None else current_page
    table = Draft._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            pair = "jsonb_build_object(%s::text, %s::jsonb)"
            patch = " || ".join(["answers"] + [pair] * len(sets))
            params = [v for key, value in sets.items() for v in (key, json.dumps(value))]
            cursor.execute(
                f"UPDATE {table} SET answers = ({patch}) #- ARRAY[%s, %s]::text[], "
                "current_page = %s, updated_at = %s WHERE id = %s AND dossier_id IS NULL "
                "RETURNING answers",
                [*params, PREFILLED, page_id, page, now, draft.pk],
            )
        else:
            patch = "answers"
            params = []
            for key, value in sets.items():
                patch = f"json_set({patch}, %s, json(%s))"
                params += [f'$."{key}"', json.dumps(value)]
            cursor.execute(
                f"UPDATE {table} SET answers = json_remove({patch}, %s), current_page = %s, "
                "updated_at = %s WHERE id = %s AND dossier_id IS NULL RETURNING answers",
                [*params, f'$."{PREFILLED}"."{page_id}"', page,
                 connection.ops.adapt_datetimefield_value(now), draft.pk],
            )
        row = cursor.fetchone()
    if row is None:
        raise DraftError(_("This form has already been sent."))
    answers = row[0]
    draft.answers = answers if isinstance(answers, dict) else json.loads(answers)
    draft.current_page = page


def draft_set_page(*, draft: Draft, page_id: str) -> None:
    Draft.objects.filter(pk=draft.pk).update(current_page=page_id, updated_at=timezone.now())
    draft.current_page = page_id


def draft_add_uploads(*, draft: Draft, page_id: str, files: list[UploadedFile]) -> list[str]:
    """Store the files sent for one upload question; returns a message per refused file.

    More files than the paper has room for are all refused before any is read or
    written (the upload handler has already kept the extras out of memory and disk);
    one refused file does not drop the good ones. A file written for a draft that
    cannot take it (sent meanwhile, filled by a parallel request) is deleted again."""
    if not files:
        return []
    if message := count_refusal(files):  # more than a request may carry
        return [message]
    room = max_files_per_paper() - len(draft.uploads.get(page_id, []))
    if len(files) > room:
        return [too_many_for_paper_message()]
    errors: list[str] = []
    read: list[tuple[bytes, str, str]] = []
    for upload in files:
        try:
            data, kind = upload_read(upload)
        except UploadRefused as exc:
            if exc.message not in errors:
                errors.append(exc.message)
            continue
        read.append((data, kind, str(upload.name)[:200]))
    if not read:
        return errors
    stored: list[dict] = []
    try:
        for data, kind, name in read:
            path = default_storage.save(
                f"filing/drafts/{draft.pk}/{uuid.uuid4().hex}.{kind}", ContentFile(data)
            )
            stored.append({"path": path, "name": name, "kind": kind, "size": len(data)})
        with transaction.atomic():
            locked = Draft.objects.select_for_update().get(pk=draft.pk)
            if locked.dossier_id:
                raise DraftError(_("This form has already been sent."))
            current = list(locked.uploads.get(page_id, []))
            if len(current) + len(stored) > max_files_per_paper():
                _delete_files([f["path"] for f in stored])
                return [*errors, too_many_for_paper_message()]
            locked.uploads = {**locked.uploads, page_id: current + stored}
            locked.current_page = page_id
            locked.save(update_fields=["uploads", "current_page", "updated_at"])
    except BaseException:
        _delete_files([f["path"] for f in stored])
        raise
    draft.uploads = locked.uploads
    return errors


# --- the citizen's store: papers and results of their own dossiers, reused -------------------


@dataclass(frozen=True)
class StoredPaper:
    ref: str  # "paper-<DossierPaper id>" or "result-<Dossier id>"
    name: str
    dossier_code: str
    at: datetime
    matches: bool  # its name contains the words of the paper asked for


_KINDS_BY_EXTENSION = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png",
                       "webp": "webp"}


def _file_kind(name: str) -> str:
    return _KINDS_BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower(), "")


def _result_name(dossier: Dossier) -> str:
    return _("Result: %(procedure)s") % {"procedure": dossier.procedure_version.name}


def citizen_store(*, citizen: Any, words: str = "", limit: int = 12) -> list[StoredPaper]:
    """Papers and electronic results with a file in the citizen's own dossiers, newest
    of each name first; those whose name holds `words` (the paper asked for) first."""
    results = (
        Dossier.objects.filter(citizen=citizen, returned_at__isnull=False)
        .exclude(result_file="").select_related("procedure_version").order_by("-returned_at")
    )
    papers = (
        DossierPaper.objects.filter(dossier__citizen=citizen).exclude(file="")
        .select_related("dossier").order_by("-added_at", "-pk")
    )
    words = words.casefold().strip()
    items, seen = [], set()
    for dossier in results[:50]:
        name = _result_name(dossier)
        items.append(StoredPaper(f"result-{dossier.pk}", name, dossier.code,
                                 dossier.returned_at, False))
        seen.add(name)
    for paper in papers[:200]:
        if paper.name in seen or not _file_kind(paper.file.name):
            continue
        seen.add(paper.name)
        items.append(StoredPaper(f"paper-{paper.pk}", paper.name, paper.dossier.code,
                                 paper.added_at, bool(words) and words in paper.name.casefold()))
    items.sort(key=lambda item: (not item.matches, -item.at.timestamp()))
    return items[:limit]


def _stored_file(citizen: Any, ref: str) -> tuple[str, str] | None:
    """(storage path, name) of an item of the citizen's store, or None if not theirs."""
    kind, _sep, number = ref.partition("-")
    if not number.isdigit():
        return None
    if kind == "paper":
        paper = DossierPaper.objects.filter(
            pk=int(number), dossier__citizen=citizen
        ).exclude(file="").first()
        return (paper.file.name, paper.name) if paper else None
    if kind == "result":
        dossier = Dossier.objects.filter(
            pk=int(number), citizen=citizen, returned_at__isnull=False
        ).exclude(result_file="").select_related("procedure_version").first()
        if dossier is None:
            return None
        return dossier.result_file.name, _result_name(dossier)
    return None


def draft_reuse(*, draft: Draft, page_id: str, ref: str) -> str | None:
    """Attach a paper or result from the citizen's store to an upload question instead
    of uploading it again; returns a message when it cannot be used."""
    if draft.assisted_by_id is not None:  # the officer does not see the citizen's store
        return _("This paper cannot be used here.")
    found = _stored_file(draft.citizen, ref)
    if found is None or not default_storage.exists(found[0]):
        return _("This paper cannot be found any more. Upload a photo of it instead.")
    path, name = found
    entry = {"path": path, "name": name[:200], "kind": _file_kind(path),
             "size": default_storage.size(path), "reused": ref}
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.dossier_id:
            raise DraftError(_("This form has already been sent."))
        current = list(locked.uploads.get(page_id, []))
        if any(f.get("reused") == ref for f in current):
            return None  # a double click
        if len(current) >= max_files_per_paper():
            return too_many_for_paper_message()
        locked.uploads = {**locked.uploads, page_id: [*current, entry]}
        locked.current_page = page_id
        locked.save(update_fields=["uploads", "current_page", "updated_at"])
    draft.uploads = locked.uploads
    return None


def draft_remove_upload(*, draft: Draft, page_id: str, index: int) -> None:
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.dossier_id:
            raise DraftError(_("This form has already been sent."))
        files = list(locked.uploads.get(page_id, []))
        if 0 <= index < len(files):
            removed = files.pop(index)
            locked.uploads = {**locked.uploads, page_id: files}
            locked.save(update_fields=["uploads", "updated_at"])
            # The draft's own copy goes once no row names it (a reused paper's file
            # belongs to its dossier: _delete_files keeps anything outside filing/drafts/).
            if removed.get("path"):
                transaction.on_commit(lambda: _delete_files([removed["path"]]))
    draft.uploads = locked.uploads


# --- checking ------------------------------------------------------------------------------


def _applicant_context(draft: Draft) -> tuple[dict, str]:
    """The applicant as a person (with ID number) and their address in one line, from the
    applicant's pages, for the questions that depend on them (the declarant is the
    mother; home birth at the declarant's address; the result posted home)."""
    mapping = draft.form_definition.definition.get("applicant", {})
    pages = {page["id"]: page for page in draft.form_definition.definition["pages"]}

    def clean(role: str) -> Any:
        page = pages.get(mapping.get(role, ""))
        if page is None:
            return None
        return formdefs.answer_clean(page, draft.answers.get(page["id"]),
                                     province_code=province_code())[0]

    person = dict(clean("person") or {})
    if not person and (name := clean("name")):
        person = {"full_name": name}
    if id_number := clean("id_number"):
        person["id_number"] = id_number
    address = clean("address")
    return person, (f"{address['street']}, {address['commune_name']}" if address else "")


def answer_context(
    draft: Draft, page: dict, applicant: tuple[dict, str] | None = None
) -> formdefs.AnswerContext:
    """What a page's answer depends on beyond its inputs; `applicant`: the applicant
    already read (draft_check reads it once for every page)."""
    person, address = ({}, "")
    if page["type"] in ("group", "delivery"):
        person, address = applicant or _applicant_context(draft)
    return formdefs.AnswerContext(
        answers=draft.answers,
        found=(draft.answers.get(FOUND) or {}).get(page["id"], {}),
        applicant=person,
        applicant_address=address,
    )


def _upload_check(draft: Draft, page: dict) -> tuple[Any, dict[str, str]]:
    """An upload page: its files, or the paper declared missing (with the statement the
    law allows instead, e.g. the declarant's own statement when no one witnessed a birth,
    or a reason when the paper is optional)."""
    files = draft.uploads.get(page["id"], [])
    if files:
        return len(files), {}
    raw = draft.answers.get(page["id"])
    raw = raw if isinstance(raw, dict) else {}
    none = page.get("none_option")
    if raw.get("none") == "1":
        if none:
            return {"missing": True, "statement": none["statement"]}, {}
        reason = str(raw.get("reason", "")).strip()
        if not page.get("required", True):
            if not reason:
                return None, {"reason": _("Say why you do not have this paper.")}
            if len(reason) > formdefs.MAX_TEXT:
                return None, {"reason": _("Write at most %(n)d characters.") % {
                    "n": formdefs.MAX_TEXT}}
            return {"missing": True, "reason": reason}, {}
    if page.get("required", True):
        if none:
            return None, {"file": _(
                "Add a photo or a PDF of this paper, or tick “%(label)s”."
            ) % {"label": formdefs.tr(none, "label")}}
        return None, {"file": _("Add a photo or a PDF of this paper.")}
    return 0, {}


def page_check(
    draft: Draft, page: dict, applicant: tuple[dict, str] | None = None
) -> tuple[Any, dict[str, str]]:
    """(clean answer, {input name: message}) of one page as the draft holds it."""
    if page["type"] == "upload":
        return _upload_check(draft, page)
    return formdefs.answer_clean(
        page, draft.answers.get(page["id"]), province_code=province_code(),
        context=answer_context(draft, page, applicant),
    )


def draft_check(draft: Draft) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Clean answers of the visible pages, and the errors of each page that has some."""
    clean: dict[str, Any] = {}
    errors: dict[str, dict[str, str]] = {}
    applicant = _applicant_context(draft)
    for page in draft_pages(draft):
        value, page_errors = page_check(draft, page, applicant)
        if page_errors:
            errors[page["id"]] = page_errors
        clean[page["id"]] = value
    return clean, errors


def draft_lookup(*, draft: Draft, page: dict, requester: Any) -> dict | None:
    """Look up, in the national population database, the people whose ID number the page
    holds (as kept in `draft` in memory), once the citizen consented (Decree 13/2023
    art. 11: personal data is processed with the data subject's consent; the lookup is
    logged by the plugin). A number looked
    up already is not asked again; the answers keep what was found, so the details are
    confirmed, not typed. Returns the page's new look-up states (None: nothing new), for
    draft_save_answer to write, and puts them in `draft.answers` meanwhile."""
    from motcua.accounts.contrib.population.client import (
        PopulationUnavailable,
        population_configured,
        resident_lookup,
    )

    if page["type"] != "group":
        return
    raw = draft.answers.get(page["id"])
    raw = raw if isinstance(raw, dict) else {}
    context = None  # read only for a field that may be looked up (it costs queries)
    consents = [sub for sub in page["fields"] if "consent_for" in sub]
    states = dict((draft.answers.get(FOUND) or {}).get(page["id"], {}))
    changed = False
    for sub in page["fields"]:
        if not sub.get("lookup"):
            continue
        number = str(raw.get(sub["id"], "")).replace(" ", "").replace(".", "")
        if validation.cccd_error(number) is not None:
            continue
        if (states.get(sub["id"]) or {}).get("id_number") == number and \
                states[sub["id"]].get("status") != "unavailable":
            continue
        consent = any(sub["id"] in c["consent_for"] and raw.get(c["id"]) == "1"
                      for c in consents)
        if not consent:
            continue
        context = context or answer_context(draft, page)
        if not formdefs.field_shown(sub, raw, context):
            continue
        state: dict[str, Any] = {"id_number": number}
        if not population_configured():
            state["status"] = "unavailable"
        else:
            try:
                found = resident_lookup(id_number=number, requester=requester,
                                        purpose=draft.procedure_version.name, consent=True)
            except PopulationUnavailable:
                state["status"] = "unavailable"
            else:
                if found is None:
                    state["status"] = "not_found"
                else:
                    state["status"] = "found"
                    state["person"] = {
                        "full_name": found.full_name,
                        "birth_date": found.birth_date.isoformat() if found.birth_date else None,
                        "sex": found.sex, "ethnicity": found.ethnicity,
                        "nationality": found.nationality, "residence": found.residence,
                    }
        states[sub["id"]] = state
        changed = True
    if not changed:
        return None
    found = {**(draft.answers.get(FOUND) or {}), page["id"]: states}
    draft.answers = {**draft.answers, FOUND: found}
    return states


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
        # The commune is the applicant's unit; with it known, the address is the street
        # alone, so nothing prints the commune twice.
        address=(
            (address["street"] if unit else f"{address['street']}, {address['commune_name']}")
            if address
            else ""
        ),
        unit=unit,
    ), unit


def draft_continue_page(draft: Draft) -> str | None:
    """The page to continue a draft at: its current page, else the first one; None once
    it was sent (its confirmation is what is left to show)."""
    if draft.dossier_id:
        return None
    ids = [page["id"] for page in draft_pages(draft)]
    flow = [page["id"] for page in draft_flow(draft)]
    if draft.current_page in ids:
        return draft.current_page
    return flow[0] if flow else ids[0]


def receiving_agency_for(
    *, procedure_version: ProcedureVersion, unit: AdministrativeUnit | None
) -> Agency | None:
    """The one-stop desk of the applicant's commune that receives the online dossier
    (Decree 61/2018 art. 7: the commune's Bộ phận Một cửa receives every procedure it
    offers, whichever agency then decides): its service centre, else its People's
    Committee; the provincial service centre when the commune has neither. The competent
    agency is routed from there (motcua.dossiers.routing)."""
    active = Agency.objects.filter(is_active=True)
    if unit is not None:
        for agency_type in (
            AgencyType.COMMUNE_SERVICE_CENTRE,
            AgencyType.COMMUNE_PEOPLES_COMMITTEE,
        ):
            if found := active.filter(unit=unit, type=agency_type).order_by("code").first():
                return found
    return active.filter(
        type=AgencyType.PROVINCE_SERVICE_CENTRE, unit__code=province_code()
    ).order_by("code").first()


def assisted_receiving_agency(
    *, draft: Draft, unit: AdministrativeUnit | None
) -> Agency | None:
    """The desk an assisted draft is filed at: the officer's agency when the procedure may
    be filed there (boundary-independent, or the agency is in the applicant's commune),
    else the usual desk, if the officer is one of its receiving officers too. DraftError
    when they are not; None when no desk receives it online."""
    from motcua.accounts.models import Role
    from motcua.accounts.selectors import user_has_role

    own = draft.assisted_agency
    version = draft.procedure_version
    if own is not None and own.is_active and (
        version.boundary_independent or (unit is not None and own.unit_id == unit.pk)
    ):
        return own
    usual = receiving_agency_for(procedure_version=version, unit=unit)
    if usual is None or user_has_role(
        user=draft.assisted_by, agency=usual, roles=[Role.RECEIVING_OFFICER]
    ):
        return usual
    raise DraftError(_(
        "This procedure is filed where the applicant lives: %(agency)s receives it, and you "
        "are not one of its receiving officers. Help the citizen file it with their own "
        "account, or send them to that desk."
    ) % {"agency": usual.name})


def _paper_files(draft: Draft, page: dict) -> list[ContentFile]:
    """The files of one upload question; several photos become one PDF."""
    files = []
    for f in draft.uploads.get(page["id"], []):
        with default_storage.open(f["path"], "rb") as handle:
            files.append((handle.read(), f["kind"]))
    return paper_files(page["id"], files)


def _required_paper(version: ProcedureVersion, words: str) -> RequiredPaper | None:
    words = words.casefold()
    return next((p for p in version.papers.all() if words in p.name.casefold()), None)


@dataclass(frozen=True)
class SubmitResult:
    dossier: Dossier
    created: bool


def draft_submit(
    *, citizen: Any, draft_id: int, key: str, officer: Any = None
) -> SubmitResult:
    """File the draft once. A draft already submitted returns its dossier (created=False);
    a wrong key (a page older than the draft) raises DraftError; wrong answers raise
    ValidationError({page id: [messages]}) or the lifecycle's ValidationError.
    `officer`: the official assisting the citizen (motcua.filing.assisted, which checks
    the citizen's one-time code first); None for the citizen's own drafts."""
    # The dossier's copies of the papers are written inside; a failure keeps none.
    with stored_files_removed_on_error(), transaction.atomic():
        draft = (
            Draft.objects.select_for_update()
            .filter(pk=draft_id, citizen=citizen, assisted_by=officer).first()
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
            # {page: [messages]}: ValidationError cannot carry the per-input dicts.
            raise ValidationError({page: list(e.values()) for page, e in errors.items()})
        applicant, unit = _applicant(definition, clean)
        version = draft.procedure_version
        if draft.assisted_by_id is not None:
            agency = assisted_receiving_agency(draft=draft, unit=unit)
        else:
            agency = receiving_agency_for(procedure_version=version, unit=unit)
        if agency is None:
            raise DraftError(_(
                "No office can receive this dossier online yet. Please call the one-stop desk."
            ))
        papers = []
        for page in draft_pages(draft):
            if page["type"] != "upload" or not draft.uploads.get(page["id"]):
                continue
            required = _required_paper(version, page["paper"])
            for content in _paper_files(draft, page):
                papers.append(PaperInput(
                    name=(required.name if required else page["paper"])[:500],
                    form=required.form if required else "",
                    required_paper=required,
                    file=content,
                    reused=any(f.get("reused") for f in draft.uploads.get(page["id"], [])),
                ))
        form_data = {
            "form": {"procedure": definition["procedure"],
                     "version": draft.form_definition.number},
            # An upload page's answer is kept when the paper was declared missing.
            "answers": {
                page["id"]: clean[page["id"]]
                for page in draft_pages(draft)
                if page["type"] != "upload" or isinstance(clean[page["id"]], dict)
            },
        }
        delivery = next(
            (clean[page["id"]] for page in draft_pages(draft) if page["type"] == "delivery"),
            None,
        ) or {"how": "desk", "address": ""}
        dossier = dossier_file_online(
            procedure_version=version,
            applicant=applicant,
            receiving_agency=agency,
            form_data=form_data,
            papers=papers,
            filed_by=draft.assisted_by,
            citizen=draft.citizen,
            result_delivery=delivery["how"],
            result_address=delivery["address"],
        )
        # A fee the schedule fixes is billed now, so it can be paid right away.
        bill_for_filing(
            dossier=dossier, answers=form_data["answers"], fee_units=definition.get("fee_units")
        )
        citizen_profile_fill(
            user=draft.citizen,
            full_name=applicant.name,
            citizen_id=applicant.id_number,
            birth_date=applicant.birth_date,
            commune=unit,
            address=(clean.get(definition["applicant"].get("address", "")) or {}).get("street", ""),
        )
        draft.dossier = dossier
        draft.submitted_at = timezone.now()
        draft.save(update_fields=["dossier", "submitted_at", "updated_at"])
        return SubmitResult(dossier=dossier, created=True)


# --- housekeeping --------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeReport:
    abandoned: int  # unfinished drafts deleted
    files: int  # stored upload files deleted


def _uploaded_paths(draft: Draft) -> list[str]:
    return [f["path"] for files in draft.uploads.values() for f in files if f.get("path")]


def _delete_files(paths: list[str]) -> int:
    deleted = 0
    for path in paths:
        if path.startswith("filing/drafts/") and default_storage.exists(path):
            default_storage.delete(path)
            deleted += 1
    return deleted


# --- retention ---------------------------------------------------------------------------
#
# An unfinished form holds personal data the citizen typed and photos of their papers:
# it is kept MOTCUA_DRAFT_KEEP_DAYS after its last change (Decree 13/2023/NĐ-CP art. 3(7),
# storage limitation), and MOTCUA_DRAFT_NOTICE_DAYS before that the citizen gets one
# message with the link to go on. Never deleted before the notice has had its days: a
# notice sent late (the job did not run) pushes the deletion back. A form changed after
# its notice starts a fresh cycle (expiry_notice_at older than updated_at); the notice
# itself never changes updated_at (a queryset update skips auto_now).


def _keep() -> timedelta:
    return timedelta(days=setting("MOTCUA_DRAFT_KEEP_DAYS", 90))


def _notice() -> timedelta:
    """How long before the deletion the citizen is told; 0: not told (nor when forms
    are kept until sent)."""
    return max(
        timedelta(0), min(timedelta(days=setting("MOTCUA_DRAFT_NOTICE_DAYS", 7)), _keep())
    )


def draft_deletion_at(draft: Draft, *, noticed_at: datetime | None = None) -> datetime:
    """When the unfinished `draft` may be deleted: KEEP days after its last change, and
    not before NOTICE days after the notice (`noticed_at`, else the recorded one)."""
    due = draft.updated_at + _keep()
    noticed_at = noticed_at or draft.expiry_notice_at
    if noticed_at is not None and noticed_at >= draft.updated_at:
        due = max(due, noticed_at + _notice())
    return due


def _notice_due(now: datetime) -> QuerySet[Draft]:
    """Unfinished drafts of citizens (not those an officer fills in) whose notice is due
    and not yet sent since their last change."""
    return Draft.objects.filter(
        Q(expiry_notice_at__isnull=True) | Q(expiry_notice_at__lt=F("updated_at")),
        dossier__isnull=True,
        assisted_by__isnull=True,
        updated_at__lte=now - (_keep() - _notice()),
    )


def drafts_expiry_notice_send(*, now: datetime | None = None, batch: int = 500) -> int:
    """Tell each citizen whose unfinished form is due for deletion, once per cycle: an
    SMS naming the procedure, the date and the link to go on (template draft_expiry).
    A draft with no known phone is marked as told all the same, so that its deletion
    is not held back forever. Returns how many messages were written."""
    from motcua.notifications.rendering import site_link
    from motcua.notifications.services import notification_write

    if not _notice():
        return 0
    now = now or timezone.now()
    sent = 0
    pks = list(_notice_due(now).order_by("pk").values_list("pk", flat=True)[:batch])
    for pk in pks:
        with transaction.atomic():
            # Locked and checked again: a citizen saving a page meanwhile is not told.
            draft = (
                _notice_due(now)
                .select_for_update()
                .select_related("procedure_version", "form_definition", "citizen")
                .filter(pk=pk)
                .first()
            )
            if draft is None:
                continue
            phone = draft_phone(draft)
            if phone:
                deletion = timezone.localtime(draft_deletion_at(draft, noticed_at=now))
                row = notification_write(
                    template="draft_expiry",
                    context={
                        "procedure": draft.procedure_version.name,
                        "date": f"{deletion:%d/%m/%Y}",
                        "url": site_link(reverse("filing:resume", args=[draft.resume_token])),
                        "link": site_link(reverse("filing:drafts")),
                    },
                    recipient_phone=phone,
                    preferred_channel="sms",
                    dedupe_key=f"draft_expiry:{draft.pk}:{draft.updated_at.timestamp():.0f}",
                )
                sent += row is not None
            Draft.objects.filter(pk=draft.pk).update(expiry_notice_at=now)
    return sent


def draft_retention() -> tuple[int, int]:
    """(days an untouched form is kept, days before its deletion the citizen is told);
    0 days kept: kept until sent."""
    return max(0, setting("MOTCUA_DRAFT_KEEP_DAYS", 90)), _notice().days


def _purgeable(now: datetime) -> QuerySet[Draft]:
    if _keep() <= timedelta(0):  # MOTCUA_DRAFT_KEEP_DAYS = 0: kept
        return Draft.objects.none()
    expired = Draft.objects.filter(dossier__isnull=True, updated_at__lt=now - _keep())
    if not _notice():
        return expired
    told = Q(
        expiry_notice_at__isnull=False,
        expiry_notice_at__gte=F("updated_at"),
        expiry_notice_at__lte=now - _notice(),
    )
    # An officer's assisted draft has no citizen to tell: it goes by its age alone.
    return expired.filter(told | Q(assisted_by__isnull=False))


def drafts_purge(*, now: Any = None, batch: int = 500) -> PurgeReport:
    """Delete unfinished drafts not touched for MOTCUA_DRAFT_KEEP_DAYS days whose citizen
    was told MOTCUA_DRAFT_NOTICE_DAYS before (drafts_expiry_notice_send), with their
    photos, and the upload files of submitted drafts (the dossier holds its own copy).
    Files go only after the row change commits, so a failure never loses a live file."""
    now = now or timezone.now()
    paths: list[str] = []
    with transaction.atomic():
        # Locked: a citizen saving a page now waits, and the draft is then kept.
        old = list(_purgeable(now).select_for_update().order_by("pk")[:batch])
        for draft in old:
            paths += _uploaded_paths(draft)
        abandoned = Draft.objects.filter(pk__in=[d.pk for d in old]).delete()[0]
        done = list(
            Draft.objects.select_for_update()
            .filter(dossier__isnull=False).exclude(uploads={}).order_by("pk")[:batch]
        )
        for draft in done:
            paths += _uploaded_paths(draft)
        Draft.objects.filter(pk__in=[d.pk for d in done]).update(uploads={})
    return PurgeReport(abandoned=abandoned, files=_delete_files(paths))
