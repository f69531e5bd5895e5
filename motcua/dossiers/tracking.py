"""Public tracking of a dossier: its code and the last four digits of the applicant's phone.

What a tracker sees is limited to the progress of the dossier: status, step, due and
return moments and a history in plain words. Never the applicant's name, ID number,
address or phone, nor the officers' notes. A wrong code and wrong digits give the
same answer (None), so codes cannot be probed for phones, and attempts are limited per
client through Django's cache.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache

from motcua.dossiers.actions import definition_of, event_text
from motcua.dossiers.models import Dossier, DossierEvent, NationalStatus

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


def _event_text(event: DossierEvent, definition: dict) -> str:
    text = event_text(definition, event.action, for_citizen=True)
    if text is not None:
        return text
    try:
        return str(NationalStatus(event.status).label)
    except ValueError:
        return event.action


def dossier_step_text(*, dossier: Dossier) -> str:
    """The workflow step the dossier is at, else its national status, in words."""
    state = ((dossier.workflow.definition or {}).get("states") or {}).get(dossier.state)
    if isinstance(state, dict):
        return str(state.get("label"))
    return str(NationalStatus(dossier.status).label)


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
            .only("at", "action", "status")
        )
    return [TrackingEvent(at=e.at, text=_event_text(e, definition)) for e in events]


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
    )


def tracking_attempt(*, client: str) -> bool:
    """Count one tracking attempt of `client` (an IP address); False once it has made
    more than TRACKING_LIMIT in the current window."""
    window = int(time.time() // TRACKING_WINDOW_SECONDS)
    key = f"motcua:tracking:{client[:64]}:{window}"
    if cache.add(key, 1, timeout=TRACKING_WINDOW_SECONDS):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=TRACKING_WINDOW_SECONDS)
        count = 1
    return count <= TRACKING_LIMIT
