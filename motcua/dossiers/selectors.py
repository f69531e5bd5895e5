"""Dossier reads: the buttons an official may press, the history, the step deadlines.

The rules behind the buttons are the runner's own checks (`action_check`),
so a button shown is an action that will be accepted (unless someone else acts first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from motcua.catalog.models import PaperForm
from motcua.core.calendar import Duration, DurationKind, add_office_time
from motcua.core.selectors import due_at as calendar_due_at
from motcua.core.selectors import working_calendar, working_time
from motcua.dossiers.actions.runner import ActionChoice, actions_allowed
from motcua.dossiers.models import Dossier, DossierEvent, DossierPaper
from motcua.dossiers.timing import deadline_timing, duration_of
from motcua.filing.uploads import sniff_upload
from motcua.organizations.models import Agency
from motcua.workflows.definitions import DECIDED, FEE, SUPPLEMENT

__all__ = [
    "ActionChoice",
    "PaperRow",
    "dossier_allowed_actions",
    "dossier_answers",
    "dossier_history",
    "dossier_step_deadlines",
    "paper_rows",
    "paper_with_kind",
]


def dossier_allowed_actions(
    *, dossier: Dossier, user: AbstractBaseUser | AnonymousUser
) -> list[ActionChoice]:
    """What `user` may do on `dossier` now (the runner's own check)."""
    return actions_allowed(dossier=dossier, user=user)


def dossier_history(*, dossier: Dossier) -> list[DossierEvent]:
    """Every event of the dossier, oldest first."""
    return list(
        DossierEvent.objects.filter(dossier=dossier)
        .select_related("actor", "agency")
        .order_by("id")
    )


@dataclass(frozen=True)
class StepDeadline:
    """One hand-over of form 05 (processing-control slip) and how its step went."""

    step: str
    label: str
    agency: Agency | None  # who holds the dossier (None: the applicant, paused)
    handed_over_at: datetime
    handed_over_by: AbstractBaseUser | None
    counted_from: datetime  # the transfer moment: next working morning after 15:00
    deadline: datetime | None
    done_at: datetime | None
    done_by: AbstractBaseUser | None
    timing: str  # "early" | "on_time" | "late" | "" (running in time, or no deadline)


def _parsed(value: Any, default: datetime) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else None
    return moment or default


def _step_deadline(
    dossier: Dossier, spec: dict[str, Any], start: datetime, agency: Agency | None
) -> datetime | None:
    """A step's deadline: a fixed number of working days (a consultation, counted in
    the consulted agency's office time), else its share of the legal processing time."""
    if spec.get("sla_working_days"):
        return calendar_due_at(
            start=start,
            duration=Duration(DurationKind.WORKING_DAYS, spec["sla_working_days"]),
            agency=agency,
        )
    share = spec.get("sla_share")
    version = dossier.procedure_version
    duration = duration_of(kind=version.duration_kind, amount=version.duration_amount)
    if share is None or duration is None:
        return None
    legal_end = calendar_due_at(start=start, duration=duration, agency=agency)
    legal = working_time(start=start, end=legal_end, agency=agency)
    seconds = round(legal.total_seconds() * float(share))
    return add_office_time(start, timedelta(seconds=seconds), working_calendar(agency=agency))


def dossier_step_deadlines(*, dossier: Dossier) -> list[StepDeadline]:
    """Each hand-over into a step (and each wait for the applicant), with its deadline,
    when the step ended, and whether it ended early, on time or late (form 05): from
    the desk's reception through appraisal and approval to the desk's return.

    A dossier received after 15:00 counts its first step from the next working
    morning (the transfer moment stored in the receive event). Waits for a supplement
    or a fee carry no deadline: the legal clock is paused.
    """
    definition = dossier.workflow.definition
    steps = definition["states"]
    events = dossier_history(dossier=dossier)
    agency_ids = {e.data.get("consult_agency") for e in events if e.data.get("consult_agency")}
    agencies = Agency.objects.in_bulk(agency_ids)
    now = timezone.now()
    waits = {
        SUPPLEMENT: _("Waiting for the applicant's supplement"),
        FEE: _("Waiting for the fee to be paid"),
    }
    rows: list[dict[str, Any]] = []
    for event in events:
        current = rows[-1] if rows and rows[-1]["done_at"] is None else None
        moved = event.to_state != event.from_state
        if current is not None and moved and event.from_state == current["step"]:
            current["done_at"], current["done_by"] = event.at, event.actor
        if moved and event.to_state == DECIDED:
            # The decision goes back to the desk, which returns the result: the last
            # hand-over of form 05, due by the moment promised to the applicant.
            rows.append(
                {
                    "step": DECIDED,
                    "label": _("Returning the result"),
                    "agency": dossier.receiving_agency,
                    "handed_over_at": event.at,
                    "handed_over_by": event.actor,
                    "counted_from": event.at,
                    "deadline": dossier.promised_at,
                    "done_at": None,
                    "done_by": None,
                }
            )
            continue
        if not moved or (event.to_state not in steps and event.to_state not in waits):
            continue
        if event.to_state in waits:
            rows.append(
                {
                    "step": event.to_state,
                    "label": waits[event.to_state],
                    "agency": None,
                    "handed_over_at": event.at,
                    "handed_over_by": event.actor,
                    "counted_from": event.at,
                    "deadline": None,
                    "done_at": None,
                    "done_by": None,
                }
            )
            continue
        spec = steps[event.to_state]
        agency = agencies.get(event.data.get("consult_agency")) or dossier.competent_agency
        counted_from = event.at
        if event.action == "receive":
            counted_from = _parsed(event.data.get("transfer_at"), event.at)
        rows.append(
            {
                "step": event.to_state,
                "label": spec["label"],
                "agency": agency,
                "handed_over_at": event.at,
                "handed_over_by": event.actor,
                "counted_from": counted_from,
                "deadline": _step_deadline(dossier, spec, counted_from, agency),
                "done_at": None,
                "done_by": None,
            }
        )
    return [
        StepDeadline(
            **row, timing=deadline_timing(done_at=row["done_at"], deadline=row["deadline"], now=now)
        )
        for row in rows
    ]


# --- papers ----------------------------------------------------------------------------


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


# --- what the applicant declared -----------------------------------------------------------


def dossier_answers(*, dossier: Dossier) -> list[tuple[str, list[str]]]:
    """The online form's answers as (question, lines), for a dossier filed online or in
    assisted mode: the form version named in `form_data` (kept after the draft is gone),
    else the draft's. Empty for counter and imported dossiers."""
    from motcua.catalog import formdefs
    from motcua.catalog.models import FormDefinition
    from motcua.dossiers.models import Draft

    data = dossier.form_data if isinstance(dossier.form_data, dict) else {}
    answers = data.get("answers")
    if not isinstance(answers, dict) or not answers:
        return []
    form = data.get("form") if isinstance(data.get("form"), dict) else {}
    found = FormDefinition.objects.filter(
        procedure__code=form.get("procedure"), number=form.get("version")
    ).first()
    if found is None:
        draft = Draft.objects.select_related("form_definition").filter(dossier=dossier).first()
        found = draft.form_definition if draft else None
    if found is None:
        return []
    rows = []
    for page in found.definition.get("pages", []):
        if page.get("id") not in answers or (
            page.get("type") == "upload" and not isinstance(answers[page["id"]], dict)
        ):
            continue
        try:
            lines = [line for line in formdefs.answer_lines(page, answers[page["id"]]) if line]
        except (KeyError, TypeError, ValueError):  # an answer the form no longer reads
            lines = [str(answers[page["id"]])]
        if lines:
            rows.append((str(page.get("question", "")), lines))
    return rows
