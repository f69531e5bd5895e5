"""A citizen's own dossiers ("Hồ sơ của tôi"): the list, one dossier in plain words with
its slips and papers, and what the applicant may do online: send the papers asked for,
withdraw the dossier.

A citizen reaches only the dossiers whose `citizen` is their account; any other code
answers None, exactly as an unknown code does, so codes cannot be probed. The lifecycle
services check the step, the lock version and the law; this module checks ownership,
as motcua.dossiers.services asks of the portal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from motcua.core.money import format_vnd
from motcua.core.uploads import (
    max_files_per_paper,
    stored_files_removed_on_error,
    too_many_for_paper_message,
)
from motcua.dossiers.actions.base import ActionNotAllowed
from motcua.dossiers.actions.runner import action_check
from motcua.dossiers.inputs import PaperInput
from motcua.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierPaper,
    DossierRating,
    NationalStatus,
    Outcome,
    short_token_pk,
)
from motcua.dossiers.ratings import QUESTIONS, rating_save
from motcua.dossiers.selectors import dossier_answers, paper_with_kind
from motcua.dossiers.services import dossier_resubmit, dossier_supplement_complete
from motcua.dossiers.slip_contexts import (
    online_receipt_applies,
    online_receipt_context,
    slip_context_for,
    slip_forms,
)
from motcua.dossiers.tracking import (
    MAX_CODE_LENGTH,
    TrackingEvent,
    dossier_history_texts,
    dossier_step_text,
)
from motcua.filing.drafts import drafts_open
from motcua.filing.uploads import UploadRefused, paper_files, upload_read
from motcua.workflows.definitions import FEE, INCOMPLETE, SUPPLEMENT

# Action keys (motcua.dossiers.actions) whose events this page reads.
APOLOGIZE = "apologize"
REFUSE = "refuse"
REFUSE_RECEPTION = "refuse_reception"
REQUEST_SUPPLEMENT = "request_supplement"
RETURN_INCOMPLETE = "return_incomplete"
SUPPLEMENT_COMPLETE = "supplement_complete"
RESUBMIT = "resubmit"
WITHDRAW = "request_withdrawal"
PAGE_SIZE = 20
# Slips addressed to the applicant; form 05 is the desks' own processing-control slip.
CITIZEN_SLIPS = ("01", "02", "03", "04")
# A supplement sent without a list of what was missing (imported dossiers) is one paper.
SUPPLEMENT_PAPER_NAME = "Giấy tờ bổ sung"

# What a status badge says at a glance.
ACTION = "action"  # the applicant has something to do
WAITING = "waiting"  # the office has something to do
DONE = "done"  # a result exists
ENDED = "ended"  # refused, not received or withdrawn


def citizen_status(dossier: Dossier) -> tuple[str, str]:
    """(the dossier's status in the applicant's words, its tone: ACTION, WAITING, DONE
    or ENDED)."""
    status = dossier.status
    refused = dossier.outcome == Outcome.REFUSED
    if status == NationalStatus.FILED:
        return _("Sent, waiting to be received"), WAITING
    if status == NationalStatus.SUPPLEMENT_REQUESTED:
        return _("Papers needed from you"), ACTION
    if status == NationalStatus.FEE_REQUESTED:
        return _("Fee to pay"), ACTION
    if status == NationalStatus.WITHDRAWAL_REQUESTED:
        return _("Withdrawal requested, waiting for the desk's answer"), WAITING
    if status == NationalStatus.NOT_RECEIVED:
        return _("Not received"), ENDED
    if status == NationalStatus.STOPPED:
        if dossier.outcome == Outcome.WITHDRAWN:
            return _("Withdrawn"), ENDED
        return str(NationalStatus.STOPPED.label), ENDED
    if status in (NationalStatus.DECIDED, NationalStatus.RETURNED) and refused:
        return _("Refused"), ENDED
    if status == NationalStatus.DECIDED:
        return _("Result ready"), DONE
    if status == NationalStatus.RETURNED:
        return _("Result returned"), DONE
    return _("Being processed"), WAITING


# --- the list -------------------------------------------------------------------------


@dataclass(frozen=True)
class DossierRow:
    dossier: Dossier
    status: str
    tone: str


@dataclass(frozen=True)
class DossierListPage:
    rows: list[DossierRow]
    older: int | None  # continue the list below this id; None on the last page


def _rows(dossiers: Iterable[Dossier]) -> list[DossierRow]:
    return [DossierRow(d, *citizen_status(d)) for d in dossiers]


def _owned(citizen: Any) -> QuerySet[Dossier]:
    return Dossier.objects.filter(citizen=citizen).select_related("procedure_version")


def citizen_dossier_list(
    *, citizen: Any, before: int | None = None, limit: int = PAGE_SIZE
) -> DossierListPage:
    """The citizen's dossiers, newest first, `limit` at a time: keyset pages on the id
    (index dossier_citizen_recent), so a page costs the same however many there are."""
    if not citizen.is_authenticated:
        return DossierListPage(rows=[], older=None)
    found = _owned(citizen).order_by("-id")
    if before is not None:
        found = found.filter(id__lt=before)
    items = list(found[: limit + 1])
    older = items[limit - 1].pk if len(items) > limit else None
    return DossierListPage(rows=_rows(items[:limit]), older=older)


def citizen_dossiers_waiting(*, citizen: Any) -> list[DossierRow]:
    """The citizen's dossiers waiting for them (papers to send, a fee to pay)."""
    if not citizen.is_authenticated:
        return []
    waiting = (NationalStatus.SUPPLEMENT_REQUESTED, NationalStatus.FEE_REQUESTED)
    return _rows(_owned(citizen).filter(status__in=waiting).order_by("-id")[:PAGE_SIZE])


def citizen_drafts_count(*, citizen: Any) -> int:
    """How many forms the citizen started and has not sent (drafts.drafts_open)."""
    return drafts_open(citizen=citizen).count()


# --- one dossier ----------------------------------------------------------------------


def citizen_dossier_get(*, citizen: Any, code: str) -> Dossier | None:
    """The dossier `code` if it belongs to the citizen's account, else None."""
    code = (code or "").strip().upper()
    if not citizen.is_authenticated or not code or len(code) > MAX_CODE_LENGTH:
        return None
    return (
        Dossier.objects.select_related(
            "procedure_version__procedure", "workflow", "receiving_agency", "competent_agency"
        )
        .filter(code=code, citizen=citizen)
        .first()
    )


@dataclass(frozen=True)
class CitizenDossierView:
    """What the applicant sees of their dossier: never the officers' names or notes."""

    dossier: Dossier
    status: str
    tone: str
    step: str
    history: list[TrackingEvent]
    missing: list[str] = field(default_factory=list)  # the last supplement request (form 02)
    contact: str = ""  # the officer to ask about it
    reasons: list[str] = field(default_factory=list)  # of a refusal (form 03)
    withdraw_reason: str = ""
    apology_reason: str = ""  # of the delay (form 04)
    apology_new_due: datetime | None = None
    fee: str = ""  # the fee asked for, while it waits to be paid
    can_supplement: bool = False
    can_withdraw: bool = False
    slips: list[str] = field(default_factory=list)  # forms of Circular 01 to download
    papers: list[DossierPaper] = field(default_factory=list)
    answers: list[tuple[str, list[str]]] = field(default_factory=list)  # question, lines


def _last(events: Sequence[DossierEvent], action: str) -> DossierEvent | None:
    return next((e for e in reversed(events) if e.action == action), None)


def _text_list(value: Any) -> list[str]:
    return [str(v) for v in value if str(v).strip()] if isinstance(value, list) else []


def citizen_may(*, dossier: Dossier, citizen: Any, kind: str) -> bool:
    """Whether the applicant may do action `kind` (SUPPLEMENT_COMPLETE or RESUBMIT,
    WITHDRAW) on their dossier now: the runner's own check, so a link shown is an act
    accepted."""
    try:
        action_check(dossier=dossier, user=citizen, key=kind)
    except ActionNotAllowed:
        return False
    return True


def _request_texts(event: DossierEvent | None) -> tuple[list[str], str]:
    if event is None:
        return [], ""
    return _text_list(event.data.get("missing")), str(event.data.get("contact") or "")


def supplement_missing(dossier: Dossier) -> tuple[list[str], str]:
    """(what the last supplement request listed, the officer to contact)."""
    return _request_texts(
        DossierEvent.objects.filter(
            dossier=dossier, action__in=(REQUEST_SUPPLEMENT, RETURN_INCOMPLETE)
        )
        .order_by("-id")
        .first()
    )


def citizen_dossier_view(*, dossier: Dossier, citizen: Any) -> CitizenDossierView:
    """Everything the applicant's page of `dossier` shows (the caller checked ownership
    with citizen_dossier_get)."""
    events = list(DossierEvent.objects.filter(dossier=dossier).order_by("id"))
    status, tone = citizen_status(dossier)
    extra: dict[str, Any] = {}
    if dossier.state == SUPPLEMENT:
        extra["missing"], extra["contact"] = _request_texts(_last(events, REQUEST_SUPPLEMENT))
    if dossier.state == INCOMPLETE:
        extra["missing"], extra["contact"] = _request_texts(_last(events, RETURN_INCOMPLETE))
    if dossier.state == FEE and dossier.fee_amount:
        extra["fee"] = format_vnd(dossier.fee_amount)
    if dossier.outcome in (Outcome.REFUSED, Outcome.NOT_RECEIVED):
        refusal = _last(events, REFUSE if dossier.outcome == Outcome.REFUSED else REFUSE_RECEPTION)
        extra["reasons"] = _text_list(refusal.data.get("reasons")) if refusal else []
    if (
        dossier.status == NationalStatus.WITHDRAWAL_REQUESTED
        or dossier.outcome == Outcome.WITHDRAWN
    ):
        withdrawal = _last(events, WITHDRAW)
    else:
        withdrawal = None
    if withdrawal is not None:
        extra["withdraw_reason"] = str(withdrawal.data.get("reason") or "")
    if dossier.apologies and not dossier.decided_at and (apology := _last(events, APOLOGIZE)):
        extra["apology_reason"] = str(apology.data.get("reason") or "")
        new_due = apology.data.get("new_due_at")
        extra["apology_new_due"] = parse_datetime(new_due) if isinstance(new_due, str) else None
    return CitizenDossierView(
        dossier=dossier,
        status=status,
        tone=tone,
        step=dossier_step_text(dossier=dossier),
        history=dossier_history_texts(dossier=dossier, events=events),
        can_supplement=citizen_may(
            dossier=dossier, citizen=citizen, kind=supplement_action(dossier)
        ),
        can_withdraw=citizen_may(dossier=dossier, citizen=citizen, kind=WITHDRAW),
        slips=citizen_slip_forms(dossier=dossier),
        papers=list(dossier.papers.all()),
        answers=dossier_answers(dossier=dossier),
        **extra,
    )


def supplement_action(dossier: Dossier) -> str:
    """The action that answers a request for papers: before reception the dossier is
    sent again, during appraisal the supplement completes it."""
    return RESUBMIT if dossier.state == INCOMPLETE else SUPPLEMENT_COMPLETE


def citizen_slip_forms(*, dossier: Dossier) -> list[str]:
    """The slips of Circular 01 addressed to the applicant that apply to the dossier now.
    Form 01 from the moment an online dossier is filed: the acknowledgement of the
    filing until the desk receives it, the receipt and appointment slip after."""
    forms = [form for form in slip_forms(dossier=dossier) if form in CITIZEN_SLIPS]
    if "01" not in forms and online_receipt_applies(dossier=dossier):
        forms.insert(0, "01")
    return forms


def citizen_slip_context(*, dossier: Dossier, form: str, tracking_url: str = "") -> Any:
    """The context of the applicant's slip `form` (citizen_slip_forms), or None."""
    if form not in citizen_slip_forms(dossier=dossier):
        return None
    if form == "01" and online_receipt_applies(dossier=dossier):
        return online_receipt_context(dossier=dossier, tracking_url=tracking_url)
    return slip_context_for(dossier=dossier, form=form, tracking_url=tracking_url)


# --- the short link in messages -------------------------------------------------------------


def short_link_dossier(*, token: str) -> Dossier | None:
    """The dossier a short link (/h/<token>, in every SMS) names, or None when the token
    is malformed, forged or names no dossier."""
    pk = short_token_pk(token)
    if pk is None:
        return None
    return Dossier.objects.only("id", "code", "citizen_id").filter(pk=pk).first()


def citizen_paper_get(
    *, citizen: Any, code: str, paper_id: int
) -> tuple[DossierPaper, str | None] | None:
    """A paper of the citizen's own dossier and its file's kind, or None."""
    dossier = citizen_dossier_get(citizen=citizen, code=code)
    if dossier is None:
        return None
    return paper_with_kind(dossier=dossier, paper_id=paper_id)


# --- the supplement -----------------------------------------------------------------------


def citizen_supplement_send(
    *,
    citizen: Any,
    dossier: Dossier,
    expected_version: int,
    files: Mapping[int, Sequence[UploadedFile]],
) -> Dossier:
    """Send the papers the desk asked for (form 02): `files` by the number of the missing
    item they answer (0 when the request listed nothing). Each item's photos become one
    PDF. The supplement is then complete and the processing clock restarts
    (dossier_supplement_complete).

    ValidationError({"file-<n>": messages} or {"files": message}) names a refused file,
    or says none was chosen; StaleDossier or ActionNotAllowed come from the lifecycle.
    """
    if dossier.citizen_id != getattr(citizen, "pk", None):
        raise ActionNotAllowed(_("This dossier is not yours."))
    missing, _contact = supplement_missing(dossier)
    names = missing or [SUPPLEMENT_PAPER_NAME]
    errors: dict[str, list[str]] = {}
    read: dict[int, list[tuple[bytes, str]]] = {}
    for number in range(len(names)):
        chosen = [f for f in files.get(number, ()) if f]
        if len(chosen) > max_files_per_paper():  # refused before any is read
            errors[f"file-{number}"] = [too_many_for_paper_message()]
            continue
        for upload in chosen:
            try:
                read.setdefault(number, []).append(upload_read(upload))
            except UploadRefused as exc:
                messages = errors.setdefault(f"file-{number}", [])
                if exc.message not in messages:  # "at most 20 at a time" once
                    messages.append(exc.message)
    if not errors and not read:
        errors["files"] = [_("Choose at least one photo or PDF of the papers asked for.")]
    if errors:
        raise ValidationError(errors)
    day = f"{timezone.localdate():%y%m%d}"
    papers = [
        PaperInput(name=names[number][:500], file=content)
        for number, contents in sorted(read.items())
        for content in paper_files(f"bo-sung-{day}-{number + 1}", contents)
    ]
    send = dossier_resubmit if dossier.state == INCOMPLETE else dossier_supplement_complete
    with stored_files_removed_on_error():  # a stale or refused send keeps no file
        return send(
            dossier=dossier, expected_version=expected_version, actor=citizen, papers=papers
        )


# --- the electronic result ----------------------------------------------------------------


def citizen_result_file(*, citizen: Any, code: str) -> Dossier | None:
    """The citizen's own dossier `code` when its electronic result can be downloaded:
    returned (status 10) with a result file attached (motcua.dossiers.results)."""
    dossier = citizen_dossier_get(citizen=citizen, code=code)
    return dossier if dossier is not None and result_downloadable(dossier) else None


def result_downloadable(dossier: Dossier) -> bool:
    """Whether the dossier's electronic result can be downloaded (the citizen's own)."""
    return dossier.status == NationalStatus.RETURNED and bool(dossier.result_file)


# --- the rating -------------------------------------------------------------------------------


def citizen_rating_save(
    *,
    citizen: Any,
    dossier: Dossier,
    answers: Mapping[str, Any],
    comment: str = "",
    expected_saves: int,
) -> DossierRating:
    """Rate the citizen's own dossier (motcua.dossiers.ratings.rating_save does the rest)."""
    if dossier.citizen_id != getattr(citizen, "pk", None):
        raise ActionNotAllowed(_("This dossier is not yours."))
    return rating_save(
        dossier=dossier,
        citizen=citizen,
        # One value per question (a QueryDict's dict() would give lists).
        answers={q.field: answers.get(q.field) for q in QUESTIONS},
        comment=comment,
        expected_saves=expected_saves,
    )
