"""Receive an online dossier (status 1 → the workflow's start step): the clock starts.

Decree 61/2018 art. 18–19: the receipt slip (form 01) gives the appointment. For a
procedure whose legal time could not be read the officer must set the appointment;
an online dossier passes to the competent unit at once (art. 19(1)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.catalog.models import ProcedureVersion
from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    START,
    Action,
    ActionNotAllowed,
    Context,
    Effect,
    Party,
    iso,
    set_state,
)
from motcua.dossiers.models import Channel, Dossier
from motcua.workflows.definitions import SUBMITTED


def procedure_needs_appointment(version: ProcedureVersion) -> bool:
    """Its legal time could not be read: the officer types the appointment."""
    return timing.duration_of(kind=version.duration_kind, amount=version.duration_amount) is None


def appointment_error(dossier: Dossier, appointment: datetime | None, now: datetime) -> str:
    """Why an appointment the officer typed cannot be used ("" if it can)."""
    if not procedure_needs_appointment(dossier.procedure_version):
        return ""
    if appointment is None:
        return _(
            "This procedure has no legal processing time motcua can count: enter the "
            "appointment (date and time of return) yourself."
        )
    if appointment <= now:
        return _("The appointment must be in the future.")
    return ""


def receive(ctx: Context, *, appointment: datetime | None) -> dict[str, Any]:
    """Enter the start step and start the clock; the event data of a receipt."""
    dossier = ctx.dossier
    if problem := appointment_error(dossier, appointment, ctx.now):
        raise ActionNotAllowed(problem)
    set_state(ctx, ctx.definition["start"])
    calendar = timing.dossier_calendar(dossier)  # read once: each read costs a query
    timing.clock_start(dossier, ctx.now, appointment, calendar)
    transfer = timing.transfer_moment(
        received_at=ctx.now, online=dossier.channel == Channel.ONLINE, calendar=calendar
    )
    return {
        "due_at": iso(dossier.due_at),
        "transfer_at": iso(transfer),
        "competent_agency": dossier.competent_agency_id,
        "appointment_set_by_officer": procedure_needs_appointment(dossier.procedure_version),
    }


@register
class Receive(Action):
    key = "receive"
    label = gettext_lazy("Receive the dossier")
    done = gettext_lazy("Dossier received")
    citizen = gettext_lazy("Received by the one-stop desk")
    from_steps = (SUBMITTED,)
    to = START
    party = Party.DESK
    form = "receive"
    template = "received"
    slip = "01"

    def apply(self, ctx: Context) -> Effect:
        data = receive(ctx, appointment=ctx.params.get("appointment"))
        return Effect(data=data, notify={"due_at": data["due_at"]})
