"""The contexts of the Circular 01/2018/TT-VPCP slips (forms 01–05) of one dossier,
read from its fields and from the events that called for them; rendered by
motcua.dossiers.slips. Shared by the back office and the citizen's pages.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.utils import translation
from django.utils.dateparse import parse_datetime

from motcua.accounts.models import Role
from motcua.catalog.models import ProcedureVersion
from motcua.core.calendar import DurationKind
from motcua.dossiers.actions import ACTIONS
from motcua.dossiers.models import Channel, Dossier, DossierEvent, Outcome, ResultDelivery
from motcua.dossiers.selectors import dossier_answers, dossier_step_deadlines
from motcua.organizations.models import Agency

# Slips are legal documents printed in Vietnamese whatever the interface language.
_SLIP_PAPER_FORMS = {
    "original": "Bản chính",
    "copy": "Bản sao",
    "certified_copy": "Bản sao chứng thực",
    "original_or_copy": "Bản chính hoặc bản sao",
}
SLIP_FORMS = ("01", "02", "03", "04", "05")
BLANK_ADDRESS = "…………………"  # the dotted line of the paper form, filled in by hand
# Form 06 on A4: WeasyPrint lays out about 80 register lines a second, and slips are
# printed one at a time per process, so a register stops at this many lines.
# "Giấy tờ: lý do" (or " - ", " – ") on one line of a supplement request; not "08:00".
RECEIVE, REFUSE, REFUSE_RECEPTION, APOLOGIZE = "receive", "refuse", "refuse_reception", "apologize"
# Form 02 is issued before reception (return_incomplete) or during appraisal.
SUPPLEMENT_ACTIONS = tuple(key for key, a in ACTIONS.items() if a.slip == "02")
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
        "02": dossier.supplement_requests > 0
        or dossier.events.filter(action__in=SUPPLEMENT_ACTIONS).exists(),
        "03": dossier.outcome in (Outcome.REFUSED, Outcome.NOT_RECEIVED),
        "04": dossier.apologies > 0,
        "05": received,
    }
    return [form for form in SLIP_FORMS if applies[form]]


def _person(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def slip_agency(agency: Agency) -> Any:
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


def result_place_text(dossier: Dossier) -> str:
    """Where the applicant registered to receive the result, as item 6 of form 01
    ("Đăng ký nhận kết quả tại: …") prints it: the desk, the address the public post
    delivers to (Decision 45/2016/QĐ-TTg), or the electronic copy on the portal."""
    if dossier.result_delivery == ResultDelivery.POST:
        return f"{dossier.result_address or BLANK_ADDRESS} (qua dịch vụ bưu chính công ích)"
    if dossier.result_delivery == ResultDelivery.ELECTRONIC:
        return "Cổng Dịch vụ công, tài khoản của người nộp hồ sơ (bản điện tử)"
    desk = dossier.receiving_agency
    return ", ".join(part for part in (desk.name, desk.address) if part)


def _slip_common(dossier: Dossier, tracking_url: str) -> Any:
    """What every slip of a dossier carries: desk, code, applicant, request, times."""
    from motcua.dossiers.slips import SlipApplicant, SlipContext

    desk = dossier.receiving_agency
    return SlipContext(
        agency=slip_agency(desk),
        code=dossier.code,
        tracking_url=tracking_url,
        procedure_name=dossier.procedure_version.name,
        applicant=SlipApplicant(
            name=dossier.organisation_name or dossier.applicant_name,
            address=dossier.applicant_full_address,
            phone=dossier.applicant_phone,
            email=dossier.applicant_email,
            id_number=dossier.applicant_id_number,
        ),
        processing_time_text=_legal_time_text(dossier.procedure_version),
        received_at=dossier.received_at,
        due_at=dossier.promised_at,
        result_place=result_place_text(dossier),
    )


def _slip_papers(dossier: Dossier) -> list[Any]:
    from motcua.dossiers.slips import SlipPaper

    return [
        SlipPaper(
            name=paper.name,
            form_label=_SLIP_PAPER_FORMS.get(paper.form, ""),
            count=paper.count,
        )
        for paper in dossier.papers.all()
    ]


def _receipt_slip(dossier: Dossier, base: Any) -> Any:
    """Form 01: the papers received and the receiving officer."""
    return replace(
        base,
        papers=_slip_papers(dossier),
        officer_name=_person(_receiving_officer(dossier)),
        declared=dossier_answers(dossier=dossier),
        # The appointment the receipt gave, also after an apology (form 04) moved it.
        due_at=dossier.appointment_at or dossier.due_at,
    )


def _missing_line(line: str) -> tuple[str, str]:
    parts = _PAPER_WHY.split(line, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1][:1].upper() + parts[1][1:]
    return line, ""


def _supplement_slip(dossier: Dossier, base: Any) -> Any:
    """Form 02, from the last supplement request: each paper and why, whom to ask."""
    event = _last_event(dossier, *SUPPLEMENT_ACTIONS)
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
    original = dossier.appointment_at or dossier.due_at
    if event is None:
        return replace(base, due_at=original, new_due_at=dossier.promised_at)
    return replace(
        base,
        due_at=_moment(event.data.get("original_due_at")) or original,
        delay_reason=str(event.data.get("reason") or "").strip(),
        new_due_at=_moment(event.data.get("new_due_at")) or dossier.promised_at,
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


def online_receipt_applies(*, dossier: Dossier) -> bool:
    """An online dossier filed and not received yet (nor refused or withdrawn): the
    applicant's paper is the acknowledgement of the electronic filing until the desk
    receives it and form 01 takes over (Decree 45/2020/NĐ-CP: the system confirms an
    electronic filing to the applicant at once)."""
    return (
        dossier.channel == Channel.ONLINE
        and dossier.submitted_at is not None
        and dossier.received_at is None
        and dossier.outcome == Outcome.PENDING
    )


def online_receipt_context(*, dossier: Dossier, tracking_url: str = "") -> Any:
    """Form 01 shaped as the acknowledgement of an online filing (what was sent, when,
    how the result will come back; the appointment is set on reception), or None when
    it does not apply (online_receipt_applies)."""
    if not online_receipt_applies(dossier=dossier):
        return None
    return replace(
        _slip_common(dossier, tracking_url),
        acknowledgement=True,
        filed_at=dossier.submitted_at,
        issued_at=dossier.submitted_at,
        due_at=None,
        papers=_slip_papers(dossier),
        declared=dossier_answers(dossier=dossier),
    )


def walk_in_slip_context(
    *,
    form: str,
    agency: Agency,
    procedure_version: ProcedureVersion,
    applicant_name: str,
    applicant_address: str,
    applicant_phone: str,
    lines: list[str],
    officer: Any,
    at: datetime,
) -> Any:
    """Form 02 (what is missing, and why) or 03 (the reasons) for a person at the counter
    whose papers are not received (Decree 61/2018 art. 18(2)(b)–(c)): nothing is
    recorded as a dossier, there is no code and the clock does not start."""
    from motcua.dossiers.slips import SlipApplicant, SlipContext

    if form not in ("02", "03"):
        raise ValueError(form)
    texts = [line.strip() for line in lines if line.strip()]
    base = SlipContext(
        agency=slip_agency(agency),
        procedure_name=procedure_version.name,
        applicant=SlipApplicant(
            name=applicant_name, address=applicant_address, phone=applicant_phone
        ),
        processing_time_text=_legal_time_text(procedure_version),
        officer_name=_person(officer),
        issued_at=at,
    )
    if form == "02":
        contact = ", ".join(
            part
            for part in (
                _person(officer),
                agency.name,
                f"điện thoại {agency.phone}" if agency.phone else "",
            )
            if part
        )
        return replace(base, missing=[_missing_line(line) for line in texts], contact=contact)
    return replace(base, reasons=texts)
