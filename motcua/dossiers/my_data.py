"""A citizen's own data, gathered for them to download ("Tải dữ liệu của tôi").

Decree 13/2023/NĐ-CP art. 9(3) (right of access) and 9(7) (right to be provided with
one's personal data), carried on by the Law on Personal Data Protection 91/2025/QH15
from 1/1/2026: a signed-in citizen downloads, at any time and without asking an
officer, what the portal holds about them and what they did on it.

What it holds: the account (profile, how they want news), their dossiers (codes,
procedure, statuses in their words, dates, the form's answers, the papers' names, the
timeline they see on their page, their rating, bills and payments), the papers and
results kept in their store, their forms not yet sent, and the messages sent to them.
A JSON document, not a ZIP: the scanned papers and result files are downloaded from
each dossier's page, where ownership is already checked. Never the officers' names or
notes, nor other people's dossiers (only those whose `citizen` is this account), nor
one-time codes (not kept).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from motcua.accounts.selectors import citizen_profile
from motcua.dossiers.citizen import citizen_status
from motcua.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierPaper,
    DossierRating,
    Draft,
    NationalStatus,
)
from motcua.dossiers.selectors import dossier_answers
from motcua.dossiers.tracking import dossier_history_texts

FORMAT = "motcua.citizen-data/1"


def _when(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _phones(phone: str) -> set[str]:
    """The forms a mobile number is stored in (84xxxxxxxxx, 0xxxxxxxxx)."""
    if not phone:
        return set()
    local = "0" + phone[2:] if phone.startswith("84") else phone
    international = "84" + phone[1:] if phone.startswith("0") else phone
    return {phone, local, international}


def _account(citizen: Any) -> dict[str, Any]:
    from motcua.notifications.selectors import contact_preference_for

    profile = citizen_profile(user=citizen)
    account: dict[str, Any] = {
        "signed_up_at": _when(getattr(citizen, "date_joined", None)),
        "last_sign_in_at": _when(getattr(citizen, "last_login", None)),
    }
    if profile is None:
        return account
    phone = profile.phone or ""
    account.update(
        {
            "phone": ("0" + phone[2:]) if phone.startswith("84") else phone,
            "full_name": profile.full_name,
            "citizen_id": profile.citizen_id,
            "birth_date": _when(profile.birth_date),
            "sex": profile.get_sex_display() if profile.sex else "",
            "ethnicity": profile.ethnicity,
            "nationality": profile.nationality,
            "address": profile.address,
            "commune": str(profile.commune) if profile.commune_id else "",
            "email": profile.email,
            "news_by": contact_preference_for(phone=phone, email=profile.email),
            "identity_confirmed_by_eid_at": _when(profile.identity_verified_at),
        }
    )
    return account


def _bills(dossier: Dossier) -> list[dict[str, Any]]:
    from motcua.payments.models import Bill, Payment

    bills = Bill.objects.filter(dossier=dossier).prefetch_related(
        Prefetch("payments", queryset=Payment.objects.order_by("paid_at"))
    )
    return [
        {
            "created_at": _when(bill.created_at),
            "state": bill.get_state_display(),
            "total_vnd": bill.total_vnd,
            "paid_vnd": bill.paid_vnd,
            "exemption": bill.get_exemption_display() if bill.exemption else "",
            "payments": [
                {
                    "paid_at": _when(payment.paid_at),
                    "amount_vnd": payment.amount_vnd,
                    "how": payment.method_label,
                    "online": payment.online,
                    "receipt": payment.receipt,
                }
                for payment in bill.payments.all()
            ],
        }
        for bill in bills.order_by("created_at")
    ]


def _dossier(dossier: Dossier, events: list[DossierEvent]) -> dict[str, Any]:
    rating = getattr(dossier, "citizen_rating", None)
    return {
        "code": dossier.code,
        "procedure": dossier.procedure_version.name,
        "procedure_code": dossier.procedure_version.procedure.code,
        "receiving_agency": dossier.receiving_agency.name,
        "competent_agency": dossier.competent_agency.name,
        "filed": dossier.get_channel_display(),
        "status": _label(NationalStatus, dossier.status),
        "status_in_plain_words": citizen_status(dossier)[0],
        "filed_at": _when(dossier.submitted_at),
        "received_at": _when(dossier.received_at),
        "result_due_at": _when(dossier.promised_at),
        "decided_at": _when(dossier.decided_at),
        "result_returned_at": _when(dossier.returned_at),
        "result_delivery": dossier.get_result_delivery_display(),
        "result_address": dossier.result_address,
        "applicant": {
            "name": dossier.applicant_name,
            "citizen_id": dossier.applicant_id_number,
            "birth_date": _when(dossier.applicant_birth_date),
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
            "address": dossier.applicant_full_address,
            "organisation": dossier.organisation_name,
            "tax_code": dossier.organisation_tax_code,
        },
        "answers": [
            {"question": question, "answer": lines}
            for question, lines in dossier_answers(dossier=dossier)
        ],
        "papers": [
            {
                "name": paper.name,
                "form": paper.form,
                "copies": paper.count,
                "file_kept": bool(paper.file),
            }
            for paper in dossier.papers.all()
        ],
        "result_file_kept": bool(dossier.result_file),
        "timeline": [
            {"at": _when(item.at), "what": item.text}
            for item in dossier_history_texts(dossier=dossier, events=events)
        ],
        "rating": (
            {
                "satisfaction": rating.get_satisfaction_display(),
                "comment": rating.comment,
                "at": _when(rating.updated_at),
            }
            if isinstance(rating, DossierRating)
            else None
        ),
        "bills": _bills(dossier),
    }


def _stored_papers(dossiers: list[Dossier]) -> list[dict[str, Any]]:
    """The citizen's store (what a new form can reuse): the files of their dossiers'
    papers and their electronic results, named, not the files themselves."""
    items: list[dict[str, Any]] = []
    for dossier in dossiers:
        if dossier.result_file:
            items.append(
                {
                    "kind": "result",
                    "name": dossier.procedure_version.name,
                    "dossier": dossier.code,
                    "at": _when(dossier.returned_at),
                }
            )
        items += [
            {
                "kind": "paper",
                "name": paper.name,
                "dossier": dossier.code,
                "at": _when(paper.added_at),
            }
            for paper in dossier.papers.all()
            if paper.file
        ]
    return items


def _drafts(citizen: Any) -> list[dict[str, Any]]:
    drafts = (
        Draft.objects.filter(citizen=citizen)
        # An officer's assisted form is the citizen's once they confirmed and it was sent.
        .exclude(assisted_by__isnull=False, dossier__isnull=True)
        .select_related("procedure_version", "dossier")
        .order_by("created_at")
    )
    return [
        {
            "procedure": draft.procedure_version.name,
            "started_at": _when(draft.created_at),
            "last_saved_at": _when(draft.updated_at),
            "sent_as_dossier": draft.dossier.code if draft.dossier_id else None,
            "answers": draft.answers,
            "files": [
                item.get("name", "")
                for files in (draft.uploads or {}).values()
                for item in files
                if isinstance(item, dict)
            ],
        }
        for draft in drafts
    ]


def _messages(citizen: Any, dossier_ids: list[int]) -> list[dict[str, Any]]:
    from motcua.notifications.models import Notification
    from motcua.notifications.rendering import RenderError, render_email, render_sms
    from motcua.notifications.selectors import SECRET_TEMPLATES, message_template_current

    # The messages about their own dossiers, and those about no dossier (their forms not
    # yet sent) to the phone they signed in with, which the code proved theirs. Not by
    # e-mail: the account's address is typed, never proved, and would open other
    # people's messages to whoever typed it.
    profile = citizen_profile(user=citizen)
    mine = Q(dossier_id__in=dossier_ids)
    phones = _phones(profile.phone or "") if profile is not None else set()
    if phones:
        mine |= Q(dossier__isnull=True, recipient_phone__in=phones)
    rows = (
        Notification.objects.filter(mine)
        .select_related("template_version", "dossier")
        .order_by("created_at")
    )
    current: dict[str, Any] = {}
    out = []
    for row in rows:
        template = row.template_version
        if template is None:
            if row.template not in current:
                current[row.template] = message_template_current(key=row.template)
            template = current[row.template]
        text = ""
        if template is not None and row.template not in SECRET_TEMPLATES:
            try:
                if row.channel == "email" or not template.sms_body:
                    email = render_email(template, row.context or {})
                    text = f"{email.subject}\n\n{email.body}"
                else:
                    text = render_sms(template, row.context or {}, unicode=True).text
            except RenderError:
                text = ""
        out.append(
            {
                "at": _when(row.sent_at or row.created_at),
                "about": template.description if template is not None else row.template,
                "dossier": row.dossier.code if row.dossier_id else None,
                "to": row.recipient_phone or row.recipient_email,
                "by": row.channel,
                "status": row.get_status_display(),
                # A one-time code is forgotten once sent: its message is listed, not shown.
                "text": text,
            }
        )
    return out


def citizen_data_export(*, citizen: Any, now: datetime | None = None) -> dict[str, Any]:
    """Everything the portal holds about `citizen` and what they did on it (module
    docstring), as one JSON-ready document."""
    now = now or timezone.now()
    dossiers = list(
        Dossier.objects.filter(citizen=citizen)
        .select_related(
            "procedure_version__procedure",
            "receiving_agency",
            "competent_agency",
            "workflow",
            "applicant_unit",
            "citizen_rating",
        )
        .prefetch_related(
            Prefetch("papers", queryset=DossierPaper.objects.order_by("id")),
            Prefetch(
                "events",
                queryset=DossierEvent.objects.order_by("id").only(
                    "dossier_id", "at", "action", "status", "from_state", "to_state"
                ),
                to_attr="events_in_order",
            ),
        )
        .order_by("id")
    )
    return {
        "format": FORMAT,
        "generated_at": _when(now),
        "account": _account(citizen),
        "dossiers": [_dossier(d, d.events_in_order) for d in dossiers],
        "stored_papers": _stored_papers(dossiers),
        "unfinished_forms": _drafts(citizen),
        "messages": _messages(citizen, [d.pk for d in dossiers]),
    }
