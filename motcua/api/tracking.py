"""Public dossier tracking in the API: GET /dossiers/{code}/status?phone_last4=NNNN.

Mounted by motcua.api.api with `api.add_router("", tracking_router)`. The answer never
holds the applicant's name, ID number, address or phone. A wrong code and wrong digits
give the same 404, and attempts are limited per client address (429).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from motcua.api.schemas import ErrorOut
from motcua.core.net import client_ip
from motcua.dossiers.tracking import (
    TRACKING_WINDOW_SECONDS,
    dossier_tracking,
    tracking_attempt,
    tracking_retry_after,
)

router = Router(tags=["tracking"])


class TrackingEventOut(Schema):
    at: datetime
    text: str


class TrackingOut(Schema):
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
    history: list[TrackingEventOut]


@router.get(
    "/dossiers/{code}/status",
    response={200: TrackingOut, 404: ErrorOut, 429: ErrorOut},
    summary="Track a dossier",
)
def dossier_status(
    request: HttpRequest,
    response: HttpResponse,  # ninja's response in the making: carries Retry-After
    code: str,
    phone_last4: str = Query(
        "", max_length=20, description="The last 4 digits of the applicant's phone number."
    ),
) -> Status:
    """Status, step, due and return moments and history of dossier `code`.

    `phone_last4` must be the last four digits of the phone number given when filing;
    an unknown code and wrong digits both answer 404. At most 10 attempts per client
    address in 10 minutes, then 429 with Retry-After (seconds).
    """
    if not tracking_attempt(client=client_ip(request)):
        response["Retry-After"] = str(tracking_retry_after())
        message = _(
            "Too many attempts from your connection. Wait %(minutes)d minutes and try again, "
            "or call the one-stop desk."
        ) % {"minutes": TRACKING_WINDOW_SECONDS // 60}
        return Status(429, {"detail": message})
    view = dossier_tracking(code=code, phone_last4=phone_last4)
    if view is None:
        return Status(404, {"detail": _("No dossier with this code and these phone digits.")})
    return Status(200, view)
