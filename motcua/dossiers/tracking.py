"""Public tracking of a dossier: its code and the last four digits of the applicant's phone.

What a tracker sees is limited to the progress of the dossier: status, step, due and
return moments and a history in plain words. Never the applicant's name, ID number,
address or phone, nor the officers' notes. A wrong code and wrong digits give the
same answer (None), so codes cannot be probed for phones, and attempts are limited per
client address in the database (motcua.core.ratelimit), counted together by every worker.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import Role
from motcua.core.ratelimit import address_key, rate_hit, rate_retry_after
from motcua.dossiers.actions import ACTIONS, definition_of
from motcua.dossiers.models import Dossier, DossierEvent, NationalStatus
from motcua.workflows import definitions as wf

TRACKING_LIMIT = 10  # attempts …
TRACKING_WINDOW_SECONDS = 600  # … per client per 10 minutes
MAX_CODE_LENGTH = 60
_LAST4 = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime
    text: str


@dataclass(frozen=True)
class TrackingView:
    code: str
    procedure: str
    agency: str
    status: int
    status_label: str
    step: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    returned_at: datetime | None
    history: list[TrackingEvent] = field(default_factory=list)
    status_text: str = ""  # the status in the applicant's words ("Fee to pay")


# --- the applicant's words --------------------------------------------------------------
#
# A workflow is data an administrator writes, and its step and action labels are the
# officials' words ("Chờ phê duyệt", "Trình phê duyệt", "Chuyển chuyên viên xử lý"): the
# applicant never reads them. A processing step is told by what it means to the
# applicant — who holds the dossier there — so any workflow, shipped or written later, is
# told in the applicant's words. The built-in acts (motcua.dossiers.actions) carry their
# own `citizen` wording in their spec; the built-in steps are in the table too.
# tests/portal/test_citizen_words.py checks that every action and step has its words.

DESK = "@desk"  # a receiving officer holds it (the one-stop desk)
OFFICER = "@officer"  # an officer examines it
LEADER = "@leader"  # it waits for the approver's signature
CONSULTED = "@consulted"  # another agency gives its opinion (entered by a consult action)
SHARED = "@shared"  # another agency does its part (a step with an agency_type)
ANSWERED = "@answered"  # back from another agency

# kind or built-in step → (the timeline's line when the dossier gets there, or None when a
# built-in action says it; where the dossier is now, while it is there).
CITIZEN_WORDS: dict[str, tuple[Promise | None, Promise]] = {
    DESK: (
        _("Your dossier went back to the one-stop desk"),
        _("At the one-stop desk, to be passed on to the officer who will handle it"),
    ),
    OFFICER: (
        _("Passed on to an officer, who examines your dossier"),
        _("An officer is examining your dossier"),
    ),
    LEADER: (
        _("Sent to the leader for signature"),
        _("Your dossier is waiting for the leader's signature"),
    ),
    CONSULTED: (
        _("Sent to another agency for its opinion"),
        _("Waiting for another agency's opinion"),
    ),
    SHARED: (
        _("Passed on to another agency that handles its part"),
        _("Another agency is handling its part of your dossier"),
    ),
    ANSWERED: (
        _("The other agency has done its part; an officer goes on with your dossier"),
        _("An officer is examining your dossier"),
    ),
    wf.DECIDED: (_("The result is ready"), _("The result is ready, to be handed to you")),
    wf.SUBMITTED: (None, _("Sent, waiting to be received")),
    wf.INCOMPLETE: (None, _("Waiting for papers from you")),
    wf.SUPPLEMENT: (None, _("Waiting for papers from you")),
    wf.FEE: (None, _("Waiting for you to pay the fee")),
    wf.WITHDRAWAL_REQUESTED: (None, _("Withdrawal requested, waiting for the desk's answer")),
    wf.NOT_RECEIVED: (None, _("Not received")),
    wf.STOPPED: (None, _("Processing stopped")),
    wf.RETURNED: (None, _("Result returned")),
}
_HOLDERS = {
    Role.RECEIVING_OFFICER: DESK,
    Role.SPECIALIST: OFFICER,
    Role.APPROVER: LEADER,
    Role.LEADER: LEADER,
}


def step_kind(definition: dict, state: str) -> str | None:
    """What step `state` of the merged workflow `definition` means to the applicant: a
    key of CITIZEN_WORDS, None when the step is unknown."""
    if state in wf.BUILTIN_STATES or state == wf.DECIDED:
        return state
    spec = (definition.get("states") or {}).get(state)
    if not isinstance(spec, dict):
        return None
    if spec.get("agency_type"):
        return SHARED
    actions = (definition.get("actions") or {}).values()
    if any(isinstance(a, dict) and a.get("consult") and a.get("to") == state for a in actions):
        return CONSULTED
    return _HOLDERS.get(spec.get("role"), OFFICER)


def citizen_event_text(definition: dict, event: DossierEvent) -> str:
    """What an event says to the applicant: a built-in action's own words, else (a
    workflow's action) the words of the step it led to; the national status when the
    event is of neither (an action a later workflow version dropped)."""
    action = ACTIONS.get(event.action)
    if action is not None:
        return str(action.citizen)
    spec = (definition.get("actions") or {}).get(event.action)
    target = event.to_state or (spec.get("to", "") if isinstance(spec, dict) else "")
    kind = step_kind(definition, target) if (spec or target) else None
    if kind in (OFFICER, DESK) and step_kind(definition, event.from_state) in (
        CONSULTED, SHARED
    ):
        kind = ANSWERED
    words = CITIZEN_WORDS.get(kind or "", (None, None))[0]
    if words is not None:
        return str(words)
    try:
        return str(NationalStatus(event.status).label)
    except ValueError:
        return ""


def citizen_step_text(definition: dict, state: str, status: int) -> str:
    """Where a dossier at step `state` is, in the applicant's words."""
    kind = step_kind(definition, state)
    if kind in CITIZEN_WORDS:
        return str(CITIZEN_WORDS[kind][1])
    try:
        return str(NationalStatus(status).label)
    except ValueError:
        return ""


def dossier_step_text(*, dossier: Dossier) -> str:
    """Where the dossier is now, in the applicant's words (never the workflow's label)."""
    return citizen_step_text(definition_of(dossier.workflow), dossier.state, dossier.status)


def dossier_history_texts(
    *, dossier: Dossier, events: Iterable[DossierEvent] | None = None
) -> list[TrackingEvent]:
    """What happened to the dossier, oldest first, in the applicant's words (no officer
    names or notes): for the public tracking page and the citizen's own dossier page.
    `events`: the dossier's events, oldest first, when the caller has read them."""
    definition = definition_of(dossier.workflow)
    if events is None:
        events = (
            DossierEvent.objects.filter(dossier=dossier)
            .order_by("id")
            .only("at", "action", "status", "from_state", "to_state")
        )
    return [TrackingEvent(at=e.at, text=citizen_event_text(definition, e)) for e in events]


def dossier_tracking(*, code: str, phone_last4: str) -> TrackingView | None:
    """The public view of dossier `code`, or None if the code is unknown or the digits
    do not match the end of the applicant's phone (the same answer for both)."""
    code = (code or "").strip().upper()
    digits = (phone_last4 or "").strip()
    if not code or len(code) > MAX_CODE_LENGTH or not _LAST4.match(digits):
        return None
    dossier = (
        Dossier.objects.select_related("procedure_version", "receiving_agency", "workflow")
        .filter(code=code)
        .first()
    )
    if dossier is None:
        return None
    phone_digits = re.sub(r"\D", "", dossier.applicant_phone or "")
    if len(phone_digits) < 4 or not hmac.compare_digest(phone_digits[-4:], digits):
        return None
    # Imported here: motcua.dossiers.citizen reads this module.
    from motcua.dossiers.citizen import citizen_status

    status_label = str(NationalStatus(dossier.status).label)
    return TrackingView(
        code=dossier.code,
        procedure=dossier.procedure_version.name,
        agency=dossier.receiving_agency.name,
        status=dossier.status,
        status_label=status_label,
        step=dossier_step_text(dossier=dossier),
        submitted_at=dossier.submitted_at,
        received_at=dossier.received_at,
        due_at=dossier.promised_at,
        returned_at=dossier.returned_at,
        history=dossier_history_texts(dossier=dossier),
        status_text=citizen_status(dossier)[0],
    )


def tracking_attempt(*, client: str, now: datetime | None = None) -> bool:
    """Count one tracking attempt of `client` (an IP address); False once it has made
    more than TRACKING_LIMIT in the current window. Counted in the database, so the
    limit holds across workers and restarts (ASVS 5.0 V2.4.1)."""
    return rate_hit(
        key=f"tracking:{address_key(client)}",
        limit=TRACKING_LIMIT,
        window_seconds=TRACKING_WINDOW_SECONDS,
        now=now,
    )


def tracking_retry_after(*, now: datetime | None = None) -> int:
    """Seconds until a client over the limit may track again (HTTP Retry-After)."""
    return rate_retry_after(window_seconds=TRACKING_WINDOW_SECONDS, now=now)
