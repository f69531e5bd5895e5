"""Dossier reads: the buttons an official may press, the history, the step deadlines.

The rules behind the buttons are the services' own checks (`dossier_action_check`),
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

from motcua.core.calendar import Duration, DurationKind
from motcua.core.selectors import due_at as calendar_due_at
from motcua.core.selectors import working_time
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.services import (
    BUILTIN_ACTION_LABELS,
    RECEIVE,
    WORKFLOW,
    ActionNotAllowed,
    add_working_timedelta,
    deadline_timing,
    dossier_action_check,
    legal_duration,
    roles_lookup,
)
from motcua.organizations.models import Agency
from motcua.workflows.definitions import FEE, SUPPLEMENT


@dataclass(frozen=True)
class ActionChoice:
    key: str  # the workflow action key, or the built-in kind
    label: str
    kind: str  # "workflow" or the built-in name ("receive", "refuse", …)


def dossier_allowed_actions(
    *, dossier: Dossier, user: AbstractBaseUser | AnonymousUser
) -> list[ActionChoice]:
    """What `user` may do on `dossier` now: workflow actions (by key), then built-in ones."""
    if not user.is_authenticated:
        return []
    now = timezone.now()
    roles_in = roles_lookup(user)
    choices: list[ActionChoice] = []

    def allowed(kind: str, action: str = "") -> bool:
        try:
            dossier_action_check(
                dossier=dossier, user=user, kind=kind, action=action, now=now, roles_in=roles_in
            )
        except ActionNotAllowed:
            return False
        return True

    # By key: PostgreSQL's jsonb does not keep the definition's key order.
    for key, spec in sorted(dossier.workflow.definition["actions"].items()):
        if dossier.state in spec["from"] and allowed(WORKFLOW, key):
            choices.append(ActionChoice(key=key, label=spec["label"], kind=WORKFLOW))
    for kind, label in BUILTIN_ACTION_LABELS.items():
        if allowed(kind):
            choices.append(ActionChoice(key=kind, label=str(label), kind=kind))
    return choices


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
    duration = legal_duration(dossier.procedure_version)
    if share is None or duration is None:
        return None
    legal_end = calendar_due_at(start=start, duration=duration, agency=agency)
    legal = working_time(start=start, end=legal_end, agency=agency)
    seconds = round(legal.total_seconds() * float(share))
    return add_working_timedelta(start=start, amount=timedelta(seconds=seconds), agency=agency)


def dossier_step_deadlines(*, dossier: Dossier) -> list[StepDeadline]:
    """Each hand-over into a step (and each wait for the applicant), with its deadline,
    when the step ended, and whether it ended early, on time or late (form 05).

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
        if event.action == RECEIVE:
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
